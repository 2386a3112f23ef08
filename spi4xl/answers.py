"""What typed text means: answer labels of any language or codes, compared like the workbook compares them.

One table serves both sides: the renderer writes it to the lists sheet for the workbook's MATCH
formulas, and the readers use it to turn typed text into canonical codes.
"""

from __future__ import annotations

from functools import lru_cache

from spi4xl.audit import ASSESSMENT_TYPES, answer_key
from spi4xl.catalog.model import Catalog
from spi4xl.ui import ui_all


@lru_cache(maxsize=8)
def answer_table(catalog: Catalog) -> tuple[tuple[str, str, str, float | None], ...]:
    """Rows (scale id, typed key, answer code, value): every label in every language, and every code.

    Order matters: the first row of a key wins, in Python as in the workbook's MATCH.
    """
    rows: list[tuple[str, str, str, float | None]] = []
    seen: set[tuple[str, str]] = set()
    for scale in catalog.scales.values():
        for answer in scale.answers:
            keys = [answer.code] + [catalog.answer_label(scale.id, answer.code, lang) for lang in catalog.languages]
            keys += answer.aliases
            for key in map(answer_key, keys):
                if (scale.id, key) not in seen:
                    seen.add((scale.id, key))
                    rows.append((scale.id, key, answer.code, answer.value))
    return tuple(rows)


@lru_cache(maxsize=8)
def _answer_lookup(catalog: Catalog) -> dict[tuple[str, str], str]:
    return {(scale, key): code for scale, key, code, _ in answer_table(catalog)}


@lru_cache(maxsize=8)
def _answer_rows(catalog: Catalog) -> dict[tuple[str, str], int]:
    return {(scale, key): i for i, (scale, key, _, _) in enumerate(answer_table(catalog), start=1)}


def answer_row(catalog: Catalog, scale: str, typed: str) -> int:
    """1-based row of typed text in the answer table (what the workbook's MATCH returns), 0 when absent."""
    return _answer_rows(catalog).get((scale, answer_key(typed)), 0)


def parse_answer(catalog: Catalog, scale: str, raw: object) -> str | None:
    """The answer code typed as `raw` on `scale`, or None when it is not an answer of that scale."""
    return _answer_lookup(catalog).get((scale, answer_key(str(raw))))


def parse_item_answer(catalog: Catalog, code: str, raw: object) -> tuple[str, str] | None:
    """(scale, answer code) of text typed for an item that may have left the catalog: its own scale
    first, else the first scale that understands it; None when no scale does."""
    node = catalog.node(code)
    own = getattr(node, "scale", None)
    for scale in ([own] if own in catalog.scales else []) + list(catalog.scales):
        if (answer := parse_answer(catalog, scale, raw)) is not None:
            return scale, answer
    return None


@lru_cache(maxsize=256)
def term_lookup(catalog: Catalog, kind: str) -> dict[str, str]:
    """Typed key -> code for evidence types, assessment types or a choice field ('org.<id>')."""
    if kind == "evidence":
        pairs = [(t.code, [catalog.text(t.key, "name", lang) for lang in catalog.languages]) for t in catalog.evidence_types]
    elif kind == "assessment":
        pairs = [(code, list(ui_all(f"assessment.{code}").values())) for code in ASSESSMENT_TYPES]
    elif kind.startswith("org."):
        fid = kind[4:]
        choices = next(f.choices for f in catalog.org_fields if f.id == fid)
        pairs = [(c, [catalog.text(f"org.{fid}.{c}", "label", lang) for lang in catalog.languages]) for c in choices]
    else:
        raise KeyError(kind)
    table: dict[str, str] = {}
    for code, labels in pairs:
        for key in map(answer_key, [code, *labels]):
            table.setdefault(key, code)
    return table
