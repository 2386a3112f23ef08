"""The workbook's three buttons for any xlwings engine: `populate(book)`, `validate(book)`, `score(book)`.

Each function takes an `xlwings.Book`: the desktop engine (COM on Windows, AppleScript on macOS,
through the .xlsm's RunPython buttons) or the remote engine behind xlwings Server
(`xw.Book(json=payload)`, for the Office.js add-in and xlwings' VBA client). Only the plain
xlwings API is used, so the same code serves both.

How they work:
- Read: every sheet's values from A1 (formula cells give their last computed value), then the same
  `read_values` as the command line: sheets by role marker, columns by id, rows by code.
- Compute: the command line's pure code (`validate`, `score`, findings located like `spi4xl validate`).
- Write: what the renderer would write (spi4xl.xl.grid records it), one 2-D block per sheet (a few
  around merged cells), text protected from Excel's conversions. Rows are inserted or deleted where
  indicators appear or go (so the formats, validations and names of the rows that stay move with
  them; new rows take the formats of the row above), sheets renamed when the language changes,
  defined names redefined when their range changed, findings coloured with whole-cell fills, and
  one alert. With the remote engine every write is one queued action; for clients other than
  Office.js only the 37 action kinds xlwings' VBA client replays are used (`VBA_ACTIONS`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import marshal
import re
from contextvars import ContextVar
from itertools import compress, repeat
from math import isnan
from operator import is_
from pathlib import Path
from dataclasses import field
from typing import Any, Iterable

from spi4xl.audit import as_text
from spi4xl.errors import Spi4xlError
from spi4xl.findings import Finding, count_by_severity, counts_line, located
from spi4xl.scoring import Scores, UnitScore
from spi4xl.scoring import score as score_audit
from spi4xl.ui import LANGUAGES, ui, ui_all
from spi4xl.validation import validate as validate_audit
from spi4xl.workbook import layout as L
from spi4xl.workbook.formats import INPUT_FILL, LEVEL_FILLS, SEVERITY_FILLS
from spi4xl.merge import STATUSES
from spi4xl.merge import merge as merge_audits
from spi4xl.records import MutableRecord, record
from spi4xl.workbook.read import ReadResult, find_role_tables, learn_percent_formats, merge_source, read_tables, read_workbook
from spi4xl.workbook.render import ConversionEntry, fingerprint
from spi4xl.workbook.names import modules_name, parse_status, profile_name
from spi4xl.xl.grid import ROLES, Formula, Grid, Rendered, render_grids

# What xlwings' own VBA and Office Scripts clients can replay (see xlwings' Remote.bas).
VBA_ACTIONS = frozenset({
    "setValues", "rangeClearContents", "rangeClearFormats", "rangeClear", "addSheet", "setSheetName",
    "setAutofit", "setRangeColor", "activateSheet", "addHyperlink", "setNumberFormat", "setPictureName",
    "setPictureHeight", "setPictureWidth", "deletePicture", "addPicture", "updatePicture", "alert",
    "setRangeName", "namesAdd", "nameDelete", "runMacro", "rangeDelete", "rangeInsert", "rangeSelect",
    "addTable", "setTableName", "resizeTable", "showAutofilterTable", "showHeadersTable", "showTotalsTable",
    "setTableStyle", "copyRange", "sheetDelete", "sheetClear", "sheetClearContents", "sheetClearFormats",
})

LOCKED_FILL = "#EDEDED"  # a checklist indicator's answer cell (Formats.locked_grey)
READ_ROLES = ("start", "organization", "questionnaire", "settings", "conversion", "plan")
# The sheets each job reads or writes: the server asks clients for these sheets only. Score leaves out the action
# plan: nothing on it changes a score (its due dates and notes are read for Populate, Validate and the report).
JOB_ROLES = {
    "populate": ROLES,
    "validate": (*READ_ROLES, "findings"),
    "score": (*(r for r in READ_ROLES if r != "plan"), "results", "dashboard"),
}
ROW_KEYS = {"questionnaire": ("code",), "results": ("level", "code"), "plan": ("code",)}  # rows matched by these columns
INPUT_ROLES = ("start", "organization", "questionnaire", "settings", "plan")  # sheets holding what auditors type
CONF_SHEET = "xlwings.conf"
OFFICE_JS = "Office.js"


def sheet_names_for(roles: Iterable[str]) -> list[str]:
    """Every name the sheets of these roles take in any interface language (for `include` lists)."""
    names: list[str] = []
    for role in roles:
        for name in ui_all(L.ROLES[role].title_key).values():
            if name not in names:
                names.append(name)
    return names


@record(frozen=False)
class Report(MutableRecord):
    """What a job did: for the alert, the server's log and the tests."""

    job: str
    title: str
    message: str
    scores: Scores | None = None
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    path: Any = None  # the file a job wrote (report)


