"""Row heights count wrapped lines exactly as textwrap would (spi4xl.workbook.formats.wrapped_lines)."""

from __future__ import annotations

import random
import textwrap

import pytest

from audits import CATALOG
from spi4xl.ui import LANGUAGES, ui_all
from spi4xl.workbook.formats import wrapped_lines

PIECES = ["word", "a", "long-hyphenated-compound", "---", "-x", "x-", "self-evident", "anti--clockwise", "\u2014",
          "em\u2014dash", "ñandú", "l'épargne", "x" * 40, "-" * 30, "a-" * 15, " ", "  ", "\t", "\r", "\x0b", "\x0c",
          "\u00a0", "\u2003", "(CP2)", "1.2.3", "31/12/2026", "e.g.", "50%", "\u00a0 \u00a0"]


def _random_texts(n: int, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "  ", "\t"]) for _ in range(rng.randint(0, 40)))
            for _ in range(n)]


def test_random_texts_wrap_into_as_many_lines_as_textwrap_makes() -> None:
    for text in _random_texts(3000):
        for width in (1, 2, 3, 5, 8, 13, 21, 34, 55):
            assert wrapped_lines(text, width) == len(textwrap.wrap(text, width)), (text, width)


@pytest.mark.parametrize("width", [9, 12, 17, 25, 31, 38, 46, 62, 75, 90, 110])
def test_every_catalog_and_interface_text_wraps_as_textwrap_wraps_it(width: int) -> None:
    texts = {text for table in CATALOG.texts.values() for text in table.values()}
    texts |= {text for key in ("start.purpose", "start.howto", "plan.note", "results.provisional")
              for text in ui_all(key).values()}
    assert len(texts) > 1000 and set(LANGUAGES) == set(CATALOG.languages)
    for text in texts:
        for part in text.split("\n"):
            assert wrapped_lines(part, width) == len(textwrap.wrap(part, width)), (part, width)
