"""The audit report: an HTML page (one self-contained file) and its PDF, in the report's language."""