# --- reading ------------------------------------------------------------------------------------
@record(frozen=False)
class Live(MutableRecord):
    """The book as it was when the button was clicked."""

    book: Any
    values: dict[str, list[list[Any]]]  # sheet name -> rows from A1 (normalise cells before comparing)
    tables: dict[str, L.Table]  # role -> its table as the book was read
    roles: dict[str, str]  # role -> sheet name, kept current as sheets are added and renamed
    read: ReadResult


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def _iso(value: str) -> Any:
    """An ISO date-time string as clients send dates ('2016-12-31T00:00:00.000Z'): a datetime; other text as is."""
    if not _ISO.match(value):
        return value
    return dt.datetime.fromisoformat(value[:-1] if value.endswith("Z") else value).replace(tzinfo=None)


_ISO_BYTES = re.compile(rb"-\d\d-\d\dT")  # in the bytes of every text _ISO matches
_ERROR_BYTES = re.compile(b"|".join(re.escape(e.encode()) for e in sorted(L.EXCEL_ERRORS)))
_ASCII_ESCAPE = re.compile(rb"\\u00[2-7]|\\/")  # JSON may escape any character: an escaped letter, digit, dash, slash
# True while a job runs on a payload whose JSON text holds no ISO date text and no error value (`json_is_plain`,
# checked by the server on the request's body): then every sheet is used as sent.
PLAIN_PAYLOAD = ContextVar("spi4xl_plain_payload", default=False)


def json_is_plain(body: bytes) -> bool:
    """Whether JSON text surely holds no ISO date-time text and no Excel error value in a string."""
    # the error names all start with "#", the escapes with a backslash: a byte search (memchr) spares most regex scans
    return not (_ISO_BYTES.search(body) or (b"#" in body and _ERROR_BYTES.search(body))
                or ((b"\\u00" in body or b"\\/" in body) and _ASCII_ESCAPE.search(body)))


def _cleaned(rows: list[list[Any]]) -> list[list[Any]]:
    """The payload's rows with ISO date-time texts as datetimes and error values (#N/A, ...: the clients send an
    error cell as its text) as empty, as a file reads; the rows themselves when neither can be there, found by one
    search over their marshal bytes (texts in UTF-8, numbers in binary: at worst a false hit), which costs half of
    testing every cell: on a full questionnaire that costs more than scoring it."""
    if PLAIN_PAYLOAD.get():
        return rows
    try:
        data = marshal.dumps(rows)
    except ValueError:  # not JSON values: test every cell
        dates = errors = True
    else:
        dates, errors = _ISO_BYTES.search(data) is not None, _ERROR_BYTES.search(data) is not None
    if not (dates or errors):
        return rows
    return [[v if v.__class__ is not str else None if errors and v in L.EXCEL_ERRORS
             else _iso(v) if dates and len(v) >= 19 and v[10] == "T" else v for v in row] for row in rows]


