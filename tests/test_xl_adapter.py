"""populate/validate/score on real workbooks through xlwings' remote engine, checked by replaying what they queue.

Each test renders a workbook, recalculates it in LibreOffice (so formula cells carry values), turns it
into the payload an xlwings client would post (VBA: empty cells null; Office.js: "" and extra
keys), runs the adapter on `xw.Book(json=payload)`, replays the queued actions onto a copy of the file
(tests/xl_helpers.py), recalculates the copy and reads it back with the same reader as `spi4xl score`.
"""

from __future__ import annotations

import re

import copy
import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import xlwings as xw

from audits import CATALOG, random_audit
from spi4xl.assess import assess
from spi4xl.audit import Audit
from spi4xl.errors import Spi4xlError
from spi4xl.ui import ui
from spi4xl.workbook.formats import INPUT_FILL, SEVERITY_FILLS
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render, sheet_names
from spi4xl.xl import adapter
from spi4xl.xl.grid import ROLES, render_grids
from xl_helpers import VBA_ACTIONS, enable_xlwings_pro, fills, payload, replay, role_sheet, set_settings, table, type_audit

CLIENTS = ("VBA", "Office.js")
TYPED_FIELDS = ("answers", "comments", "flags", "evidence", "org", "metadata", "unparsed", "plan")
TRICKY = ["007", "1/2", "=SUM(A1:A3)", "+33 1 23", "TRUE", "2016-12-31", "15 %", "-", "'quoted", "Voir\nrapport p. 4"]


@pytest.fixture(autouse=True)
def licence(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_xlwings_pro(monkeypatch)  # xlwings PRO's remote engine with the non-commercial key, tests only


def empty_audit(lang: str, profile: str = "full", modules: tuple[str, ...] | None = ()) -> Audit:
    return Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang, profile=profile,
                 modules=modules)


def run_job(job: str, src: Path, dst: Path, lo, client: str = "VBA", include: bool = True):
    """Run a job on src's payload, replay its actions on a copy, recalculate it into dst."""
    names = adapter.sheet_names_for(adapter.JOB_ROLES[job]) if include else None
    book = xw.Book(json=payload(src, client, include=names))
    report = adapter.JOBS[job](book)
    actions = book.json()["actions"]
    book.close()
    if client != "Office.js":
        assert {a["func"] for a in actions} <= VBA_ACTIONS
    log = replay(actions, src, dst.with_name(dst.stem + "-replayed.xlsx"))
    lo.recalculate(dst.with_name(dst.stem + "-replayed.xlsx"), dst)
    return report, actions, log


def typed(path: Path) -> dict:
    audit = read_workbook(path).audit
    return {name: getattr(audit, name) for name in TYPED_FIELDS}


def scores_of(rows: list[list]) -> dict[tuple[str, str], tuple]:
    out = {}
    for row in table(rows):
        if row.get("level"):
            out[(row["level"], row["code"] or "")] = (row["score"], row["answered"], row["applicable"], row["total"])
    return out


def expected_scores(scores) -> dict[tuple[str, str], tuple]:
    units = adapter._units(scores)
    return {key: (u.score, u.answered, u.applicable, u.total) for key, u in units.items()}


def same_scores(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key, (score, *counts) in want.items():
        g_score, *g_counts = got[key]
        assert g_counts == counts, key
        assert (score is None and g_score is None) or g_score == pytest.approx(score, abs=1e-9), key


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, libreoffice) -> Path:
    """A French audit, most items answered, with an invalid answer and wrong Organization Information."""
    tmp = tmp_path_factory.mktemp("filled")
    audit = random_audit(7, "fr", fill=0.7)
    invalid = next(c for c in CATALOG.indicators() if not c.is_checklist).code
    audit.answers.pop(invalid, None)
    audit.unparsed[(invalid, "answer")] = "peut-être"
    audit.org["women_clients"] = audit.org["active_clients"] + 10  # breaks an Organization Information rule
    audit.metadata.update(organization="IMF Test", start_date=dt.date(2016, 3, 1), end_date=dt.date(2016, 2, 1))
    render(CATALOG, "fr", audit, tmp / "rendered.xlsx")
    libreoffice.recalculate(tmp / "rendered.xlsx", tmp / "filled.xlsx")
    return tmp / "filled.xlsx"


