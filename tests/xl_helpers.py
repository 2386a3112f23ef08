"""Excel without Excel for the xlwings tests: payloads from real files, and queued actions replayed onto a copy.

`payload(path, client)` (spi4xl.xl.payload) builds what xlwings' VBA client or an Office.js client
posts to xlwings Server, from a workbook file (values read with python-calamine, so formula cells
carry the values LibreOffice computed; defined names read with openpyxl from our own test copies).

`replay(actions, src, dst)` applies the actions the way Excel would, with openpyxl on a copy:
writing "=..." makes a formula, a leading apostrophe makes text, numbers/dates typed as text are
converted (so text the adapter forgot to protect shows up in the tests), sheets renamed update
the defined names, inserted/deleted rows move the cells below.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine as pc
import xlwings
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from sheets import role_table
from spi4xl.workbook import layout as L
from spi4xl.xl.payload import payload

MAX_COLUMNS = 16384
VBA_ACTIONS = {
    "setValues", "rangeClearContents", "rangeClearFormats", "rangeClear", "addSheet", "setSheetName",
    "setAutofit", "setRangeColor", "activateSheet", "addHyperlink", "setNumberFormat", "setPictureName",
    "setPictureHeight", "setPictureWidth", "deletePicture", "addPicture", "updatePicture", "alert",
    "setRangeName", "namesAdd", "nameDelete", "runMacro", "rangeDelete", "rangeInsert", "rangeSelect",
    "addTable", "setTableName", "resizeTable", "showAutofilterTable", "showHeadersTable", "showTotalsTable",
    "setTableStyle", "copyRange", "sheetDelete", "sheetClear", "sheetClearContents", "sheetClearFormats",
}  # copied from EXCEL-NOTES / xlwings' Remote.bas on purpose: the adapter's own list is checked against it


def enable_xlwings_pro(monkeypatch: Any) -> None:
    """The remote engine (xlwings PRO) with the non-commercial key, for tests only.

    xlwings registers its remote engine when it is first imported, and only if a licence key is
    set then; in a test session another module may have imported it before, so the engine is
    registered here once the key is set.
    """
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [engine.name for engine in xlwings.engines]:
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xlwings.engines.add(Engine(impl=_xlremote.engine))


__all__ = ["payload", "replay", "enable_xlwings_pro", "type_audit", "set_settings", "role_sheet", "table", "fills",
           "duplicate_a_code"]


def duplicate_a_code(data: dict[str, Any]) -> str:
    """Paste the first indicator's code over the second's in a payload's questionnaire (a read error); returns it."""
    sheet = next(s for s in data["sheets"] if s["values"] and s["values"][0][0] == "spi4xl:questionnaire")
    level = sheet["values"][0].index("level")
    first, second = [row for row in sheet["values"][1:] if row[level] == "indicator"][:2]
    second[0] = first[0]
    return first[0]


# --- replay -------------------------------------------------------------------------------------
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*(%?)\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_DATE_LIKE = re.compile(r"^\s*\d{1,4}\s*[-/.]\s*\d{1,2}(\s*[-/.]\s*\d{1,4})?\s*$")


def _as_excel(value: Any) -> tuple[Any, bool]:
    """(value, force text) for a value written through Range.Value, as Excel would store it.

    Text Excel would take for something else fails the test instead of passing silently: a number
    or a date typed as text becomes that number or date, text starting like a formula is refused.
    """
    if value == "" or value is None:
        return None, False
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:], True
        if value.startswith("="):
            return value, False
        if _ISO_DATE.match(value):
            return dt.datetime.fromisoformat(value), False
        if (number := _NUMBER.match(value)) is not None:
            n = float(value.strip().rstrip("%")) / (100 if number[3] else 1)
            return int(n) if n.is_integer() else n, False
        if _DATE_LIKE.match(value):
            return dt.datetime(1900, 1, 1), False  # some date: what it is depends on the locale
        if value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE", False
        if value[0] in "+-@":
            raise AssertionError(f"Excel would take {value!r} for a formula")
    return value, False


def _sheet(wb: openpyxl.Workbook, action: dict[str, Any]):
    return wb.worksheets[action["sheet_position"]]


