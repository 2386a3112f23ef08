"""What the renderer writes into each cell, recorded as grids instead of an .xlsx file.

The renderer (spi4xl.workbook.render) is the one place that decides what a cell holds. Its sheet
writers are called here with a recording stand-in for XlsxWriter's Workbook: every write_* call
lands in a {(row, col): value} map, formulas are kept as `Formula` strings, and everything about
looks (formats, widths, validations, charts, protection) is ignored. The xlwings adapter then
writes these grids into a live workbook as one block per sheet.

A test renders the same audit both ways and compares every cell, so this stays in step with the
file renderer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from spi4xl.audit import Audit
from spi4xl.catalog.model import Catalog
from spi4xl.findings import Finding
from spi4xl.records import MutableRecord, record
from spi4xl.scoring import Scores, score
from spi4xl.workbook.formats import Formats
from spi4xl.workbook.layout import parse_cell
from spi4xl.workbook.render import SHEET_WRITERS, ConversionEntry, new_context, sheet_names as default_sheet_names

# Sheet roles the buttons write, in the renderer's sheet order (the peers sheet is spi4xl compare's alone).
ROLES = tuple(w.role for w in SHEET_WRITERS if w.role != "peers")

_NAME_RX = re.compile(r"^=(?:'((?:[^']|'')+)'|([^'!]+))!(\S+)$")


class Formula(str):
    """A cell formula, '=' included, in Excel's English syntax."""


def _rowcol(args: tuple) -> tuple[int, int, tuple]:
    """XlsxWriter's two calling conventions: (row, col, ...) or ("A1", ...)."""
    if args and isinstance(args[0], str):
        row, col = parse_cell(args[0])
        return row, col, args[1:]
    return args[0], args[1], args[2:]