def sheet_values(sheet: Any) -> list[list[Any]]:
    """A sheet's values from A1 to its last used cell, as `read_values` expects them.

    The remote engine holds exactly that in its payload (A1 to the last used cell, formula cells
    with their values): it is taken as is, dates turned back from ISO text, and the reader
    normalises the cells it reads ('' as empty, 1.0 as 1). Other engines go through Range.value.
    """
    api = getattr(sheet, "api", None)
    if isinstance(api, dict) and isinstance(api.get("values"), list):
        rows = _cleaned(api["values"])
        return [] if rows in ([], [[]]) else rows
    last = sheet.used_range.last_cell
    rows = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    out = [[None if v.__class__ is str and v in L.EXCEL_ERRORS else L.normalise(v) for v in row] for row in rows]
    if len(out) == 1 and all(v is None for v in out[0]):
        return []
    return out


def number_formats(sheet: Any, addresses: Iterable[str]) -> dict[str, str]:
    """The number format of these cells of a live sheet; {} when the engine cannot tell (the remote engine's
    payload holds values only: percent fields are then judged by the size of their value, as without a file)."""
    out = {}
    for address in addresses:
        try:
            code = sheet.range(address).number_format
        except NotImplementedError:
            return {}
        if isinstance(code, str):
            out[address] = code
    return out


def snapshot(book: Any) -> Live:
    """The book's values and what they read as; a Settings value the reader could not use stops every button."""
    values = {sheet.name: sheet_values(sheet) for sheet in book.sheets if sheet.name != CONF_SHEET}
    tables = find_role_tables(values, book.name, roles=L.ROLES)
    read = read_tables(tables, book.name)
    if read.percent_cells:
        learn_percent_formats(read, number_formats(book.sheets[read.sheets["organization"]], read.percent_cells.values()))
    for f in read.findings:
        if f.code == "settings.invalid":
            raise Spi4xlError("settings.invalid", cell=f"{read.sheets['settings']}!{f.cell}", item=f.item,
                              raw=f.values["raw"], allowed=f.values["allowed"])
    return Live(book, values, tables, {role: t.name for role, t in tables.items()}, read)


# --- writing ------------------------------------------------------------------------------------
def _layout_matches(old: list[list[Any]], grid: Grid) -> bool:
    """The live sheet starts like the rendered one: marker at A1 and, for tables, the same key row."""
    if not old or not old[0] or L.cell(old, 0, 0) != grid.rows[0][0]:
        return False
    if L.ROLES[grid.role].keyed and L.ROLES[grid.role].columns:
        width = len(L.ROLES[grid.role].columns)
        return [L.cell(old, 0, c) for c in range(width)] == [L.cell(grid.rows, 0, c) for c in range(width)]
    return True


def _keys(rows: list[list[Any]], cols: list[int]) -> list[tuple[str, ...]]:
    columns = [[as_text(v).strip() for v in L.column(rows, c, L.FIRST_DATA_ROW)] for c in cols]
    return list(zip(*columns))


def _align_rows(sheet: Any, old: list[list[Any]], grid: Grid) -> int:
    """Insert and delete whole rows so the live rows line up with the rendered ones; returns the new height.

    Matching is by code (results: level and code), so rows that stay keep their formats, data
    validation and place in the defined names, and new rows take the format of the row above.
    Changes are applied from the bottom up so earlier row numbers stay valid.
    """
    spec = L.ROLES[grid.role]
    cols = [spec.col(c) for c in ROW_KEYS[grid.role]]
    a, b = _keys(old, cols), grid.memo(("keys", *cols), lambda: _keys(grid.rows, cols))
    if a == b:
        return len(old)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        n_old, n_new = i2 - i1, j2 - j1
        if tag == "equal" or n_old == n_new:
            continue
        if n_new > n_old:
            first = L.FIRST_DATA_ROW + i2 + 1  # 1-based row where the extra rows go
            sheet.range(f"{first}:{first + n_new - n_old - 1}").insert("down", copy_origin="format_from_left_or_above")
        else:
            first = L.FIRST_DATA_ROW + i1 + n_new + 1
            sheet.range(f"{first}:{first + n_old - n_new - 1}").delete("up")
    return L.FIRST_DATA_ROW + len(b)