def _cells(ws, action: dict[str, Any]):
    rows = min(action["row_count"], max(ws.max_row - action["start_row"], 0))
    cols = min(action["column_count"], max(ws.max_column - action["start_column"], 0))
    for r in range(rows):
        for c in range(cols):
            yield ws.cell(action["start_row"] + r + 1, action["start_column"] + c + 1)


def _rename_in_names(wb: openpyxl.Workbook, old: str, new: str) -> None:
    quoted_old = "'" + old.replace("'", "''") + "'!"
    quoted_new = "'" + new.replace("'", "''") + "'!"
    for defined in wb.defined_names.values():
        text = defined.attr_text
        text = text.replace(quoted_old, quoted_new)
        if re.match(rf"^{re.escape(old)}!", text):
            text = quoted_new + text[len(old) + 1:]
        defined.attr_text = text


def replay(actions: list[dict[str, Any]], src: Path, dst: Path) -> dict[str, Any]:
    """Apply actions to a copy of src saved as dst; returns what is not a cell change (alerts, counts)."""
    shutil.copyfile(src, dst)
    wb = openpyxl.load_workbook(dst, keep_vba=dst.suffix == ".xlsm")
    log: dict[str, Any] = {"alerts": [], "kinds": {}}
    for action in actions:
        func = action["func"]
        log["kinds"][func] = log["kinds"].get(func, 0) + 1
        if func == "setValues":
            ws = _sheet(wb, action)
            for r, row in enumerate(action["values"]):
                for c, value in enumerate(row):
                    cell = ws.cell(action["start_row"] + r + 1, action["start_column"] + c + 1)
                    value, text = _as_excel(value)
                    cell.value = value
                    if text and value is not None:
                        cell.data_type = "s"
        elif func == "rangeClearContents":
            for cell in _cells(_sheet(wb, action), action):
                cell.value = None
        elif func == "setRangeColor":
            color = action["args"][0].lstrip("#").upper()
            for cell in _cells(_sheet(wb, action), action):
                cell.fill = PatternFill("solid", start_color=color, end_color=color)
        elif func == "setRangeColors":
            ws = _sheet(wb, action)
            for r, row in enumerate(action["args"][0]):
                for c, color in enumerate(row):
                    if color != "keep":
                        color = color.lstrip("#").upper()
                        ws.cell(action["start_row"] + r + 1, action["start_column"] + c + 1).fill = \
                            PatternFill("solid", start_color=color, end_color=color)
        elif func == "setSheetName":
            ws = _sheet(wb, action)
            old, ws.title = ws.title, action["args"][0]
            _rename_in_names(wb, old, ws.title)
        elif func == "addSheet":
            index, name = action["args"]
            wb.create_sheet(name, index)
        elif func == "sheetDelete":
            wb.remove(_sheet(wb, action))
        elif func == "namesAdd":
            name, refers_to = action["args"]
            wb.defined_names[name] = DefinedName(name, attr_text=refers_to.lstrip("="))
        elif func in ("rangeInsert", "rangeDelete"):
            assert action["column_count"] == MAX_COLUMNS, "only whole rows are inserted or deleted"
            ws = _sheet(wb, action)
            shift = action["args"][0]
            if func == "rangeInsert":
                assert shift == "down"
                ws.insert_rows(action["start_row"] + 1, action["row_count"])
            else:
                assert shift == "up"
                ws.delete_rows(action["start_row"] + 1, action["row_count"])
        elif func == "alert":
            log["alerts"].append(action["args"])
        else:
            raise AssertionError(f"the replayer does not know {func}")
    wb.save(dst)
    return log


def fill(ws, row: int, col: int, value: Any) -> None:
    """Type a value into a cell of an openpyxl sheet (1-based), as an auditor would."""
    ws.cell(row, col).value = value


def column_letter(col: int) -> str:
    return get_column_letter(col)


# --- an auditor at work -------------------------------------------------------------------------
def _put(ws, a1: str, value: Any, text: bool = False) -> None:
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    col, row = coordinate_from_string(a1)
    cell = ws.cell(row, column_index_from_string(col))
    cell.value = value
    if text and isinstance(value, str):
        cell.data_type = "s"  # typed text stays text, even "=SUM(A1)"


