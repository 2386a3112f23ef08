"""The workbook xlwings Lite's buttons need (no sheet protection: Lite cannot lift it), and how they show a problem."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from spi4xl.cli import main

REPO = Path(__file__).resolve().parents[1]


def protected(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path)
    return {ws.title for ws in wb.worksheets if ws.protection.sheet}


def test_unprotected_workbooks_for_xlwings_lite(tmp_path: Path) -> None:
    sample = REPO / "samples" / "sample-audit-en.xlsx"
    assert protected(sample) == {"Start", "Organization", "Results", "Dashboard", "Settings"}
    assert main(["convert", str(sample), "--lang", "fr", "--out", str(tmp_path / "fr.xlsx"), "--unprotected"]) == 0
    assert protected(tmp_path / "fr.xlsx") == set()
    assert main(["build", "--lang", "es", "--format", "xlsx", "--out", str(tmp_path / "t"), "--unprotected"]) == 0
    (template,) = (tmp_path / "t").glob("*.xlsx")
    assert protected(template) == set()


def test_a_lite_button_shows_an_expected_problem_as_one_coded_line(monkeypatch) -> None:
    """A Settings value the reader cannot use: an alert in the workbook's language, no traceback (Lite's output pane)."""
    import xlwings as xw

    from spi4xl.xl import lite
    from spi4xl.xl.payload import payload
    from xl_helpers import enable_xlwings_pro

    enable_xlwings_pro(monkeypatch)
    data = payload(REPO / "samples" / "sample-audit-fr.xlsx", "Office.js")
    (settings,) = [s for s in data["sheets"] if s["name"] == "Paramètres"]
    (row,) = [r for r in settings["values"] if r and r[0] == "profile"]
    row[2] = "tout"
    book = xw.Book(json=data)
    lite.SCRIPTS["score"](book)
    (alert,) = [a for a in book.json()["actions"] if a["func"] == "alert"]
    assert alert["args"][0].startswith("erreur [settings.invalid]") and "tout" in alert["args"][0]
