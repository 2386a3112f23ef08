"""Cell formats, made once per workbook: colours by level, unlocked inputs, highlights for findings."""

from __future__ import annotations

import math
import re
import textwrap
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import Any

FONT = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
FONT_SIZE = FONT["font_size"]
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
def text_lines(text: str, width: float, size: float = FONT_SIZE, bold: bool = False) -> int:
    """Lines a wrapped cell of `width` (column-width units) needs for `text` at `size` points."""
    per_line = max(1, int(width * CHARS_PER_UNIT[bold] * FONT_SIZE / size))
    if "\n" not in text:
        return wrapped_lines(text, per_line) or 1 if text else 1
    return sum(wrapped_lines(part, per_line) or 1 for part in text.split("\n"))


def wrapped_lines(text: str, width: int) -> int:
    """len(textwrap.wrap(text, width)), counted without making the lines: a build wraps ~3,300 texts.

    The same chunks (textwrap's own word-splitting expression, after its whitespace replacement) and the
    same greedy fill as textwrap's defaults: whitespace dropped at line ends, words longer than a line
    broken, after their last hyphen when there is one. A line's chunks are found by bisecting their running
    lengths, not one by one. tests/test_formats.py compares the two.
    """
    if "\t" not in text and len(text) <= width and text.strip():  # fits on one line
        return 1
    other = _OTHER_SPACE.search(text)
    if other and _OTHER_WHITESPACE.search(text):  # as textwrap: tabs expanded, every whitespace a space
        text = text.expandtabs().translate(_WHITESPACE)
        other = _OTHER_SPACE.search(text)
    if not other and "  " not in text and text and text[0] != " " and text[-1] != " ":  # words between single spaces
        if "-" not in text:
            return _lines_of_words(text.split(" "), width)
        chunks = [c for word in text.split(" ") for c in (" ", *(_hyphenated(word) if "-" in word else (word,)))][1:]
    else:
        # textwrap's chunks: the runs of spaces and of the rest, the rest split again where it holds a hyphen
        chunks = [c for c in _SPACES(text) if c]
        if "-" in text:
            chunks = [c for part in chunks for c in (_hyphenated(part) if "-" in part else (part,))]
    if max(map(len, chunks), default=0) > width:
        return _lines_breaking_words(chunks, width)
    ends = [0, *accumulate(map(len, chunks))]  # ends[k]: the length of chunks[:k]
    lines, first = 0, 0
    while first < len(chunks):
        if lines and chunks[first].isspace():  # a line does not begin with the space that ended the last
            first += 1
            if first == len(chunks):
                break
        stop = bisect_right(ends, ends[first] + width, first) - 1  # chunks[first:stop] fill the line
        lines += stop - first - chunks[stop - 1].isspace() > 0  # its last chunk dropped when it is whitespace
        first = stop
    return lines


@lru_cache(maxsize=4096)  # hyphenated words come back (French: a third of the catalog's texts hold one)
def _hyphenated(word: str) -> tuple[str, ...]:
    """textwrap's chunks of a run of non-spaces: its expression looks at no space but to end a word, which the end
    of the run does too."""
    return tuple(c for c in _SPLIT(word) if c)


def _lines_of_words(words: list[str], width: int) -> int:
    """wrapped_lines of words each after a single space: a word goes to the next line when it and the space before
    it do not fit (textwrap drops that space at the line's end, or at the next line's start)."""
    lengths = list(map(len, words))
    if max(lengths) > width:
        return _lines_breaking_words([c for word in words for c in (" ", word)][1:], width)
    lines, used = 1, lengths[0]
    for length in lengths[1:]:
        if used + 1 + length <= width:
            used += 1 + length
        else:
            lines, used = lines + 1, length
    return lines


