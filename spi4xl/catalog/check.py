"""Catalog checks beyond loading: translation completeness and texts that would break Excel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spi4xl.po import Translations, catalog_translations, msgctxt
from spi4xl.catalog.departments import field_departments
from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog
from spi4xl.ui import LANGUAGES, ui, ui_source, ui_translations

EXCEL_CELL_LIMIT = 32_767
SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Problem:
    where: str  # file or domain
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.key}: {self.message}"


def _shown(path) -> str:
    parts = path.parts
    return "/".join(parts[-3:])


def translation_reports(catalog: Catalog) -> dict[tuple[str, str], Translations]:
    """(domain, language) -> report, for the catalog's texts and the interface strings."""
    root = catalog_root(catalog)
    reports = {("catalog", lang): catalog_translations(root, lang, catalog.texts["en"]) for lang in catalog.languages[1:]}
    reports.update({("ui", lang): ui_translations(lang) for lang in LANGUAGES[1:]})
    return reports


def check_catalog(catalog: Catalog) -> list[Problem]:
    """Problems to list; a broken departments.yaml raises its CatalogError like any broken catalog file."""
    field_departments(catalog)
    problems: list[Problem] = []
    for report in translation_reports(catalog).values():
        for entry in report.entries:
            if entry.status != "done":
                detail = {"stale": "English changed since translation", "placeholders": "placeholders differ from English"}
                problems.append(Problem(_shown(report.path), msgctxt(entry.key), f"{report.lang} translation {entry.status}"
                                        + (f" ({detail[entry.status]})" if entry.status in detail else "")))
    for lang in catalog.languages:
        if lang not in LANGUAGES:
            problems.append(Problem("spi4xl/ui", lang, f"the catalog speaks {lang} but the interface has no {lang}.po"))
        for (key, field), text in {**catalog.texts[lang]}.items():
            if len(text) > EXCEL_CELL_LIMIT:
                problems.append(Problem(lang, f"{key}|{field}", f"{len(text)} characters: over Excel's {EXCEL_CELL_LIMIT} per cell"))
    for key in (k[0][3:] for k in ui_source() if k[0].startswith("ui.sheet.")):
        for lang in LANGUAGES:
            name = ui(key, lang)
            if len(name) > SHEET_NAME_LIMIT or SHEET_NAME_FORBIDDEN.search(name) or not name.strip():
                problems.append(Problem(f"ui {lang}", key, f"sheet name {name!r} breaks Excel's rules "
                                        f"(1-{SHEET_NAME_LIMIT} characters, none of []:*?/\\)"))
    return problems
