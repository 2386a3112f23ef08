"""The workbook's own formulas compute the same scores as Python (docs/scoring.md), to 1e-9.

Each case renders an audit, overwrites every formula's cached value in the file with a wrong one
(so nothing Python wrote can pass for a computed result), recalculates the copy in LibreOffice and
compares the Results sheet (every unit) and the questionnaire's per-indicator cells with
`spi4xl.score`. Sheets are found by their key-row marker and columns by their ids, never by position.
"""

from __future__ import annotations

import dataclasses
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

import spi4xl
from audits import CATALOG, CLEAN_ORG, LANGS, audits, random_audit
from sheets import role_records, role_table
from spi4xl.audit import Audit
from spi4xl.catalog.model import Scoring
from spi4xl.key_figures import key_figures, ratios
from spi4xl.plan import STATES, priority, state
from spi4xl.scoring import Scores, UnitScore
from spi4xl.ui import ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.read import read_audit, read_workbook
from spi4xl.workbook.render import render

pytestmark = pytest.mark.libreoffice

TOLERANCE = 1e-9
POISON_NUMBER = "0.987654321"  # a cached value no formula of these workbooks computes
POISON_TEXT = "poisoned"
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MEAN_OF_CHILDREN = dataclasses.replace(CATALOG, scoring=Scoring("mean_of_children", "share_met"))
# (profile, modules) scopes an audit may be rendered in: they change which units the Results sheet has
SCOPES = [("full", None), ("full", ()), ("full", ("gender", "rural")), ("alinus", None), ("cp", ("poverty",))]


# --- reading what the workbook computed ---------------------------------------------------------
def _number_differs(got: Any, want: float | int | None) -> bool:
    if want is None:
        return got is not None
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return True
    return not math.isclose(float(got), float(want), rel_tol=0, abs_tol=TOLERANCE)


def _sheet_key(unit: UnitScore) -> tuple[str, str]:
    """How the Results sheet writes a unit's (level, code)."""
    if unit.kind == "overall":
        return "overall", ""
    if unit.kind == "alinus":
        return "alinus", "ALINUS"
    return unit.kind, unit.code


def mismatches(path: Path, scores: Scores, lang: str, deleted: tuple[str, ...] = ()) -> list[str]:
    """Every difference between the workbook's computed cells and Python's scores (empty: they agree).
    `deleted`: indicators whose row was deleted on purpose (Python still counts them, as unanswered)."""
    out: list[str] = []
    _, results = role_records(path, "results")
    units = {(r["level"], r.get("code") or ""): r for r in results if r.get("level") in
             ("overall", "dimension", "standard", "practice", "principle", "alinus", "module")}
    expected = {_sheet_key(u): u for u in scores.units()}
    if set(units) != set(expected):
        out.append(f"Results units differ: only in workbook {sorted(set(units) - set(expected))}, "
                   f"only in Python {sorted(set(expected) - set(units))}")
    for key, unit in expected.items():
        row = units.get(key)
        if row is None:
            continue
        for column in ("score", "total", "answered", "na", "applicable", "scored", "completion"):
            want = getattr(unit, column)
            if _number_differs(row.get(column), want):
                out.append(f"Results {key} {column}: workbook {row.get(column)!r}, Python {want!r}")
        if _number_differs(row.get("has"), int(unit.score is not None)):
            out.append(f"Results {key} has: workbook {row.get('has')!r}, Python {unit.score is not None}")
    status = {ui("results.provisional", lang), ui("results.final", lang)}
    shown = [r["name"] for r in results if r.get("name") in status]
    want_status = ui("results.provisional" if scores.provisional else "results.final", lang)
    if shown != [want_status]:
        out.append(f"Results status: workbook {shown!r}, Python {want_status!r}")
    remaining = [r.get("score") for r in results if r.get("name") == ui("questionnaire.remaining", lang)]
    if len(remaining) != 1 or _number_differs(remaining[0], scores.overall.total - scores.overall.answered):
        out.append(f"Results remaining: workbook {remaining!r}, Python {scores.overall.total - scores.overall.answered}")

    _, questionnaire = role_records(path, "questionnaire")
    rows = {r["code"]: r for r in questionnaire if r.get("level") == "indicator"}
    if set(rows) != set(scores.indicators) - set(deleted):
        out.append(f"questionnaire indicators differ: {sorted(set(rows) ^ set(scores.indicators))[:10]}")
    for code, result in scores.indicators.items():
        row = rows.get(code)
        if row is None:
            continue
        for column, want in (("value", result.value), ("score", result.value), ("done", int(result.done)),
                             ("na", int(result.na)), ("scored", int(result.value is not None))):
            if _number_differs(row.get(column), want):
                out.append(f"questionnaire {code} {column}: workbook {row.get(column)!r}, Python {want!r}")
    return out + plan_mismatches(path, scores, lang, deleted)


