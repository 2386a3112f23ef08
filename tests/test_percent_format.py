"""Percent fields are told apart by their cell's number format, not by the size of the value.

In Excel a value typed into a percent-formatted cell is stored as a fraction (45 % is 0.45, 120 % is 1.2);
in a General or number-formatted cell, 45 means 45 %. Real workbooks: rendered by spi4xl, cells retyped
and reformatted with openpyxl, then the same files saved by LibreOffice (which writes its own styles).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import xlwings as xw

from audits import CATALOG, CLEAN_ORG
from spi4xl.audit import Audit
from spi4xl.validation import validate
from spi4xl.workbook.read import is_percent_format, read_workbook
from spi4xl.workbook.render import render
from spi4xl.workbook.values import open_book
from spi4xl.xl import adapter
from xl_helpers import enable_xlwings_pro, payload

# field id -> (value typed, number format given to its cell; None keeps the rendered "0.0%")
TYPED = {
    "average_apr": (1.2, None),  # a valid APR of 120 %
    "portfolio_yield": (35, "General"),  # 35 % typed as a whole number
    "roe": (0.12, "General"),  # a fraction in a General cell: 12 %
    "staff_turnover": (12, "0%"),  # 1,200 % in a percent cell (built-in format 9): out of bounds, not rescaled
    "client_retention": (80, "#,##0.00"),  # a whole-number percentage in a number-formatted cell
    "operating_expense_ratio": (0.18, "0.00%"),  # built-in format 10
    "write_off_ratio": ("1%", "General"),  # text with a % sign: a fraction whatever the format
}
FORMATS = {"average_apr": "percent", "portfolio_yield": "number", "roe": "number", "staff_turnover": "percent",
           "client_retention": "number", "operating_expense_ratio": "percent"}
VALUES = {"average_apr": 1.2, "portfolio_yield": 35, "roe": 0.12, "staff_turnover": 12, "client_retention": 80,
          "operating_expense_ratio": 0.18, "write_off_ratio": 0.01}


def clean_audit(lang: str = "en") -> Audit:
    return Audit(CATALOG.edition, CATALOG.version, lang, org={f.id: CLEAN_ORG[f.id] for f in CATALOG.org_fields})


def retyped(src: Path, out: Path, typed: dict) -> Path:
    """A copy of a rendered workbook with Organization cells retyped and reformatted by openpyxl."""
    book = openpyxl.load_workbook(src)
    ws = next(ws for ws in book.worksheets if ws["A1"].value == "spi4xl:organization")
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for fid, (value, number_format) in typed.items():
        cell = ws.cell(rows[fid], 3)
        cell.value = value
        if number_format is not None:
            cell.number_format = number_format
    book.save(out)
    return out


def org_findings(path: Path) -> dict[str, set[str]]:
    result = read_workbook(path)
    out: dict[str, set[str]] = {}
    for f in validate(result.audit, result.catalog) + result.findings:
        if f.sheet == "organization":
            out.setdefault(f.item, set()).add(f.code)
    return out


def assert_read_by_format(path: Path, formats: dict[str, str] = FORMATS) -> None:
    result = read_workbook(path)
    assert {k: result.audit.org[k] for k in VALUES} == pytest.approx(VALUES)
    assert {k: v for k, v in result.audit.org_formats.items() if k in VALUES} == formats
    assert set(result.audit.org_formats) == {f.id for f in CATALOG.org_fields if f.type == "percent"} - \
        ({"write_off_ratio"} - set(formats))  # text typed in a cell says nothing by its format
    findings = org_findings(path)
    assert findings.get("average_apr") is None  # 1.2 in a percent cell is 120 %: nothing to say
    assert findings["portfolio_yield"] == {"org.percent_scale"}
    assert findings.get("roe") is None and findings.get("operating_expense_ratio") is None
    assert findings["staff_turnover"] == {"org.bound"}  # a percent cell: 1,200 %, never read as 12 %
    assert findings["client_retention"] == {"org.percent_scale", "org.bound"}
    assert findings.get("write_off_ratio") is None
    assert set(findings) == {"portfolio_yield", "staff_turnover", "client_retention"}


def test_rendered_cells_are_percent_formatted(tmp_path):
    path = render(CATALOG, "fr", clean_audit("fr"), tmp_path / "clean.xlsx")
    result = read_workbook(path)
    percent = {f.id for f in CATALOG.org_fields if f.type == "percent"}
    assert set(result.percent_cells) == percent
    assert result.audit.org_formats == dict.fromkeys(percent, "percent")
    codes = open_book(path).number_formats(result.sheets["organization"], result.percent_cells.values())
    assert set(codes.values()) == {"0.0%"}


def test_openpyxl_workbook_percent_told_by_format(tmp_path):
    src = render(CATALOG, "en", clean_audit(), tmp_path / "clean.xlsx")
    assert_read_by_format(retyped(src, tmp_path / "typed.xlsx", TYPED))


@pytest.mark.libreoffice
def test_libreoffice_saved_workbook_percent_told_by_format(libreoffice, tmp_path):
    src = render(CATALOG, "es", clean_audit("es"), tmp_path / "clean.xlsx")
    typed = retyped(src, tmp_path / "typed.xlsx", TYPED)
    saved = tmp_path / "saved-by-libreoffice.xlsx"
    libreoffice.recalculate(typed, saved)
    assert_read_by_format(saved)


def test_whole_number_percentage_keeps_its_general_cell_through_conversion(tmp_path):
    """A converted workbook writes the value as read, in a cell formatted as it was: 35 in a General cell
    stays 35 in a General cell (still flagged), never 3,500 % in a percent cell."""
    src = render(CATALOG, "en", clean_audit(), tmp_path / "clean.xlsx")
    typed = retyped(src, tmp_path / "typed.xlsx", TYPED)
    again = render(CATALOG, "fr", read_workbook(typed).audit, tmp_path / "converted.xlsx")
    assert_read_by_format(again, {**FORMATS, "write_off_ratio": "percent"})  # "1%" was written as the number 0.01


def test_without_a_format_the_size_of_the_value_decides():
    """An audit from JSON or an engine that cannot tell formats: above 1 and up to 100 is flagged, as before."""
    audit = clean_audit()
    audit.org.update(average_apr=1.2, portfolio_yield=35)
    flagged = {f.item for f in validate(audit, CATALOG) if f.code == "org.percent_scale"}
    assert flagged == {"average_apr", "portfolio_yield"}


@pytest.mark.parametrize("code, percent", [
    ("0%", True), ("0.0%", True), ("0.00%;[Red]-0.00%", True), ("#,##0.0 %", True),
    ("General", False), ("#,##0.00", False), ("0", False), ('0" %"', False), ("0\\%", False), ("[Red]0.00", False),
    ("@", False), ("yyyy-mm-dd", False),
])
def test_percent_format_codes(code, percent):
    assert is_percent_format(code) is percent


def test_unstyled_and_missing_cells(tmp_path):
    """A cell without a style is General; a cell the sheet does not hold is left out (format unknown)."""
    book = openpyxl.Workbook()
    book.active["A1"] = 45
    book.active["B1"] = 0.45
    book.active["B1"].number_format = "0%"
    book.save(tmp_path / "plain.xlsx")
    codes = open_book(tmp_path / "plain.xlsx").number_formats(book.active.title, ["A1", "B1", "C9"])
    assert codes == {"A1": "General", "B1": "0%"}


# --- the buttons: the xlwings adapter reads formats from the live book ------------------------------
class DesktopSheet:
    """A sheet as a desktop engine shows it to the adapter: its values (held the way the remote engine holds
    them) and each cell's number format, taken from the real file, as Excel's Range.NumberFormat gives it."""

    def __init__(self, ws, values: list[list]) -> None:
        self.name, self.api, self._ws = ws.title, {"values": values}, ws

    def range(self, address: str) -> SimpleNamespace:
        return SimpleNamespace(number_format=self._ws[address].number_format)


class Sheets(list):
    def __getitem__(self, key):
        return next(s for s in self if s.name == key) if isinstance(key, str) else super().__getitem__(key)


def desktop_book(path: Path) -> SimpleNamespace:
    values = {s["name"]: s["values"] for s in payload(path)["sheets"]}
    book = openpyxl.load_workbook(path)
    return SimpleNamespace(name=path.name, sheets=Sheets(DesktopSheet(ws, values[ws.title]) for ws in book.worksheets))


def test_buttons_tell_percent_by_the_live_format(tmp_path):
    typed = retyped(render(CATALOG, "en", clean_audit(), tmp_path / "clean.xlsx"), tmp_path / "typed.xlsx", TYPED)
    live = adapter.snapshot(desktop_book(typed))
    assert live.read.audit.org_formats == read_workbook(typed).audit.org_formats
    assert {k: v for k, v in live.read.audit.org_formats.items() if k in VALUES} == FORMATS
    flagged = {f.item for f in validate(live.read.audit, CATALOG) if f.code == "org.percent_scale"}
    assert flagged == {"portfolio_yield", "client_retention"}


@pytest.mark.parametrize("client", ("VBA", "Office.js"))
def test_remote_engine_cannot_tell_and_falls_back_to_the_size(monkeypatch, tmp_path, client):
    """xlwings' remote engine holds values only: formats unknown, values above 1 flagged as before."""
    enable_xlwings_pro(monkeypatch)
    typed = retyped(render(CATALOG, "en", clean_audit(), tmp_path / "clean.xlsx"), tmp_path / "typed.xlsx", TYPED)
    book = xw.Book(json=payload(typed, client))
    live = adapter.snapshot(book)
    book.close()
    assert live.read.audit.org_formats == {}
    flagged = {f.item for f in validate(live.read.audit, CATALOG) if f.code == "org.percent_scale"}
    assert flagged == {"average_apr", "portfolio_yield", "staff_turnover", "client_retention"}


def test_cells_written_another_way_are_found_too(tmp_path):
    """Single-quoted references, the style before the reference: the cell tags are walked as the parser reads them."""
    import zipfile

    book = openpyxl.Workbook()
    book.active["A1"], book.active["B1"] = 45, 0.45
    book.active["B1"].number_format = "0.0%"
    book.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, zipfile.ZipFile(tmp_path / "odd.xlsx", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                assert '<c r="B1" s="1"' in text and '<c r="A1"' in text
                data = text.replace('<c r="B1" s="1"', "<c s='1' r='B1'").replace('<c r="A1"', "<c r='A1'").encode()
            dst.writestr(info, data)
    codes = open_book(tmp_path / "odd.xlsx").number_formats(book.active.title, ["A1", "B1"])
    assert codes == {"A1": "General", "B1": "0.0%"}
