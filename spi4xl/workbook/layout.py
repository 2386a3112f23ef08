"""The workbook contract, declared once: sheet roles, marker rows, column ids and defined names.

Every sheet spi4xl writes starts with a hidden *key row*: its first cell is the role marker
(`spi4xl:questionnaire`) and the other cells name the columns. Readers look for that row and
those names, so renamed sheets, moved columns, inserted rows and sorted tables still read, and
rows are found by code, never by position. Formulas reference columns through defined names.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from spi4xl.records import MutableRecord, Record, record

MARKER_PREFIX = "spi4xl:"
MARKER_SCAN_ROWS = 30  # a marker row may move down when an auditor inserts rows above it
FIRST_DATA_ROW = 2  # 0-based: key row, header row, then data
ROW_LIMIT = 2000  # defined-name ranges reach this row so inserted rows stay inside them


@record
class Column(Record):
    """A column of a sheet's table: its id, visible header, width and defined name."""

    id: str
    header: str | None  # UI key of the visible header; None for hidden helper columns
    width: float = 10
    name: str | None = None  # defined name over the column, for formulas
    input: bool = False  # an auditor types here: unlocked when the sheet is protected


@record
class SheetRole(Record):
    """A sheet of the workbook by its role, whatever an auditor renames it to."""

    role: str
    title_key: str  # UI key of the sheet name
    columns: tuple[Column, ...] = ()
    keyed: bool = True  # the key row names the columns; False: key/value sheets laid out as declared

    @property
    def marker(self) -> str:
        return MARKER_PREFIX + self.role

    def col(self, column_id: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.id == column_id)

    @property
    def data_offset(self) -> int:
        """Rows from the key row to the first data row: a header row under tables, none on key/value sheets."""
        return 2 if self.keyed and self.columns else 1