def plan_mismatches(path: Path, scores: Scores, lang: str, deleted: tuple[str, ...] = ()) -> list[str]:
    """The action plan's live gap, label, standard score and priority against spi4xl.plan (an indicator whose
    questionnaire row was deleted reads as outside the questionnaire there)."""
    out: list[str] = []
    _, plan = role_records(path, "plan")
    rows = {r["code"]: r for r in plan if r.get("code")}
    for code, result in scores.indicators.items():
        row = rows.get(code)
        if code in deleted:
            continue
        if row is None:
            out.append(f"plan {code}: no row")
            continue
        st = state(result)
        ind = CATALOG.indicator(code)
        std = scores.standards[ind.standard].score
        want = {"state": STATES.index(st) + 1, "std_score": std,
                "priority": priority(st, bool(ind.principles) or ind.alinus, std)}
        for column, value in want.items():
            if _number_differs(row.get(column), value):
                out.append(f"plan {code} {column}: workbook {row.get(column)!r}, Python {value!r}")
        if row.get("gap") != ui(f"plan_state.{st}", lang):
            out.append(f"plan {code} gap: workbook {row.get('gap')!r}, Python {st}")
    return out


# --- making workbooks whose cached values cannot pass for computed ones -------------------------
_FORMULA_CELL = re.compile(r'(<c [^>]*?)>(<f>.*?</f>)(?:<v>[^<]*</v>|<v/>)?</c>', re.S)


def poison(path: Path) -> int:
    """Overwrite the cached value of every formula in every sheet; returns how many were overwritten."""
    tmp = path.with_suffix(".poisoning")
    count = 0

    def wrong(match: re.Match) -> str:
        nonlocal count
        count += 1
        head = re.sub(r'\s+t="[^"]*"', "", match.group(1))
        return f'{head} t="str">{match.group(2)}<v>{POISON_TEXT}</v></c>' if count % 2 else \
            f"{head}>{match.group(2)}<v>{POISON_NUMBER}</v></c>"

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _FORMULA_CELL.sub(wrong, data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)
    return count


def recalculated(libreoffice, catalog, audit: Audit, folder: Path, name: str = "audit") -> Path:
    """Render, poison every cached formula value, recalculate in LibreOffice; the recalculated copy."""
    src = render(catalog, audit.language, audit, folder / f"{name}.xlsx")
    assert poison(src) > 1000  # every questionnaire row has formulas
    out = folder / f"{name}-recalculated.xlsx"
    libreoffice.recalculate(src, out)
    return out


def assert_agree(libreoffice, catalog, audit: Audit, folder: Path, name: str = "audit") -> Scores:
    scores = spi4xl.score(audit, catalog)
    path = recalculated(libreoffice, catalog, audit, folder, name)
    problems = mismatches(path, scores, audit.language)
    assert problems == [], "\n".join(problems[:40])
    return scores


# --- audits worth a look ------------------------------------------------------------------------
def scoped(audit: Audit, scope: tuple[str, tuple[str, ...] | None]) -> Audit:
    return dataclasses.replace(audit, profile=scope[0], modules=scope[1])


def set_na(audit: Audit, indicators) -> None:
    """N/A on every answerable item of these indicators whose scale allows it; other items left blank."""
    for ind in indicators:
        for item in (ind.details if ind.is_checklist else (ind,)):
            scale = CATALOG.scales[item.scale]
            audit.answers.pop(item.code, None)
            if scale.allow_na:
                audit.answers[item.code] = next(a.code for a in scale.answers if a.is_na)


def empty_audit(lang: str) -> Audit:
    return Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang)


def whole_units_na(lang: str) -> Audit:
    """A standard, a client-protection principle and a dimension (as far as its scales allow) all N/A."""
    audit = random_audit(11, lang, fill=0.9)
    set_na(audit, [i for i in CATALOG.all_indicators() if i.standard == "4C"])
    set_na(audit, [i for i in CATALOG.all_indicators() if "CP2" in i.principles])
    set_na(audit, [i for i in CATALOG.all_indicators() if i.dimension == "6"])  # required items left blank
    set_na(audit, [i for i in CATALOG.all_indicators() if i.module == "gender"])  # a whole module too
    return audit


