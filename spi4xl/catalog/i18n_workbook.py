"""The translators' workbook: export PO entries to a sheet anyone can fill, import it back safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import xlsxwriter

from spi4xl.catalog.i18n import TextKey, msgctxt, parse_msgctxt, read_translations, write_po
from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog
from spi4xl.errors import Spi4xlError
from spi4xl.output import atomic_output, close_workbook
from spi4xl.ui import UI_DIR, ui_source
from spi4xl.workbook.values import read_sheet_values

HEADERS = ("domain", "id", "source (en)", "translation ({lang})", "status")


@dataclass(frozen=True)
class Domain:
    name: str
    po_path: Path
    source: Mapping[TextKey, str]


def domains(catalog: Catalog, lang: str) -> tuple[Domain, ...]:
    """Where each family of texts lives: the catalog's locale folder and the interface strings."""
    return (
        Domain("catalog", catalog_root(catalog) / "locale" / f"{lang}.po", catalog.texts["en"]),
        Domain("ui", UI_DIR / f"{lang}.po", ui_source()),
    )


def _check_lang(catalog: Catalog, lang: str) -> None:
    if lang not in catalog.languages[1:]:
        raise Spi4xlError(f"language {lang!r} is not a translation of {catalog.id} (translations: {', '.join(catalog.languages[1:])})")


def export_workbook(catalog: Catalog, lang: str, out: Path) -> int:
    """Write one row per text: id, English source, current translation, status. Returns the row count."""
    _check_lang(catalog, lang)
    with atomic_output(out) as temp:
        return _write_export(catalog, lang, xlsxwriter.Workbook(str(temp), {"tmpdir": str(temp.parent)}))


def _write_export(catalog: Catalog, lang: str, book) -> int:
    book.set_properties({"title": f"spi4xl translations ({lang})", "created": None})
    sheet = book.add_worksheet(lang)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    todo = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#FFF2CC"})
    sheet.write_row(0, 0, [h.format(lang=lang) for h in HEADERS], head)
    row = 0
    for domain in domains(catalog, lang):
        for entry in read_translations(domain.po_path, lang, domain.source).entries:
            row += 1
            sheet.write_string(row, 0, domain.name, wrap)
            sheet.write_string(row, 1, msgctxt(entry.key), wrap)
            sheet.write_string(row, 2, entry.source, wrap)
            sheet.write_string(row, 3, entry.translation, wrap if entry.status == "done" else todo)
            sheet.write_string(row, 4, entry.status, wrap)
    sheet.set_column(0, 0, 9)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 3, 60)
    sheet.set_column(4, 4, 10)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, row, len(HEADERS) - 1)
    close_workbook(book)
    return row


@dataclass
class ImportReport:
    lang: str
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, id, reason)


def import_workbook(catalog: Catalog, path: Path) -> ImportReport:
    """Write reviewed translations back into the PO files; rows whose id or English no longer match are refused."""
    rows = read_sheet_values(path)
    head = [("" if c is None else str(c)).strip() for c in (list(rows[0]) if rows else []) + [""] * 4][:4]
    if head[:3] != list(HEADERS[:3]) or not (head[3].startswith("translation (") and head[3].endswith(")")):
        raise Spi4xlError(f"{path}: not a translation workbook exported by 'spi4xl i18n export' (first row must read {', '.join(HEADERS[:3])}, translation (<lang>), ...)")
    lang = head[3].removeprefix("translation (").removesuffix(")")
    _check_lang(catalog, lang)
    report = ImportReport(lang)
    by_domain = {d.name: d for d in domains(catalog, lang)}
    current = {name: {e.key: e for e in read_translations(d.po_path, lang, d.source).entries} for name, d in by_domain.items()}
    updates: dict[str, dict[TextKey, str]] = {name: {} for name in by_domain}
    for number, cells in enumerate(rows[1:], start=2):
        cells = [("" if c is None else str(c)) for c in (list(cells) + [""] * 5)[:5]]
        domain, ident, source, translation, status = cells[0].strip(), cells[1].strip(), cells[2], cells[3].strip(), cells[4].strip()
        if not any(cells):
            continue
        key = parse_msgctxt(ident)
        entry = current.get(domain, {}).get(key) if key else None
        if entry is None:
            report.refused.append((number, ident, f"no text with this id in domain {domain!r}"))
        elif source != entry.source:
            report.refused.append((number, ident, "the English source changed since export: export again"))
        elif not translation or (translation == entry.translation and (entry.status == "done" or status != "done")):
            report.unchanged += 1  # an untouched fuzzy/stale translation stays so; status "done" confirms it
        else:
            updates[domain][key] = translation
            report.updated += 1
    for name, domain in by_domain.items():
        if updates[name]:
            write_po(domain.po_path, lang, domain.source, updates[name])
    return report
