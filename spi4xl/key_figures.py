"""The social dashboard's key figures: Organization Information fields marked `dashboard`, and ratios
between two fields. The Dashboard sheet computes the same figures with formulas
(spi4xl/workbook/dashboard.py); this module is their one definition on the Python side, so the cached
values the renderer writes and `spi4xl score --json` agree with what Excel computes.

A field's figure is its value when it is a number, else None (`IF(ISNUMBER(f),f,"")` on the sheet: text
typed where a number belongs is a finding, not a figure). A ratio is numerator / denominator when both
are numbers and the denominator is not zero, else None (`IF(AND(ISNUMBER(n),ISNUMBER(d)),IFERROR(n/d,""),"")`).
"""

from __future__ import annotations

from typing import Any, Mapping

from spi4xl.catalog.model import Catalog
from spi4xl.records import Record, record


@record
class Ratio(Record):
    """A key figure of the dashboard: one Organization field over another."""

    id: str  # its label is the UI string `dashboard.<id>`
    numerator: str  # Organization Information field ids
    denominator: str
    percent: bool = True  # a share (shown as %), else a plain number (borrowers per loan officer)

    @property
    def label_key(self) -> str:
        return f"dashboard.{self.id}"


RATIOS = (
    Ratio("women_clients", "women_clients", "active_clients"),
    Ratio("rural_clients", "rural_clients", "active_clients"),
    Ratio("women_borrowers", "women_borrowers", "active_borrowers"),
    Ratio("women_staff", "staff_women", "staff_total"),
    Ratio("women_board", "board_women", "board_members"),
    Ratio("borrowers_per_officer", "active_borrowers", "loan_officers", percent=False),
    Ratio("complaints_resolved", "complaints_resolved", "complaints_received"),
)


def _number(value: Any) -> float | None:
    """What the sheet's ISNUMBER accepts: an int or float, not a boolean."""
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value


def ratio_value(org: Mapping[str, Any], ratio: Ratio) -> float | None:
    num, den = _number(org.get(ratio.numerator)), _number(org.get(ratio.denominator))
    if num is None or den is None or den == 0:
        return None
    return num / den


def ratios(catalog: Catalog) -> tuple[Ratio, ...]:
    """The ratios whose two fields the catalog has."""
    ids = {f.id for f in catalog.org_fields}
    return tuple(r for r in RATIOS if r.numerator in ids and r.denominator in ids)


def key_figures(catalog: Catalog, org: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """{"fields": {field id: number or None}, "ratios": {ratio id: number or None}}, in dashboard order."""
    return {
        "fields": {f.id: _number(org.get(f.id)) for f in catalog.org_fields if f.dashboard},
        "ratios": {r.id: ratio_value(org, r) for r in ratios(catalog)},
    }