def partial_checklists(lang: str) -> Audit:
    """Checklists with one item answered, some N/A and blanks, all N/A, blanks only; answer rows untouched."""
    audit = random_audit(12, lang, fill=0.7)
    checklists = [i for i in CATALOG.all_indicators() if i.is_checklist]
    for n, ind in enumerate(checklists):
        codes = [d.code for d in ind.details]
        for code in codes:
            audit.answers.pop(code, None)
        pattern = n % 5
        if pattern == 0:
            audit.answers[codes[0]] = "yes"  # one item of many: scored, not done
        elif pattern == 1:
            audit.answers[codes[0]] = "na"  # N/A and blanks: neither done, scored nor N/A
        elif pattern == 2:
            audit.answers.update({c: "na" for c in codes})  # all N/A: the indicator is N/A
        elif pattern == 3:
            audit.answers.update({c: v for c, v in zip(codes, ["no", "na", "yes", "no"])})  # some blank at the end
    return audit


EXPLICIT = {
    "empty": empty_audit,
    "full": lambda lang: random_audit(13, lang, fill=1.0),
    "na_units": whole_units_na,
    "partial_checklists": partial_checklists,
}


# --- the property, and the explicit cases ---------------------------------------------------------
@SLOW
@given(audit=audits(), scope=st.sampled_from(SCOPES))
@example(audit=empty_audit("en"), scope=("full", None))
def test_random_audits_score_the_same_in_the_workbook(libreoffice, tmp_path, audit, scope):
    assert_agree(libreoffice, CATALOG, scoped(audit, scope), tmp_path)


@pytest.mark.parametrize("case, lang", [("empty", "fr"), ("full", "fr"), ("na_units", "es"), ("partial_checklists", "en"),
                                        ("na_units", "en"), ("partial_checklists", "es")])
def test_special_audits_score_the_same_in_the_workbook(libreoffice, tmp_path, case, lang):
    audit = EXPLICIT[case](lang)
    scores = assert_agree(libreoffice, CATALOG, audit, tmp_path)
    if case == "empty":
        assert scores.overall.score is None and scores.overall.answered == 0
    elif case == "full":
        assert not scores.provisional and scores.completion == 1
    elif case == "na_units":  # the cases are what they claim to be
        assert scores.standards["4C"].applicable == 0 and scores.standards["4C"].score is None
        assert scores.client_protection["CP2"].applicable == 0 and scores.client_protection["CP2"].score is None
        assert scores.dimensions["6"].score is None and scores.dimensions["6"].answered > 0
        assert scores.modules["gender"].score is None
    else:
        checklist = [r for c, r in scores.indicators.items() if CATALOG.indicator(c).is_checklist]
        assert any(r.value is not None and not r.done for r in checklist)
        assert any(r.na for r in checklist) and any(not r.done and r.value is None for r in checklist)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", ["full", "na_units", "random"])
def test_mean_of_children_scores_the_same_in_the_workbook(libreoffice, tmp_path, case, lang):
    audit = random_audit(21, lang, fill=0.5) if case == "random" else EXPLICIT[case](lang)
    scores = assert_agree(libreoffice, MEAN_OF_CHILDREN, audit, tmp_path)
    pooled = spi4xl.score(audit, CATALOG)
    # the method matters: some dimension differs from the pooled mean, practices do not
    assert scores.method == "mean_of_children"
    assert any(scores.dimensions[d].score != pooled.dimensions[d].score for d in scores.dimensions)
    assert all(scores.essential_practices[p].score == pooled.essential_practices[p].score
               for p in scores.essential_practices)


@settings(SLOW, max_examples=5)
@given(audit=audits())
def test_random_audits_mean_of_children(libreoffice, tmp_path, audit):
    assert_agree(libreoffice, MEAN_OF_CHILDREN, audit, tmp_path)


# --- answers typed by hand ----------------------------------------------------------------------
# (typed text, answer code it means or None). Labels of every language, codes, odd case and spacing;
# near misses that must stay unanswered on both sides (wildcards, regular expressions, accents,
# non-breaking spaces, tabs, text that looks like a formula).
TYPED = [
    (" OUI ", "yes"), ("yes", "yes"), ("SÍ", "yes"), ("Yes  ", "yes"), ("  oui", "yes"), ("sí", "yes"),
    ("PARTIELLEMENT", "partially"), ("Parcialmente", "partially"), ("partially", "partially"), ("pArTiAlLy", "partially"),
    ("non", "no"), ("NO", "no"), (" No ", "no"), ("Non  ", "no"),
    ("n/a", "na"), ("N/A", "na"), ("S.O.", "na"), ("na", "na"), (" s.o. ", "na"),
    ("YESS", None), ("Y*", None), ("?es", None), ("n.a", None), (".*", None), ("si", None), ("Si", None),
    ("\u00a0oui", None), ("oui\t", None), ("=1+1", None), ("peut-être", None), ("1", None), ("~", None),
    ("oui non", None), ("ye", None),
]


