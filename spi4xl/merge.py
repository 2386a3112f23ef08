"""Merging the files of one audit (each department's part, copies filled offline) into one audit, losing nothing.

Generic over the audit model: every dict field of `Audit` (answers, comments, evidence, flags, Organization
Information, audit information, and any field added later) is merged key by key; text the reader could not
understand (`Audit.unparsed`) competes in the slot it was typed in. A blank never erases a value.

Rules (`prefer`), for one slot, with the audit merged into (`base`) and the parts:
- `parts` (default): a part's value replaces the base's (the department answered); parts that disagree are a
  conflict, and the newest file wins (the file saved last; same time: the first file name).
- `blank-only`: a part fills only what the base leaves blank; a part that disagrees with the base is a
  conflict and the base's value stays; parts that disagree on a blank slot: the newest wins.
- `newest`: every value competes, the base's included, and the newest file wins.
- `fail`: as `parts`, but any conflict stops the merge (nothing is written).
Every value a part brought is a row of the report; a conflict's losing value stays there, so nothing is lost.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import field
from functools import lru_cache
from typing import Any, Callable, Hashable, Iterable, Mapping

from spi4xl.audit import META_FIELDS, Audit, as_text
from spi4xl.errors import Spi4xlError
from spi4xl.identity import parse_time
from spi4xl.records import MutableRecord, Record, record

RULES = ("parts", "blank-only", "newest", "fail")
STATUSES = ("added", "changed", "conflict")
# where unparsed text goes: its column -> the audit field it would have filled
UNPARSED_FIELDS = {"answer": "answers", "evidence": "evidence"}


@record
class Unread(Record):
    """Text typed in a slot that the reader could not understand (kept in Audit.unparsed)."""

    text: str
    column: str


@record
class MergeEntry(Record):
    """One row of the merge report: a value a part brought, or a value set aside in a conflict."""

    status: str  # added (filled a blank), changed (replaced `other`), conflict (`value` set aside, `other` kept)
    field: str  # the audit field: answers, comments, evidence, flags, org, metadata...
    item: str  # indicator or detail code, Organization field id, audit information key
    value: str  # as text (codes for answers and evidence types, ISO dates)
    file: str
    origin: str  # the department or person of that file
    cell: str  # 'Sheet'!A1 of the value in that file
    rule: str  # the rule that chose (RULES, or "" when nothing competed)
    other: str = ""  # changed: the value replaced; conflict: the value kept

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@record
class Source(Record):
    """One file of the merge: its audit, its name, and when it was last saved (for `newest`)."""

    audit: Audit
    file: str
    saved: str = ""  # the file's own save time (document properties), ISO
    cell: Callable[[str, str], str] = lambda field_, item: ""  # (field, item) -> 'Sheet'!A1 in that file

    @property
    def time(self) -> str:
        """The later of the file's save time and the time spi4xl last wrote it; "" when neither is known."""
        times = [t for t in (parse_time(self.saved), parse_time(self.audit.updated)) if t is not None]
        return max(times).isoformat(timespec="seconds") if times else ""


@record(frozen=False)
class Merged(MutableRecord):
    audit: Audit
    entries: list[MergeEntry] = field(default_factory=list)

    @property
    def conflicts(self) -> list[MergeEntry]:
        return [e for e in self.entries if e.status == "conflict"]


def item_role(catalog: Any, item: str) -> str:
    """The sheet role an audit item is typed on: questionnaire codes, Organization fields, audit information."""
    if item in META_FIELDS:
        return "start"
    return "organization" if item in _field_ids(catalog) else "questionnaire"


@lru_cache(maxsize=8)
def _field_ids(catalog: Any) -> frozenset[str]:
    return frozenset(f.id for f in catalog.org_fields)


def dict_fields(audit: Audit) -> tuple[str, ...]:
    """The audit's fields merged key by key: every dict field but `unparsed` (whose text joins its slot), so a
    field added to the model later is merged, split and reported without a change here."""
    return tuple(f.name for f in dataclasses.fields(audit) if f.default_factory is dict and f.name != "unparsed")


def slots(audit: Audit) -> dict[tuple[str, Hashable], Any]:
    """(field, key) -> the non-blank value typed there, understood or not."""
    out: dict[tuple[str, Hashable], Any] = {}
    for name in dict_fields(audit):
        for key, value in getattr(audit, name).items():
            if value is not None and as_text(value).strip():
                out[(name, key)] = value
    for (item, column), text in audit.unparsed.items():
        if not text.strip():
            continue
        home = UNPARSED_FIELDS.get(column) or ("metadata" if item in META_FIELDS else "org" if column == "value" else "")
        out[(home, item) if home else ("unparsed", (item, column))] = Unread(text, column)
    return out


def with_slots(audit: Audit, values: Mapping[tuple[str, Hashable], Any]) -> Audit:
    """The audit holding exactly these slots, each in its field (unread text back in `unparsed`)."""
    fields: dict[str, dict] = {name: {} for name in (*dict_fields(audit), "unparsed")}
    for (name, key), value in values.items():
        if name == "unparsed":
            fields["unparsed"][key] = value.text
        elif isinstance(value, Unread):
            fields["unparsed"][(key, value.column)] = value.text
        else:
            fields[name][key] = value
    return dataclasses.replace(audit, **fields)


