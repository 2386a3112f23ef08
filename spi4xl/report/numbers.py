"""Numbers as readers of each language write them: 69.3 % in English, 69,3 % in French and Spanish."""

from __future__ import annotations

DECIMAL = {"en": ".", "fr": ",", "es": ","}
THOUSANDS = {"en": ",", "fr": "\u202f", "es": "."}


def _local(text: str, lang: str) -> str:
    """Python's 1,234.5 with the language's separators."""
    return text.replace(",", "\0").replace(".", DECIMAL.get(lang, ".")).replace("\0", THOUSANDS.get(lang, ","))


def percent(value: float | None, lang: str, digits: int = 1) -> str:
    return "–" if value is None else _local(f"{100 * value:.{digits}f}", lang) + "\u00a0%"


def points(change: float | None, lang: str) -> str:
    """A change of score in percentage points, signed."""
    return "–" if change is None else _local(f"{100 * change:+.1f}", lang)


def number(value: object, lang: str, kind: str = "number") -> str:
    """An Organization Information value: whole numbers grouped, amounts with two decimals, text as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return _local(f"{value:,.0f}" if kind == "integer" else f"{value:,.2f}", lang)