def _questionnaire_table(book: openpyxl.Workbook) -> tuple[Any, L.Table]:
    """The openpyxl sheet of the questionnaire and its table, found by the contract's parser."""
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    table = L.find_tables(sheets, ["questionnaire"])["questionnaire"][0]
    return book[table.name], table


def type_answers(path: Path, out: Path, typed: dict[str, str]) -> None:
    """Type text into answer cells of a COPY with openpyxl, kept as text even when it looks like a formula."""
    book = openpyxl.load_workbook(path)
    ws, table = _questionnaire_table(book)
    rows = {table.value(r, "code"): r + 1 for r in range(table.first_row, len(table.rows))}
    for code, text in typed.items():
        cell = ws.cell(rows[code], table.columns["answer"] + 1)
        cell.value = text
        cell.data_type = "s"
    book.save(out)


@pytest.mark.parametrize("lang", LANGS)
def test_answers_typed_in_any_language_and_case_score_the_same(libreoffice, tmp_path, lang):
    import random

    rng = random.Random(lang)
    base = random_audit(31, lang, fill=0.5)
    # answer indicators and detail items; ypn_required items get no N/A (it is not on their scale)
    targets = [(i.code, i.scale) for i in CATALOG.all_indicators() if not i.is_checklist and i.code not in base.answers]
    targets += [(d.code, d.scale) for i in CATALOG.all_indicators() if i.is_checklist for d in i.details
                if d.code not in base.answers]
    rng.shuffle(targets)
    typed, meant = {}, dict(base.answers)
    for (code, scale), (text, answer) in zip(targets, TYPED * 3):
        codes = CATALOG.scales[scale].codes
        typed[code] = text
        if answer in codes:
            meant[code] = answer
    # text on a checklist indicator's own (locked) answer cell counts for nothing, in both
    checklist = next(i for i in CATALOG.all_indicators() if i.is_checklist)
    typed[checklist.code] = "Oui"
    src = render(CATALOG, lang, base, tmp_path / "base.xlsx")
    edited = tmp_path / "typed.xlsx"
    type_answers(src, edited, typed)

    audit = read_audit(edited)
    assert audit.answers == meant  # the reader understood what Python and the workbook should both understand
    assert {code for code, column in audit.unparsed if column == "answer"} == {c for c in typed if c not in meant}
    expected = spi4xl.score(dataclasses.replace(base, answers=meant), CATALOG)
    assert spi4xl.score(audit, CATALOG).to_dict() == expected.to_dict()

    out = tmp_path / "typed-recalculated.xlsx"
    libreoffice.recalculate(edited, out)
    problems = mismatches(out, expected, lang)
    assert problems == [], "\n".join(problems[:40])


# --- the comparison can fail --------------------------------------------------------------------
def test_wrong_cached_values_are_seen_and_recalculation_overwrites_them(libreoffice, tmp_path):
    audit = random_audit(41, "en", fill=0.6)
    scores = spi4xl.score(audit, CATALOG)
    src = render(CATALOG, "en", audit, tmp_path / "audit.xlsx")
    assert mismatches(src, scores, "en") == []  # the cached values Python wrote are right...
    poison(src)
    wrong = mismatches(src, scores, "en")  # ...and the comparison sees every poisoned one
    units = sum(1 for _ in scores.units())
    assert len(wrong) >= 5 * units + 5 * len(scores.indicators), wrong[:5]
    assert all(POISON_NUMBER in w or POISON_TEXT in w for w in wrong if w.startswith(("Results (", "questionnaire ")))
    out = tmp_path / "recalculated.xlsx"
    libreoffice.recalculate(src, out)
    assert mismatches(out, scores, "en") == []
    # and a different audit's scores do not pass for this one's
    other = spi4xl.score(random_audit(42, "en", fill=0.6), CATALOG)
    assert mismatches(out, other, "en") != []