def shown(value: Any) -> str:
    return value.text if isinstance(value, Unread) else as_text(value)


def check_parts(base: Source, parts: Iterable[Source], force: bool = False) -> str:
    """The audit id the merge goes under; a part of another edition or audit is refused unless `force`."""
    parts = list(parts)
    wanted = base.audit.audit_id or next((p.audit.audit_id for p in parts if p.audit.audit_id), "")
    for part in parts if not force else ():
        if part.audit.edition != base.audit.edition:
            raise Spi4xlError("merge.foreign_edition", path=part.file, edition=part.audit.edition,
                              expected=base.audit.edition)
        if part.audit.audit_id != wanted:
            raise Spi4xlError("merge.foreign_audit", path=part.file, audit_id=part.audit.audit_id or "-",
                              expected=wanted or "-")
    return wanted


def _newest(sources: list[tuple[Source, Any]]) -> tuple[Source, Any]:
    """The value of the file saved last; at the same time (or none known), the first file name."""
    return sorted(sources, key=lambda sv: (not sv[0].time, _negated(sv[0].time), sv[0].file))[0]


def _negated(time: str) -> tuple:
    return tuple(-ord(ch) for ch in time)  # later times first (unknown ones after every known one)


def merge(base: Source, parts: Iterable[Source], prefer: str = "parts", force: bool = False) -> Merged:
    """The base audit with every part's values in place, and the report of what was chosen and set aside.

    Parts are taken in file-name order, so the order they are given in does not change the result."""
    if prefer not in RULES:
        raise Spi4xlError("merge.rule", rule=prefer, known=", ".join(RULES))
    parts = sorted(parts, key=lambda p: p.file)
    audit_id = check_parts(base, parts, force)
    base_slots = slots(base.audit)
    part_slots = [(p, slots(p.audit)) for p in parts]
    order = dict_fields(base.audit)
    keys = sorted(set(base_slots).union(*(s for _, s in part_slots)),
                  key=lambda k: (order.index(k[0]) if k[0] in order else len(order), str(k[1])))
    out: dict[tuple[str, Hashable], Any] = {}
    entries: list[MergeEntry] = []
    for key in keys:
        old = base_slots.get(key)
        given = [(p, s[key]) for p, s in part_slots if key in s]
        value, rows = _choose(key, base, old, given, prefer)
        if value is not None:
            out[key] = value
        entries += rows
    if prefer == "fail" and (conflicts := [e for e in entries if e.status == "conflict"]):
        first = conflicts[0]
        raise Spi4xlError("merge.conflicts", count=len({(e.field, e.item) for e in conflicts}), item=first.item,
                          first=first.file, value=first.value, other=first.other)
    times = [t for t in (s.time for s in (base, *parts)) if t]
    merged = dataclasses.replace(with_slots(base.audit, out), audit_id=audit_id,
                                 created=base.audit.created or min(times, default=""),
                                 updated=max(times, default=base.audit.updated),
                                 merged=(*base.audit.merged, *entries))
    return Merged(merged, entries)


def _choose(key: tuple[str, Hashable], base: Source, old: Any, given: list[tuple[Source, Any]],
            prefer: str) -> tuple[Any, list[MergeEntry]]:
    """(value kept, report rows) for one slot."""
    name, item = key[0], key[1] if isinstance(key[1], str) else as_text(key[1][0])
    contenders = [(p, v) for p, v in given if _token(v) != _token(old)]  # parts that bring something new
    if not contenders:
        return old, []
    if prefer in ("blank-only", "newest") and old is not None:
        competing = [(base, old), *contenders]
        winner = (base, old) if prefer == "blank-only" else _newest(competing)
    else:
        competing = contenders
        winner = _newest(contenders)
    won = winner[1]
    rule = prefer if len({_token(v) for _, v in competing}) > 1 else ""

    def row(status: str, source: Source, value: Any, other: Any) -> MergeEntry:
        return MergeEntry(status, name, item, shown(value), source.file, source.audit.origin,
                          source.cell(name, item), rule, "" if other is None else shown(other))

    rows = []
    if winner[0] is not base:  # who answered: every file that gave the value kept
        status = "added" if old is None else "changed"
        rows += [row(status, p, v, old) for p, v in contenders if _token(v) == _token(won)]
    rows += [row("conflict", source, value, won) for source, value in _by_value(competing, won)]
    return won, rows


def _token(value: Any) -> tuple:
    """What two values are compared by: unread text apart from a value, mappings and lists by content."""
    if isinstance(value, Unread):
        return True, value.text
    try:
        hash(value)
    except TypeError:  # a field whose values are mappings or lists (rows of a table kept per item)
        return False, json.dumps(value, sort_keys=True, default=str)
    return False, value


def _by_value(sources: list[tuple[Source, Any]], won: Any) -> list[tuple[Source, Any]]:
    """One (newest source, value) per value set aside, in the order first seen."""
    groups: dict[tuple, list[tuple[Source, Any]]] = {}
    for source, value in sources:
        if _token(value) != _token(won):
            groups.setdefault(_token(value), []).append((source, value))
    return [_newest(group) for group in groups.values()]