def _lines_breaking_words(chunks: list[str], width: int) -> int:
    """wrapped_lines when a chunk is longer than a line: textwrap's fill, one chunk at a time."""
    chunks.reverse()
    lines = 0
    while chunks:
        if lines and chunks[-1].isspace():
            del chunks[-1]
        used, count, last = 0, 0, ""
        while chunks and used + len(chunks[-1]) <= width:
            last = chunks.pop()
            used, count = used + len(last), count + 1
        if chunks and len(chunks[-1]) > width:  # too long for any line: as much as fits, or up to a hyphen
            word, end = chunks[-1], width - used
            hyphen = word.rfind("-", 0, end)
            if hyphen > 0 and word[:hyphen].strip("-"):
                end = hyphen + 1
            last, chunks[-1], count = word[:end], word[end:], count + 1
        if count and not last.strip():
            count -= 1
        lines += count > 0
    return lines


_SPLIT = textwrap.TextWrapper.wordsep_re.split
_SPACES = re.compile("( +)").split
_OTHER_WHITESPACE = re.compile("[\t\n\x0b\x0c\r]")  # textwrap's whitespace but the space
_WHITESPACE = textwrap.TextWrapper.unicode_whitespace_trans
_OTHER_SPACE = re.compile(r"[^\S ]")  # whitespace to str.strip (which textwrap drops by) but not a space


@lru_cache(maxsize=16384)  # a row's texts and widths come back with every render of its language
def row_height(*cells: tuple) -> float | None:
    """Height in points for a row whose wrapped cells are (text, width[, size[, bold]]); None when one line fits."""
    height, wraps = 0.0, False
    for cell in cells:
        size = cell[2] if len(cell) > 2 else FONT_SIZE
        lines = text_lines(cell[0] or "", cell[1], size, len(cell) > 3 and cell[3])
        if lines > 1:
            wraps = True
        height = max(height, lines * size * LINE_SPACING + 3)
    return math.ceil(height / 0.75) * 0.75 if wraps else None  # Excel stores heights in 0.75-pt steps


class Formats:
    def __init__(self, book, password: str | None = None, protected: bool = True) -> None:
        self.book, self.password, self.protected = book, password, protected
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
        self.figure_ratio = add(num_format="#,##0.0")
        self.headline_pct = add(num_format="0.0%", bold=True, font_size=14, align="left")
        self.headline_date = add(num_format="yyyy-mm-dd", bold=True, align="left")
        self.badge = add(bold=True, font_size=12, bg_color="#FFE699", border=1, border_color="#BF9000")
        result_levels = ("overall", "dimension", "standard", "practice", "principle", "alinus", "module")
        self.level_result = {lvl: add(bold=lvl in ("overall", "dimension")) for lvl in result_levels}
        self.level_result_text = {lvl: add(bold=lvl in ("overall", "dimension"), indent={"standard": 1, "practice": 2}.get(lvl, 0),
                                           text_wrap=True) for lvl in result_levels}
        self._org: dict[tuple[str, str | None], Any] = {}  # (type or number format, severity) -> format

    def add(self, **props: Any):
        return self.book.add_format({**FONT, **props})

    def input_fmt(self, **props: Any):
        return self.add(**{"locked": False, "bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF", **props})

    def org_input(self, ftype: str, severity: str | None, num_format: str | None = None):
        """An Organization Information input cell of this type; `num_format` overrides the type's format."""
        key = (num_format or ftype, severity)
        if key not in self._org:
            props: dict[str, Any] = {"num_format": num_format or NUMBER_FORMATS.get(ftype, "@"), "text_wrap": True}
            if severity:
                props["bg_color"] = SEVERITY_FILLS[severity]
            self._org[key] = self.input_fmt(**props)
        return self._org[key]


def protect(ws, fmt: Formats) -> None:
    """Locked structure and formulas, editable inputs; no password unless asked. Sheets meant to be sorted,
    filtered or grouped (the questionnaire) stay unprotected: Excel refuses those on a protected sheet.
    Workbooks for xlwings Lite are rendered unprotected (`protected=False`): Lite cannot lift protection."""
    if not fmt.protected:
        return
    ws.protect(fmt.password or "", {
        "format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True,
    })