def _unique_name(live: Live, wanted: str) -> str:
    taken = {s.name.casefold() for s in live.book.sheets}
    name, n = wanted, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = wanted[: 31 - len(suffix)] + suffix, n + 1
    return name


def write_sheet(live: Live, grid: Grid) -> None:
    """Make the live sheet of `grid.role` hold the grid: add it if missing, align rows, clear leftovers, write."""
    book = live.book
    block = grid.rows
    name = live.roles.get(grid.role)
    if name is None:
        sheets = book.sheets
        sheet = sheets.add(name=_unique_name(live, grid.name), after=sheets[len(sheets) - 1])
        live.roles[grid.role], live.values[sheet.name] = sheet.name, []
        _write_blocks(sheet, grid)
        return
    sheet = book.sheets[name]
    old = live.values.get(name, [])
    width = max([len(block[0]) if block else 0] + [len(row) for row in old])
    if not _layout_matches(old, grid):
        if grid.role in INPUT_ROLES:
            raise Spi4xlError("xl.layout_changed", sheet=name)
        if old:
            sheet.range((1, 1), (len(old), width)).clear_contents()
        height = 0
    elif grid.role in ROW_KEYS:
        height = _align_rows(sheet, old, grid)
    else:
        height = len(old)
    if height > len(block):
        sheet.range((len(block) + 1, 1), (height, width)).clear_contents()
    _write_blocks(sheet, grid)


_PLAIN = frozenset((str, Formula, int, float, bool, type(None)))  # values the remote engine sends as they are


def _write_blocks(sheet: Any, grid: Grid) -> None:
    """The grid as few rectangular writes as its merged ranges allow (one for most sheets).

    On the remote engine a block of plain values (texts, numbers, no dates) is handed over as the engine's
    conversion would leave it (empty cells as "") through `Range.raw_value`, which skips that per-cell
    conversion: the same action for less time. Other blocks and engines go through `Range.value`."""
    remote = isinstance(getattr(sheet, "api", None), dict)
    raw_blocks = grid.memo("raw", lambda: [_raw_block(values) for _, _, values in grid.written]) if remote else ()
    for i, (row, col, values) in enumerate(grid.written):
        if remote and (raw := raw_blocks[i]) is not None:
            sheet.range((row + 1, col + 1), (row + len(values), col + len(values[0]))).raw_value = raw
        else:
            sheet.range((row + 1, col + 1)).value = values


def _raw_block(values: list[list[Any]]) -> list[list[Any]] | None:
    """The block as the remote engine's conversion leaves plain values (None as ""); None when a value needs that
    conversion (a date, NaN, another type)."""
    out = []
    for line in values:
        kinds = list(map(type, line))
        if not _PLAIN.issuperset(kinds) or any(map(isnan, compress(line, map(is_, kinds, repeat(float))))):
            return None
        out.append(["" if v is None else v for v in line])
    return out if out and out[0] else None


def rename_sheets(live: Live, wanted: dict[str, str]) -> None:
    """Give each role's sheet the name the renderer chose (another language); clashes are avoided."""
    plan = {role: new for role, new in wanted.items()
            if role in live.roles and live.roles[role] != new}
    if not plan:
        return
    moving = {live.roles[role].casefold() for role in plan}
    staying = {s.name.casefold() for s in live.book.sheets} - moving
    plan = {role: new for role, new in plan.items() if new.casefold() not in staying}  # never take a sheet's name
    targets = {new.casefold() for new in plan.values()}
    temporary = {}
    for i, role in enumerate(plan):  # a swap of names: park the sheet under a temporary name first
        if live.roles[role].casefold() in targets:
            temporary[role] = f"spi4xl~{i}"
    for role, name in list(temporary.items()) + list(plan.items()):
        old = live.roles[role]
        live.book.sheets[old].name = name
        live.values[name] = live.values.pop(old)
        live.roles[role] = name


