"""The action plan: which indicators are gaps, in what order to take them up, and how far the plan has come.

One rule, three users: the renderer writes it as the Action plan sheet's formulas (and their cached
values), the report lists the gaps, `batch` counts the plan's rows by status.
"""

from __future__ import annotations

from typing import Any

from spi4xl.audit import PLAN_STATUSES, Audit
from spi4xl.catalog.model import Catalog
from spi4xl.records import Record, record
from spi4xl.scoring import IndicatorResult, Scores

# The state of an indicator, numbered as the sheet's hidden `state` column computes it (0: no such row in scope).
STATES = ("met", "na", "partial", "not_met", "unanswered")
GAPS = ("partial", "not_met", "unanswered")
LOW_STANDARD = 0.5  # a gap in a standard scored below this (or not scored yet) comes before the others


def state(result: IndicatorResult | None) -> str | None:
    """met, na, partial, not_met or unanswered; None for an indicator outside the audit's scope.

    A checklist counts as met only once every detail item is answered; while some are open it is a gap
    as soon as one answered item is not met, else unanswered.
    """
    if result is None:
        return None
    if result.na:
        return "na"
    if result.value is None:
        return "unanswered"
    if result.done and result.value >= 1:
        return "met"
    if result.value == 0:
        return "not_met"
    return "partial" if result.value < 1 else "unanswered"


def priority(state_: str | None, protects_clients: bool, standard_score: float | None) -> int | None:
    """1: a client-protection or ALINUS gap; 2: a gap in a standard below LOW_STANDARD or not scored; 3: other gaps."""
    if state_ not in GAPS:
        return None
    if protects_clients:
        return 1
    return 2 if standard_score is None or standard_score < LOW_STANDARD else 3


@record
class PlanRow(Record):
    code: str
    state: str | None  # None: typed plan of an indicator this audit no longer covers (kept, never dropped)
    priority: int | None
    standard_score: float | None
    entry: dict[str, Any]  # what the auditor typed: PLAN_FIELDS -> value

    @property
    def is_gap(self) -> bool:
        return self.state in GAPS


def plan_rows(catalog: Catalog, audit: Audit, scores: Scores) -> list[PlanRow]:
    """One row per indicator in scope, gaps first (by priority, then their standard's score, then catalog
    order), then the others; then the plans typed for indicators outside the scope."""
    rows, order = [], {}
    for i, ind in enumerate(catalog.indicators(audit.profile, audit.modules)):
        st = state(scores.indicators.get(ind.code))
        std = scores.standards.get(ind.standard)
        std_score = std.score if std else None
        rows.append(PlanRow(ind.code, st, priority(st, bool(ind.principles) or ind.alinus, std_score), std_score,
                            audit.plan.get(ind.code, {})))
        order[ind.code] = i
    rows.sort(key=lambda r: (not r.is_gap, r.priority or 9, 2 if r.standard_score is None else r.standard_score,
                             order[r.code]))
    rows += [PlanRow(code, None, None, None, entry) for code, entry in sorted(audit.plan.items()) if code not in order]
    return rows


def status_counts(audit: Audit) -> dict[str, int]:
    """Rows of the plan by status; `other` for a status typed outside the list, `none` for rows without one."""
    counts = dict.fromkeys((*PLAN_STATUSES, "other", "none"), 0)
    for entry in audit.plan.values():
        status = entry.get("status")
        counts["none" if not status else status if status in PLAN_STATUSES else "other"] += 1
    return counts


def gap_count(scores: Scores) -> int:
    return sum(state(r) in GAPS for r in scores.indicators.values())