# --- score ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.libreoffice
def test_score_writes_what_spi4xl_score_computes(filled: Path, tmp_path: Path, libreoffice, client: str) -> None:
    cli = assess(filled)
    report, actions, log = run_job("score", filled, tmp_path / "scored.xlsx", libreoffice, client)
    assert report.scores.to_dict() == cli.scores.to_dict()
    assert len(actions) <= 25 and Counter(a["func"] for a in actions)["alert"] == 1
    # The results sheet written by the job, recalculated by LibreOffice, holds the CLI's scores.
    name, rows = role_sheet(tmp_path / "scored.xlsx", "results")
    assert name == sheet_names("fr")["results"]
    same_scores(scores_of(rows), expected_scores(cli.scores))
    after = assess(tmp_path / "scored.xlsx")
    assert after.scores.to_dict() == cli.scores.to_dict()
    assert typed(tmp_path / "scored.xlsx") == typed(filled)  # nothing typed was touched
    prompt, title = log["alerts"][0][:2]
    assert title == ui("button.score", "fr") and f"{100 * cli.scores.overall.score:.1f} %" in prompt


@pytest.mark.libreoffice
def test_score_repairs_results_written_over(filled: Path, tmp_path: Path, libreoffice) -> None:
    """A results sheet whose formulas were overwritten gets them back, and the alert says so."""
    import openpyxl

    wb = openpyxl.load_workbook(filled)
    name, rows = role_sheet(filled, "results")
    ws = wb[name]
    for r in range(3, 8):
        ws.cell(r, 4).value = 0.99
    ws.delete_rows(10, 3)  # three unit rows gone
    wb.save(tmp_path / "broken.xlsx")
    libreoffice.recalculate(tmp_path / "broken.xlsx", tmp_path / "broken-calc.xlsx")
    report, actions, _ = run_job("score", tmp_path / "broken-calc.xlsx", tmp_path / "fixed.xlsx", libreoffice)
    assert re.search(r"\n\d+ ligne\(s\) de la feuille Résultats .* réécrites\.$", report.message)
    assert "rangeInsert" in {a["func"] for a in actions}
    same_scores(scores_of(role_sheet(tmp_path / "fixed.xlsx", "results")[1]), expected_scores(assess(filled).scores))


# --- validate -------------------------------------------------------------------------------------
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.libreoffice
def test_validate_writes_the_findings_of_spi4xl_validate(filled: Path, tmp_path: Path, libreoffice, client: str) -> None:
    cli = assess(filled)
    report, actions, log = run_job("validate", filled, tmp_path / "validated.xlsx", libreoffice, client)
    assert [dataclasses.astuple(f) for f in report.findings] == [dataclasses.astuple(f) for f in cli.findings]
    name, rows = role_sheet(tmp_path / "validated.xlsx", "findings")
    read = read_workbook(filled)
    sheets, lang = read.sheets, read.audit.language
    written = [(r["finding"], r["severity"], r["item"] or "", r["cell"] or "", r["sheet"]) for r in table(rows)]
    assert written == [(f.code, ui(f"finding_severity.{f.severity}", lang), f.item, f.cell, sheets.get(f.sheet, f.sheet))
                       for f in cli.findings]
    # Cells with an error are coloured, the others keep their input fill.
    severity = {}
    for f in cli.findings:
        if f.cell and f.severity in SEVERITY_FILLS and severity.get((f.sheet, f.cell)) != "error":
            severity[(f.sheet, f.cell)] = f.severity
    assert severity and any(s == "error" for s in severity.values())
    coloured = {role: fills(tmp_path / "validated.xlsx", sheets[role]) for role in ("questionnaire", "organization", "start")}
    for (role, cell), sev in severity.items():
        assert coloured[role].get(cell) == SEVERITY_FILLS[sev], (role, cell)
    clean = next(a1 for (role, item), a1 in read_workbook(filled).cells.items()
                 if role == "organization" and (role, a1) not in severity)
    assert coloured["organization"][clean] == INPUT_FILL
    assert typed(tmp_path / "validated.xlsx") == typed(filled)
    lang = read_workbook(filled).audit.language
    assert log["alerts"][0][0] == f"{name}: " + ", ".join(
        f"{ui('severity.' + kind, lang)} {report.counts[kind]}" for kind in ("error", "warning", "info"))
    if client == "Office.js":
        assert Counter(a["func"] for a in actions)["setRangeColors"] <= 3  # one per coloured column