def sync_names(live: Live, rendered: Rendered) -> None:
    """Redefine the defined names whose range changed (e.g. the results table grew)."""
    current = _current_names(live.book, rendered.names)
    rendered_role = {grid.name: role for role, grid in rendered.sheets.items()}
    for name, (sheet_name, address) in rendered.names.items():
        live_sheet = live.roles.get(rendered_role.get(sheet_name, ""), sheet_name)
        if current.get(name) != (live_sheet, address):
            quoted = live_sheet.replace("'", "''")
            live.book.names.add(name, f"='{quoted}'!{address}")


def _current_names(book: Any, wanted: Iterable[str]) -> dict[str, tuple[str, str] | None]:
    """(sheet, address) each name of `wanted` the book defines refers to; None when it is not one range (#REF!,
    a constant, several areas). On the remote engine they are looked up in the payload's list of book names,
    without the xlwings object per name of the book (a hundred) that iterating `book.names` makes."""
    wanted = set(wanted)
    api = getattr(book, "api", None)
    if isinstance(api, dict) and isinstance(api.get("names"), list):
        found = [(e["name"], lambda e=e: book.sheets[e["sheet_index"]].range(e["address"]))
                 for e in api["names"] if e.get("book_scope") and e.get("name") in wanted]
    else:
        found = [(n.name, lambda n=n: n.refers_to_range) for n in book.names if n.name in wanted]
    current: dict[str, tuple[str, str] | None] = {}
    for name, refers_to in found:
        try:
            rng = refers_to()
            current[name] = (rng.sheet.name, rng.address)
        except Exception:  # noqa: BLE001 - #REF!, constants, multi-area: all get redefined
            current[name] = None
    return current


def client(book: Any) -> str | None:
    """The xlwings client behind a remote-engine book ("VBA", "Office.js", ...); None on the desktop engine."""
    api = getattr(book, "api", None)
    return api.get("client") if isinstance(api, dict) else None


def colour(live: Live, fills: dict[tuple[str, int, int], str]) -> None:
    """Fill cells (sheet, row, col; 0-based) with colours.

    Office.js clients take a whole column's colours in one action (cells left as they are marked
    `...`); the other clients only know one colour per range, so each run of consecutive rows of
    one colour is one action.
    """
    by_column: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for (sheet, row, col), fill in fills.items():
        by_column.setdefault((sheet, col), []).append((row, fill))
    matrix = client(live.book) == OFFICE_JS
    for (sheet_name, col), cells in sorted(by_column.items()):
        sheet = live.book.sheets[sheet_name]
        cells.sort()
        top, bottom = cells[0][0], cells[-1][0]
        if matrix and len(cells) > 1 and bottom - top < 10_000:
            wanted = dict(cells)
            sheet.range((top + 1, col + 1), (bottom + 1, col + 1)).set_colors(
                [[wanted.get(r, ...)] for r in range(top, bottom + 1)])
            continue
        start, (prev, fill) = cells[0][0], cells[0]
        for row, value in [*cells[1:], (None, None)]:
            if row is not None and row == prev + 1 and value == fill:
                prev = row
                continue
            sheet.range((start + 1, col + 1), (prev + 1, col + 1)).color = fill
            if row is not None:
                start, prev, fill = row, row, value


def _base_fill(live_or_grid_rows: list[list[Any]], role: str, row: int, catalog: Any) -> str:
    """The fill a rendered workbook gives the input cell of this row when nothing is highlighted."""
    if role != "questionnaire":
        return INPUT_FILL
    spec = L.QUESTIONNAIRE
    level = L.cell(live_or_grid_rows, row, spec.col("level"))
    if level in LEVEL_FILLS:
        return LEVEL_FILLS[level]
    code = as_text(L.cell(live_or_grid_rows, row, spec.col("code"))).strip()
    node = catalog.node(code)
    if level == "indicator" and getattr(node, "is_checklist", False):
        return LOCKED_FILL
    return INPUT_FILL


