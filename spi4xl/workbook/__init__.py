"""Workbooks as a view of the catalog and the audit: layout contract, renderer, readers."""
