"""Cell formats, made once per workbook: colours by level, unlocked inputs, highlights for findings."""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache
from typing import Any

FONT = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
LEVEL_FILLS = {"dimension": "#1F4E78", "standard": "#2E75B6", "practice": "#DDEBF7"}
SEVERITY_FILLS = {"error": "#F8CBAD", "warning": "#FFE699"}
INPUT_FILL = "#FFFDE7"
NUMBER_FORMATS = {"integer": "#,##0", "number": "#,##0.00", "percent": "0.0%", "currency": "#,##0.00", "date": "yyyy-mm-dd"}


# Row heights. XlsxWriter cannot fit rows to wrapped text, and LibreOffice and Excel on the web show the
# stored height, so rows whose texts wrap get a height computed from the text: words wrapped at a width
# in characters (Calibri/Carlito 10 pt fits ~1.3 characters of prose per column-width unit; a little
# less is assumed, less again for bold), and lines of 1.3 x the font size, as Excel spaces them.
CHARS_PER_UNIT = {False: 1.25, True: 1.15}  # regular, bold
LINE_SPACING = 1.3


@lru_cache(maxsize=16384)  # the same labels come back with every render and every server job
def text_lines(text: str, width: float, size: float = FONT["font_size"], bold: bool = False) -> int:
    """Lines a wrapped cell of `width` (column-width units) needs for `text` at `size` points."""
    per_line = max(1, int(width * CHARS_PER_UNIT[bold] * FONT["font_size"] / size))
    return sum(len(textwrap.wrap(part, per_line)) or 1 for part in text.split("\n")) if text else 1


def row_height(*cells: tuple) -> float | None:
    """Height in points for a row whose wrapped cells are (text, width[, size[, bold]]); None when one line fits."""
    height, wraps = 0.0, False
    for text, width, *rest in cells:
        size = rest[0] if rest else FONT["font_size"]
        lines = text_lines(text or "", width, size, *rest[1:2])
        wraps |= lines > 1
        height = max(height, lines * size * LINE_SPACING + 3)
    return math.ceil(height / 0.75) * 0.75 if wraps else None  # Excel stores heights in 0.75-pt steps


class Formats:
    def __init__(self, book, password: str | None = None) -> None:
        self.book, self.password = book, password
        add = self.add
        self.key = add(font_color="#808080", font_size=8)
        self.plain = add()
        self.bold = add(bold=True)
        self.wrap = add(text_wrap=True)
        self.link = add(text_wrap=True, font_color="#0563C1", underline=1)  # top-aligned like its row's texts
        self.center = add(align="center")
        self.title = add(bold=True, font_size=16, font_color="#1F4E78")
        self.subtitle = add(italic=True, font_size=11, text_wrap=True)
        self.paragraph = add(text_wrap=True)
        self.header = add(bold=True, text_wrap=True, bg_color="#D9D9D9", border=1)
        self.guidance = add(text_wrap=True, font_color="#595959", font_size=9)
        self.detail = add(text_wrap=True, italic=True, indent=2, font_color="#404040")
        self.level = {
            "dimension": add(bold=True, font_color="#FFFFFF", bg_color=LEVEL_FILLS["dimension"], text_wrap=True),
            "standard": add(bold=True, font_color="#FFFFFF", bg_color=LEVEL_FILLS["standard"], text_wrap=True),
            "practice": add(bold=True, bg_color=LEVEL_FILLS["practice"], text_wrap=True),
            "indicator": add(bold=True),
            "detail": add(italic=True, indent=1, font_color="#404040"),
        }
        self.input = self.input_fmt()
        self.input_wrap = self.input_fmt(text_wrap=True)
        self.input_date = self.input_fmt(num_format="yyyy-mm-dd")
        self.input_highlight = {sev: self.input_fmt(bg_color=fill, text_wrap=True) for sev, fill in SEVERITY_FILLS.items()}
        self.input_highlight_date = {sev: self.input_fmt(bg_color=fill, num_format="yyyy-mm-dd") for sev, fill in SEVERITY_FILLS.items()}
        self.locked_grey = add(bg_color="#EDEDED")
        self.percent_cell = add(num_format="0%", align="center")
        self.invalid = book.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
        self.result_int = add(num_format="0", align="center")
        self.result_pct = add(num_format="0.0%", align="center")
        self.figure_pct = add(num_format="0.0%")
        self.headline_pct = add(num_format="0.0%", bold=True, font_size=14, align="left")
        self.headline_date = add(num_format="yyyy-mm-dd", bold=True, align="left")
        self.badge = add(bold=True, font_size=12, bg_color="#FFE699", border=1, border_color="#BF9000")
        result_levels = ("overall", "dimension", "standard", "practice", "principle", "alinus", "module")
        self.level_result = {lvl: add(bold=lvl in ("overall", "dimension")) for lvl in result_levels}
        self.level_result_text = {lvl: add(bold=lvl in ("overall", "dimension"), indent={"standard": 1, "practice": 2}.get(lvl, 0),
                                           text_wrap=True) for lvl in result_levels}
        self._org: dict[tuple[str, str | None], Any] = {}

    def add(self, **props: Any):
        return self.book.add_format({**FONT, **props})

    def input_fmt(self, **props: Any):
        return self.add(**{"locked": False, "bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF", **props})

    def org_input(self, ftype: str, severity: str | None):
        key = (ftype, severity)
        if key not in self._org:
            props: dict[str, Any] = {"num_format": NUMBER_FORMATS.get(ftype, "@"), "text_wrap": True}
            if severity:
                props["bg_color"] = SEVERITY_FILLS[severity]
            self._org[key] = self.input_fmt(**props)
        return self._org[key]


def protect(ws, fmt: Formats) -> None:
    """Locked structure and formulas, editable inputs; no password unless asked. Sheets meant to be sorted,
    filtered or grouped (the questionnaire) stay unprotected: Excel refuses those on a protected sheet."""
    ws.protect(fmt.password or "", {
        "format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True,
    })
