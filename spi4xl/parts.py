"""Several departments fill one audit: split it into one workbook per department, merge the filled parts back.

Every part carries the audit's id, edition and language, the indicators its department answers (with their
detail items), the Organization Information fields it owns (spi4xl.catalog.departments) and what is already
answered there. `merge_files` reads parts of any language, sorted or saved by LibreOffice, and writes a new
workbook with a Merge report sheet (spi4xl.merge has the rules).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Iterable

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.catalog.departments import department_items, owns_field
from spi4xl.catalog.model import Catalog
from spi4xl.convert import refuse_overwrite
from spi4xl.errors import Spi4xlError
from spi4xl.identity import new_audit_id, now, stamped
from spi4xl.merge import Merged, item_role, merge, slots, with_slots
from spi4xl.workbook.read import merge_source, read_workbook
from spi4xl.workbook.render import render


def departments_in_scope(catalog: Catalog, audit: Audit) -> list[str]:
    """The departments that answer at least one indicator of the audit's profile and modules, in catalog order."""
    teams = {i.department for i in catalog.indicators(audit.profile, audit.modules, audit.departments)}
    return [d.code for d in catalog.departments if d.code in teams]


def check_departments(catalog: Catalog, wanted: Iterable[str]) -> list[str]:
    known = [d.code for d in catalog.departments]
    for code in wanted:
        if code not in known:
            raise Spi4xlError("split.unknown_department", department=code, known=", ".join(known))
    return list(wanted)


def part_of(catalog: Catalog, audit: Audit, department: str) -> Audit:
    """A department's part of an audit: its items, its Organization fields and the audit information."""
    items = department_items(catalog, (department,))
    kept = {}
    for (field, key), value in slots(audit).items():
        item = key if isinstance(key, str) else str(key[0])
        role = item_role(catalog, item)
        if role == "start" or (role == "organization" and owns_field(catalog, item, (department,))) or item in items:
            kept[(field, key)] = value
    return dataclasses.replace(with_slots(audit, kept), departments=(department,), origin=department, merged=())


def part_name(src: Path, department: str) -> str:
    return f"{src.stem}-{department}{src.suffix}"


def split(src: Path, out_dir: Path, departments: list[str] | None = None) -> list[dict[str, Any]]:
    """One new workbook per department in `out_dir`, all with the audit's id (a new one when the audit has none:
    the input file is never rewritten, the parts carry it)."""
    result = read_workbook(src)
    catalog, when = result.catalog, now()
    audit = stamped(result.audit, when)
    wanted = check_departments(catalog, departments) if departments else departments_in_scope(catalog, audit)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for department in wanted:
        out = out_dir / part_name(src, department)
        refuse_overwrite(src, out)
        part = dataclasses.replace(part_of(catalog, audit, department), updated=when)
        render(catalog, audit.language, part, out)
        written.append({"file": str(out), "department": department, "audit_id": audit.audit_id,
                        "indicators": len(catalog.indicators(audit.profile, audit.modules, (department,)))})
    return written


def build_parts(edition: str, departments: list[str], langs: list[str], formats: list[str], out_dir: Path,
                profile: str = "full", modules: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Blank department workbooks of one new audit (one id shared by every file of this call)."""
    catalog = load_catalog(edition)
    check_departments(catalog, departments)
    audit_id, when = new_audit_id(), now()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in langs:
        for fmt in formats:
            for department in departments:
                name = f"spi4xl-{catalog.edition}-{profile}-{department}-{lang}.{fmt}"
                audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language=lang, profile=profile,
                              modules=modules, audit_id=audit_id, origin=department, created=when, updated=when,
                              departments=(department,))
                render(catalog, lang, audit, out_dir / name)
                written.append({"file": str(out_dir / name), "department": department, "language": lang,
                                "format": fmt, "audit_id": audit_id})
    return written


def merge_files(parts: list[Path], into: Path, out: Path, prefer: str = "parts", force: bool = False,
                on_skip: Callable[[Path, Spi4xlError], None] | None = None) -> dict[str, Any]:
    """Merge the parts into a new workbook `out`; unreadable parts are skipped (`on_skip(path, error)`), except
    with `prefer="fail"`, where they stop the merge like a conflict."""
    for path in (into, *parts):
        refuse_overwrite(path, out)
    base_read = read_workbook(into)
    sources, skipped = [], []
    for path in parts:
        try:
            sources.append(merge_source(read_workbook(path), path.name))
        except Spi4xlError as exc:
            if prefer == "fail":
                raise
            skipped.append({"file": str(path), "code": exc.code, "message": exc.message()})
            if on_skip is not None:
                on_skip(path, exc)
    merged = merge(merge_source(base_read, into.name), sources, prefer, force)
    render(base_read.catalog, merged.audit.language, merged.audit, out)
    return report(merged, into, out, parts, skipped)


def report(merged: Merged, into: Path, out: Path, parts: list[Path], skipped: list[dict]) -> dict[str, Any]:
    """The merge as data (`spi4xl merge --json`): the same rows as the Merge report sheet."""
    entries = [e.as_dict() for e in merged.entries]
    return {"into": str(into), "output": str(out), "audit_id": merged.audit.audit_id,
            "parts": [str(p) for p in parts], "skipped": skipped,
            "added": sum(e["status"] == "added" for e in entries),
            "changed": sum(e["status"] == "changed" for e in entries),
            "conflicts": len({(e.field, e.item) for e in merged.conflicts}),
            "entries": entries}
