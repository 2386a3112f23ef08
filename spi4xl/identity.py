"""Audit identity: one random id shared by every file of one audit (the full workbook, each department's
part, the merged result), and, per file, where it comes from and when spi4xl made and last wrote it.

A template has no id (it is not an audit yet); the first spi4xl command or button that writes an audit from
it gives it one, and every later write keeps it. Times are UTC, ISO 8601 to the second, without an offset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from spi4xl.audit import Audit


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def new_audit_id() -> str:
    """Random, so two audits never share one, whoever creates them and wherever."""
    import uuid  # (and platform, which it imports) only when an audit is written: reading and scoring need neither

    return uuid.uuid4().hex


def stamped(audit: Audit, when: str | None = None) -> Audit:
    """The audit as written now: its id kept (a new one for a template), created kept (set once), updated now."""
    when = when or now()
    return replace(audit, audit_id=audit.audit_id or new_audit_id(), created=audit.created or when, updated=when)


def parse_time(text: str) -> dt.datetime | None:
    """An ISO date-time as Settings or a file's properties hold it (UTC, offsets dropped); None when not one."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
