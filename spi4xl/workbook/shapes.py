"""Sheet buttons for the Office.js add-in: named shapes with a hyperlink to the cell they cover.

Office.js cannot bind a macro to a shape. xlwings' convention: a shape whose hyperlink selects the
cell under it, and a script declared with `@script(button="[shape name]Sheet!E4")`; the add-in
runs the script when that cell gets selected. XlsxWriter's textboxes carry the hyperlink but are
always named "TextBox N", so `name_button_shapes` renames them in the saved file, rewriting the
package entry by entry with the same order and timestamps, so builds stay byte-identical.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any, Mapping

from spi4xl.workbook.layout import cell_name

JOBS = ("populate", "validate", "score")
SHAPE_NAMES = {job: f"spi4xl_{job}" for job in JOBS}
FIRST_ROW, COLUMN = 3, 4  # E4, E5, E6 of the start sheet: the tall rows beside the how-to paragraphs
_TEXTBOX_RX = re.compile(rb'(<xdr:cNvPr id="\d+" name=")TextBox \d+(")')


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


def _sheet_drawing(package: zipfile.ZipFile, sheet_name: str) -> str:
    """The drawing part of the sheet called `sheet_name`, found through the package's relationships."""
    workbook = package.read("xl/workbook.xml").decode()
    rels = package.read("xl/_rels/workbook.xml.rels").decode()
    escaped = re.escape(sheet_name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
    rid = re.search(rf'<sheet name="{escaped}" sheetId="\d+" r:id="(rId\d+)"', workbook)
    if rid is None:
        raise ValueError(f"no sheet {sheet_name!r} in the workbook")
    target = re.search(rf'Id="{rid[1]}" Type="[^"]+" Target="([^"]+)"', rels)
    sheet_part = posixpath.normpath(posixpath.join("xl", target[1]))
    sheet_rels = posixpath.join(posixpath.dirname(sheet_part), "_rels", posixpath.basename(sheet_part) + ".rels")
    drawing = re.search(r'Type="[^"]+/drawing" Target="([^"]+)"', package.read(sheet_rels).decode())
    return posixpath.normpath(posixpath.join(posixpath.dirname(sheet_part), drawing[1]))


def name_button_shapes(path: str | Path, sheet_name: str) -> None:
    """Rename the sheet's textboxes, in order, to the SHAPE_NAMES of JOBS."""
    path = Path(path)
    with zipfile.ZipFile(path) as package:
        part = _sheet_drawing(package, sheet_name)
        entries = [(info, package.read(info)) for info in package.infolist()]
    names = iter(SHAPE_NAMES[job].encode() for job in JOBS)
    out = []
    for info, data in entries:
        if info.filename == part:
            data, n = _TEXTBOX_RX.subn(lambda m: m[1] + next(names) + m[2], data)
            if n != len(JOBS):
                raise ValueError(f"{part}: {n} textboxes where {len(JOBS)} buttons were expected")
        out.append((info, data))
    with zipfile.ZipFile(path, "w") as package:
        for info, data in out:
            package.writestr(info, data, compress_type=info.compress_type)
