"""The render's XlsxWriter workbook (spi4xl/workbook/book.py) writes exactly what plain XlsxWriter writes."""

from __future__ import annotations

import xlsxwriter
from xlsxwriter.worksheet import Worksheet as XlsxWorksheet

from audits import CATALOG, random_audit
from spi4xl.workbook import book
from spi4xl.workbook.render import render

EDGE_FORMULAS = ("=SUM(A1:A3)", "{=SUM(A1:A3*B1:B3)}", "=FILTER(A1:A3,B1:B3>0)", "=_xlfn.XLOOKUP(1,A:A,B:B)",
                 "=ASINGLE(A1)", "=SORTBY(A1:A3,B1:B3)", '=IF(A1="FILTER(",1,0)', "=LAMBDA(x,x+1)(2)", "=xlookup(1,A:A,B:B)",
                 "SUM(1)", "=SEQUENCE(3)+RANDARRAY(2)")


def _formulas(path) -> list[str]:
    """Every formula a render writes, as given to XlsxWriter."""
    seen: list[str] = []

    class Recording(xlsxwriter.Workbook):
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
        monkeypatch.setattr(book, "Workbook", xlsxwriter.Workbook)
        theirs = render(CATALOG, "es", audit, tmp_path / f"theirs.{suffix}")
        monkeypatch.undo()
        assert ours.read_bytes() == theirs.read_bytes(), suffix