def previous_highlights(live: Live) -> set[tuple[str, str]]:
    """(role, item) of every finding listed on the findings sheet: the cells the last Validate coloured."""
    table = live.tables.get("findings")
    if table is None:
        return set()
    role_of = {n: role for role in INPUT_ROLES for n in ui_all(L.ROLES[role].title_key).values()}
    role_of.update({n: role for role, n in live.roles.items()})
    out = set()
    for row in table.records():
        sheet, item = row.get("sheet"), as_text(row.get("item")).strip()
        if role_of.get(sheet) in INPUT_ROLES and item:
            out.add((role_of[sheet], item))
    return out


def _address(cells: dict[tuple[str, str], str], key: tuple[str, str]) -> tuple[int, int] | None:
    a1 = cells.get(key)
    return L.parse_cell(a1) if a1 else None


def book_language(book: Any) -> str | None:
    """The language on the settings sheet (marker in A1), for the words of an error; None when not found.

    Used when a job stops, maybe before the workbook could be read: a failure here hides nothing.
    """
    try:
        sheet = next((s for s in book.sheets if s.name != CONF_SHEET and s["A1"].value == L.SETTINGS.marker), None)
        if sheet is None:
            return None
        rows = sheet_values(sheet)  # laid out as declared from A1: key and value columns
        key, value = L.SETTINGS.col("key"), L.SETTINGS.col("value")
        settings = {L.cell(rows, r, key): L.cell(rows, r, value) for r in range(1, len(rows))}
    except Exception:  # noqa: BLE001 - engines raise their own types; the error being shown matters more
        return None
    lang = as_text(settings.get("language")).strip()
    return lang if lang in LANGUAGES else None


def _alert(book: Any, report: Report, mode: str = "info") -> None:
    book.app.alert(report.message, title=report.title, buttons="ok", mode=mode)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


# --- the three jobs -----------------------------------------------------------------------------
def populate(book: Any, *, alert: bool = True) -> Report:
    """Fill or refresh every sheet from the catalog for the language, profile and modules on the settings sheet.

    Answers, comments, evidence types, flags, Organization Information and audit information are
    read first and written back as typed; answers to indicators the new scope leaves out go to the
    conversion sheet, from where the next Populate puts them back.
    """
    live = snapshot(book)
    report = refresh(live, live.read.audit, "populate")
    if alert:
        _alert(book, report)
    return report


def refresh(live: Live, audit: Any, job: str) -> Report:
    """Write `audit` into every sheet of the live book as Populate does (rows aligned by code, names kept in
    step, the last Validate's colours moved with their rows); the report's message says what it holds."""
    book, read, catalog = live.book, live.read, live.read.catalog
    previous = previous_highlights(live)
    rendered = render_grids(catalog, audit.language, audit, ROLES, conversion=_changed_entries(live))
    rename_sheets(live, {**{role: ui(L.ROLES[role].title_key, audit.language) for role in live.roles},
                         **{role: grid.name for role, grid in rendered.sheets.items()}})
    for role in ROLES:
        if role in rendered.sheets:
            write_sheet(live, rendered.sheets[role])
    for role in ("conversion", "merge"):  # sheets only some audits have
        if role in live.roles and role not in rendered.sheets:
            book.sheets[live.roles.pop(role)].delete()
    sync_names(live, rendered)
    fills = {}
    for role, item in previous:  # the last Validate's colours, at the rows' new places
        if (at := _address(rendered.cells, (role, item))) is not None:
            grid = rendered.sheets[role].rows
            fills[(live.roles[role], *at)] = _base_fill(grid, role, at[0], catalog)
    colour(live, fills)
    t = lambda key: ui(key, audit.language)  # noqa: E731
    modules, profile = modules_name(catalog, audit.modules, audit.language), profile_name(audit.profile, audit.language)
    lines = [f"{t('sheet.questionnaire')}: {len(catalog.indicators(audit.profile, audit.modules, audit.departments))}",
             f"{t('meta.language')}: {audit.language}   {t('meta.profile')}: {profile}   {t('meta.modules')}: {modules}"]
    if rendered.conversion:
        lines.append(f"{t('sheet.conversion')}: {rendered.conversion}")
    return Report(job, t(f"button.{job}"), "\n".join(lines), rendered.scores, list(read.findings))


