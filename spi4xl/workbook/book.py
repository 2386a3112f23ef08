"""An XlsxWriter workbook whose worksheets prepare formulas without 28 needless substitutions each.

XlsxWriter prefixes Excel 365's dynamic-array functions (`FILTER(` -> `_xlfn._xlws.FILTER(`) with one
regular-expression substitution per function name on every formula written: 40 % of a render, for
formulas that name none of them. `Worksheet` here first looks for any of those names (a superset
of what the substitutions match) and only then hands the formula to XlsxWriter's own preparation;
otherwise the result is the formula stripped the way XlsxWriter strips it, which is what the
substitutions would have returned unchanged. So the files are byte-identical.

This overrides XlsxWriter's private `Worksheet._prepare_formula`, through its documented
`Workbook.worksheet_class` hook: XlsxWriter is pinned in pyproject.toml, and tests/test_book.py checks
the override against XlsxWriter's method on every formula of a rendered workbook and the file bytes
against a plain XlsxWriter workbook. On an XlsxWriter upgrade, rerun those tests (and update
DYNAMIC_FUNCTIONS from the new `_prepare_formula`).
"""

from __future__ import annotations

import re

import xlsxwriter
from xlsxwriter.worksheet import Worksheet as _XlsxWorksheet

# The names XlsxWriter 3.3.1 substitutes when use_future_functions is off ("INGLE": its SINGLE pattern
# is written `\SINGLE\(`, any character before "INGLE(").
DYNAMIC_FUNCTIONS = ("ANCHORARRAY", "BYCOL", "BYROW", "CHOOSECOLS", "CHOOSEROWS", "DROP", "EXPAND", "FILTER",
                     "HSTACK", "LAMBDA", "MAKEARRAY", "MAP", "RANDARRAY", "REDUCE", "SCAN", "INGLE", "SEQUENCE",
                     "SORT", "SORTBY", "SWITCH", "TAKE", "TEXTSPLIT", "TOCOL", "TOROW", "UNIQUE", "VSTACK",
                     "WRAPCOLS", "WRAPROWS", "XLOOKUP")
_MAY_SUBSTITUTE = re.compile("(?:" + "|".join(DYNAMIC_FUNCTIONS) + r")\(")


class Worksheet(_XlsxWorksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if self.use_future_functions or expand_future_functions or _MAY_SUBSTITUTE.search(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula


class Workbook(xlsxwriter.Workbook):
    worksheet_class = Worksheet
