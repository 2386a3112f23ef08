"""How each sheet prints: paper, orientation, fit, repeated headers, print area, header and footer.

Why one module: the sheet writers know what they print (their range, whether it is a table), and
the rules (paper by language, landscape when a table is wide, one page wide, the header and footer
in the workbook's language) live here once. Only XlsxWriter page-setup calls are made, which the
grid recorder (spi4xl.xl.grid) ignores.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from spi4xl.errors import Spi4xlError

if TYPE_CHECKING:  # the CLI imports PAPERS at startup: keep this module light
    from spi4xl.workbook.layout import SheetRole

PAPERS = {"a4": 9, "letter": 1}  # Excel's paper codes
PAPER_INCHES = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}  # portrait width, height
# The paper a workbook prints on unless asked otherwise: Spanish-speaking microfinance is mostly in
# Latin America, where Letter is the norm; English and French audits mostly run on A4.
DEFAULT_PAPER = {"en": "a4", "fr": "a4", "es": "letter"}
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.75}  # inches; header/footer sit in top/bottom
HEADER_MARGIN = 0.3
PORTRAIT_MIN_SCALE = 0.8  # a table prints portrait if one page wide keeps it at 80 % or more
HEADER_TEXT_LIMIT = 80  # characters of the organization's name in the header (Excel: 255 for the whole header)
PX_PER_INCH = 96


def paper_for(lang: str, paper: str | None = None) -> str:
    """The paper asked for, else the language's default; an unknown paper is an error."""
    if paper is None:
        return DEFAULT_PAPER.get(lang, "a4")
    if paper not in PAPERS:
        raise Spi4xlError("render.paper", paper=paper, papers=", ".join(PAPERS))
    return paper


def column_pixels(width: float) -> int:
    """Excel's pixels for a column width in characters (Calibri 11: 7-pixel digits, 5 pixels of padding)."""
    return int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5


def printable_pixels(paper: str, landscape: bool) -> tuple[float, float]:
    """Width and height inside the margins, in pixels at 100 %."""
    w, h = PAPER_INCHES[paper]
    if landscape:
        w, h = h, w
    return ((w - MARGINS["left"] - MARGINS["right"]) * PX_PER_INCH,
            (h - MARGINS["top"] - MARGINS["bottom"]) * PX_PER_INCH)


def _escape(text: str) -> str:
    """Header text as literal text: '&' starts a code in Excel headers."""
    return text.replace("&", "&&")


def header_footer(ctx: Any) -> tuple[str, str]:
    """Header: organization (left), sheet name (centre), audit dates (right); footer: 'Page x of y'."""
    meta = ctx.audit.metadata
    org = str(meta.get("organization") or "").replace("\n", " ").strip()
    if len(org) > HEADER_TEXT_LIMIT:
        org = org[:HEADER_TEXT_LIMIT - 1] + "…"
    start, end = (meta.get(k) for k in ("start_date", "end_date"))
    iso = lambda d: d.isoformat() if hasattr(d, "isoformat") else ""
    if iso(start) and iso(end) and start != end:
        dates = ctx.t("print.dates", start=iso(start), end=iso(end))
    elif iso(start) or iso(end):
        dates = ctx.t("print.date", date=iso(start) or iso(end))
    else:
        dates = ""
    header = f"&L{_escape(org)}&C&A&R{_escape(dates)}"
    footer = "&C" + _escape(ctx.t("print.page", page="\0P", pages="\0N")).replace("\0", "&")
    return header, footer


def _common(ws: Any, ctx: Any, landscape: bool) -> None:
    paper = paper_for(ctx.lang, ctx.paper)
    ws.set_paper(PAPERS[paper])
    ws.set_landscape() if landscape else ws.set_portrait()
    ws.set_margins(**MARGINS)
    header, footer = header_footer(ctx)
    ws.set_header(header, {"margin": HEADER_MARGIN})
    ws.set_footer(footer, {"margin": HEADER_MARGIN})


def print_table(ws: Any, ctx: Any, role: SheetRole, last_row: int) -> None:
    """A table sheet: its visible columns, one page wide, the header row on every page.

    Portrait unless that would shrink the table below PORTRAIT_MIN_SCALE; hidden helper columns at
    either end are left out of the print area (hidden ones inside it do not print).
    """
    visible = [i for i, col in enumerate(role.columns) if col.header]
    first, last = visible[0], visible[-1]
    width = sum(column_pixels(role.columns[i].width) for i in visible)
    paper = paper_for(ctx.lang, ctx.paper)
    landscape = width * PORTRAIT_MIN_SCALE > printable_pixels(paper, False)[0]
    _common(ws, ctx, landscape)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1)
    ws.print_area(1, first, max(last_row, 1), last)


def print_one_page(ws: Any, ctx: Any, last_row: int, first_col: int, last_col: int) -> None:
    """A sheet that prints on one portrait page, shrunk if need be (the Start sheet)."""
    _common(ws, ctx, landscape=False)
    ws.fit_to_pages(1, 1)
    ws.print_area(1, first_col, last_row, last_col)


def print_blocks(ws: Any, ctx: Any, last_row: int, last_col: int, block_pixels: tuple[float, float],
                 breaks: Sequence[int]) -> None:
    """A landscape sheet of blocks, one page each, none cut (the Dashboard).

    Excel ignores manual page breaks when a sheet is set to fit to pages, so the sheet gets the one
    scale at which the largest block (`block_pixels`, width and height at 100 %) fits a page, and a
    page break above each row of `breaks`.
    """
    _common(ws, ctx, landscape=True)
    room_w, room_h = printable_pixels(paper_for(ctx.lang, ctx.paper), True)
    scale = math.floor(min(1.0, room_w / block_pixels[0], room_h / block_pixels[1]) * 100 * 0.97)
    ws.set_print_scale(max(10, scale))
    ws.set_h_pagebreaks(list(breaks))
    ws.print_area(1, 1, last_row, last_col)