def type_audit(src: Path, dst: Path, audit: Any, catalog: Any, lang: str, raw: dict[tuple[str, str], str] | None = None) -> None:
    """Type `audit` into the workbook at src as an auditor would (labels in `lang`), saving dst.

    `raw` types text as is into (role or 'questionnaire', item) input cells, e.g. an answer that is
    not on the scale.
    """
    from spi4xl.ui import ui
    from spi4xl.workbook import layout as L
    from spi4xl.workbook.read import read_workbook

    read = read_workbook(src)
    wb = openpyxl.load_workbook(src)
    q = wb[read.sheets["questionnaire"]]
    ids = {c.value: c.column for c in q[1] if isinstance(c.value, str)}
    ids[L.QUESTIONNAIRE.columns[0].id] = 1
    row_of = {code: int(re.sub(r"\D", "", a1)) for (role, code), a1 in read.cells.items() if role == "questionnaire"}

    def q_cell(code: str, column: str) -> str:
        return f"{get_column_letter(ids[column])}{row_of[code]}"

    for code, answer in audit.answers.items():
        scale = getattr(catalog.node(code), "scale")
        _put(q, q_cell(code, "answer"), catalog.answer_label(scale, answer, lang), True)
    for column, values in (("comment", audit.comments), ("flag", audit.flags)):
        for code, text in values.items():
            _put(q, q_cell(code, column), text, True)
    for code, evidence in audit.evidence.items():
        _put(q, q_cell(code, "evidence"), catalog.text(f"evidence.{evidence}", "name", lang), True)
    org = wb[read.sheets["organization"]]
    fields = {f.id: f for f in catalog.org_fields}
    for fid, value in audit.org.items():
        if fields[fid].type == "choice":
            value = catalog.text(f"org.{fid}.{value}", "label", lang)
        _put(org, read.cells[("organization", fid)], value, True)
    start = wb[read.sheets["start"]]
    for key, value in audit.metadata.items():
        if key == "assessment_type":
            value = ui(f"assessment.{value}", lang)
        _put(start, read.cells[("start", key)], value, True)
    for (role, item), text in (raw or {}).items():
        sheet = {"questionnaire": q, "organization": org, "start": start}[role]
        _put(sheet, read.cells[(role, item)], text, True)
    if audit.plan:
        _type_plan(wb[read.sheets["plan"]], audit.plan, lang)
    wb.save(dst)


def _type_plan(ws, plan: dict, lang: str) -> None:
    """The action plan's columns, by indicator code (a status by its name in `lang`)."""
    from spi4xl.audit import PLAN_STATUSES
    from spi4xl.ui import ui

    ids = {c.value: c.column for c in ws[1] if isinstance(c.value, str)}
    rows = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    for code, entry in plan.items():
        for column, value in entry.items():
            if column == "status" and value in PLAN_STATUSES:
                value = ui(f"plan_status.{value}", lang)
            _put(ws, f"{get_column_letter(ids[column])}{rows[code]}", value, True)


def set_settings(src: Path, dst: Path, **values: str) -> None:
    """Change settings-sheet values (language, profile, modules) as an auditor picks them."""
    from spi4xl.workbook.read import read_workbook

    read = read_workbook(src)
    wb = openpyxl.load_workbook(src)
    ws = wb[read.sheets["settings"]]
    for row in ws.iter_rows():
        if row[0].value in values:
            row[2].value = values[row[0].value]
    wb.save(dst)


def role_sheet(path: Path, role: str) -> tuple[str, list[list[Any]]]:
    """(name, rows from A1) of the sheet carrying the spi4xl:<role> marker (cached values)."""
    found = role_table(path, role)
    return found.name, found.rows


def table(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """Data rows of a sheet's values as {column id: value}, columns found by the contract's parser."""
    found = L.find_table("", rows)
    if found is None:
        raise AssertionError("no spi4xl marker")
    return found.records()


def fills(path: Path, sheet: str) -> dict[str, str]:
    """A1 -> solid fill colour (#RRGGBB) of every cell of a sheet that has one."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for row in wb[sheet].iter_rows():
        for cell in row:
            fill = cell.fill
            if fill is not None and fill.fill_type == "solid" and isinstance(fill.start_color.rgb, str):
                out[cell.coordinate] = "#" + fill.start_color.rgb[-6:].upper()
    return out
