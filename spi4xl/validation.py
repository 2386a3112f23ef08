"""Validation of an audit against its catalog: findings as data (code, severity, item, message values).

Findings carry no cell address (`cell` is ""): the workbook layer fills it from the item. Only
indicators in the audit's scope (profile and modules) are checked; answers to other indicators
are ignored. Every code's English message and fix hint live in spi4xl/ui/en/validation.yaml as
`finding.<code>` and `finding.<code>.hint`.

| code | severity | sheet | item | values |
|---|---|---|---|---|
| meta.missing | warning | start | metadata key | |
| meta.dates | error | start | end_date | start, end |
| org.missing | error | organization | field id | |
| org.type | error | organization | field id | value, kind, example |
| org.bound | error | organization | field id | value, min, max |
| org.percent_scale | warning | organization | field id | value, fraction (not when the cell was percent-formatted) |
| org.rule | error | organization | rule's left field id | rule (catalog text), rule_id, right |
| org.average_loan | warning | organization | average_loan | value, expected, tolerance |
| org.deposits_savers | error | organization | deposits | deposits, savers |
| answer.missing | error | questionnaire | indicator, or detail code of a checklist | |
| answer.na_forbidden | error | questionnaire | indicator or detail code | |
| answer.na_no_comment | warning | questionnaire | indicator code | |
| answer.no_evidence | warning | questionnaire | indicator code | |
| detail.contradiction | warning | questionnaire | indicator code | yes, count |
| dimension.overestimated | warning | questionnaire | dimension code | count, commented |
| audit.incomplete | info | questionnaire | "" | count |
| department.unanswered | info | questionnaire | department code (merged audits only) | count, codes |
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from functools import lru_cache
from typing import Any

from spi4xl.audit import PERCENT_FORMAT, Audit, answer_key, as_text
from spi4xl.catalog.departments import owns_field
from spi4xl.catalog.model import CORE_MODULE, Catalog, OrgField
from spi4xl.findings import Finding, named
from spi4xl.scoring import catalog_index, evaluate, scope_of

ERROR, WARNING, INFO = "error", "warning", "info"
QUESTIONNAIRE, ORGANIZATION, START = "questionnaire", "organization", "start"
META_REQUIRED = ("organization", "country", "assessment_type", "start_date")
NUMERIC_TYPES = ("integer", "number", "percent", "currency")
OVERESTIMATED_MIN = 5  # a dimension needs at least this many scored indicators, all Yes, to be flagged
AVERAGE_LOAN_TOLERANCE = 0.10  # how far the average loan may be from portfolio / loans outstanding, relative
RULE_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}
# A value typed the way the workbook expects, per field type: language-neutral examples for messages.
TYPE_EXAMPLES = {"integer": "250", "number": "600", "percent": "15%", "currency": "1500000", "date": "2016-12-31"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _has_text(value: Any) -> bool:
    return value is not None and bool(as_text(value).strip())


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _number(value: Any) -> float | None:
    """A finite int or float (not bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _bound(value: float | None, sign: str) -> str:
    if value is None:
        return f"{sign}∞"
    return as_text(float(value))


def _na_keys(catalog: Catalog) -> frozenset[str]:
    """Every way the catalog writes its not-applicable answers: codes and labels in every language."""
    index = catalog_index(catalog)
    keys = index.extra.get("validation.na_keys")
    if keys is None:
        found = set()
        for scale in catalog.scales.values():
            for answer in scale.answers:
                if answer.is_na:
                    found.add(answer_key(answer.code))
                    found.update(answer_key(catalog.answer_label(scale.id, answer.code, lang))
                                 for lang in catalog.languages)
        keys = index.extra["validation.na_keys"] = frozenset(k for k in found if k)
    return keys


def validate(audit: Audit, catalog: Catalog | None = None) -> list[Finding]:
    """Every finding on an audit: metadata, Organization Information, then the questionnaire."""
    if catalog is None:
        from spi4xl.catalog import load_catalog

        catalog = load_catalog(audit.edition)
    typed_unparsed = {key for key, _column in audit.unparsed}
    findings: list[Finding] = []
    findings += _metadata(audit, typed_unparsed)
    findings += _organization(audit, catalog, typed_unparsed)
    findings += _questionnaire(audit, catalog)
    return named(findings, field_labels(catalog))


@lru_cache(maxsize=8)  # every read and every validation names its findings; shared: read only
def field_labels(catalog: Catalog) -> dict[str, dict[str, str]]:
    """{Organization field id: {language: label}}: what findings call a field instead of its id."""
    return {f.id: {lang: catalog.text(f"org.{f.id}", "label", lang) for lang in catalog.languages}
            for f in catalog.org_fields}


# --- Start sheet ------------------------------------------------------------------------------
def _metadata(audit: Audit, typed_unparsed: set[str]) -> list[Finding]:
    out = []
    meta = audit.metadata
    for key in META_REQUIRED:
        if _blank(meta.get(key)) and key not in typed_unparsed:  # typed but unreadable: the reader reported it
            out.append(Finding("meta.missing", WARNING, key, START))
    start, end = _as_date(meta.get("start_date")), _as_date(meta.get("end_date"))
    if start is not None and end is not None and end < start:
        out.append(Finding("meta.dates", ERROR, "end_date", START,
                           values={"start": start.isoformat(), "end": end.isoformat()}))
    return out


# --- Organization Information -----------------------------------------------------------------
def _typed(field: OrgField, value: Any) -> tuple[bool, float | None]:
    """(value has the field's type, its number for numeric fields)."""
    if field.type in NUMERIC_TYPES:
        number = _number(value)
        if number is None or (field.type == "integer" and not number.is_integer()):
            return False, None
        return True, number
    if field.type == "date":
        return _as_date(value) is not None, None
    if field.type == "choice":
        return isinstance(value, str) and value in field.choices, None
    return True, None  # text: anything typed is text


def _example(field: OrgField) -> str:
    """A value of the field's type, written so that Excel reads it the same in every language."""
    if field.type == "choice":
        return " / ".join(field.choices)
    if field.type == "integer" and field.min is not None and field.min > 1:
        return as_text(float(field.min))
    return TYPE_EXAMPLES.get(field.type, "")


def _organization(audit: Audit, catalog: Catalog, typed_unparsed: set[str]) -> list[Finding]:
    out = []
    numbers: dict[str, float] = {}
    for field in catalog.org_fields:
        value = audit.org.get(field.id)
        if _blank(value):
            if field.mandatory and field.id not in typed_unparsed and owns_field(catalog, field.id, audit.departments):
                out.append(Finding("org.missing", ERROR, field.id, ORGANIZATION))
            continue
        ok, number = _typed(field, value)
        if not ok:
            out.append(Finding("org.type", ERROR, field.id, ORGANIZATION,
                               values={"value": as_text(value), "kind": field.type, "example": _example(field)}))
            continue
        if number is None:
            continue
        numbers[field.id] = number
        if field.type == "percent" and 1 < number <= 100 and audit.org_formats.get(field.id) != PERCENT_FORMAT:
            out.append(Finding("org.percent_scale", WARNING, field.id, ORGANIZATION,
                               values={"value": as_text(value), "fraction": as_text(round(number / 100, 10))}))
        if (field.min is not None and number < field.min) or (field.max is not None and number > field.max):
            out.append(Finding("org.bound", ERROR, field.id, ORGANIZATION,
                               values={"value": as_text(value), "min": _bound(field.min, "-"),
                                       "max": _bound(field.max, "")}))
    for rule in catalog.org_rules:
        left, right = numbers.get(rule.left), numbers.get(rule.right)
        if left is None or right is None or RULE_OPS[rule.op](left, right):
            continue
        out.append(Finding("org.rule", ERROR, rule.left, ORGANIZATION,
                           values={"rule": catalog.text(f"rule.{rule.id}", "message", audit.language),
                                   "rule_id": rule.id, "right": rule.right}))
    return out + _average_loan(numbers) + _deposits_and_savers(numbers)


def _average_loan(numbers: dict[str, float]) -> list[Finding]:
    """The average loan should be the portfolio divided by the loans outstanding, within AVERAGE_LOAN_TOLERANCE
    (relative to that quotient): reporting dates and rounding differ a little, a wrong figure much more."""
    value, portfolio, loans = (numbers.get(k) for k in ("average_loan", "gross_loan_portfolio", "active_loans"))
    if value is None or portfolio is None or not loans:
        return []
    expected = portfolio / loans
    if abs(value - expected) <= AVERAGE_LOAN_TOLERANCE * abs(expected):
        return []
    return [Finding("org.average_loan", WARNING, "average_loan", ORGANIZATION,
                    values={"value": as_text(value), "expected": as_text(round(expected, 2)),
                            "tolerance": as_text(round(AVERAGE_LOAN_TOLERANCE * 100, 6))})]


def _deposits_and_savers(numbers: dict[str, float]) -> list[Finding]:
    """Voluntary deposits are held by voluntary savers: both are zero, or neither is."""
    deposits, savers = numbers.get("deposits"), numbers.get("voluntary_savers")
    if deposits is None or savers is None or (deposits > 0) == (savers > 0):
        return []
    return [Finding("org.deposits_savers", ERROR, "deposits", ORGANIZATION,
                    values={"deposits": as_text(deposits), "savers": as_text(savers)})]


# --- Questionnaire ----------------------------------------------------------------------------
def _questionnaire(audit: Audit, catalog: Catalog) -> list[Finding]:
    out: list[Finding] = []
    scope = scope_of(catalog, audit.profile, audit.modules, audit.departments)
    answers, comments = audit.answers, audit.comments
    na_keys = _na_keys(catalog)
    unparsed_answers = {code: raw for (code, column), raw in audit.unparsed.items() if column == "answer"}

    def na_forbidden(code: str, values: dict, allow_na: bool) -> bool:
        """An N/A where the scale refuses it: stored as a code, or typed and kept unparsed."""
        if allow_na:
            return False
        given = answers.get(code)
        if given is not None:
            if given in values:
                return values[given] is None
            return answer_key(str(given)) in na_keys
        raw = unparsed_answers.get(code)
        return raw is not None and answer_key(as_text(raw)) in na_keys

    unanswered_mandatory = 0
    by_department: dict[str, list[str]] = {}  # department -> its mandatory indicators nobody answered
    dims: dict[str, list[int]] = {}  # dimension -> [scored, all Yes, commented]
    for item, _units in scope.items:
        ind = item.indicator
        code = ind.code
        done, is_na, value = evaluate(item, answers)
        commented = _has_text(comments.get(code)) or any(_has_text(comments.get(d)) for d, _ in item.details)
        if not item.checklist:
            if na_forbidden(code, item.values, catalog.scales[ind.scale].allow_na):
                out.append(Finding("answer.na_forbidden", ERROR, code, QUESTIONNAIRE))
            elif not done and ind.mandatory:
                out.append(Finding("answer.missing", ERROR, code, QUESTIONNAIRE))
        else:
            for det, (dcode, dvalues) in zip(ind.details, item.details):
                if na_forbidden(dcode, dvalues, catalog.scales[det.scale].allow_na):
                    out.append(Finding("answer.na_forbidden", ERROR, dcode, QUESTIONNAIRE))
                elif ind.mandatory and answers.get(dcode) not in dvalues:
                    out.append(Finding("answer.missing", ERROR, dcode, QUESTIONNAIRE))
        if not done and ind.mandatory:
            unanswered_mandatory += 1
            by_department.setdefault(ind.department, []).append(code)
        if is_na and not commented:
            out.append(Finding("answer.na_no_comment", WARNING, code, QUESTIONNAIRE))
        if value is not None and value > 0 and not commented:
            out.append(Finding("answer.no_evidence", WARNING, code, QUESTIONNAIRE))
        if not item.checklist and item.details and (value in (0.0, 1.0) or is_na):
            detail_values = [v for d, dv in item.details if (v := dv.get(answers.get(d))) is not None]
            yes = sum(v == 1 for v in detail_values)
            no = sum(v == 0 for v in detail_values)
            # Yes with mostly No items; No, or N/A, with every item Yes (the practice is there)
            if (value == 1 and detail_values and 2 * no > len(detail_values)) or \
                    ((value == 0 or is_na) and len(detail_values) >= 2 and yes == len(detail_values)):
                out.append(Finding("detail.contradiction", WARNING, code, QUESTIONNAIRE,
                                   values={"yes": yes, "count": len(detail_values)}))
        if value is not None and ind.module == CORE_MODULE:
            stats = dims.setdefault(ind.dimension, [0, 0, 0])
            stats[0] += 1
            stats[1] += value == 1
            stats[2] += commented
    for dim in catalog.dimensions:
        scored, all_yes, commented = dims.get(dim.code, (0, 0, 0))
        if scored >= OVERESTIMATED_MIN and all_yes == scored and 2 * commented < scored:
            out.append(Finding("dimension.overestimated", WARNING, dim.code, QUESTIONNAIRE,
                               values={"count": scored, "commented": commented}))
    if unanswered_mandatory:
        out.append(Finding("audit.incomplete", INFO, "", QUESTIONNAIRE, values={"count": unanswered_mandatory}))
    if audit.merged:  # a merged audit: whom to chase, department by department
        for dep in catalog.departments:
            if codes := by_department.get(dep.code):
                names = {lang: catalog.text(dep.key, "name", lang) for lang in catalog.languages}
                out.append(Finding("department.unanswered", INFO, dep.code, QUESTIONNAIRE,
                                   values={"count": len(codes), "codes": ", ".join(codes)}, names=names))
    return out
