"""The translators' workbook as rows: PO entries out to a sheet anyone can fill, reviewed rows back in safely.

The workbook layer (spi4xl.workbook.text_files) writes and reads the file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from spi4xl.po import TextKey, msgctxt, parse_msgctxt, read_translations, write_po
from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog
from spi4xl.errors import Spi4xlError
from spi4xl.ui import UI_DIR, ui_source

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
        raise Spi4xlError("i18n.not_a_translation", lang=lang, catalog=catalog.id, known=", ".join(catalog.languages[1:]))


def export_rows(catalog: Catalog, lang: str) -> list[tuple[str, str, str, str, str]]:
    """One row per text: domain, id, English source, current translation, status."""
    _check_lang(catalog, lang)
    return [(domain.name, msgctxt(entry.key), entry.source, entry.translation, entry.status)
            for domain in domains(catalog, lang)
            for entry in read_translations(domain.po_path, lang, domain.source).entries]


@dataclass
class ImportReport:
    lang: str
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str, Spi4xlError]] = field(default_factory=list)  # (row number, id, why)
    written: list[Path] = field(default_factory=list)  # the PO files changed


def import_rows(catalog: Catalog, rows: list[list[Any]], path: Path) -> ImportReport:
    """Write reviewed translations (a translators' sheet's values) back into the PO files; rows whose id
    or English no longer match are refused."""
    head = [("" if c is None else str(c)).strip() for c in (list(rows[0]) if rows else []) + [""] * 4][:4]
    if head[:3] != list(HEADERS[:3]) or not (head[3].startswith("translation (") and head[3].endswith(")")):
        raise Spi4xlError("i18n.not_export", path=path, headers=", ".join(HEADERS[:3]))
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
            report.refused.append((number, ident, Spi4xlError("i18n.unknown_id", domain=domain)))
        elif source != entry.source:
            report.refused.append((number, ident, Spi4xlError("i18n.source_changed")))
        elif not translation or (translation == entry.translation and (entry.status == "done" or status != "done")):
            report.unchanged += 1  # an untouched fuzzy/stale translation stays so; status "done" confirms it
        else:
            updates[domain][key] = translation
            report.updated += 1
    for name, domain in by_domain.items():
        if updates[name]:
            write_po(domain.po_path, lang, domain.source, updates[name])
            report.written.append(domain.po_path)
    return report
