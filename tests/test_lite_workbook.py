"""The workbook xlwings Lite's buttons need: no sheet protection (Lite cannot lift it), everything else as rendered."""

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