def _changed_entries(live: Live) -> list[ConversionEntry]:
    """Review notes for the conversion sheet: the 'changed' rows already there (from spi4xl convert or an
    earlier Populate), then typed items whose wording or scale changed since the workbook was made
    (their fingerprint differs from the catalog's, the test spi4xl convert makes)."""
    out: dict[str, ConversionEntry] = {}
    table = live.tables.get("conversion")
    for row in table.records() if table is not None else ():
        if parse_status(row.get("status")) == "changed":
            text = lambda col: as_text(row.get(col))  # noqa: E731
            out.setdefault(text("old_code"), ConversionEntry(
                "changed", text("old_code"), text("new_code"), text("answer"), text("comment"), text("evidence"),
                text("flag")))
    read, catalog = live.read, live.read.catalog
    audit = read.audit
    for code in sorted(audit.typed_codes()):
        old = read.fingerprints.get(code)
        if catalog.node(code) is not None and old and old != fingerprint(catalog, code) and code not in out:
            out[code] = ConversionEntry("changed", code, code, audit.answers.get(code, ""), audit.comments.get(code, ""),
                                        audit.evidence.get(code, ""), audit.flags.get(code, ""))
    return list(out.values())


def live_findings(live: Live) -> list[Finding]:
    """What reading found and what validation finds, at their cells: Validate's sheet and the Report's list."""
    read = live.read
    return read.findings + located(validate_audit(read.audit, read.catalog), read.cells)


def validate(book: Any, *, alert: bool = True) -> Report:
    """Write the findings sheet, colour the cells concerned (and uncolour the last run's), and alert the counts."""
    live = snapshot(book)
    read, audit, catalog = live.read, live.read.audit, live.read.catalog
    findings = live_findings(live)
    previous = previous_highlights(live)
    rendered = render_grids(catalog, audit.language, audit, ("findings",), findings=findings,
                            sheet_names=dict(live.roles), cells=read.cells)
    write_sheet(live, rendered.sheets["findings"])
    severity: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.severity in SEVERITY_FILLS and severity.get((f.sheet, f.item)) != "error":
            severity[(f.sheet, f.item)] = f.severity
    fills = {}
    for role, item in previous | set(severity):
        at = _address(read.cells, (role, item))
        if at is None or role not in live.roles:
            continue
        rows = live.values[live.roles[role]]
        sev = severity.get((role, item))
        fills[(live.roles[role], *at)] = SEVERITY_FILLS[sev] if sev else _base_fill(rows, role, at[0], catalog)
    colour(live, fills)
    counts = count_by_severity(findings)
    message = f"{live.roles['findings']}: {counts_line(counts, audit.language)}"
    report = Report("validate", ui("button.validate", audit.language), message, findings=findings, counts=counts)
    if alert:
        _alert(book, report, "critical" if counts["error"] else "info")
    return report


def _units(scores: Scores) -> dict[tuple[str, str], UnitScore]:
    """Results-sheet rows (level, code) -> the Python score of that unit."""
    out = {("overall", ""): scores.overall, ("alinus", "ALINUS"): scores.alinus}
    for level, units in (("dimension", scores.dimensions), ("standard", scores.standards),
                         ("practice", scores.essential_practices), ("principle", scores.client_protection),
                         ("module", scores.modules)):
        out.update({(level, code): unit for code, unit in units.items()})
    return out


