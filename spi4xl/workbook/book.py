"""An XlsxWriter workbook whose worksheets prepare formulas without 28 needless substitutions each, write
their cells' XML one string per row, and whose package is put together in memory.

XlsxWriter prefixes Excel 365's dynamic-array functions (`FILTER(` -> `_xlfn._xlws.FILTER(`) with one
regular-expression substitution per function name on every formula written: 40 % of a render, for
formulas that name none of them. `Worksheet` here first looks for any of those names (a superset
of what the substitutions match) and only then hands the formula to XlsxWriter's own preparation;
otherwise the result is the formula stripped the way XlsxWriter strips it, which is what the
substitutions would have returned unchanged. So the files are byte-identical.

Writing the sheets' XML is the other half of a render: for each of ~13,000 cells XlsxWriter builds a list
of attributes and runs a regular expression over each one to escape it, although a cell reference and
a format index never need escaping, and it loops over every column of every row to find the cells.
`Worksheet._write_rows` here writes the kinds of cell spi4xl writes (string, number, date, formula,
blank) as one string a row with its <row> tag (as XlsxWriter's `_write_row` writes it), escaping only the
formula and its cached value as XlsxWriter does; any other kind goes to XlsxWriter's own `_write_cell`.
`_write_rows` and `_calculate_spans` visit a row's cells instead of its columns, in the same order. The XML is
the same, character for character. `keep_rows` writes them ahead, once for the several packages of one workbook
(render_formats: a language's .xlsx and .xlsm).

These override XlsxWriter's private `Worksheet._prepare_formula`, `_write_rows` and `_calculate_spans` (and
do in place what `write_string`, `write_number`, `write_blank` and `write_formula` do with row and column
numbers: the dimensions checked, the cell tuple stored, made by `tuple.__new__` as its generated `__new__` makes
it), through its documented `Workbook.worksheet_class` hook: XlsxWriter is pinned in pyproject.toml, and
tests/test_book.py checks the formula preparation against XlsxWriter's method on every formula of a rendered
workbook, and the file bytes (every template, random audits with findings, texts to escape, A1 notation,
keywords, other cell kinds) against a plain XlsxWriter workbook. On an XlsxWriter upgrade, rerun those tests
(and compare these methods and DYNAMIC_FUNCTIONS with the new XlsxWriter's).

Packaging: XlsxWriter writes each part of the package to a temporary file, stamps it 31/1/1980 and zips it
(its in-memory mode would stamp 1/1/1980 and no file mode: other bytes). `Workbook` here keeps the parts in
memory (`in_memory`, through XlsxWriter's `_get_packager` hook) and zips them itself as the file mode does:
same names, order, timestamp, mode bits of a `tempfile.mkstemp` file (0600) and deflate; the text parts are
encoded as the file mode writes them on Linux (UTF-8, "\n" kept). No temporary file is written, and a
sheet's drawing can be edited before it is zipped (`edit_drawing`: the add-in's button names), instead of
unzipping and zipping the saved file again. The shared strings are written in one pass (`_SharedStrings`).
A closed workbook lets go of its one reference cycle (`close`), so that it is freed without the garbage
collector walking its cells.
This overrides XlsxWriter's private `Workbook._store_workbook`, `Packager._create_package` and
`_write_shared_strings_file`, and `SharedStrings._write_sst_strings`; tests/test_book.py checks the bytes
against plain XlsxWriter in file mode.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from typing import Callable

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (CellBlankTuple, CellDatetimeTuple, CellFormulaTuple, CellNumberTuple, CellStringTuple,
                                  Worksheet as _XlsxWorksheet)

# The names XlsxWriter 3.3.1 substitutes when use_future_functions is off ("INGLE": its SINGLE pattern
# is written `\SINGLE\(`, any character before "INGLE(").
DYNAMIC_FUNCTIONS = ("ANCHORARRAY", "BYCOL", "BYROW", "CHOOSECOLS", "CHOOSEROWS", "DROP", "EXPAND", "FILTER",
                     "HSTACK", "LAMBDA", "MAKEARRAY", "MAP", "RANDARRAY", "REDUCE", "SCAN", "INGLE", "SEQUENCE",
                     "SORT", "SORTBY", "SWITCH", "TAKE", "TEXTSPLIT", "TOCOL", "TOROW", "UNIQUE", "VSTACK",
                     "WRAPCOLS", "WRAPROWS", "XLOOKUP")
_MAY_SUBSTITUTE = re.compile("(?:" + "|".join(DYNAMIC_FUNCTIONS) + r")\(")
# The cell tuples XlsxWriter 3.3.1 stores that _write_rows below writes itself.
_WRITTEN_HERE = (CellStringTuple, CellNumberTuple, CellDatetimeTuple, CellFormulaTuple, CellBlankTuple)
# What XlsxWriter's _escape_control_characters changes (an _xHHHH_ escape, a control character, U+FFFE/U+FFFF).
_CONTROL = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_COLUMNS: dict[int, str] = {}  # column number -> letters, as xl_col_to_name gives them
_ERROR_CODES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")  # a formula's cached error


def _escape(text: str) -> str:
    """What XlsxWriter's `_escape_data` makes of text that holds a &, < or >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fields(row_info) -> tuple:
    """An XlsxWriter RowInfo's fields, in its order (dataclasses.astuple would deep-copy its format)."""
    return row_info.height, row_info.row_format, row_info.hidden, row_info.level, row_info.collapsed


