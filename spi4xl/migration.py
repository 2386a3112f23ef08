"""Carry an audit made on an earlier catalog version over to the current one, by the catalog's change records.

What an auditor typed under a code that moved follows it; a merged item joins its successor unless their
answers (or evidence types) differ, in which case it stays whole under its old code, which the workbook's
conversion sheet then shows beside its successor; a split item's entries go to every part, to be reviewed;
a retired item stays under its old code. Nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import field, replace

from spi4xl.audit import Audit
from spi4xl.catalog.model import Catalog, Change, version_key
from spi4xl.records import MutableRecord, record

CODED = ("answer", "evidence")  # one value per item: two different values cannot be joined
TEXTS = ("comment", "flag")  # free text: joined, each line after the first naming the code it came from


@record(frozen=False)
class Migration(MutableRecord):
    audit: Audit
    version: str = ""  # the catalog version the audit was made on
    original: Audit | None = None  # the audit as it was typed, on that version
    sources: dict[str, str] = field(default_factory=dict)  # new code -> the earlier code its entries came from
    split: set[str] = field(default_factory=set)  # codes that received a copy of a split item's entries


def successor(catalog: Catalog, code: str) -> str | None:
    """Where an earlier code's content lives now (the first part of a split), or None."""
    return next((c.new for c in catalog.changes if c.old == code and c.new), None)


def pending(catalog: Catalog, version: str) -> list[list[Change]]:
    """The changes an audit of `version` has not seen, one list per catalog version, oldest first."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", version) or version_key(version) >= version_key(catalog.version):
        return []  # up to date, or a version this catalog cannot know (typed over in Settings)
    steps: dict[str, list[Change]] = {}
    for change in catalog.changes:
        if version_key(change.since) > version_key(version) and change.how != "retired":
            steps.setdefault(change.since, []).append(change)
    return [steps[v] for v in sorted(steps, key=version_key)]


def _entries(audit: Audit, code: str) -> dict[str, str]:
    """What was typed for `code`, by column (unparsed text where the value was not understood)."""
    out = {}
    for column, values in (("answer", audit.answers), ("evidence", audit.evidence)):
        if code in values:
            out[column] = values[code]
        elif (code, column) in audit.unparsed:
            out[column] = "\0" + audit.unparsed[(code, column)]  # kept apart from a parsed value
    for column, values in (("comment", audit.comments), ("flag", audit.flags)):
        if code in values:
            out[column] = values[code]
    return out


def _put(audit: Audit, code: str, entries: dict[str, str]) -> None:
    for column, value in entries.items():
        if column in CODED:
            target = audit.answers if column == "answer" else audit.evidence
            target.pop(code, None)
            audit.unparsed.pop((code, column), None)
            if value.startswith("\0"):
                audit.unparsed[(code, column)] = value[1:]
            else:
                target[code] = value
        else:
            (audit.comments if column == "comment" else audit.flags)[code] = value


def _drop(audit: Audit, code: str) -> None:
    for values in (audit.answers, audit.evidence, audit.comments, audit.flags):
        values.pop(code, None)
    for column in CODED:
        audit.unparsed.pop((code, column), None)


def _joined(here: dict[str, str], old: str, came: dict[str, str]) -> dict[str, str] | None:
    """`here` with `came` (the entries of `old`) added, or None when a coded value differs."""
    if any(here.get(c) not in (None, came[c]) for c in CODED if c in came):
        return None
    out = dict(here)
    for column, value in came.items():
        if column in TEXTS and here.get(column) and here[column] != value:
            out[column] = f"{here[column]}\n{old}: {value}"
        else:
            out[column] = value
    return out


def migrate(audit: Audit, catalog: Catalog) -> Migration:
    """`audit` on `catalog`'s version (a copy, with its entries placed by the catalog's change records), or
    `audit` itself when it has nothing to catch up on."""
    steps = pending(catalog, audit.catalog_version)
    if not steps:
        return Migration(audit, audit.catalog_version, audit)
    result = Migration(replace(audit, answers=dict(audit.answers), comments=dict(audit.comments), evidence=dict(
        audit.evidence), flags=dict(audit.flags), unparsed=dict(audit.unparsed)), audit.catalog_version, audit)
    moved = result.audit
    for step in steps:
        typed = {c.old: _entries(moved, c.old) for c in step}
        refused: set[str] = set()  # earlier codes a successor could not take: they stay whole
        for change in step:
            came = typed[change.old]
            if not came:
                continue
            joined = _joined(_entries(moved, change.new), change.old, came)
            if joined is None:  # a different answer: the old item stays, shown beside its successor
                refused.add(change.old)
                continue
            _put(moved, change.new, joined)
            result.sources.setdefault(change.new, change.old)
            if change.how == "split":
                result.split.add(change.new)
        for old in typed:
            if typed[old] and old not in refused and catalog.node(old) is None:
                _drop(moved, old)
    moved.catalog_version = catalog.version
    return result
