"""The translators' workbook as rows: PO entries out to a sheet anyone can fill, reviewed rows back in safely.

The workbook layer (spi4xl.workbook.text_files) writes and reads the file itself.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any, Mapping

from spi4xl.po import TextKey, msgctxt, parse_msgctxt, read_translations, write_po
from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog
from spi4xl.errors import Spi4xlError
from spi4xl.records import MutableRecord, Record, record
from spi4xl.ui import LANGUAGES, UI_DIR, ui, ui_source

# Columns of the sheet; their headers are UI strings cli.i18n.col.<name>, in the translator's language.
# "base" (hidden) holds the translation the row was exported with: import applies a row only while the
# PO file still holds it, so an old export never puts back a translation changed since.
COLUMNS = ("domain", "id", "source", "translation", "status", "base")
DOMAIN, IDENT, SOURCE, TRANSLATION, STATUS, BASE = range(len(COLUMNS))


def headers(lang: str) -> list[str]:
    """The header row of a workbook for translators into `lang`, in `lang`."""
    return [ui(f"cli.i18n.col.{name}", lang, language=lang) for name in COLUMNS]


def _language_of(head: list[str]) -> str | None:
    """The language a header row (of any interface language) was exported for, or None when it is not one."""
    if len(head) != len(COLUMNS):
        return None
    shown = head[TRANSLATION]
    for ui_lang in LANGUAGES:
        wanted = [ui(f"cli.i18n.col.{name}", ui_lang) for name in COLUMNS]
        prefix, _, suffix = wanted[TRANSLATION].partition("{language}")
        if shown.startswith(prefix) and shown.endswith(suffix) and len(shown) > len(prefix + suffix):
            lang = shown[len(prefix):len(shown) - len(suffix)]
            if [h.format(language=lang) for h in wanted] == head:
                return lang
    return None


@record
class Domain(Record):
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


def export_rows(catalog: Catalog, lang: str) -> list[tuple[str, str, str, str, str, str]]:
    """One row per text, in COLUMNS order: domain, id, English source, translation, status, and the
    translation again as the row's base."""
    _check_lang(catalog, lang)
    return [(domain.name, msgctxt(entry.key), entry.source, entry.translation, entry.status, entry.translation)
            for domain in domains(catalog, lang)
            for entry in read_translations(domain.po_path, lang, domain.source).entries]


def to_review(rows: list[tuple[str, ...]]) -> int:
    """Rows a translator has to look at: every status but done (missing, fuzzy, stale, placeholders)."""
    return sum(row[STATUS] != "done" for row in rows)


@record(frozen=False)
class ImportReport(MutableRecord):
    lang: str
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str, Spi4xlError]] = field(default_factory=list)  # (row number, id, why)
    written: list[Path] = field(default_factory=list)  # the PO files changed


def import_rows(catalog: Catalog, rows: list[list[Any]], path: Path) -> ImportReport:
    """Write reviewed translations (a translators' sheet's values) back into the PO files.

    Refused, by row: ids or English that no longer match, and conflicts: a row edited while the PO file's
    translation changed since the export (both values are reported; neither is lost). A row left as
    exported never overwrites a newer translation.
    """
    head = [("" if c is None else str(c)).strip() for c in (list(rows[0]) if rows else [])]
    while head and not head[-1]:
        head.pop()
    lang = _language_of(head)
    if lang is None and head[:3] == ["domain", "id", "source (en)"] and head[3:] and head[3].startswith("translation ("):
        raise Spi4xlError("i18n.old_export", path=path)  # no base column: it could put back older translations
    if lang is None:
        raise Spi4xlError("i18n.not_export", path=path, headers=", ".join(headers("<lang>")))
    _check_lang(catalog, lang)
    report = ImportReport(lang)
    by_domain = {d.name: d for d in domains(catalog, lang)}
    current = {name: {e.key: e for e in read_translations(d.po_path, lang, d.source).entries} for name, d in by_domain.items()}
    updates: dict[str, dict[TextKey, str]] = {name: {} for name in by_domain}
    for number, cells in enumerate(rows[1:], start=2):
        cells = [("" if c is None else str(c)) for c in (list(cells) + [""] * len(COLUMNS))[:len(COLUMNS)]]
        domain, ident, source, translation, status, base = (
            cells[DOMAIN].strip(), cells[IDENT].strip(), cells[SOURCE], cells[TRANSLATION].strip(),
            cells[STATUS].strip(), cells[BASE].strip())
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
        elif base != entry.translation.strip() and translation == base:
            report.unchanged += 1  # untouched since an export older than the PO file: the newer text stays
        elif base != entry.translation.strip():
            report.refused.append((number, ident, Spi4xlError("i18n.conflict", current=entry.translation, row=translation)))
        else:
            updates[domain][key] = translation
            report.updated += 1
    for name, domain in by_domain.items():
        if updates[name]:
            write_po(domain.po_path, lang, domain.source, updates[name])
            report.written.append(domain.po_path)
    return report
