"""Excel's own protection rules, which LibreOffice does not enforce, checked on every rendered sheet.

- Excel sorts or filters a protected sheet only when every cell of the range is unlocked, so a sheet
  with a filter range is either unprotected or unlocked over that whole range.
- Grouped rows and columns open and close only on an unprotected sheet.
- Formulas stay out of the users' way: locked on protected sheets; on unprotected sheets only in
  hidden helper columns or in the columns declared to show a live result.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from audits import CATALOG, random_audit
from spi4xl.workbook import layout as L
from spi4xl.workbook.render import render

# Columns of unprotected sheets that show a live result to the auditor (the row's score; the plan's gap,
# priority and standard score).
DISPLAY_FORMULAS = {"questionnaire": {"score"}, "plan": {"gap", "priority", "std_score"}}


def violations(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path)
    out = []
    for ws in book.worksheets:
        marker = ws.cell(1, 1).value
        role = marker[len(L.MARKER_PREFIX):] if isinstance(marker, str) and marker.startswith(L.MARKER_PREFIX) else ""
        ids = {c: ws.cell(1, c).value for c in range(1, ws.max_column + 1)}
        if role in L.ROLES and L.ROLES[role].columns:
            ids[1] = L.ROLES[role].columns[0].id
        hidden = {letter for letter, dim in ws.column_dimensions.items() if dim.hidden}
        for letter, dim in list(ws.column_dimensions.items()):  # grouped width definitions cover ranges
            if dim.hidden and dim.min and dim.max:
                hidden |= {get_column_letter(c) for c in range(dim.min, dim.max + 1)}
        protected = ws.protection.sheet
        where = f"{path.name}:{ws.title}"
        if protected and ws.auto_filter.ref:
            c1, r1, c2, r2 = range_boundaries(ws.auto_filter.ref)
            locked = [ws.cell(r, c).coordinate for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                      if ws.cell(r, c).protection.locked]
            if locked:
                out.append(f"{where}: protected with a filter range holding {len(locked)} locked cells ({locked[0]}...)")
        if protected:
            grouped = [r for r, dim in ws.row_dimensions.items() if dim.outlineLevel]
            grouped_cols = [k for k, dim in ws.column_dimensions.items() if dim.outlineLevel]
            if grouped or grouped_cols:
                out.append(f"{where}: protected with grouped rows/columns, which Excel cannot open or close")
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":  # typed text may begin with "=" too
                    continue
                if protected and not cell.protection.locked:
                    out.append(f"{where}!{cell.coordinate}: an unlocked formula on a protected sheet")
                elif not protected and cell.column_letter not in hidden \
                        and ids.get(cell.column) not in DISPLAY_FORMULAS.get(role, set()):
                    out.append(f"{where}!{cell.coordinate}: a formula in a visible column of an unprotected sheet")
    return out


def _templates() -> list[Path]:
    folder = Path(__file__).resolve().parent.parent / "workbook_templates"
    return sorted(p for p in folder.iterdir() if p.suffix in (".xlsx", ".xlsm"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.name)
def test_templates_follow_excels_rules(path: Path) -> None:
    assert violations(path) == []


@pytest.mark.parametrize("lang, suffix", [("en", ".xlsx"), ("fr", ".xlsm"), ("es", ".xlsx")])
def test_filled_workbooks_follow_excels_rules(tmp_path: Path, lang: str, suffix: str) -> None:
    out = render(CATALOG, lang, random_audit(3, lang), tmp_path / f"audit{suffix}", password="secret" if lang == "es" else None)
    assert violations(out) == []


def test_the_checker_sees_a_protected_sort_range(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["code", "answer"])
    ws.append(["1A.1.1", "=1+1"])
    ws.auto_filter.ref = "A1:B2"
    ws.protection.sheet = True
    ws.row_dimensions[2].outlineLevel = 1
    book.save(tmp_path / "bad.xlsx")
    found = violations(tmp_path / "bad.xlsx")
    assert any("locked cells" in v for v in found) and any("grouped" in v for v in found)
    book = openpyxl.Workbook()
    book.active.append(["x", "=1+1"])
    book.save(tmp_path / "visible.xlsx")
    assert any("visible column of an unprotected sheet" in v for v in violations(tmp_path / "visible.xlsx"))