_ABSENT = object()  # an argument the caller did not give
# What a namedtuple's generated __new__ calls (XlsxWriter's cell tuples): the same tuple, without that Python frame.
_tuple = tuple.__new__


def _given(*args: object) -> tuple:
    """The arguments a caller gave, in order: those before the first one left out."""
    for i, arg in enumerate(args):
        if arg is _ABSENT:
            return args[:i]
    return args


def _stripped(formula: str) -> str:
    """The formula as XlsxWriter's `_prepare_formula` leaves one it has nothing to substitute in."""
    if formula.startswith("{"):
        formula = formula[1:]
    if formula.startswith("="):
        formula = formula[1:]
    if formula.endswith("}"):
        formula = formula[:-1]
    return formula


class Worksheet(_XlsxWorksheet):
    # The writers give row and column numbers. Their calls skip XlsxWriter's A1-notation decorator (it tries int()
    # on the first argument of each of ~15,000 calls a render) and, for the cells spi4xl writes (a string under
    # half XlsxWriter's limit, an int, a blank with a format, outside constant_memory mode), do in place what
    # XlsxWriter's `_write_string`, `_write_number` and `_write_blank` do with them: its `_check_dimensions`, then
    # the cell stored (its named tuple made as the tuple's generated __new__ makes it, without that frame). Any other
    # call (A1 notation, keywords, other types, more arguments) goes through XlsxWriter's public method, as given.
    def write_string(self, row, col, string=_ABSENT, cell_format=_ABSENT, *rest, **kwargs):
        if (type(row) is not int or rest or kwargs or type(string) is not str or len(string) > self.xls_strmax // 2
                or self.constant_memory):
            return super().write_string(row, col, *_given(string, cell_format), *rest, **kwargs)
        if self._check_dimensions(row, col):
            return -1
        self.table[row][col] = _tuple(CellStringTuple, (self.str_table._get_shared_string_index(string),
                                                        None if cell_format is _ABSENT else cell_format))
        return 0

    def write_number(self, row, col, number=_ABSENT, cell_format=_ABSENT, *rest, **kwargs):
        if type(row) is not int or rest or kwargs or type(number) is not int or self.constant_memory:
            return super().write_number(row, col, *_given(number, cell_format), *rest, **kwargs)
        if self._check_dimensions(row, col):
            return -1
        self.table[row][col] = _tuple(CellNumberTuple, (number, None if cell_format is _ABSENT else cell_format))
        return 0

    def write_blank(self, row, col, blank=_ABSENT, cell_format=_ABSENT, *rest, **kwargs):
        if type(row) is not int or rest or kwargs or cell_format is _ABSENT or cell_format is None or self.constant_memory:
            return super().write_blank(row, col, *_given(blank, cell_format), *rest, **kwargs)
        if self._check_dimensions(row, col):
            return -1
        self.table[row][col] = _tuple(CellBlankTuple, (cell_format,))
        return 0

    def write_formula(self, row, col, formula=_ABSENT, cell_format=_ABSENT, value=_ABSENT, *rest, **kwargs):
        """A formula naming no dynamic-array function and not in braces goes straight where XlsxWriter's
        `_write_formula` would put it (after the dimensions are checked), sparing its own search for those
        functions (a superset of it is `_MAY_SUBSTITUTE`); any other goes through XlsxWriter's methods."""
        if (type(row) is not int or rest or kwargs or type(formula) is not str or not formula or formula[0] == "{"
                or self.constant_memory or self.use_future_functions or _MAY_SUBSTITUTE.search(formula)):
            return super().write_formula(row, col, *_given(formula, cell_format, value), *rest, **kwargs)
        if self._check_dimensions(row, col):
            return -1
        if formula[0] == "=":
            formula = formula[1:]
        self.table[row][col] = _tuple(CellFormulaTuple, (formula[:-1] if formula.endswith("}") else formula,
                                                         None if cell_format is _ABSENT else cell_format,
                                                         0 if value is _ABSENT else value))
        return 0

    def _prepare_formula(self, formula, expand_future_functions=False):
        """XlsxWriter's, for a formula it may change: every substitution it makes (the future functions' too, which
        data validations ask for) needs a "(" after a function's name; others come out stripped."""
        if "(" in formula and (self.use_future_functions or expand_future_functions or _MAY_SUBSTITUTE.search(formula)):
            return super()._prepare_formula(formula, expand_future_functions)
        return _stripped(formula)

    def _calculate_spans(self) -> None:
        """The <row spans="first:last"> of each block of 16 rows (row // 16), from the columns of the cells and
        comments each row of the sheet's extent has within its columns' extent, as XlsxWriter's method finds them
        visiting every column of every row; here each row's first and last columns, filtered only when outside."""
        blocks: dict[int, tuple[int, int]] = {}
        lo, hi, top, bottom = self.dim_colmin, self.dim_colmax, self.dim_rowmin, self.dim_rowmax
        for rows in (self.table, self.comments):
            for row_num, cols in rows.items():
                if not cols or row_num < top or row_num > bottom:
                    continue
                first, last = min(cols), max(cols)
                if first < lo or last > hi:  # never seen: every write widens the extent
                    inside = [c for c in cols if lo <= c <= hi]
                    if not inside:
                        continue
                    first, last = min(inside), max(inside)
                block = blocks.get(row_num // 16)
                blocks[row_num // 16] = (min(first, block[0]), max(last, block[1])) if block else (first, last)
        self.row_spans = {block: f"{first + 1}:{last + 1}" for block, (first, last) in blocks.items()}

    def _row_attributes(self, span: str | None, row_info) -> str:
        """The attributes XlsxWriter's `_write_row` gives a <row> with cells after its number (outside its Excel
        2010 mode), in its order; the row format's style index asked for as it asks for it."""
        height, row_format, hidden, level, collapsed = _fields(row_info) if row_info else (None, None, 0, 0, 0)
        if height is None:
            height = self.default_row_height
        custom = height != self.original_row_height or height != self.default_row_height
        xf_index = row_format._get_xf_index() if row_format else 0
        return "".join((f' spans="{span}"' if span else "", f' s="{xf_index}"' if xf_index else "",
                        ' customFormat="1"' if row_format else "", f' ht="{height * 0.75:.16g}"' if custom else "",
                        ' hidden="1"' if hidden else "", ' customHeight="1"' if custom else "",
                        f' outlineLevel="{level}"' if level else "", ' collapsed="1"' if collapsed else ""))

    kept_rows: str | None = None  # the sheet's rows written ahead by keep_rows

    def keep_rows(self) -> None:
        """Write the sheet's rows now and keep them for each package made of this workbook from now on (render_formats:
        a language's .xlsx and .xlsm have the same rows). Formats get their style indices while rows are written, so
        this is called for every sheet, in order, with no cell, row or format added after; the column formats are
        asked for their indices first, as XlsxWriter's `_write_cols` asks before the rows."""
        if self.dim_rowmin is None or self.constant_memory:  # (XlsxWriter writes no rows, or writes them as it goes)
            return
        for column in sorted(self.col_info):
            if self.col_info[column].column_format:
                self.col_info[column].column_format._get_xf_index()
        fh, self.fh = self.fh, io.StringIO()
        try:
            self._write_rows()
            self.kept_rows = self.fh.getvalue()
        finally:
            self.fh = fh

    def _write_rows(self) -> None:
        """Every row with cells, a format or comments, its cells in column order, each row's cells as one string.

        A row's <row> tag is written as XlsxWriter's `_write_row` writes it (its attributes made once per span and
        row info). A cell of a kind in _WRITTEN_HERE is written as XlsxWriter 3.3.1's `_write_cell` writes it: the
        reference, the style of the cell's format (else its row's, else its column's), then the value; the formula
        and its cached value escaped as XlsxWriter escapes them. Any other cell: XlsxWriter's method.
        """
        if self.kept_rows is not None:
            self.fh.write(self.kept_rows)
            return
        self._calculate_spans()
        table, info, lo, hi, write = self.table, self.row_info, self.dim_colmin, self.dim_colmax, self.fh.write
        styles: dict = {}  # Format -> ' s="N"': a format keeps the index it is given

        def style(fmt) -> str:
            styles[fmt] = f' s="{fmt._get_xf_index()}"'
            return styles[fmt]

        column_formats = {c: i.column_format for c, i in self.col_info.items() if i.column_format is not None}
        row_attributes: dict = {}  # (span, row info) -> what follows the row number in its <row> tag
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            if row_num in info or row_num in self.comments or table[row_num]:
                span = self.row_spans.get(row_num // 16)
                cells = table[row_num]
                if not cells:
                    self._write_empty_row(row_num, span, info.get(row_num))
                    continue
                row_info = info.get(row_num)
                row_format = row_info.row_format if row_info else None
                if self.excel_version == 2010:
                    self._write_row(row_num, span, row_info)
                    out = []
                else:
                    key = (span, *_fields(row_info)) if row_info else span
                    attributes = row_attributes.get(key)
                    if attributes is None:
                        attributes = row_attributes[key] = self._row_attributes(span, row_info)
                    out = [f'<row r="{row_num + 1}"{attributes}>']
                row_ref = f"{row_num + 1}\""
                for col_num, cell in sorted(cells.items()):  # (the columns are unique: cells are never compared)
                    if col_num < lo or col_num > hi:  # never seen: every write widens the dimensions
                        continue
                    kind = type(cell)
                    if kind not in _WRITTEN_HERE:
                        write("".join(out))
                        out = []
                        self._write_cell(row_num, col_num, cell)
                        continue
                    fmt = cell.format or row_format or column_formats.get(col_num)
                    letters = _COLUMNS.get(col_num) or _COLUMNS.setdefault(col_num, xl_col_to_name(col_num))
                    head = f'<c r="{letters}{row_ref}{(styles.get(fmt) or style(fmt)) if fmt else ""}'
                    if kind is CellStringTuple:
                        out.append(f'{head} t="s"><v>{cell.string}</v></c>')
                    elif kind is CellFormulaTuple:
                        value = cell.value
                        if isinstance(value, str):  # (a number XlsxWriter's _escape_data leaves as it is)
                            if value:
                                head += ' t="e"' if value in _ERROR_CODES else ' t="str"'
                            if "&" in value or "<" in value or ">" in value:
                                value = _escape(value)
                        elif isinstance(value, bool):
                            head, value = head + ' t="b"', int(value)
                        formula = cell.formula
                        if "&" in formula or "<" in formula or ">" in formula:
                            formula = _escape(formula)
                        out.append(f"{head}><f>{formula}</f><v>{value}</v></c>")
                    elif kind is CellBlankTuple:
                        out.append(f"{head}/>")
                    else:  # a number or a date's serial number
                        out.append(f"{head}><v>{cell.number:.16G}</v></c>")
                out.append("</row>")
                write("".join(out))


# What XlsxWriter 3.3.1's file mode gives each part: os.utime to 31/1/1980 (local time, read back as such by
# zipfile), the mode of a file made by tempfile.mkstemp.
_PART_TIME = (1980, 1, 31, 0, 0, 0)
_PART_ATTR = (stat.S_IFREG | 0o600) << 16


class _SharedStrings(SharedStrings):
    def _write_sst_strings(self) -> None:
        """Each string as XlsxWriter's `_write_si` writes it, in one write: a plain string escaped as `_escape_data`
        escapes it (only &, < and > change), `xml:space` where `_preserve_whitespace` finds whitespace (a first or
        last character that str.isspace calls one: the test its expressions' \\s makes); a string with control
        characters or _xHHHH_ text to escape, or rich text, by XlsxWriter's method."""
        out, strings = [], self.string_table.string_array
        # One search over them all when none needs it string by string ("\n" is no control character to escape, and
        # an _xHHHH_ escape cannot run across it).
        controls = _CONTROL.search("\n".join(strings)) is not None
        for string in strings:
            if controls and _CONTROL.search(string) or string.startswith("<r>"):
                self.fh.write("".join(out))
                out = []
                self._write_si(string)
                continue
            if "&" in string or "<" in string or ">" in string:
                string = _escape(string)
            out.append(f'<si><t xml:space="preserve">{string}</t></si>' if string[:1].isspace() or string[-1:].isspace()
                       else f"<si><t>{string}</t></si>")
        self.fh.write("".join(out))


class _Packager(Packager):
    """XlsxWriter's packager in memory: the parts, edited, go to the workbook; XlsxWriter's own zip gets none."""

    def _write_shared_strings_file(self) -> None:
        """XlsxWriter's, with the strings written by `_SharedStrings`."""
        if not self.workbook.str_table.count:
            return
        sst = _SharedStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()

    def __init__(self, book: "Workbook") -> None:
        super().__init__()
        self.book = book

    def _create_package(self):
        parts = super()._create_package()
        names = {ws: f"xl/drawings/drawing{self.workbook.drawings.index(ws.drawing) + 1}.xml"
                 for ws in self.book.drawing_edits}
        edits = {names[ws]: edit for ws, edit in self.book.drawing_edits.items()}
        self.book.parts = [(io.StringIO(edits[name](data.getvalue())) if name in edits else data, name, binary)
                           for data, name, binary in parts]
        return []


class Workbook(xlsxwriter.Workbook):
    worksheet_class = Worksheet

    def __init__(self, filename, options=None) -> None:
        super().__init__(filename, {**(options or {}), "in_memory": True})
        self.drawing_edits: dict[_XlsxWorksheet, Callable[[str], str]] = {}
        self.parts: list = []

    def keep_rows(self) -> None:
        """Every sheet's rows written now, kept for each package made from now on (see Worksheet.keep_rows)."""
        for worksheet in self.worksheets():
            worksheet.keep_rows()

    def edit_drawing(self, worksheet: _XlsxWorksheet, edit: Callable[[str], str]) -> None:
        """Pass the XML of `worksheet`'s drawing (it must have one) through `edit` before it is zipped."""
        self.drawing_edits[worksheet] = edit

    def _get_packager(self) -> Packager:
        return _Packager(self)

    def close(self) -> None:
        """XlsxWriter's, then each worksheet lets go of the workbook's `add_format` it holds: the one cycle of a
        workbook, so that a closed one is freed as soon as its last reference goes, instead of waiting for the
        garbage collector to walk its cells (~17,000 objects a render; spi4xl renders with the collector off)."""
        super().close()
        for worksheet in self.worksheets():
            worksheet.workbook_add_format = None

    def _store_workbook(self) -> None:
        dest, self.filename = self.filename, io.BytesIO()  # XlsxWriter's zip of no parts: thrown away
        try:
            super()._store_workbook()
        finally:
            self.filename = dest
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=self.allow_zip64) as package:
            for data, name, binary in self.parts:
                info = zipfile.ZipInfo(name, _PART_TIME)
                info.external_attr, info.compress_type = _PART_ATTR, zipfile.ZIP_DEFLATED
                package.writestr(info, data.getvalue() if binary else data.getvalue().encode())
        self.parts = []