@pytest.mark.libreoffice
def test_validate_again_uncolours_what_was_fixed(filled: Path, tmp_path: Path, libreoffice) -> None:
    run_job("validate", filled, tmp_path / "v1.xlsx", libreoffice)
    read = read_workbook(tmp_path / "v1.xlsx")
    findings = assess(tmp_path / "v1.xlsx").findings
    wrong = next(f for f in findings if f.code == "answer.invalid")
    fixed = dataclasses.replace(empty_audit("fr"), answers={wrong.item: "yes"})
    type_audit(tmp_path / "v1.xlsx", tmp_path / "v1-fixed.xlsx", fixed, CATALOG, "fr")
    libreoffice.recalculate(tmp_path / "v1-fixed.xlsx", tmp_path / "v2-in.xlsx")
    assert fills(tmp_path / "v2-in.xlsx", read.sheets["questionnaire"])[wrong.cell] == SEVERITY_FILLS["error"]
    run_job("validate", tmp_path / "v2-in.xlsx", tmp_path / "v2.xlsx", libreoffice, "Office.js")
    still = {(f.sheet, f.item) for f in assess(tmp_path / "v2.xlsx").findings if f.severity in SEVERITY_FILLS}
    after = fills(tmp_path / "v2.xlsx", read.sheets["questionnaire"])
    assert after[wrong.cell] == (SEVERITY_FILLS["warning"] if ("questionnaire", wrong.item) in still else INPUT_FILL)


# --- populate -------------------------------------------------------------------------------------
def typed_audit(lang: str) -> tuple[Audit, dict]:
    """What an auditor types: answers, comments (some looking like numbers, dates or formulas), flags,
    evidence types, Organization Information, audit information, and text that is not an answer."""
    audit = random_audit(11, lang, fill=0.6)
    core = CATALOG.indicators("full", ())
    rows = {i.code for i in core} | {d.code for i in core for d in i.details}  # the rows of a core workbook
    audit.answers = {code: a for code, a in audit.answers.items() if code in rows}
    audit.comments = {code: text for code, text in audit.comments.items() if code in rows}
    codes = [i.code for i in core]
    for i, text in enumerate(TRICKY):
        audit.comments[codes[i]] = text
    audit.flags[codes[20]] = "à revoir"
    audit.evidence[codes[21]] = CATALOG.evidence_types[0].code
    audit.metadata.update(organization="0042", country="Pérou", assessment_type="external",
                          start_date=dt.date(2016, 5, 2))
    audit.plan = {codes[0]: {"action": "=1+1", "owner": "Risk team", "due": dt.date(2027, 3, 31), "status": "in_progress"},
                  codes[40]: {"status": "à voir", "due": "next quarter", "comment": "0042"}}
    raw = {("questionnaire", codes[30]): "peut-être", ("organization", "active_clients"): "beaucoup"}
    audit.answers.pop(codes[30], None)
    audit.org.pop("active_clients", None)
    return audit, raw


