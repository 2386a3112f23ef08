"""Catalog checks beyond loading: translation completeness and texts that would break Excel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pathlib import Path

from spi4xl.po import Translations, catalog_translations, msgctxt
from spi4xl.catalog.bundle import bundle_files
from spi4xl.catalog.loader import bundled_standards, catalog_root, load_catalog_sources
from spi4xl.catalog.model import EXCEL_CELL_LIMIT, Catalog
import spi4xl.ui as ui_module
from spi4xl.ui import LANGUAGES, bundle_file_text, bundle_path, ui, ui_source, ui_translations

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


def wanted_bundles(catalog: Catalog) -> dict[Path, str]:
    """Path -> text of every compiled bundle (the edition's languages and the interface strings), from the sources."""
    root = catalog_root(catalog)
    return {**bundle_files(root, load_catalog_sources(root)), bundle_path(): bundle_file_text()}


def stale_bundles(catalog: Catalog) -> list[Path]:
    """The bundles that differ from what their sources compile to, or are missing where spi4xl ships them (an
    edition of one's own may have none: it loads from its YAML)."""
    shipped = {bundle_path(): bundle_path().parent == Path(ui_module.__file__).resolve().parent}
    stale = []
    for path, text in wanted_bundles(catalog).items():
        if not path.exists() and not shipped.get(path, path.is_relative_to(bundled_standards().resolve())):
            continue
        try:
            same = path.read_text(encoding="utf-8") == text
        except OSError:
            same = False
        if not same:
            stale.append(path)
    return stale


def check_catalog(catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = [Problem(_shown(path), "bundle", "missing or out of date: run spi4xl catalog bundle")
                               for path in stale_bundles(catalog)]
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
