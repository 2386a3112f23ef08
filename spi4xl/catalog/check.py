"""Catalog checks beyond loading: translations, texts that would break Excel, the glossary's terms, the
reasons behind client-protection tags, and change records that carry earlier versions' codes over."""

from __future__ import annotations

import re
from pathlib import Path

from spi4xl.po import Translations, catalog_translations, msgctxt
from spi4xl.catalog.bundle import bundle_files
from spi4xl.catalog.glossary import glossary_hits, load_glossary
from spi4xl.catalog.loader import bundled_standards, catalog_root, load_catalog_sources
from spi4xl.catalog.model import EXCEL_CELL_LIMIT, Catalog, version_key
from spi4xl.records import Record, record
from spi4xl.strict_yaml import Node, load_yaml
import spi4xl.ui as ui_module
from spi4xl.ui import LANGUAGES, bundle_file_text, bundle_path, ui, ui_source, ui_translations

SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@record
class Problem(Record):
    where: str  # file or domain
    key: str
    message: str
    code: str = ""  # e.g. glossary.forbidden, for the checks that name one
    fix: str = ""

    def __str__(self) -> str:
        head = f"{self.where}: {self.key}: " + (f"[{self.code}] " if self.code else "")
        return head + self.message + (f" (fix: {self.fix})" if self.fix else "")


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
    """Problems to list (a broken catalog file, departments.yaml too, is a CatalogError when it is loaded)."""
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
    return problems + _tag_problems(catalog) + _change_problems(catalog) + _glossary_problems(catalog)


def _glossary_problems(catalog: Catalog) -> list[Problem]:
    """Forbidden variants of the glossary's terms in the catalog's and the interface's texts, per language."""
    root = catalog_root(catalog)
    terms = load_glossary(root)
    problems = []
    for lang in catalog.languages:
        texts = {"catalog": catalog.texts[lang],
                 "ui": ui_source() if lang == "en" else ui_translations(lang).usable}
        for domain, found in texts.items():
            for hit in glossary_hits(terms, lang, found):
                if lang != "en":
                    where = f"{root.name}/locale/{lang}.po" if domain == "catalog" else f"spi4xl/ui/{lang}.po"
                else:
                    where = f"{root.name}/{_english_file(catalog, hit.key[0])}" if domain == "catalog" else "spi4xl/ui/en"
                note = f"; {hit.term.note}" if hit.term.note else ""
                problems.append(Problem(where, msgctxt(hit.key), f"{lang}: '{hit.found}' is not the glossary's term",
                                        "glossary.forbidden", f"write '{hit.term.term}'{note}"))
    return problems


def _english_file(catalog: Catalog, key: str) -> str:
    """The YAML file that holds the English text of a catalog key."""
    node = catalog.node(key)
    if node is not None:
        dim = getattr(node, "dimension", key[:1])
        standard = getattr(node, "standard", key[:2])
        return f"dimensions/{dim}/" + ("dimension.yaml" if key == dim else f"{standard}.yaml")
    return "organization.yaml" if key.startswith(("org.", "rule.")) else "catalog.yaml"


def _tag_problems(catalog: Catalog) -> list[Problem]:
    """A client-protection tag must say why the indicator evidences that principle, for the next reviewer."""
    problems = []
    for ind in catalog.all_indicators():
        explained = {code for code, _ in ind.why}
        for code in ind.principles:
            if code not in explained:
                problems.append(Problem(f"{catalog_root(catalog).name}/dimensions/{ind.dimension}/{ind.standard}.yaml",
                                        f"{ind.code}.principles", f"{code} has no why", "tag.no_why",
                                        f"write the tag as {{code: {code}, why: <what in the indicator evidences it>}}"))
    return problems


def _change_problems(catalog: Catalog) -> list[Problem]:
    """Every code of a frozen earlier version (versions/<version>.yaml) is still in the catalog or recorded as
    changed since; a code recorded as moved, merged or retired is no longer in the catalog."""
    root = catalog_root(catalog)
    problems = []
    for change in catalog.changes:
        if change.how != "split" and catalog.node(change.old) is not None:
            problems.append(Problem(f"{root.name}/dimensions", change.old, f"recorded as {change.how} in {change.since} "
                                    "but still in the catalog", "change.still_there", "remove the record or the item"))
    for path in sorted((root / "versions").glob("*.yaml")):
        shown = f"{root.name}/versions/{path.name}"
        node = Node(load_yaml(path, shown), shown)
        version = node.get("version", str)
        node.get("content_hash", str)
        codes = node.get("codes", dict)
        node.close()
        seen = {c.old for c in catalog.changes if version_key(c.since) > version_key(version)}
        for code in codes:
            if catalog.node(str(code)) is None and str(code) not in seen:
                problems.append(Problem(shown, str(code), f"a {version} code that is neither in the catalog nor recorded "
                                        "as changed", "change.unrecorded",
                                        "add 'replaces:' to its successor, or 'retired:' to its standard"))
    return problems