NEXT = {"en": "fr", "fr": "es", "es": "en"}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.libreoffice
def test_populate_switch_language_and_modules_keeps_everything_typed(tmp_path: Path, libreoffice, lang: str) -> None:
    render(CATALOG, lang, empty_audit(lang), tmp_path / "empty.xlsx")
    libreoffice.recalculate(tmp_path / "empty.xlsx", tmp_path / "p0.xlsx")
    # Populate an empty workbook: nothing to change but every sheet rewritten in place.
    run_job("populate", tmp_path / "p0.xlsx", tmp_path / "p1.xlsx", libreoffice, include=False)
    assert read_workbook(tmp_path / "p1.xlsx").sheets == read_workbook(tmp_path / "p0.xlsx").sheets
    # The auditor fills it in.
    audit, raw = typed_audit(lang)
    type_audit(tmp_path / "p1.xlsx", tmp_path / "p1-typed.xlsx", audit, CATALOG, lang, raw)
    libreoffice.recalculate(tmp_path / "p1-typed.xlsx", tmp_path / "p2.xlsx")
    before = typed(tmp_path / "p2.xlsx")
    assert before["answers"] and ("active_clients", "value") in before["unparsed"]
    assert {before["comments"][c] for c in before["comments"]} >= set(TRICKY)
    # ... switches language and adds a module, and populates again.
    other = NEXT[lang]
    set_settings(tmp_path / "p2.xlsx", tmp_path / "p2-set.xlsx", language=other, modules="gender")
    libreoffice.recalculate(tmp_path / "p2-set.xlsx", tmp_path / "p3.xlsx")
    _, actions, _ = run_job("populate", tmp_path / "p3.xlsx", tmp_path / "p4.xlsx", libreoffice, "Office.js")
    kinds = Counter(a["func"] for a in actions)
    assert kinds["setSheetName"] >= 4 and kinds["rangeInsert"] >= 1
    after = read_workbook(tmp_path / "p4.xlsx")
    assert typed(tmp_path / "p4.xlsx") == before
    assert after.audit.language == other and after.audit.modules == ("gender",)
    assert set(after.sheets.values()) >= {sheet_names(other)[r] for r in ("start", "organization", "questionnaire")}
    gender = [i.code for i in CATALOG.indicators("full", ("gender",)) if i.module == "gender"]
    assert gender and all(("questionnaire", code) in after.cells for code in gender)
    q_name, q_rows = role_sheet(tmp_path / "p4.xlsx", "questionnaire")
    assert q_rows[1][3] == ui("col.answer", other)  # headers in the new language
    # The workbook scores the same as the CLI on it (formulas of inserted rows included).
    cli = assess(tmp_path / "p4.xlsx")
    same_scores(scores_of(role_sheet(tmp_path / "p4.xlsx", "results")[1]), expected_scores(cli.scores))
    # And back to the first language, without the module.
    set_settings(tmp_path / "p4.xlsx", tmp_path / "p4-set.xlsx", language=lang, modules="core")
    libreoffice.recalculate(tmp_path / "p4-set.xlsx", tmp_path / "p5.xlsx")
    run_job("populate", tmp_path / "p5.xlsx", tmp_path / "p6.xlsx", libreoffice)
    assert typed(tmp_path / "p6.xlsx") == before
    assert read_workbook(tmp_path / "p6.xlsx").sheets == read_workbook(tmp_path / "p2.xlsx").sheets


@pytest.mark.libreoffice
def test_populate_narrower_profile_parks_answers_and_brings_them_back(tmp_path: Path, libreoffice) -> None:
    audit, raw = typed_audit("es")
    render(CATALOG, "es", empty_audit("es"), tmp_path / "empty.xlsx")
    type_audit(tmp_path / "empty.xlsx", tmp_path / "typed.xlsx", audit, CATALOG, "es", raw)
    set_settings(tmp_path / "typed.xlsx", tmp_path / "alinus.xlsx", profile="alinus")
    libreoffice.recalculate(tmp_path / "alinus.xlsx", tmp_path / "a0.xlsx")
    before = typed(tmp_path / "a0.xlsx")
    _, actions, _ = run_job("populate", tmp_path / "a0.xlsx", tmp_path / "a1.xlsx", libreoffice)
    assert {"rangeDelete", "addSheet"} <= {a["func"] for a in actions}
    narrow = read_workbook(tmp_path / "a1.xlsx")
    assert "conversion" in narrow.sheets
    assert len([k for k in narrow.cells if k[0] == "questionnaire"]) < len([k for k in read_workbook(tmp_path / "a0.xlsx").cells
                                                                           if k[0] == "questionnaire"])
    assert typed(tmp_path / "a1.xlsx") == before  # hidden answers read back from the conversion sheet
    set_settings(tmp_path / "a1.xlsx", tmp_path / "full.xlsx", profile="full")
    libreoffice.recalculate(tmp_path / "full.xlsx", tmp_path / "f0.xlsx")
    _, actions, _ = run_job("populate", tmp_path / "f0.xlsx", tmp_path / "f1.xlsx", libreoffice, "Office.js")
    assert "sheetDelete" in {a["func"] for a in actions}
    assert "conversion" not in read_workbook(tmp_path / "f1.xlsx").sheets
    assert typed(tmp_path / "f1.xlsx") == before


