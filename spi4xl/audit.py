"""The audit: what an auditor typed, in canonical codes, independent of any workbook or language."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import field
from functools import lru_cache
from typing import Any

from spi4xl.records import MutableRecord, record

META_FIELDS = ("organization", "country", "auditor", "assessment_type", "start_date", "end_date")
ASSESSMENT_TYPES = ("self", "accompanied", "qualified", "external")
META_DATES = ("start_date", "end_date")
PERCENT_FORMAT, NUMBER_FORMAT = "percent", "number"  # values of Audit.org_formats
# The action plan's editable columns (what the auditor types beside each gap) and its statuses.
PLAN_FIELDS = ("action", "owner", "due", "status", "comment")
PLAN_STATUSES = ("planned", "in_progress", "done", "dropped")


@record(frozen=False)
class Audit(MutableRecord):
    """Answers keyed by indicator or detail-item code; texts kept exactly as typed.

    `unparsed` keeps what could not be understood (an answer outside the scale, a number typed as
    words) under (code or field id, column id), so converting a workbook never drops it.
    `org_formats` says, for percent fields read from a workbook that holds a number, how its cell was
    formatted: "percent" (the number is a fraction whatever its size: 1.2 is 120 %) or "number" (General
    or a number format: 45 is a whole-number percentage). Unknown (no workbook, or an engine that cannot
    tell): absent. Where the value came from, not what it is: audits compare equal without it.
    """

    edition: str
    catalog_version: str = ""
    language: str = "en"
    profile: str = "full"
    modules: tuple[str, ...] | None = None  # None: every module of the catalog
    metadata: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    org: dict[str, Any] = field(default_factory=dict)
    unparsed: dict[tuple[str, str], str] = field(default_factory=dict)
    org_formats: dict[str, str] = field(default_factory=dict, compare=False)
    # identity (spi4xl.identity): one id for every file of one audit, and where this file comes from
    audit_id: str = ""  # empty: a blank template, not yet an audit
    origin: str = ""  # the department (code) or person this file was made for
    created: str = ""  # ISO date-time the audit was created
    updated: str = ""  # ISO date-time spi4xl last wrote this file
    departments: tuple[str, ...] | None = None  # a department's part of the audit (spi4xl split); None: all
    merged: tuple = ()  # spi4xl.merge.MergeEntry rows of the merge report sheet: what merges chose and set aside
    # indicator code -> {PLAN_FIELDS id: value}: texts as typed, `due` a date (else the text typed),
    # `status` one of PLAN_STATUSES (else the text typed). Only rows with something typed are kept.
    plan: dict[str, dict[str, Any]] = field(default_factory=dict)

    def typed_codes(self) -> set[str]:
        """Every indicator or detail code that holds something the auditor typed."""
        keys = set(self.answers) | set(self.comments) | set(self.evidence) | set(self.flags)
        return keys | {code for code, column in self.unparsed if column in ("answer", "evidence")}


_SPACES = re.compile(" +")


@lru_cache(maxsize=4096)  # a few dozen distinct answers fill a questionnaire of hundreds of rows
def answer_key(text: str) -> str:
    """How a typed answer is compared, the same way as the workbook's TRIM + case-insensitive MATCH."""
    return _SPACES.sub(" ", text.strip(" ")).lower()


def as_text(value: Any) -> str:
    """A cell value as the text an auditor would say they typed."""
    if value.__class__ is str:  # most cells: no conversion, no further test
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
