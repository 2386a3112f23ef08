"""The action plan: gap and priority rules, the plan columns as part of the audit (read back, kept by convert,
counted by batch and score --json). The sheet's formulas against these rules: tests/test_formulas_agree.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from audits import CATALOG, random_audit
from spi4xl.batch import audit_row
from spi4xl.cli import main
from spi4xl.plan import plan_rows, priority, state, status_counts
from spi4xl.scoring import IndicatorResult, score
from spi4xl.ui import ui
from spi4xl.workbook.read import read_audit
from spi4xl.workbook.render import render
from sheets import role_records

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "sample-audit-en.xlsx"


@pytest.mark.parametrize("result, want", [
    (None, None),
    (IndicatorResult(True, True, None), "na"),
    (IndicatorResult(False, False, None), "unanswered"),
    (IndicatorResult(True, False, 1.0), "met"),
    (IndicatorResult(False, False, 1.0), "unanswered"),  # a checklist whose answered items are all met, others open
    (IndicatorResult(False, False, 0.5), "partial"),  # ... and one whose answered items are not all met
    (IndicatorResult(True, False, 0.0), "not_met"),
    (IndicatorResult(True, False, 0.25), "partial"),
])
def test_state(result: IndicatorResult | None, want: str | None) -> None:
    assert state(result) == want


def test_priority_puts_client_protection_first_then_weak_standards() -> None:
    assert priority("met", True, 0.1) is None and priority("na", False, None) is None
    assert priority("partial", True, 0.9) == 1
    assert priority("not_met", False, 0.49) == 2 and priority("unanswered", False, None) == 2
    assert priority("partial", False, 0.5) == 3


def test_rows_list_gaps_first_in_priority_order_then_the_rest_then_plans_outside_the_scope() -> None:
    audit = random_audit(8, "en", fill=0.7)
    audit.plan = {"9Z.1.1": {"action": "kept from an older catalog"}}
    rows = plan_rows(CATALOG, audit, score(audit, CATALOG))
    keys = [(not r.is_gap, r.priority or 9, 2 if r.standard_score is None else r.standard_score) for r in rows[:-1]]
    assert keys == sorted(keys) and rows[0].is_gap and not rows[-2].is_gap
    assert len(rows) == len(CATALOG.indicators()) + 1 and rows[-1].code == "9Z.1.1" and rows[-1].state is None


def typed_plan() -> dict:
    codes = [i.code for i in CATALOG.indicators()]
    return {codes[0]: {"action": "=1+1", "owner": "Risk team", "due": dt.date(2027, 3, 31), "status": "in_progress"},
            codes[5]: {"status": "à voir", "due": "next quarter", "comment": "0042"},
            codes[9]: {"status": "done"},
            "9Z.1.1": {"action": "from an older catalog", "status": "dropped"}}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_plan_is_read_back_and_kept_by_convert(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture) -> None:
    audit = random_audit(9, lang, fill=0.6)
    audit.plan = typed_plan()
    render(CATALOG, lang, audit, tmp_path / "a.xlsx")
    assert read_audit(tmp_path / "a.xlsx").plan == audit.plan
    _, rows = role_records(tmp_path / "a.xlsx", "plan")
    shown = {r["code"]: r for r in rows if r.get("code")}
    assert shown[next(iter(audit.plan))]["status"] == ui("plan_status.in_progress", lang)  # by name, in the language
    assert shown["9Z.1.1"]["gap"] == ui("plan_state.outside", lang)  # a plan without an indicator keeps its row
    other = {"en": "es", "fr": "en", "es": "fr"}[lang]
    assert main(["convert", str(tmp_path / "a.xlsx"), "--lang", other, "--out", str(tmp_path / "b.xlsx")]) == 0
    assert read_audit(tmp_path / "b.xlsx").plan == audit.plan
    capsys.readouterr()
    assert main(["score", str(tmp_path / "b.xlsx"), "--json"]) == 0
    counted = json.loads(capsys.readouterr().out)["plan"]["status"]
    assert counted == {"planned": 0, "in_progress": 1, "done": 1, "dropped": 1, "other": 1, "none": 0}


def test_batch_counts_gaps_and_plan_rows_by_status() -> None:
    row = audit_row(SAMPLE)
    audit = read_audit(SAMPLE)
    assert row["gaps"] == sum(r.is_gap for r in plan_rows(CATALOG, audit, score(audit, CATALOG))) > 0
    assert {k: row[f"plan_{k}"] for k in status_counts(audit)} == status_counts(audit)
    assert row["plan_planned"] == row["plan_in_progress"] == row["plan_done"] == 1  # the sample's three



def test_a_plan_text_longer_than_excel_keeps_is_refused(tmp_path: Path) -> None:
    from spi4xl.errors import Spi4xlError

    audit = random_audit(2, "en")
    audit.plan = {CATALOG.indicators()[0].code: {"action": "x" * 40_000}}
    with pytest.raises(Spi4xlError) as caught:
        render(CATALOG, "en", audit, tmp_path / "a.xlsx")
    assert caught.value.code == "render.cell_limit" and not (tmp_path / "a.xlsx").exists()


def test_the_sheet_opens_filtered_to_the_gaps(tmp_path: Path) -> None:
    import openpyxl

    audit = random_audit(8, "fr", fill=0.7)
    render(CATALOG, "fr", audit, tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx", data_only=True)[ui("sheet.plan", "fr")]  # cached values
    ids = {c.value: c.column for c in ws[1] if isinstance(c.value, str)}
    rows = [(ws.cell(r, ids["gap"]).value, bool(ws.row_dimensions[r].hidden)) for r in range(3, ws.max_row + 1)]
    closed = {ui("plan_state.met", "fr"), ui("plan_state.na", "fr")}
    assert rows and all(hidden == (gap in closed) for gap, hidden in rows)
    assert any(hidden for _, hidden in rows) and not rows[0][1]  # gaps first, shown; the others hidden below
    (column,) = ws.auto_filter.filterColumn
    assert column.colId == ids["gap"] - 1 and set(column.filters.filter) == {
        ui(f"plan_state.{s}", "fr") for s in ("partial", "not_met", "unanswered", "outside")}
