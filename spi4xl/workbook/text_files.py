"""The files of the catalog's text machinery: wording overlays and the translators' workbook.

The catalog works on rows (spi4xl.catalog.overlay, spi4xl.catalog.i18n_workbook); this module
opens the spreadsheets and writes the translators' workbook.
"""

from __future__ import annotations

import os
from pathlib import Path

import xlsxwriter

from spi4xl.catalog.i18n_workbook import (BASE, IDENT, SOURCE, STATUS, TRANSLATION, ImportReport, export_rows, headers,
                                          import_rows, to_review)
from spi4xl.catalog.glossary import load_glossary
from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog
from spi4xl.catalog.overlay import (IDENTITY_KEYS, IDENTITY_PREFIX, PO_HEADERS, CatalogIdentity, apply_overlay_rows,
                                    declared_identity, identity_for, identity_from_cells, identity_from_po,
                                    is_identity_row, rows_from_cells, rows_from_po)
from spi4xl.errors import Spi4xlError
from spi4xl.output import atomic_output, close_workbook
from spi4xl.po import read_po
from spi4xl.ui import ui
from spi4xl.workbook.formats import row_height
from spi4xl.workbook.values import read_sheet_values


def _read_overlay(catalog: Catalog, path: Path) -> tuple[list, dict[str, str], list[list] | None]:
    """(text rows, declared identity values, the sheet's cells or None for a PO file) of an overlay file."""
    if not path.is_file():
        raise Spi4xlError("overlay.not_found", path=path)
    if path.suffix.lower() == ".po":
        return rows_from_po(path, catalog), identity_from_po(path), None
    cells = read_sheet_values(path)
    return rows_from_cells(cells, catalog, path), identity_from_cells(cells), cells


def apply_overlay(catalog: Catalog, overlay: str | os.PathLike) -> Catalog:
    """The catalog with the texts of an overlay file (a spreadsheet or a PO file) in place of its own; refused
    unless the overlay declares this very catalog (spi4xl.catalog.overlay)."""
    path = Path(overlay)
    rows, declared, _ = _read_overlay(catalog, path)
    return apply_overlay_rows(catalog, rows, path, declared_identity(declared))


def stamp_overlay(catalog: Catalog, overlay: str | os.PathLike, out: str | os.PathLike
                  ) -> tuple[CatalogIdentity, CatalogIdentity | None, int]:
    """Write a copy of an overlay declaring this catalog: the vouching step after a person checked that its
    wording still fits these codes. Returns (the new identity, the one it declared before, texts)."""
    path, out = Path(overlay), Path(out)
    if path.resolve() == out.resolve() or (out.exists() and path.exists() and path.samefile(out)):
        raise Spi4xlError("write.overwrite", path=out)
    rows, declared, cells = _read_overlay(catalog, path)
    if (cells is None) != (out.suffix.lower() == ".po") or (cells is not None and out.suffix.lower() != ".xlsx"):
        raise Spi4xlError("overlay.stamp_format", path=out, kind=".po" if cells is None else ".xlsx")
    identity = identity_for(catalog, rows)
    apply_overlay_rows(catalog, rows, path, identity)  # unknown codes are refused before anything is written
    with atomic_output(out) as temp:
        if cells is None:
            po = read_po(path)
            po.metadata.update({PO_HEADERS[k]: getattr(identity, k) for k in PO_HEADERS})
            po.save(str(temp))
        else:
            _write_stamped_sheet(temp, cells, identity)
    return identity, declared_identity(declared), len({key for _, key, _, _ in rows})


def _write_stamped_sheet(temp: Path, cells: list[list], identity: CatalogIdentity) -> None:
    """The overlay's rows as read (values only), identity rows first under the header."""
    header = [str(c or "").strip().lower() for c in cells[0]]
    ci, fi = header.index("code"), header.index("field")
    book = xlsxwriter.Workbook(str(temp), {"tmpdir": str(temp.parent), "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet()
    kept = [row for row in cells[1:] if not is_identity_row(list(row), ci)]
    stamp = []
    for key in IDENTITY_KEYS:
        row = [None] * len(header)
        row[ci], row[fi] = IDENTITY_PREFIX + key, getattr(identity, key)
        stamp.append(row)
    for r, row in enumerate([cells[0], *stamp, *kept]):
        for c, value in enumerate(row):
            if value is not None and value != "":
                sheet.write(r, c, value)
    close_workbook(book)


WIDTHS = (9, 22, 60, 60, 10, 10)  # column widths, in COLUMNS order
FONT_SIZE = 11  # XlsxWriter's default Calibri 11
GLOSSARY_WIDTHS = (36, 40, 70)  # term, forbidden variants, note


def export_workbook(catalog: Catalog, lang: str, out: Path) -> tuple[int, int]:
    """Write one row per text (see COLUMNS), headers and instructions in `lang`, rows as tall as their
    wrapped texts. Returns (rows written, rows to review)."""
    rows = export_rows(catalog, lang)
    with atomic_output(out) as temp:
        _write_export(xlsxwriter.Workbook(str(temp), {"tmpdir": str(temp.parent)}), rows, lang,
                      [t for t in load_glossary(catalog_root(catalog)) if t.lang == lang])
    return len(rows), to_review(rows)


def _write_export(book, rows: list[tuple[str, ...]], lang: str, glossary: list) -> None:
    book.set_properties({"title": ui("cli.i18n.title", lang, language=lang), "created": None})
    sheet = book.add_worksheet(lang)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    todo = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#FFF2CC"})
    sheet.write_row(0, 0, headers(lang), head)
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            sheet.write_string(r, c, text, todo if c == TRANSLATION and row[STATUS] != "done" else wrap)
        sheet.set_row(r, row_height(*((row[c], WIDTHS[c], FONT_SIZE) for c in (IDENT, SOURCE, TRANSLATION))))
    for c, width in enumerate(WIDTHS):
        sheet.set_column(c, c, width, None, {"hidden": c == BASE})
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, len(rows), BASE - 1)
    help_sheet = book.add_worksheet(ui("cli.i18n.help_sheet", lang)[:31])
    help_sheet.set_column(0, 0, 100)
    for r, line in enumerate(ui("cli.i18n.help", lang, language=lang).split("\n")):
        help_sheet.write_string(r, 0, line, wrap)
        help_sheet.set_row(r, row_height((line, 100, FONT_SIZE)))
    if glossary:  # the terms `spi4xl catalog check` holds every text of this language to
        sheet = book.add_worksheet(ui("cli.i18n.glossary_sheet", lang)[:31])
        sheet.write_row(0, 0, [ui(f"cli.i18n.glossary.{c}", lang) for c in ("term", "forbidden", "note")], head)
        for r, term in enumerate(glossary, start=1):
            cells = (term.term, ", ".join(term.forbidden), term.note)
            sheet.write_row(r, 0, cells, wrap)
            sheet.set_row(r, row_height(*zip(cells, GLOSSARY_WIDTHS, [FONT_SIZE] * 3)))
        for c, width in enumerate(GLOSSARY_WIDTHS):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(1, 0)
    close_workbook(book)


def import_workbook(catalog: Catalog, path: Path) -> ImportReport:
    """Reviewed translations from a translators' workbook back into the PO files (see import_rows)."""
    return import_rows(catalog, read_sheet_values(path), path)
