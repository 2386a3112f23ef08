"""Sheet buttons for the Office.js add-in: named shapes with a hyperlink to the cell they cover.

Office.js cannot bind a macro to a shape. xlwings' convention: a shape whose hyperlink selects the
cell under it, and a script declared with `@script(button="[shape name]Sheet!E4")`; the add-in
runs the script when that cell gets selected. XlsxWriter's textboxes carry the hyperlink but are
always named "TextBox N", so `name_button_shapes` renames them in the drawing's XML, which the
renderer's workbook (spi4xl.workbook.book) passes through it before zipping the part.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from spi4xl.workbook.layout import cell_name

JOBS = ("populate", "validate", "score")
SHAPE_NAMES = {job: f"spi4xl_{job}" for job in JOBS}
FIRST_ROW, COLUMN = 3, 4  # E4, E5, E6 of the start sheet: the tall rows beside the how-to paragraphs
_TEXTBOX_RX = re.compile(r'(<xdr:cNvPr id="\d+" name=")TextBox \d+(")')


def button_cell(job: str) -> str:
    return cell_name(FIRST_ROW + JOBS.index(job), COLUMN)


def button_ref(job: str, sheet_name: str) -> str:
    """The `@script(button=...)` reference: "[spi4xl_score]Start!E6"."""
    sheet = f"'{sheet_name}'" if re.search(r"[^\w.]", sheet_name) else sheet_name
    return f"[{SHAPE_NAMES[job]}]{sheet}!{button_cell(job)}"


def add_sheet_buttons(worksheet: Any, sheet_name: str, captions: Mapping[str, str]) -> None:
    """One textbox per job on `worksheet` (an XlsxWriter sheet), linked to the cell it covers."""
    quoted = sheet_name.replace("'", "''")
    for i, job in enumerate(JOBS):
        cell = button_cell(job)
        worksheet.insert_textbox(FIRST_ROW + i, COLUMN, captions[job], {
            "width": 170, "height": 30, "x_offset": 6, "y_offset": 10,
            "url": f"internal:'{quoted}'!{cell}", "tip": captions[job],
            "font": {"bold": True, "color": "white", "name": "Calibri", "size": 10},
            "fill": {"color": "#2E75B6"}, "line": {"color": "#1F4E78"},
            "align": {"vertical": "middle", "horizontal": "center"},
        })


def name_button_shapes(drawing: str) -> str:
    """The XML of the start sheet's drawing with its textboxes renamed, in order, to the SHAPE_NAMES of JOBS."""
    names = iter(SHAPE_NAMES[job] for job in JOBS)
    drawing, n = _TEXTBOX_RX.subn(lambda m: m[1] + next(names) + m[2], drawing)
    if n != len(JOBS):
        raise ValueError(f"{n} textboxes in the start sheet's drawing where {len(JOBS)} buttons were expected")
    return drawing
