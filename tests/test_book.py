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


def _plain_and_ours(tmp_path, monkeypatch, name: str, *args, **kwargs) -> tuple[bytes, bytes]:
    ours = render(*args, out=tmp_path / f"ours-{name}", **kwargs)
    monkeypatch.setattr(book, "Workbook", xlsxwriter.Workbook)
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
    tricky = ['a & b < c > "d"', "line\nbreak", "ctrl \x01 \x1f _x0041_", "  spaces  ", "=1+1", "\ufffe"]
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