class _Inert:
    """Accepts any call and does nothing: formats, charts, layout settings."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


class GridSheet(_Inert):
    """Records the cell contents of one worksheet."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.merged: list[tuple[int, int, int, int]] = []

    def _put(self, row: int, col: int, value: Any) -> None:
        self.cells[(row, col)] = None if value == "" else value

    def write(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        self._put(row, col, rest[0] if rest else None)  # strings stay strings, as in the renderer's workbook

    def write_string(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        self._put(row, col, str(rest[0]))

    def write_number(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        self._put(row, col, rest[0])

    def write_datetime(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        self._put(row, col, rest[0])

    def write_blank(self, *args: Any) -> None:
        row, col, _ = _rowcol(args)
        self.cells.pop((row, col), None)

    def write_formula(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        text = str(rest[0])
        self._put(row, col, Formula(text if text.startswith("=") else "=" + text))

    def write_row(self, *args: Any) -> None:
        row, col, rest = _rowcol(args)
        for i, value in enumerate(rest[0]):
            self.write(row, col + i, value)

    def write_url(self, *args: Any) -> None:
        """A link becomes a HYPERLINK formula: a value that every client can write."""
        row, col, rest = _rowcol(args)
        url = str(rest[0])
        text = rest[2] if len(rest) > 2 and rest[2] is not None else url
        target = "#" + url[len("internal:"):] if url.startswith("internal:") else url
        quote = lambda s: str(s).replace('"', '""')
        self._put(row, col, Formula(f'=HYPERLINK("{quote(target)}","{quote(text)}")'))

    def merge_range(self, first_row: int, first_col: int, last_row: int, last_col: int, data: Any, *rest: Any) -> None:
        self.merged.append((first_row, first_col, last_row, last_col))
        self.write(first_row, first_col, data)

    def rows(self) -> list[list[Any]]:
        """The sheet from A1 to its last written cell, every row as long as the widest."""
        if not self.cells:
            return []
        height = max(r for r, _ in self.cells) + 1
        width = max(c for _, c in self.cells) + 1
        grid = [[None] * width for _ in range(height)]
        for (r, c), value in self.cells.items():
            grid[r][c] = value
        return grid


class GridBook(_Inert):
    """Stands in for xlsxwriter.Workbook in the renderer's sheet writers."""

    def __init__(self) -> None:
        self.sheets: list[GridSheet] = []
        self.names: dict[str, str] = {}

    def add_worksheet(self, name: str | None = None) -> GridSheet:
        sheet = GridSheet(name or f"Sheet{len(self.sheets) + 1}")
        self.sheets.append(sheet)
        return sheet

    def worksheets(self) -> list[GridSheet]:
        return list(self.sheets)

    def define_name(self, name: str, formula: str) -> None:
        self.names[name] = formula

    def add_format(self, *args: Any, **kwargs: Any) -> _Inert:
        return _Inert()

    def add_chart(self, *args: Any, **kwargs: Any) -> _Inert:
        return _Inert()


@dataclass
class Grid:
    role: str
    name: str  # sheet name the renderer chose (the language's, or the live book's when given)
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, col, last row, col)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def blocks(self) -> list[tuple[int, int, list[list[Any]]]]:
        """(row, col, values) rectangles covering the grid except the hidden cells of merged ranges.

        Clients differ on writing into a merged range, so its cells other than the top-left one
        are left out: rows with the same hidden columns form one rectangle per run of columns.
        """
        if not self.rows:
            return []
        width = len(self.rows[0])
        hidden: list[frozenset[int]] = [frozenset()] * len(self.rows)
        for r1, c1, r2, c2 in self.merged:
            for r in range(r1, r2 + 1):
                hidden[r] = hidden[r] | {c for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}
        out = []
        start = 0
        for r in range(1, len(self.rows) + 1):
            if r < len(self.rows) and hidden[r] == hidden[start]:
                continue
            runs, c = [], 0
            while c < width:
                if c in hidden[start]:
                    c += 1
                    continue
                end = c
                while end + 1 < width and end + 1 not in hidden[start]:
                    end += 1
                runs.append((c, end))
                c = end + 1
            for c1, c2 in runs:
                out.append((start, c1, [row[c1:c2 + 1] for row in self.rows[start:r]]))
            start = r
        return out

    @property
    def written(self) -> list[tuple[int, int, list[list[Any]]]]:
        """`blocks()` as the adapter writes them (through `as_written`)."""
        return self.memo("written", lambda: [(row, col, as_written(values)) for row, col, values in self.blocks()])

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """What `make` derives from this grid, made once per grid: replayed grids (STATIC_RENDERS) are shared
        between calls, so a grid's rows never change once it is made."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]


@record(frozen=False)
class Rendered(MutableRecord):
    sheets: dict[str, Grid]
    names: dict[str, tuple[str, str]]  # defined name -> (sheet name, absolute address)
    scores: Scores
    conversion: int = 0  # entries on the conversion sheet (typed items outside the workbook's scope)
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, item) -> A1 of its input cell


def split_reference(formula: str) -> tuple[str, str] | None:
    """"='Sheet 1'!$A$3:$A$9" -> ("Sheet 1", "$A$3:$A$9"); None for anything else."""
    match = _NAME_RX.match(formula)
    if not match:
        return None
    sheet = (match[1] or "").replace("''", "'") if match[1] is not None else match[2]
    return sheet, match[3]


def render_grids(catalog: Catalog, language: str, audit: Audit, roles: Iterable[str] = ROLES, *,
                 findings: Iterable[Finding] = (), sheet_names: dict[str, str] | None = None,
                 cells: dict[tuple[str, str], str] | None = None,
                 conversion: Iterable[ConversionEntry] = ()) -> Rendered:
    """The renderer's cell contents for `roles`, sheet names from `sheet_names` (else the language's).

    Each sheet is written by the renderer's own writer (`SHEET_WRITERS`), with the sheets it needs
    written first. `cells` gives the input cell of each item in the live workbook, so the findings
    sheet links to where things are now (and the input sheets need not be rendered for it).
    Only static sheets asked for (Score's): replayed whole from STATIC_RENDERS, only the scores computed.
    """
    roles = set(roles)
    static = roles <= set(STATIC_ROLES)
    if static:
        key = ("render", tuple(sorted(roles)), *_scope_key(catalog, language, audit,
                                                             {**default_sheet_names(language), **(sheet_names or {})}))
        if (hit := STATIC_RENDERS.get(key)) is not None:
            grids, names, rendered_cells = hit
            return Rendered(dict(grids), dict(names), score(audit, catalog), 0, dict(rendered_cells))
    book = GridBook()
    ctx = new_context(catalog, language, audit, Formats(book), findings=findings, conversion=conversion,
                      names=sheet_names)
    needed = set(roles)
    for writer in reversed(SHEET_WRITERS):  # needs point to earlier sheets: one backward pass is enough
        if writer.role in needed and not (writer.role == "findings" and cells is not None):
            needed.update(writer.needs)
    written: dict[str, GridSheet] = {}
    rendered_cells = ctx.cells  # filled in place by the input sheets' writers
    for writer in SHEET_WRITERS:
        if writer.role not in needed:
            continue
        if writer.role == "findings" and cells is not None:
            ctx.cells = dict(cells)
        before = len(book.sheets)
        _write_sheet(writer, book, ctx)
        if len(book.sheets) > before:
            written[writer.role] = book.sheets[-1]
    sheet_role = {sheet.name: role for role, sheet in written.items()}
    defined = {}
    for name, formula in book.names.items():
        ref = split_reference(formula)
        if ref is not None and ref[0] in sheet_role and sheet_role[ref[0]] in roles:
            defined[name] = ref
    conversion_rows = len(ctx.conversion) if "conversion" in roles else 0
    rendered = Rendered({role: Grid(role, sheet.name, sheet.rows(), list(sheet.merged))
                         for role, sheet in written.items() if role in roles},
                        defined, ctx.scores, conversion_rows, rendered_cells)
    if static:
        _remember(STATIC_RENDERS, key, (dict(rendered.sheets), dict(defined), dict(rendered_cells)))
    return rendered


# Sheets whose cells depend only on the catalog, the language, the audit's scope and the sheet names, never on
# what is answered (the results sheet: formulas over the questionnaire; the dashboard: formulas over the results
# and the Organization figures): written once per such key, then replayed, with the defined names and results
# spans their writer sets (STATIC_GRIDS, per sheet, inside any render); a render of static sheets only (Score) is
# replayed whole, grids included (STATIC_RENDERS). tests/test_xl_grid.py checks replays against fresh writes.
STATIC_ROLES = ("results", "dashboard")
STATIC_GRIDS: dict[tuple, tuple[dict, list, dict, dict]] = {}
STATIC_RENDERS: dict[tuple, tuple[dict[str, Grid], dict, dict]] = {}
STATIC_LIMIT = 64


def _scope_key(catalog: Catalog, language: str, audit: Audit, names: dict[str, str]) -> tuple:
    """What a static sheet depends on: catalog, language, scope (profile, modules, departments), sheet names."""
    return (catalog.content_hash, language, audit.profile, None if audit.modules is None else tuple(audit.modules),
            None if audit.departments is None else tuple(audit.departments), tuple(sorted(names.items())))


def _remember(cache: dict, key: tuple, entry: Any) -> None:
    if len(cache) >= STATIC_LIMIT:
        cache.clear()
    cache[key] = entry


def _write_sheet(writer: Any, book: GridBook, ctx: Any) -> None:
    """One sheet writer's cells into `book`, from STATIC_GRIDS when its role is static and was written before."""
    if writer.role not in STATIC_ROLES:
        writer.write(book, ctx)
        return
    key = (writer.role, *_scope_key(ctx.catalog, ctx.lang, ctx.audit, ctx.sheet_names))
    if key in STATIC_GRIDS:
        cells, merged, names, spans = STATIC_GRIDS[key]
        sheet = book.add_worksheet(ctx.sheet_names[writer.role])
        sheet.cells, sheet.merged = dict(cells), list(merged)
        book.names.update(names)
        ctx.spans.update(spans)
        return
    names = dict(book.names)
    before = len(book.sheets)
    writer.write(book, ctx)
    if len(book.sheets) == before + 1:
        sheet = book.sheets[-1]
        _remember(STATIC_GRIDS, key, (dict(sheet.cells), list(sheet.merged),
                                      {k: v for k, v in book.names.items() if names.get(k) != v}, dict(ctx.spans)))


def excel_text(value: Any) -> Any:
    """A grid value as it must be written for Excel to keep it as it is.

    Text that Excel would turn into something else when written as a value (a number, a date, a
    formula, TRUE/FALSE) gets Excel's text prefix, an apostrophe, which is not part of the value.
    Formulas, numbers and dates pass through; None stays empty.
    """
    if isinstance(value, Formula) or not isinstance(value, str):
        return value
    written = _WRITTEN.get(value)
    if written is None:
        written = "'" + value if _COERCED.match(value) else value
        if len(_WRITTEN) < 65536:  # the same labels come back with every job
            _WRITTEN[value] = written
    return written


_WRITTEN: dict[str, str] = {}


_COERCED = re.compile(
    r"""^(?:
        \s*[=+\-@'].*                                       # formula-like, or a leading apostrophe to keep
      | \s*[(]?[$€£¥]?\s*[-+]?[\d.,\s]*\d[\d.,\s]*(?:[eE][-+]?\d+)?\s*%?\s*[)]?\s*  # numbers, money, percent
      | \s*\d{1,4}\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,4})?(?:[ T].*)?  # dates
      | \s*\d{1,2}:\d{2}.*                                  # times
      | \s*(?:true|false)\s*                                # booleans
      | \s*\#(?:N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!)\s* # error values
    )$""", re.IGNORECASE | re.VERBOSE | re.DOTALL)


def as_written(rows: list[list[Any]]) -> list[list[Any]]:
    """Every cell of a grid through `excel_text`: the block the adapter writes."""
    return [[excel_text(v) for v in row] for row in rows]


def clean(value: Any) -> Any:
    """A value the way Excel would hold it after `excel_text`: the text prefix dropped, dates as dates."""
    if isinstance(value, Formula):
        return value
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value
