"""Charts of the report as inline SVG, drawn here from the numbers: no plotting library, no script, no request.

SVG scales to any screen (viewBox, width 100 %), prints sharp, and keeps the report one self-contained file.
Scores are in [0, 1]; None (nothing scored) is drawn as no bar and labelled with a dash.
"""

from __future__ import annotations

import math
from html import escape

from spi4xl.records import Record, record
from spi4xl.report.numbers import percent

BLUE, GREY, DARK, BAND = "#2E75B6", "#A6A6A6", "#262626", "#D9D9D9"


@record
class Bar(Record):
    label: str  # short, on the axis (a code)
    title: str  # the full name, shown on hover and read by screen readers
    value: float | None
    previous: float | None = None  # drawn as a tick: the previous audit's score
    band: tuple[float, float, float] | None = None  # peers' 25th percentile, median, 75th percentile


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>{"".join(body)}</svg>')


def bars(title: str, rows: list[Bar], lang: str, width: int = 480, label_width: int = 50) -> str:
    """Horizontal bars 0-100 %, one per row, with grid lines, the previous score and the peers' band."""
    row_h, top, right = 26, 24, 70
    plot = width - label_width - right
    height = top + row_h * len(rows) + 8
    x = lambda v: label_width + plot * max(0.0, min(1.0, v))  # noqa: E731
    body = []
    for q in (0, 0.25, 0.5, 0.75, 1):
        body.append(f'<line x1="{x(q):.1f}" y1="{top - 4}" x2="{x(q):.1f}" y2="{height - 6}" stroke="#E7E6E6"/>'
                    f'<text x="{x(q):.1f}" y="{top - 8}" font-size="12" text-anchor="middle" fill="#595959">{int(q * 100)}\u00a0%</text>')
    for i, row in enumerate(rows):
        y = top + i * row_h
        body.append(f'<g><title>{escape(row.title)}: {percent(row.value, lang)}</title>'
                    f'<text x="{label_width - 6}" y="{y + 18}" font-size="14" text-anchor="end" fill="{DARK}">{escape(row.label)}</text>')
        if row.band is not None:
            low, median, high = row.band
            body.append(f'<rect x="{x(low):.1f}" y="{y + 2}" width="{max(x(high) - x(low), 1):.1f}" height="{row_h - 4}" '
                        f'fill="{BAND}" class="band"/><line x1="{x(median):.1f}" y1="{y + 1}" x2="{x(median):.1f}" '
                        f'y2="{y + row_h - 1}" stroke="{GREY}" stroke-width="2"/>')
        if row.value is not None:
            body.append(f'<rect x="{label_width}" y="{y + 6}" width="{x(row.value) - label_width:.1f}" height="{row_h - 12}" '
                        f'fill="{BLUE}" class="bar"/>')
        if row.previous is not None:
            body.append(f'<line x1="{x(row.previous):.1f}" y1="{y + 3}" x2="{x(row.previous):.1f}" y2="{y + row_h - 3}" '
                        f'stroke="{DARK}" stroke-width="2" class="previous"/>')
        body.append(f'<text x="{width - right + 4}" y="{y + 18}" font-size="14" fill="{DARK}">{percent(row.value, lang)}</text></g>')
    return _svg(width, height, title, body)


def _lines(text: str, width: int = 15) -> list[str]:
    """A label broken at spaces into lines of about `width` characters (axis labels stay inside a phone's screen)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def radar(title: str, axes: list[Bar], lang: str, width: int = 520, height: int = 400) -> str:
    """The dimensions around a circle: this audit's scores filled, the previous audit's as a dashed outline.
    Axis labels are wrapped over short lines, with the score below them, so the chart stays narrow."""
    cx, cy = width / 2, height / 2
    radius = 115
    n = len(axes)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + radius * value * math.cos(angle), cy + radius * value * math.sin(angle)

    def polygon(values: list[float]) -> str:
        return " ".join(f"{px:.1f},{py:.1f}" for px, py in (point(i, v) for i, v in enumerate(values)))

    body = []
    for q in (0.25, 0.5, 0.75, 1):
        body.append(f'<polygon points="{polygon([q] * n)}" fill="none" stroke="#D9D9D9"/>')
    for i, axis in enumerate(axes):
        ex, ey = point(i, 1)
        lx, ly = point(i, 1.1)
        anchor = "middle" if abs(lx - cx) < 5 else "start" if lx > cx else "end"
        lines = [*_lines(axis.label), percent(axis.value, lang, 0)]
        top = ly - (len(lines) - 1) * 16 if ly < cy - 5 else ly + 4 if ly > cy + 5 else ly - (len(lines) - 2) * 8
        spans = "".join(f'<tspan x="{lx:.1f}" y="{top + k * 16:.1f}">{escape(line)}</tspan>' for k, line in enumerate(lines))
        body.append(f'<line x1="{cx}" y1="{cy}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#D9D9D9"/>'
                    f'<text font-size="14" text-anchor="{anchor}" fill="{DARK}"><title>{escape(axis.title)}</title>{spans}</text>')
    if any(a.previous is not None for a in axes):
        body.append(f'<polygon points="{polygon([a.previous or 0 for a in axes])}" fill="none" stroke="{DARK}" '
                    f'stroke-dasharray="4 3" stroke-width="1.5" class="previous"/>')
    body.append(f'<polygon points="{polygon([a.value or 0 for a in axes])}" fill="{BLUE}" fill-opacity="0.35" '
                f'stroke="{BLUE}" stroke-width="2" class="bar"/>')
    for q in (0.5, 1):
        body.append(f'<text x="{cx + 3}" y="{cy - radius * q + 11:.1f}" font-size="11" fill="#7F7F7F">{int(q * 100)}\u00a0%</text>')
    return _svg(width, height, title, body)