# --- what auditors do to the rows: sort them, delete one -------------------------------------------
@pytest.mark.parametrize("lang, key, ascending, deleted", [
    ("en", "answer", True, ()),
    ("fr", "text", False, ()),
    ("es", "department", True, ("2C.3.1",)),
    ("fr", "comment", True, ("2C.3.1", "4A.1.1")),
])
def test_sorted_and_deleted_rows_score_the_same(libreoffice, tmp_path, lang, key, ascending, deleted):
    """Rows sorted by a visible column, or deleted, in LibreOffice itself: the formulas and Python agree.
    A deleted indicator counts as unanswered on both sides (the Results totals are the catalog's), and the
    reader reports it."""
    audit = EXPLICIT["full"](lang)
    if deleted:  # the deleted rows were answered: the audit is no longer complete
        assert all(code in audit.answers for code in deleted if not CATALOG.indicator(code).is_checklist)
    src = render(CATALOG, lang, audit, tmp_path / "audit.xlsx")
    table = role_table(src, "questionnaire")
    rows = [r for r in range(table.first_row, len(table.rows)) if table.value(r, "code") in deleted]
    detail_rows = [r for r in range(table.first_row, len(table.rows)) if table.value(r, "parent") in deleted]
    last = len(table.rows) - 1 - len(rows) - len(detail_rows)
    dst = tmp_path / "edited.xlsx"
    libreoffice.edit_rows(src, dst, table.name, delete=rows + detail_rows,
                          sort=(table.first_row, last, len(table.rows[0]) - 1, table.columns[key], ascending))
    result = read_workbook(dst)
    assert sorted(f.item for f in result.findings if f.code == "row.missing") == \
        sorted([*deleted, *(d.code for c in deleted for d in CATALOG.indicator(c).details)])
    scores = spi4xl.score(result.audit)
    assert scores.provisional == bool(deleted)
    assert mismatches(dst, scores, lang, deleted) == []


# --- the social dashboard's key figures ------------------------------------------------------------
def dashboard_figures(path: Path, lang: str) -> dict[str, Any]:
    """{label: value} of the key figures table on the Dashboard sheet (label in column B, value in C)."""
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if rows and rows[0] and rows[0][0] == L.DASHBOARD.marker:
            start = next(i for i, r in enumerate(rows) if len(r) > 1 and r[1] == ui("dashboard.social", lang))
            return {r[1]: (r[2] if r[2] != "" else None) for r in rows[start + 1:] if len(r) > 2 and r[1]}
    raise AssertionError(f"{path}: no dashboard sheet")


def key_figure_mismatches(path: Path, audit: Audit) -> list[str]:
    figures = key_figures(CATALOG, audit.org)
    want = {CATALOG.text(f"org.{fid}", "label", audit.language): v for fid, v in figures["fields"].items()}
    want |= {ui(r.label_key, audit.language): figures["ratios"][r.id] for r in ratios(CATALOG)}
    got = dashboard_figures(path, audit.language)
    out = [f"dashboard rows differ: {sorted(set(got) ^ set(want))}"] if set(got) != set(want) else []
    out += [f"dashboard {label}: workbook {got.get(label)!r}, Python {value!r}" for label, value in want.items()
            if _number_differs(got.get(label), value)]
    return out


def org_with_gaps(lang: str) -> Audit:
    """Zero denominators, a blank, text where a number belongs, a negative ROA: every branch of the formulas."""
    audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang, org=dict(CLEAN_ORG))
    audit.org.update(loan_officers=0, complaints_received=0, complaints_resolved=0, roa=-0.045, average_apr=1.2)
    del audit.org["board_members"]
    del audit.org["active_borrowers"]
    audit.unparsed[("active_borrowers", "value")] = "about 40 000"
    return audit


@pytest.mark.parametrize("case, lang", [("clean", "en"), ("gaps", "fr"), ("random", "es")])
def test_dashboard_key_figures_are_computed_the_same_in_the_workbook(libreoffice, tmp_path, case, lang):
    if case == "clean":
        audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang, org=dict(CLEAN_ORG))
    else:
        audit = org_with_gaps(lang) if case == "gaps" else random_audit(51, lang)
    figures = key_figures(CATALOG, audit.org)
    if case == "clean":  # every figure has a value: the comparison is not of blanks
        assert None not in [*figures["fields"].values(), *figures["ratios"].values()]
        assert figures["ratios"]["borrowers_per_officer"] == pytest.approx(40000 / 150)
    elif case == "gaps":
        assert [k for k, v in figures["ratios"].items() if v is None] == \
            ["women_borrowers", "women_board", "borrowers_per_officer", "complaints_resolved"]
    path = recalculated(libreoffice, CATALOG, audit, tmp_path)
    assert key_figure_mismatches(render(CATALOG, lang, audit, tmp_path / "cached.xlsx"), audit) == []  # cached too
    problems = key_figure_mismatches(path, audit)
    assert problems == [], "\n".join(problems)
    assert key_figure_mismatches(path, org_with_gaps(lang) if case != "gaps" else random_audit(52, lang)) != []