@pytest.mark.libreoffice
def test_populate_resets_the_colours_of_the_last_validate(filled: Path, tmp_path: Path, libreoffice) -> None:
    run_job("validate", filled, tmp_path / "v.xlsx", libreoffice)
    read = read_workbook(tmp_path / "v.xlsx")
    error = next(f for f in assess(tmp_path / "v.xlsx").findings if f.severity == "error" and f.sheet == "questionnaire")
    assert fills(tmp_path / "v.xlsx", read.sheets["questionnaire"])[error.cell] == SEVERITY_FILLS["error"]
    run_job("populate", tmp_path / "v.xlsx", tmp_path / "p.xlsx", libreoffice)
    assert fills(tmp_path / "p.xlsx", read.sheets["questionnaire"])[error.cell] == INPUT_FILL
    assert table(role_sheet(tmp_path / "p.xlsx", "findings")[1]) == []


@pytest.mark.libreoffice
def test_populate_lists_answers_whose_wording_changed(filled: Path) -> None:
    """A workbook made with other wording for an indicator (its fingerprint differs): the answer is kept
    and a 'changed' row asks for a review, as spi4xl convert does."""
    data = payload(filled, "VBA")
    q = next(s for s in data["sheets"] if s["values"][0][0] == "spi4xl:questionnaire")
    fp = q["values"][0].index("fingerprint")
    answered = read_workbook(filled).audit.answers
    row = next(r for r in q["values"][2:] if r[0] in answered)
    row[fp] = "0000000000"
    book = xw.Book(json=data)
    report = adapter.populate(book)
    assert "1" in report.message.splitlines()[-1]  # the conversion sheet's line of the alert
    added = [a for a in book.json()["actions"] if a["func"] == "addSheet"]
    assert added and added[0]["args"][1] == sheet_names("fr")["conversion"]
    written = [v for a in book.json()["actions"] if a["func"] == "setValues" for line in a["values"] for v in line]
    assert ui("conversion_status.changed", "fr") in written and row[0] in written


# --- what the remote engine is handed ---------------------------------------------------------------------
def remote_book(tmp_path: Path, client: str) -> xw.Book:
    audit = random_audit(6, "fr", fill=0.5)
    audit.metadata.update(start_date=dt.date(2016, 1, 2), end_date=dt.datetime(2016, 1, 9, 14, 30))
    return xw.Book(json=payload(render(CATALOG, "fr", audit, tmp_path / "book.xlsx"), client))


@pytest.mark.parametrize("client", CLIENTS)
def test_blocks_handed_over_raw_are_the_actions_xlwings_would_queue(tmp_path: Path, client: str) -> None:
    """Plain blocks skip xlwings' per-cell conversion (Range.raw_value); blocks with dates go through it."""
    book = remote_book(tmp_path, client)
    live = adapter.snapshot(book)
    audit = live.read.audit
    rendered = render_grids(CATALOG, "fr", audit, ROLES)
    sheet = book.sheets[0]
    for grid in rendered.sheets.values():
        adapter._write_blocks(sheet, grid)
    ours = book.json()["actions"]
    book.json()["actions"] = []
    for grid in rendered.sheets.values():
        for row, col, values in grid.written:
            sheet.range((row + 1, col + 1)).value = values
    assert ours == book.json()["actions"]
    raw = [adapter._raw_block(values) for grid in rendered.sheets.values() for _, _, values in grid.written]
    assert raw.count(None) >= 1 and len(raw) - raw.count(None) >= 5  # the Start sheet's dates took xlwings' way