def _cols(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


# The first column of each table is the marker column: its key-row cell holds the role marker.
QUESTIONNAIRE = SheetRole("questionnaire", "sheet.questionnaire", _cols(
    ("code", "col.code", 11, "q_code"),
    ("text", "col.text", 60),
    ("guidance", "col.guidance", 45),
    ("answer", "col.answer", 14, "q_answer", True),
    ("comment", "col.comment", 40, "q_comment", True),
    ("evidence", "col.evidence", 16, "q_evidence", True),
    ("flag", "col.flag", 12, None, True),
    ("score", "col.score", 9),
    ("department", "col.department", 18),
    ("principles", "col.principles", 11),
    ("alinus", "col.alinus", 8),
    ("module", "col.module", 12),
    ("mandatory", "col.mandatory", 11),
    # hidden helpers: static facts of the row, then formulas that score it
    ("level", None, 8, "q_level"),
    ("parent", None, 8, "q_parent"),
    ("dimension", None, 4, "q_dim"),
    ("standard", None, 4, "q_std"),
    ("practice", None, 6, "q_ep"),
    ("scale", None, 6, "q_scale"),
    ("fingerprint", None, 10),
    ("unit", None, 4, "q_unit"),  # 1: an indicator counted in dimension/standard/overall scores
    ("indicator", None, 4, "q_ind"),  # 1: an indicator row
    ("alinus01", None, 4, "q_alinus"),
    ("module_code", None, 8, "q_module"),
    *((f"cp{n}", None, 4, f"q_cp{n}") for n in range(1, 8)),
    ("match", None, 4),  # row of the answer in the lists' answer table, 0 when not understood
    # detail rows: their own result, which checklist indicators aggregate (separate columns, no cycles)
    ("ddone", None, 4, "q_ddone"),
    ("dna", None, 4, "q_dna"),
    ("dscored", None, 4, "q_dscored"),
    ("dvalue", None, 4, "q_dvalue"),
    # indicator rows: what the Results sheet aggregates
    ("done", None, 4, "q_done"),  # 1: answered validly (N/A included)
    ("na", None, 4, "q_na"),  # 1: not applicable
    ("scored", None, 4, "q_scored"),  # 1: has a numeric value
    ("value", None, 6, "q_value"),  # the score of the row in [0, 1]
))

ORGANIZATION = SheetRole("organization", "sheet.organization", _cols(
    ("field", None, 4),
    ("label", "col.field", 42),
    ("value", "col.value", 18, None, True),
    ("unit", "col.unit", 16),
    ("mandatory", "col.mandatory", 11),
    ("help", "col.help", 60),
))

# Key/value sheets: the first column holds the key of each row.
START = SheetRole("start", "sheet.start", _cols(("key", None, 4), ("label", None, 28), ("value", None, 60, None, True)), False)
SETTINGS = SheetRole("settings", "sheet.settings", _cols(("key", None, 4), ("label", None, 28), ("value", None, 40, None, True)), False)

RESULTS = SheetRole("results", "sheet.results", _cols(
    ("level", None, 4, "r_level"),
    ("code", None, 10, "r_code"),  # the unit's key: a dimension, standard... code, or a module's id
    ("ref", "col.code", 10),  # the code an auditor reads (modules and the overall row go by their name)
    ("name", "level.standard", 60),
    ("score", "col.score", 10, "r_score"),
    # counts that read left to right without contradiction: N/A <= answered <= indicators, completion = answered / indicators
    ("total", "col.total", 11),
    ("answered", "col.answered", 11),
    ("na", "col.na", 11),
    ("completion", "col.completion", 11),
    ("applicable", None, 6),  # total - N/A, as in the JSON
    ("scored", None, 4),  # indicators with a value (a partly answered checklist too): the score's base
    ("parent", None, 6, "r_parent"),
    ("has", None, 4, "r_has"),
    ("short", None, 14),  # dimensions by short name: the radar's axis labels
))

FINDINGS = SheetRole("findings", "sheet.findings", _cols(
    ("finding", None, 14),  # the finding's code (answer.missing, ...), for tools
    ("severity", "col.severity", 12),  # in the workbook's language
    ("sheet", "col.sheet", 16),
    ("cell", "col.cell", 8),
    ("subject", "col.item", 24),  # an indicator's code, a field's label
    ("message", "col.message", 70),
    ("hint", "col.hint", 50),
    ("item", None, 11),  # code or field id: the cell the last Validate coloured
))

CONVERSION = SheetRole("conversion", "sheet.conversion", _cols(
    ("status", "col.status", 16),  # removed, hidden or changed, by name in the workbook's language
    ("old_code", "col.old_code", 12),
    ("new_code", "col.new_code", 12),
    ("answer", "col.answer", 14),
    ("comment", "col.comment", 40),
    ("evidence", "col.evidence", 16),
    ("flag", "col.flag", 12),
    ("message", "col.message", 60),
))

MERGE = SheetRole("merge", "sheet.merge", _cols(  # spi4xl merge: who answered what, every conflict (spi4xl.merge)
    ("status", "col.status", 18),  # added, changed, conflict: by name in the workbook's language
    ("subject", "col.item", 20),  # a code, a field's label, an audit information label
    ("what", "col.merge_what", 14),  # the column: answer, comment, evidence type, flag, value
    ("value", "col.value", 24),  # the value this row is about (a conflict: the one set aside)
    ("file", "col.file", 24),
    ("origin", "col.origin", 18),  # the department or person of that file
    ("source", "col.source_cell", 16),  # where the value is in that file
    ("rule", "col.rule", 34),
    ("other", "col.other_value", 24),  # changed: the value replaced; conflict: the value kept
    ("cell", "col.cell", 9),  # a link to the item's cell in this workbook
    # hidden: what the reader reads back, whatever the language
    ("status_code", None, 8), ("field", None, 8), ("item", None, 10), ("rule_code", None, 8),
    ("value_code", None, 10), ("other_code", None, 10),
))

PEERS = SheetRole("peers", "sheet.peers", _cols(
    ("unit", "col.unit_name", 50),
    ("code", "col.code", 10),
    ("score", "col.score", 10),
    ("peer_median", "col.peer_median", 12),
    ("peers", "col.peers", 10),
    ("percentile", "col.percentile", 12),
))

# One row per indicator in scope (and per plan typed for one outside it): live formulas say whether it is a gap
# and its priority, so the sheet stays right as answers change; the auditor sorts and filters it.
PLAN = SheetRole("plan", "sheet.plan", _cols(
    ("code", "col.code", 9),
    ("gap", "col.gap", 13),
    ("priority", "col.priority", 9),
    ("std_score", "col.std_score", 10),
    ("text", "col.text", 46),
    ("practice", "level.practice", 10),
    ("standard", "level.standard", 9),
    ("principles", "col.principles", 11),
    ("alinus", "col.alinus", 8),
    ("department", "col.department", 16),
    ("action", "col.action", 40, None, True),
    ("owner", "col.owner", 16, None, True),
    ("due", "col.due", 12, None, True),
    ("status", "col.status", 14, None, True),
    ("comment", "col.plan_comment", 30, None, True),
    # hidden helpers
    ("match", None, 4),  # the indicator's row in the questionnaire's named columns, 0 when not there
    ("state", None, 4),  # 1 met, 2 N/A, 3 partial, 4 not met, 5 unanswered (spi4xl.plan.STATES), 0 out of scope
    ("protects", None, 4),  # 1: a client-protection or ALINUS indicator
))

DASHBOARD = SheetRole("dashboard", "sheet.dashboard")
LISTS = SheetRole("lists", "sheet.lists")

ROLES = {r.role: r for r in (START, ORGANIZATION, QUESTIONNAIRE, RESULTS, DASHBOARD, FINDINGS, PLAN, CONVERSION, MERGE, PEERS,
                                  SETTINGS, LISTS)}

# Keys of the settings sheet (machine-readable facts about the workbook) and their defined names.
SETTINGS_KEYS = ("language", "edition", "catalog_version", "content_hash", "profile", "modules",
                 "departments", "audit_id", "origin", "created", "updated")  # the last five: spi4xl.identity
SETTING_NAME = {key: f"set_{key}" for key in SETTINGS_KEYS}

# Levels written in the questionnaire's hidden `level` column.
LEVELS = ("dimension", "standard", "practice", "indicator", "detail")


# --- reading the contract back ------------------------------------------------------------------
# Excel's error values: python-calamine gives an error cell as empty, while xlwings' clients send its text, which
# the adapter (spi4xl.xl.adapter.sheet_values) turns into empty; a text cell that reads the same is what an auditor
# typed, kept by every reader of files.
EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"))


def normalise(value: Any) -> Any:
    """A cell as every reader compares it: integral floats as ints, midnight datetimes as dates, '' as None."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if value == "":
        return None
    return value


def col_name(col: int) -> str:
    """Column letters of a 0-based index (0 -> A, 26 -> AA), as XlsxWriter's xl_col_to_name: reading a
    workbook does not import XlsxWriter."""
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def column_letters(columns: Mapping[str, int]) -> dict[str, str]:
    """Column id -> its letters, for writers that name many cells of a table's columns."""
    return {cid: col_name(c) for cid, c in columns.items()}


def cell_name(row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    """A1 text of a 0-based (row, col), '$' on the absolute parts (XlsxWriter's xl_rowcol_to_cell, without it)."""
    return f"{'$' if col_abs else ''}{col_name(col)}{'$' if row_abs else ''}{row + 1}"


_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def parse_cell(a1: str) -> tuple[int, int]:
    """0-based (row, col) of an A1 reference such as 'C7' or '$C$7' (XlsxWriter's xl_cell_to_rowcol)."""
    match = _A1.match(a1.strip())
    if match is None:
        raise ValueError(f"not a cell reference: {a1!r}")
    col = 0
    for letter in match[1].upper():
        col = col * 26 + ord(letter) - 64
    return int(match[2]) - 1, col - 1


def row_value(values: list[Any], c: int | None) -> Any:
    """The normalised value of column c of one row's values; None past its end."""
    if c is None or c >= len(values):
        return None
    return normalise(values[c])


def column(rows: list[list[Any]], c: int | None, start: int = 0) -> list[Any]:
    """The normalised values of column c of rows[start:] (None where a row is shorter): a whole column in one
    pass, its texts (most cells) kept without a call."""
    if c is None:
        return [None] * max(0, len(rows) - start)
    return [v if (v := row[c] if c < len(row) else None).__class__ is str and v
            else None if v is None or v == "" else normalise(v) for row in rows[start:]]


def cell(rows: list[list[Any]], r: int, c: int | None) -> Any:
    """The normalised value at (r, c) of sheet values from A1; None outside them."""
    return row_value(rows[r], c) if r < len(rows) else None


@record(frozen=False)
class Table(MutableRecord):
    """A sheet found by its marker: its values from A1, where its key row is, and where each column id is."""

    role: SheetRole
    name: str
    rows: list[list[Any]]
    key_row: int
    columns: dict[str, int]

    @property
    def first_row(self) -> int:
        """0-based index of the first data row (rows may have been inserted above the key row)."""
        return self.key_row + self.role.data_offset

    def value(self, r: int, column: str) -> Any:
        return cell(self.rows, r, self.columns.get(column))

    def address(self, r: int, column: str) -> str:
        return f"{col_name(self.columns[column])}{r + 1}"

    def missing(self) -> list[str]:
        """Declared column ids the key row no longer names (edited key row, deleted columns)."""
        return [c.id for c in self.role.columns if c.id not in self.columns]

    def records(self) -> list[dict[str, Any]]:
        """The data rows as {column id: normalised value}."""
        return [{cid: cell(self.rows, r, c) for cid, c in self.columns.items()} for r in range(self.first_row, len(self.rows))]


def find_table(name: str, rows: list[list[Any]]) -> Table | None:
    """The role-marked table of one sheet's values, or None when no known marker is in its first rows.

    The marker cell names the table's first column; on keyed sheets the other cells of the key row
    name theirs, on key/value sheets the columns follow the declared order from the marker on.
    """
    for r, row in enumerate(rows[:MARKER_SCAN_ROWS]):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith(MARKER_PREFIX) and value[len(MARKER_PREFIX):] in ROLES:
                role = ROLES[value[len(MARKER_PREFIX):]]
                if role.keyed:
                    columns = {v: i for i, v in enumerate(row) if isinstance(v, str) and not v.startswith(MARKER_PREFIX)}
                    if role.columns:
                        columns[role.columns[0].id] = c
                else:
                    columns = {col.id: c + i for i, col in enumerate(role.columns)}
                return Table(role, name, rows, r, columns)
    return None


def find_tables(sheets: Mapping[str, list[list[Any]]], roles: Iterable[str] | None = None, *,
                later: Iterable[str] = (), required: Iterable[str] = ()) -> dict[str, list[Table]]:
    """Every role-marked table of a workbook's sheet values (from a file, an xlwings book or a test),
    by role, in sheet order (more than one when a sheet was copied: the caller decides what that means).

    `roles`: the roles wanted (others are ignored). Sheets named in `later` are looked at only when
    a `required` role is still missing after the others, so helper sheets need not be parsed.
    """
    wanted = set(ROLES if roles is None else roles)
    later, required = set(later), set(required)
    found: dict[str, list[Table]] = {}
    first = [n for n in sheets if n not in later]
    for names in (first, [n for n in sheets if n in later]):
        if names is not first and required <= found.keys():
            break
        for name in names:
            table = find_table(name, sheets[name])
            if table is not None and table.role.role in wanted:
                found.setdefault(table.role.role, []).append(table)
    return found

# Reading bounds (spi4xl/workbook/package.py): how far a workbook may reach before it is refused unparsed.
# Room for an auditor's own rows, columns and sheets beside the contract, yet a bounded grid in memory.
READ_ROWS = 4 * ROW_LIMIT
READ_COLUMNS = 4 * max(len(r.columns) for r in ROLES.values())
READ_CELLS = READ_ROWS * READ_COLUMNS  # cells parsed in one workbook, all sheets together
READ_SHEETS = 4 * len(ROLES)
READ_PARTS = 16 * READ_SHEETS  # files inside the zip: a sheet brings its relationships, drawings, comments...
READ_XML_BYTES = 64 * 2**20  # XML inflated from one workbook, all parts together
