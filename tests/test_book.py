"""The render's XlsxWriter workbook (spi4xl/workbook/book.py) writes exactly what plain XlsxWriter writes."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from fractions import Fraction

import pytest
import xlsxwriter
from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

from audits import CATALOG, random_audit
from sheets import sheet_drawing
from spi4xl.workbook import book
from spi4xl.workbook.render import render

EDGE_FORMULAS = ("=SUM(A1:A3)", "{=SUM(A1:A3*B1:B3)}", "=FILTER(A1:A3,B1:B3>0)", "=_xlfn.XLOOKUP(1,A:A,B:B)",
                 "=ASINGLE(A1)", "=SORTBY(A1:A3,B1:B3)", '=IF(A1="FILTER(",1,0)', "=LAMBDA(x,x+1)(2)", "=xlookup(1,A:A,B:B)",
                 "SUM(1)", "=SEQUENCE(3)+RANDARRAY(2)", "=list_evidence", "{=A1:B1}", "=_xlfn.IFS", "1E+15", "=IFS (1)")

CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the files compared byte for byte share their creation time


class PlainWorkbook(xlsxwriter.Workbook):
    """Plain XlsxWriter in its file mode (each part a temporary file); a drawing's edit is applied to the saved
    file, rewriting the package entry by entry with the same order, timestamps and modes (how render() named the
    add-in's buttons before book.py did it while packaging)."""

    def __init__(self, filename, options=None) -> None:
        super().__init__(filename, options)
        self.edits = {}

    def edit_drawing(self, worksheet, edit) -> None:
        self.edits[worksheet.name] = edit

    def close(self) -> None:
        super().close()
        for sheet_name, edit in self.edits.items():
            with zipfile.ZipFile(self.filename) as package:
                part = sheet_drawing(package, sheet_name)
                entries = [(info, package.read(info)) for info in package.infolist()]
            with zipfile.ZipFile(self.filename, "w") as package:
                for info, data in entries:
                    data = edit(data.decode()).encode() if info.filename == part else data
                    package.writestr(info, data, compress_type=info.compress_type)


def _formulas(path) -> list[str]:
    """Every formula a render writes, as given to XlsxWriter."""
    seen: list[str] = []

    class Recording(PlainWorkbook):
        class worksheet_class(XlsxWorksheet):
            def _prepare_formula(self, formula, expand_future_functions=False):
                seen.append(formula)
                return super()._prepare_formula(formula, expand_future_functions)

    original = book.Workbook
    book.Workbook = Recording
    try:
        render(CATALOG, "fr", random_audit(7, "fr"), path)
    finally:
        book.Workbook = original
    return seen


def test_formula_preparation_agrees_with_xlsxwriter(tmp_path):
    formulas = _formulas(tmp_path / "a.xlsx")
    assert len(formulas) > 1000
    ours, theirs = book.Worksheet(), XlsxWorksheet()
    for future in (False, True):
        ours.use_future_functions = theirs.use_future_functions = future
        for formula in (*formulas, *EDGE_FORMULAS):
            assert ours._prepare_formula(formula) == theirs._prepare_formula(formula), formula
            assert ours._prepare_formula(formula, True) == theirs._prepare_formula(formula, True), formula


def test_rendered_files_are_byte_identical_to_plain_xlsxwriter(tmp_path, monkeypatch):
    for suffix in ("xlsx", "xlsm"):
        audit = random_audit(11, "es")
        ours = render(CATALOG, "es", audit, tmp_path / f"ours.{suffix}")
        monkeypatch.setattr(book, "Workbook", PlainWorkbook)
        theirs = render(CATALOG, "es", audit, tmp_path / f"theirs.{suffix}")
        monkeypatch.undo()
        assert ours.read_bytes() == theirs.read_bytes(), suffix


def _plain_and_ours(tmp_path, monkeypatch, name: str, *args, **kwargs) -> tuple[bytes, bytes]:
    ours = render(*args, out=tmp_path / f"ours-{name}", **kwargs)
    monkeypatch.setattr(book, "Workbook", PlainWorkbook)
    theirs = render(*args, out=tmp_path / f"theirs-{name}", **kwargs)
    monkeypatch.undo()
    return ours.read_bytes(), theirs.read_bytes()


def test_every_template_is_byte_identical_to_plain_xlsxwriter(tmp_path, monkeypatch):
    for lang in CATALOG.languages:
        for suffix in ("xlsx", "xlsm"):
            ours, theirs = _plain_and_ours(tmp_path, monkeypatch, f"{lang}.{suffix}", CATALOG, lang)
            assert ours == theirs, (lang, suffix)


def test_cells_to_escape_findings_and_plan_are_written_as_plain_xlsxwriter_writes_them(tmp_path, monkeypatch):
    """Texts with XML's special characters, control characters and line ends; highlighted cells (findings);
    formulas whose cached values are texts, numbers and blanks; dates; the plan and merge sheets."""
    from spi4xl.validation import validate

    audit = random_audit(5, "fr")
    tricky = ['a & b < c > "d"', "line\nbreak", "ctrl \x01 \x1f _x0041_", "  spaces  ", "=1+1", "\ufffe", "<r>not rich</r>",
              "ends in a line end\n", "\ttab", "x_x00AF_y", "\u2003em space"]
    for i, code in enumerate(sorted(audit.answers)[:60]):
        audit.comments[code] = tricky[i % len(tricky)]
        audit.flags[code] = tricky[(i + 1) % len(tricky)]
    audit.unparsed[(sorted(audit.answers)[0], "answer")] = "not an <answer> & more"
    audit.plan = {code: {"action": tricky[i % len(tricky)], "owner": "R&D", "due": "2026-12-31"}
                  for i, code in enumerate(sorted(audit.answers)[:20])}
    audit.metadata["organization"] = 'Caisse "A&B" <coop>'
    audit.audit_id = 'id <&> "x"'  # also the cached value of the start sheet's formula over its setting
    findings = validate(audit, CATALOG)
    assert findings
    for suffix in ("xlsx", "xlsm"):
        ours, theirs = _plain_and_ours(tmp_path, monkeypatch, f"t.{suffix}", CATALOG, "fr", audit, findings=findings)
        assert ours == theirs, suffix


def test_packaging_in_memory_leaves_no_part_file_and_stamps_parts_as_the_file_mode(tmp_path, monkeypatch):
    """No temporary part file anywhere (TMPDIR pointed at an empty folder); every entry 31/1/1980, mode 0600,
    deflated; the add-in's buttons renamed in the zipped drawing."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = render(CATALOG, "en", None, tmp_path / "out" / "t.xlsx")
    assert not any(tmp.iterdir()) and [p.name for p in path.parent.iterdir()] == ["t.xlsx"]
    with zipfile.ZipFile(path) as package:
        infos = package.infolist()
        drawing = package.read(sheet_drawing(package, package.read("xl/workbook.xml").decode().split('name="')[1].split('"')[0]))
    assert {(i.date_time, i.external_attr >> 16, i.compress_type) for i in infos} == {
        ((1980, 1, 31, 0, 0, 0), 0o100600, zipfile.ZIP_DEFLATED)}
    assert b"spi4xl_populate" in drawing and b"TextBox" not in drawing


def test_button_names_need_exactly_the_three_textboxes():
    from spi4xl.workbook.shapes import name_button_shapes

    box = '<xdr:cNvPr id="{}" name="TextBox {}">'
    three = "".join(box.format(i + 2, i + 1) for i in range(3))
    assert name_button_shapes(three) == "".join(f'<xdr:cNvPr id="{i + 2}" name="spi4xl_{job}">'
                                                for i, job in enumerate(("populate", "validate", "score")))
    with pytest.raises(ValueError, match="2 textboxes"):
        name_button_shapes(three[: three.rindex("<")])


@pytest.mark.filterwarnings("ignore:Formula can't be None or empty")
def test_a1_notation_keywords_and_other_cell_kinds_are_written_as_xlsxwriter_writes_them(tmp_path):
    """The writers' numeric calls take a short way; every other call, and cells of kinds book.py does not write
    itself (rich strings, booleans, URLs, array formulas), must still come out as plain XlsxWriter's."""
    def fill(workbook_class, path):
        wb = workbook_class(str(path))
        wb.set_properties({"created": CREATED})  # else each file stamps its own second: a flaky compare
        ws, bold = wb.add_worksheet("S"), wb.add_format({"bold": True})
        ws.write_string("A1", "a1 <&>", bold)
        ws.write_number("B2", 2.5)
        ws.write_blank("C3", None, bold)
        ws.write_formula("D4", "=SUM(B2:B3)", bold, 2.5)
        ws.write_string(4, 0, string="keyword", cell_format=bold)
        ws.write_number(4, 1, number=7)
        ws.write_formula(4, 2, formula='=IF(A1="x",1,"#N/A")', value="#N/A")
        ws.write_blank(4, 3, blank=None, cell_format=bold)
        ws.write_rich_string(5, 0, "plain ", bold, "bold")
        ws.write_boolean(5, 1, True)
        ws.write_url(5, 2, "https://example.org/?a=1&b=2", string="link")
        ws.write_array_formula(6, 0, 6, 1, "{=A1:B1*2}")
        for col, args in enumerate((("=1+1",), ("=SUM(B2)", bold), ("=B2*2", None, 5), ("{=A1:B1*3}",), ("=X}",),
                                    ("=FILTER(A1:A3,B1:B3>0)", None, 0), ("=_xlfn.XLOOKUP(1,A:A,B:B)",),
                                    ("=SINGLE(A1)", bold, "x"), ("",), ("=1", None, 0))):
            ws.write_formula(9, col, *args)  # plain, format, value; braces; dynamic arrays; empty (warned)
        assert ws.write_formula(2000000, 0, "=1") == -1 and ws.write_formula(0, 20000, "=1") == -1
        for col, (method, args) in enumerate((("write_string", ("plain",)), ("write_string", ("x" * 20000, bold)),
                                              ("write_number", (3,)), ("write_number", (2.75, bold)),
                                              ("write_number", (True,)), ("write_number", (Fraction(1, 4),)),
                                              ("write_blank", (None,)), ("write_blank", ("", bold)),
                                              ("write_blank", (None, None)))):
            assert getattr(ws, method)(10, col, *args) == 0  # a long string, a float, a bool: XlsxWriter's way
            assert getattr(ws, method)(1048576, col, *args) == -1 or method == "write_blank" and args[-1] is None
        ws.set_row(7, None, bold)
        ws.write_string(7, 0, "row format")
        ws.set_row(8, 31.5, None, {"level": 2, "collapsed": True, "hidden": True})  # (row 8 gets a cell below)
        ws.set_row(11, 0, bold, {"level": 9})
        ws.write_string(11, 2, "height 0: hidden, the default height")
        ws.set_row(12, 12.75)
        for col, text in enumerate((" lead", "trail\n", "\u00a0nbsp", "tab\t", "a \n", "\u2003", "in side", "")):
            ws.write_string(13, col, text)  # xml:space="preserve" where XlsxWriter's expressions find whitespace
        ws.set_column(5, 5, 12, bold)
        ws.write_number(8, 5, 3)
        wb.close()
        return path.read_bytes()

    assert fill(book.Workbook, tmp_path / "ours.xlsx") == fill(PlainWorkbook, tmp_path / "theirs.xlsx")


def test_rows_kept_ahead_give_the_same_file(tmp_path):
    """Rows written ahead (keep_rows, as render_formats does for a language's two files) give the bytes of rows written
    while packaging: style indices in the same order (column formats first, as XlsxWriter asks), empty sheets too."""
    def fill(workbook_class, path, keep):
        wb = workbook_class(str(path))
        wb.set_properties({"created": CREATED})  # else each file stamps its own second: a flaky compare
        wb.add_worksheet("First"), wb.add_worksheet("Second"), wb.add_worksheet("Empty")
        first, second = wb.worksheets()[0], wb.worksheets()[1]
        red, bold, wide = (wb.add_format(p) for p in ({"font_color": "red"}, {"bold": True}, {"italic": True}))
        first.write_string(0, 0, "bold", bold)
        second.set_column(2, 2, 20, wide)
        second.set_column(0, 0, 8, red)
        second.write_string(3, 1, "wide after red", wide)
        second.write_formula(4, 2, '=IF(A1="<&>",1,0)', None, "a&b")
        if keep:
            wb.keep_rows()
            assert first.kept_rows and second.kept_rows and wb.worksheets()[2].kept_rows is None
        wb.close()
        return path.read_bytes()

    expected = fill(PlainWorkbook, tmp_path / "plain.xlsx", False)
    assert fill(book.Workbook, tmp_path / "kept.xlsx", True) == expected == fill(book.Workbook, tmp_path / "not.xlsx", False)
