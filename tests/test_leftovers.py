"""French and Spanish workbooks hold no English and no internal ids where an auditor looks.

Workbooks are made the way users make them (a template, `score --out`, `validate --out`, `convert`
of an audit with items outside its profile), then every visible cell of every visible sheet is
compared with the English UI and catalog texts and with the ids spi4xl uses inside (field ids,
status, severity, profile, module, finding codes...). Strings that are the same in the target
language ("Code", "ALINUS"), codes, numbers and what the audit itself typed are allowed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from audits import CATALOG, random_audit
from spi4xl.audit import ASSESSMENT_TYPES, PLAN_STATUSES
from spi4xl.catalog.model import ALL_MODULES, CORE_MODULE
from spi4xl.cli import main
from spi4xl.findings import SEVERITIES
from spi4xl.ui import ui_source, ui_translations
from spi4xl.workbook.layout import LEVELS
from spi4xl.workbook.read import read_audit
from spi4xl.workbook.render import render

SAMPLES = Path(__file__).parent.parent / "samples"
FINDING_CODES = {key[0][len("ui.finding."):] for key in ui_source() if key[0].startswith("ui.finding.")
                 and not key[0].endswith(".hint")}


def internal_ids() -> set[str]:
    """Ids that mean something to spi4xl and nothing to an auditor."""
    cat = CATALOG
    ids = {f.id for f in cat.org_fields} | {c for f in cat.org_fields for c in f.choices}
    ids |= {"hidden", "removed", "changed", *SEVERITIES, *FINDING_CODES, *LEVELS, "overall", "principle",
            "alinus", "module", *ASSESSMENT_TYPES, *PLAN_STATUSES, ALL_MODULES, CORE_MODULE}
    ids |= {"full", "cp"} | {m.code for m in cat.modules} | {t.code for t in cat.evidence_types}
    ids |= {a for s in cat.scales.values() for a in s.codes}
    return ids


def english(lang: str) -> set[str]:
    """English UI and catalog texts that the target language says differently."""
    source = set(ui_source().values()) | set(CATALOG.texts["en"].values())
    target = set(ui_translations(lang).usable.values()) | set(CATALOG.texts[lang].values())
    return {s.strip() for s in source - target if s.strip()}


def visible_texts(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, text) of every visible text cell of the visible sheets, and the visible sheet names."""
    book = openpyxl.load_workbook(path, data_only=True)
    out = []
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        out.append((ws.title, "(name)", ws.title))
        hidden_cols = set()
        for dim in ws.column_dimensions.values():
            if dim.hidden:
                hidden_cols.update(range(dim.min or 1, (dim.max or dim.min or 1) + 1))
        for row in ws.iter_rows():
            for c in row:
                if (not isinstance(c.value, str) or c.column in hidden_cols
                        or ws.row_dimensions[c.row].hidden):
                    continue
                out.append((ws.title, f"{get_column_letter(c.column)}{c.row}", c.value.strip()))
    return out


def typed_words(path: Path) -> set[str]:
    """What the audit itself holds: the organization's and the auditor's own words."""
    audit = read_audit(path)
    words = {*audit.comments.values(), *audit.flags.values(), *audit.unparsed.values()}
    words |= {v for v in (*audit.org.values(), *audit.metadata.values()) if isinstance(v, str)}
    return {w.strip() for w in words}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, list[Path]]:
    """Per language: a template, a converted audit with items outside its profile, and its scored and
    validated copies (findings, results and the conversion report all filled)."""
    tmp = tmp_path_factory.mktemp("leftovers")
    audit = random_audit(7, "en", fill=0.6)
    audit = dataclasses.replace(audit, profile="alinus", modules=("gender",))
    audit.answers["9Z.9.9"] = "yes"  # an indicator the catalog no longer has: 'removed' on the report
    audit.unparsed[("branches", "value")] = "many"  # a typed value of the wrong type
    source = render(CATALOG, "en", audit, tmp / "source-en.xlsx")
    out = {}
    for lang in ("fr", "es"):
        template = render(CATALOG, lang, None, tmp / f"template-{lang}.xlsx")
        converted, scored, validated = (tmp / f"{kind}-{lang}.xlsx" for kind in ("converted", "scored", "validated"))
        assert main(["convert", str(source), "--lang", lang, "--out", str(converted)]) == 0
        assert main(["score", str(converted), "--out", str(scored)]) == 0
        main(["validate", str(converted), "--out", str(validated)])  # exit 1: the audit has errors
        out[lang] = [template, converted, scored, validated]
    fr_sample = tmp / "sample-es.xlsx"
    assert main(["convert", str(SAMPLES / "sample-audit-fr.xlsx"), "--lang", "es", "--out", str(fr_sample)]) == 0
    out["es"].append(fr_sample)
    return out


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_no_english_or_internal_ids_left(workbooks, lang):
    forbidden_english, ids = english(lang), internal_ids()
    leftovers = []
    for path in workbooks[lang]:
        own = typed_words(path)
        for sheet, cell, text in visible_texts(path):
            if text in own:
                continue
            if text in forbidden_english:
                leftovers.append(f"{path.name} {sheet}!{cell}: English {text!r}")
            elif text in ids:
                leftovers.append(f"{path.name} {sheet}!{cell}: internal id {text!r}")
    assert not leftovers, "\n".join(leftovers[:40])


def test_the_scan_sees_what_it_must(workbooks, tmp_path):
    """The scan is not blind: an English workbook is full of English, and an id typed in a visible cell
    of a French workbook is reported."""
    english_fr = english("fr")
    template_en = render(CATALOG, "en", None, tmp_path / "template-en.xlsx")
    assert sum(text in english_fr for _, _, text in visible_texts(template_en)) > 200
    book = openpyxl.load_workbook(workbooks["fr"][0])
    ws = book.worksheets[0]
    ws["B2"] = "senior_managers_women"
    ws.column_dimensions["A"].hidden = True
    book.save(tmp_path / "planted.xlsx")
    texts = {(s, c): t for s, c, t in visible_texts(tmp_path / "planted.xlsx")}
    assert texts[(ws.title, "B2")] in internal_ids()
