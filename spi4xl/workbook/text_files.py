"""The files of the catalog's text machinery: wording overlays and the translators' workbook.

The catalog works on rows (spi4xl.catalog.overlay, spi4xl.catalog.i18n_workbook); this module
opens the spreadsheets and writes the translators' workbook.
"""

from __future__ import annotations

import os
from pathlib import Path

import xlsxwriter

from spi4xl.catalog.i18n_workbook import HEADERS, ImportReport, export_rows, import_rows
from spi4xl.catalog.model import Catalog
from spi4xl.catalog.overlay import apply_overlay_rows, rows_from_cells, rows_from_po
from spi4xl.errors import Spi4xlError
from spi4xl.workbook.values import read_sheet_values


def apply_overlay(catalog: Catalog, overlay: str | os.PathLike) -> Catalog:
    """The catalog with the texts of an overlay file (a spreadsheet or a PO file) in place of its own."""
    path = Path(overlay)
    if not path.is_file():
        raise Spi4xlError("overlay.not_found", path=path)
    rows = rows_from_po(path, catalog) if path.suffix.lower() == ".po" else rows_from_cells(read_sheet_values(path), catalog, path)
    return apply_overlay_rows(catalog, rows, path)


def export_workbook(catalog: Catalog, lang: str, out: Path) -> int:
    """Write one row per text: id, English source, current translation, status. Returns the row count."""
    rows = export_rows(catalog, lang)
    book = xlsxwriter.Workbook(str(out))
    book.set_properties({"title": f"spi4xl translations ({lang})", "created": None})
    sheet = book.add_worksheet(lang)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    todo = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#FFF2CC"})
    sheet.write_row(0, 0, [h.format(lang=lang) for h in HEADERS], head)
    for r, (domain, ident, source, translation, status) in enumerate(rows, start=1):
        for c, text in enumerate((domain, ident, source)):
            sheet.write_string(r, c, text, wrap)
        sheet.write_string(r, 3, translation, wrap if status == "done" else todo)
        sheet.write_string(r, 4, status, wrap)
    sheet.set_column(0, 0, 9)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 3, 60)
    sheet.set_column(4, 4, 10)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, len(rows), len(HEADERS) - 1)
    book.close()
    return len(rows)


def import_workbook(catalog: Catalog, path: Path) -> ImportReport:
    """Reviewed translations from a translators' workbook back into the PO files (see import_rows)."""
    return import_rows(catalog, read_sheet_values(path), path)