def test_score_redefines_only_the_names_whose_range_changed(tmp_path: Path) -> None:
    book = remote_book(tmp_path, "VBA")
    names = book.api["names"]
    moved = next(e for e in names if e["name"] == "r_score")
    moved["address"] = "E3:E9"  # as if rows had been deleted from the results table
    gone = names.index(next(e for e in names if e["name"] == "r_code"))
    names[gone] = {**names[gone], "sheet_index": None, "address": None}  # #REF!
    names.append({**moved, "name": "r_level", "book_scope": False, "scope_sheet_name": "Résultats",
                  "scope_sheet_index": moved["sheet_index"]})  # a sheet's own name does not count
    adapter.score(book, alert=False)
    added = {a["args"][0]: a["args"][1] for a in book.json()["actions"] if a["func"] == "namesAdd"}
    assert sorted(added) == ["r_code", "r_score"] and added["r_score"].startswith("='Résultats'!$E$3:$E$")


def test_dates_sent_as_iso_text_are_read_as_dates_and_other_text_is_kept() -> None:
    rows = [["2016-12-31T00:00:00.000Z", "2016-12-31T14:30:00.000Z", "1-12-31T", "see 2016-12-31T10:00:00.000Z", 3, None]]
    sheet = type("Sheet", (), {"api": {"values": rows}})()
    assert adapter.sheet_values(sheet) == [[dt.datetime(2016, 12, 31), dt.datetime(2016, 12, 31, 14, 30), "1-12-31T",
                                            "see 2016-12-31T10:00:00.000Z", 3, None]]
    plain = [["Oui", "2016-12-31", 1.5, None, ""], ["x" * 30, "T" * 19]]
    assert adapter.sheet_values(type("Sheet", (), {"api": {"values": plain}})()) is plain  # no date: taken as sent


def test_error_values_sent_as_text_are_read_as_empty_and_other_text_is_kept() -> None:
    rows = [["#N/A", "#DIV/0!", "#N/A ", "see #REF!", "#n/a", 3], ["2016-12-31T00:00:00.000Z", "#VALUE!"]]
    assert adapter.sheet_values(type("Sheet", (), {"api": {"values": rows}})()) == [
        [None, None, "#N/A ", "see #REF!", "#n/a", 3], [dt.datetime(2016, 12, 31), None]]


def test_json_without_iso_date_text_or_error_values_is_told_apart() -> None:
    assert not adapter.json_is_plain(b'[["2016-12-31T00:00:00.000Z"]]')
    assert not adapter.json_is_plain(b'[["2016\\u002d12\\u002d31T00:00:00"]]')  # escaped, as JSON allows
    assert not adapter.json_is_plain(b'[["#N/A"]]') and not adapter.json_is_plain(b'[["#N\\/A"]]')
    assert not adapter.json_is_plain(b'[["#DIV\\u002f0!"]]') and not adapter.json_is_plain(b'[["\\u0023N/A"]]')
    assert adapter.json_is_plain(b'[["Oui", 2016, "12-31T", "2016-12-31", "\\u00e9t\\u00e9", "#3", "N/A"]]')


# --- refusals ----------------------------------------------------------------------------------------
def test_a_foreign_workbook_is_refused() -> None:
    book = xw.Book(json={"client": "VBA", "version": xw.__version__, "book": {"name": "budget.xlsx", "active_sheet_index": 0,
                         "selection": "A1"}, "names": [], "sheets": [{"name": "Budget", "values": [["Item", "Cost"], ["x", 1]],
                                                                      "pictures": [], "tables": []}]})
    with pytest.raises(Spi4xlError, match="not an spi4xl workbook"):
        adapter.score(book)
    assert book.json()["actions"] == []


@pytest.mark.libreoffice
def test_populate_refuses_a_table_whose_columns_moved(filled: Path) -> None:
    data = payload(filled, "VBA")
    q = next(s for s in data["sheets"] if s["values"] and s["values"][0][0] == "spi4xl:questionnaire")
    for row in q["values"]:
        row.insert(2, None)  # a column inserted before the guidance column
    with pytest.raises(Spi4xlError, match="inserted, moved or deleted"):
        adapter.populate(xw.Book(json=copy.deepcopy(data)))
    adapter.score(xw.Book(json=data))  # reading still works: columns are found by id


def test_vba_action_list_is_the_one_of_excel_notes() -> None:
    assert adapter.VBA_ACTIONS == VBA_ACTIONS and len(VBA_ACTIONS) == 37