def formula_disagreements(live: Live, scores: Scores) -> int:
    """How many units the results sheet lacks or scored differently with its own formulas (last computed values)."""
    table = live.tables.get("results")
    if table is None:
        return 0
    units, seen, differ = _units(scores), set(), 0
    levels, codes, cached_scores = (L.column(table.rows, table.columns.get(k), table.first_row)
                                    for k in ("level", "code", "score"))
    for level, code, cached in zip(levels, codes, cached_scores):
        key = (as_text(level), as_text(code))
        if key not in units:
            continue
        seen.add(key)
        expected = units[key].score
        if not isinstance(cached, (int, float)) or isinstance(cached, bool):
            cached = None
        if (cached is None) != (expected is None) or (cached is not None and abs(cached - expected) > 1e-9):
            differ += 1
    return differ + len(units.keys() - seen)


def score(book: Any, *, alert: bool = True) -> Report:
    """Write the results sheet (scores by unit, as live formulas) and the dashboard figures; alert the overall score."""
    live = snapshot(book)
    audit, catalog = live.read.audit, live.read.catalog
    rendered = render_grids(catalog, audit.language, audit, ("results", "dashboard"), sheet_names=dict(live.roles))
    scores = rendered.scores
    differ = formula_disagreements(live, scores)
    for role in ("results", "dashboard"):
        write_sheet(live, rendered.sheets[role])
    sync_names(live, rendered)
    t = lambda key: ui(key, audit.language)  # noqa: E731
    overall = scores.overall
    lines = [f"{t('results.overall')}: {_pct(overall.score)}",
             t("results.provisional") if scores.provisional else t("results.final"),
             f"{t('col.answered')}: {overall.answered}/{overall.total}   "
             f"{t('questionnaire.remaining')}: {overall.total - overall.answered}"]
    if differ:
        lines.append(ui("alert.formulas_rewritten", audit.language, count=differ))
    report = Report("score", t("button.score"), "\n".join(lines), scores)
    if alert:
        _alert(book, report)
    return report


def merge(book: Any, parts: Iterable[str], *, prefer: str = "parts", alert: bool = True) -> Report:
    """Merge department files (paths) into the open audit, as `spi4xl merge` does, and add the Merge report sheet.

    A part that cannot be read is left out and named in the alert; a part of another audit or edition stops
    the merge (spi4xl.merge.check_parts)."""
    live = snapshot(book)
    sources, skipped = [], []
    for path in parts:
        try:
            sources.append(merge_source(read_workbook(path), Path(path).name))
        except Spi4xlError as exc:
            skipped.append(exc.line(live.read.audit.language))
    merged = merge_audits(merge_source(live.read, book.name), sources, prefer)
    report = refresh(live, merged.audit, "merge")
    lang = merged.audit.language
    counts = {status: sum(e.status == status for e in merged.entries) for status in STATUSES}
    lines = [ui("alert.merged", lang, parts=len(sources), sheet=live.roles.get("merge", ui("sheet.merge", lang)),
                **counts), *skipped]
    report.message = "\n".join(lines)
    if alert:
        _alert(book, report, "critical" if skipped or counts["conflict"] else "info")
    return report


def report(book: Any, *, alert: bool = True) -> Report:
    """Write the audit report (HTML, in the workbook's language) next to the workbook and say where.

    Desktop only: it needs the workbook's folder (`book.fullname`), which xlwings Server does not have, so
    it is not one of the server's JOBS. Unsaved changes are in the report: it is made from the open book.
    """
    from pathlib import Path

    from spi4xl.output import atomic_output
    from spi4xl.report.html import render_html
    from spi4xl.report.model import ReportInput

    live = snapshot(book)
    audit, catalog = live.read.audit, live.read.catalog
    findings = live_findings(live)
    source = Path(book.fullname)
    out = source.with_name(f"{source.stem}-report.html")
    page = render_html(ReportInput(catalog, audit, score_audit(audit, catalog), findings, audit.language, source.name))
    with atomic_output(out) as temp:
        temp.write_text(page, encoding="utf-8")
    result = Report("report", ui("button.report", audit.language), ui("report.written", audit.language, path=out),
                    path=out)
    if alert:
        _alert(book, result)
    return result


JOBS = {"populate": populate, "validate": validate, "score": score}
