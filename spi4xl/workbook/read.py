"""Read a filled workbook back into an Audit: sheets by role marker, columns by id, rows by code.

Nothing typed is dropped: text that is not a valid answer, evidence type or number is kept in
`Audit.unparsed` and reported as a finding with its cell.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from spi4xl.answers import parse_answer, parse_item_answer, term_lookup
from spi4xl.audit import (ASSESSMENT_TYPES, META_DATES, META_FIELDS, NUMBER_FORMAT, PERCENT_FORMAT, PLAN_FIELDS, Audit, answer_key,
                          as_text)
from spi4xl.catalog import load_catalog
from spi4xl.catalog.loader import edition_dir, editions, standards_dirs
from spi4xl.catalog.model import PROFILES, Catalog
from spi4xl.errors import Spi4xlError, shown
from spi4xl.findings import Finding, named
from spi4xl.migration import Migration, migrate
from spi4xl.records import MutableRecord, record
from spi4xl.ui import ui_all
from spi4xl.validation import field_labels
from spi4xl.workbook import layout as L
from spi4xl.workbook.names import parse_departments_name, parse_modules_name, parse_origin, parse_plan_status, parse_profile, parse_status

if TYPE_CHECKING:  # spi4xl.merge is imported only for a merged workbook or a merge: ~4 ms of every start
    from spi4xl.merge import MergeEntry, Source

REQUIRED_ROLES = ("settings", "questionnaire", "organization", "start")
ROLES_READ = (*REQUIRED_ROLES, "conversion", "merge", "plan")
# The questionnaire's columns read, in the order _read_questionnaire unpacks them
QUESTIONNAIRE_COLUMNS = ("level", "code", "fingerprint", "answer", "scale", "comment", "flag", "evidence")


@record(frozen=False)
class ReadResult(MutableRecord):
    audit: Audit
    findings: list[Finding] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # role -> sheet name in this file
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, item) -> A1 of its input cell
    fingerprints: dict[str, str] = field(default_factory=dict)  # code -> fingerprint of the text it showed
    percent_cells: dict[str, str] = field(default_factory=dict)  # percent field id -> A1 of its cell, holding a number
    catalog: Catalog | None = None
    migration: Migration | None = None  # how the audit was placed on the current catalog version
    saved: str = ""  # when the file was last saved (its document properties), "" when not known
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> column id -> its letters here

    def cell_of(self, role: str, item: str, column: str) -> str:
        """'Sheet'!A1 of an item's `column` in this file (its row's input cell when that column is not there)."""
        a1 = self.cells.get((role, item), "")
        if not a1:
            return ""
        letters = self.columns.get(role, {}).get(column)
        row = a1.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return f"'{self.sheets[role]}'!{letters + row if letters else a1}"


EDITION_RX = re.compile(r"[a-z0-9][a-z0-9._-]*", re.IGNORECASE)


@lru_cache(maxsize=8)
def _catalog(edition: str) -> Catalog:
    """The catalog a workbook names: an edition name looked up by edition_dir, never a path from the file."""
    if not EDITION_RX.fullmatch(edition) or ".." in edition:
        raise Spi4xlError("read.edition_name", edition=shown(edition))
    return load_catalog(edition_dir(edition))


def load_editions() -> None:
    """Load every installed edition's catalog now: a batch does this before its workers fork, so they share
    the catalogs instead of each loading its own (one that fails to load is left to the workers' errors)."""
    for name in {e for root in standards_dirs() for e in editions(root)}:
        try:
            _catalog(name)
        except Spi4xlError:
            continue


ROLES_NOT_READ = ("results", "dashboard", "findings", "peers", "lists")


def _unneeded_names() -> set[str]:
    """Sheet names, in every language, of roles the reader never needs: read last, and only if needed."""
    return {name for role in ROLES_NOT_READ for name in ui_all(L.ROLES[role].title_key).values()} | {"xlwings.conf"}


def find_role_tables(sheets: Mapping[str, list[list[Any]]], path: str, later: set[str] = frozenset(),
                     roles: Iterable[str] = ROLES_READ) -> dict[str, L.Table]:
    """The role tables of a workbook, with the reader's roles checked: each once, all its columns there,
    the required ones present. Other roles (the adapter's) take their first sheet."""
    found = L.find_tables(sheets, roles, later=later, required=REQUIRED_ROLES)
    if not found:
        raise Spi4xlError("read.not_spi4xl", path=path)
    for role in ROLES_READ:
        tables = found.get(role, [])
        if len(tables) > 1:
            raise Spi4xlError("read.duplicate_sheet", path=path, first=tables[0].name, second=tables[1].name,
                              marker=L.ROLES[role].marker)
        if tables and (lost := tables[0].missing()):
            raise Spi4xlError("read.lost_columns", path=path, sheet=tables[0].name, columns=", ".join(lost))
    missing = [L.ROLES[role].marker for role in REQUIRED_ROLES if role not in found]
    if missing:
        raise Spi4xlError("read.missing_sheet", path=path, markers=", ".join(missing))
    return {role: tables[0] for role, tables in found.items()}


def _settings(table: L.Table, cells: dict[str, str] | None = None) -> dict[str, str]:
    out = {}
    for r in range(table.first_row, len(table.rows)):
        key = table.value(r, "key")
        if isinstance(key, str) and key in L.SETTINGS_KEYS:
            out[key] = as_text(table.value(r, "value")).strip()
            if cells is not None:
                cells[key] = table.address(r, "value")
    return out


class _LazySheets(Mapping):
    """Sheet values parsed on first access: most workbooks are read without parsing their helper sheets."""

    def __init__(self, path: Path) -> None:
        from spi4xl.workbook.values import open_book  # python-calamine: files only, never the buttons' values

        self.book = open_book(path)
        self.cache: dict[str, list[list[Any]]] = {}

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self.cache:
            self.cache[name] = self.book.rows(name)
        return self.cache[name]

    def __iter__(self):
        return iter(self.book.sheet_names)

    def __len__(self) -> int:
        return len(self.book.sheet_names)

    def hidden(self) -> set[str]:
        return {m.name for m in self.book.sheets_metadata if str(m.visible) != "SheetVisibleEnum.Visible"}


def read_workbook(path: str | Path) -> ReadResult:
    """Read every answer, comment, flag, evidence type, Organization Information value and metadata item."""
    sheets = _LazySheets(Path(path))
    result = read_tables(find_role_tables(sheets, str(path), sheets.hidden() | _unneeded_names()), str(path))
    if result.percent_cells:
        sheet = result.sheets["organization"]
        learn_percent_formats(result, sheets.book.number_formats(sheet, result.percent_cells.values()))
    result.saved = sheets.book.package.modified()
    return result


def is_percent_format(code: str) -> bool:
    """A number format code that shows a percentage: a % sign outside quoted text, escapes and [brackets]."""
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in bare


def learn_percent_formats(result: ReadResult, formats: Mapping[str, str | None]) -> None:
    """Record how each percent field's cell was formatted (Audit.org_formats), from {A1: number format code}
    of the Organization sheet; a cell whose format is unknown (None, absent) is left out."""
    for fid, address in result.percent_cells.items():
        code = formats.get(address)
        if code is not None:
            result.audit.org_formats[fid] = PERCENT_FORMAT if is_percent_format(code) else NUMBER_FORMAT


def read_values(sheets: Mapping[str, list[list[Any]]], path: str = "workbook") -> ReadResult:
    """The same reading over sheet values from any source (a file, or an xlwings book), from A1."""
    return read_tables(find_role_tables(sheets, path), path)


def read_tables(tables: Mapping[str, L.Table], path: str) -> ReadResult:
    """The audit held by tables found with `find_role_tables` (or `layout.find_tables`, checked)."""
    cells: dict[str, str] = {}
    settings = _settings(tables["settings"], cells)
    edition = settings.get("edition")
    if not edition:
        raise Spi4xlError("read.no_edition", path=path)
    try:
        catalog = _catalog(edition)
    except Spi4xlError:
        raise Spi4xlError("read.unknown_edition", path=path, edition=shown(edition)) from None
    language = settings.get("language", "en")
    audit = Audit(edition=edition, catalog_version=settings.get("catalog_version", ""),
                  language=language if language in catalog.languages else "en",
                  profile=parse_profile(settings.get("profile")) or PROFILES[0],
                  modules=parse_modules_name(catalog, settings.get("modules")),
                  departments=parse_departments_name(catalog, settings.get("departments")),
                  audit_id=settings.get("audit_id", ""), origin=parse_origin(catalog, settings.get("origin")),
                  created=settings.get("created", ""), updated=settings.get("updated", ""))
    result = ReadResult(audit, sheets={role: t.name for role, t in tables.items()}, catalog=catalog)
    understood = {"language": settings.get("language") in catalog.languages,
                  "profile": parse_profile(settings.get("profile")) is not None}
    for key, allowed, default in (("language", catalog.languages, "en"), ("profile", PROFILES, PROFILES[0])):
        if settings.get(key) and not understood[key]:
            result.findings.append(Finding("settings.invalid", "error", key, "settings", cells[key],
                                           {"raw": settings[key], "allowed": ", ".join(allowed), "default": default}))
    _read_questionnaire(tables["questionnaire"], catalog, result, path)
    _read_organization(tables["organization"], catalog, result)
    _read_start(tables["start"], catalog, result)
    if "conversion" in tables:
        _read_conversion(tables["conversion"], catalog, result)
    if "merge" in tables:
        audit.merged = _read_merge(tables["merge"], catalog)
    result.columns = {role: {cid: L.col_name(i) for cid, i in t.columns.items()} for role, t in tables.items()}
    if "plan" in tables:
        _read_plan(tables["plan"], result.audit)
    _report_missing_rows(catalog, result)
    result.findings = named(result.findings, field_labels(catalog))
    # a workbook of an earlier catalog version: its items placed by the catalog's change records
    result.migration = migrate(result.audit, catalog)
    result.audit = result.migration.audit
    return result


def read_audit(path: str | Path) -> Audit:
    return read_workbook(path).audit


def _read_questionnaire(t: L.Table, catalog: Catalog, result: ReadResult, path: str) -> None:
    audit, seen = result.audit, {}
    evidence = term_lookup(catalog, "evidence")
    # the hot loop of every read: each column normalised in one pass, then plain values row by row
    columns = [L.column(t.rows, t.columns.get(k), t.first_row) for k in QUESTIONNAIRE_COLUMNS]
    answer_col = L.col_name(t.columns["answer"])
    for r, level, code, fp, raw, scale, comment, flag, raw_ev in zip(itertools.count(t.first_row), *columns):
        if level.__class__ is not str or level not in L.LEVELS:  # a level is a plain text
            continue
        if code is None:
            continue
        code = code.strip() if code.__class__ is str else as_text(code).strip()
        # the notes typed beside any row, headers included (auditors' words); a column's cell is None or not empty
        if comment is not None:
            audit.comments[code] = as_text(comment)
        if flag is not None:
            audit.flags[code] = as_text(flag)
        if level not in ("indicator", "detail"):
            continue
        if code in seen:
            raise Spi4xlError("read.duplicate_code", path=path, sheet=t.name, code=code, first=seen[code] + 1, second=r + 1)
        seen[code] = r
        result.cells[("questionnaire", code)] = f"{answer_col}{r + 1}"
        if fp is not None:
            result.fingerprints[code] = as_text(fp)
        if raw is not None:  # anything typed, spaces alone included (an answer cell that only looks empty)
            typed = as_text(raw)
            node = catalog.node(code)
            scale = as_text(scale) or getattr(node, "scale", "")
            parsed = parse_answer(catalog, scale, raw) if scale in catalog.scales else None
            if parsed is not None and not getattr(node, "is_checklist", False):
                audit.answers[code] = parsed
            else:
                audit.unparsed[(code, "answer")] = typed
                allowed = ", ".join(catalog.answer_label(scale, a, audit.language) for a in catalog.scales[scale].codes) \
                    if scale in catalog.scales else "?"
                result.findings.append(Finding("answer.invalid", "error", code, "questionnaire", t.address(r, "answer"),
                                               {"raw": typed, "allowed": allowed}))
        if raw_ev is not None and level == "indicator":
            ev = as_text(raw_ev).strip()
            if (ev_code := evidence.get(answer_key(ev))) is not None:
                audit.evidence[code] = ev_code
            else:
                audit.unparsed[(code, "evidence")] = as_text(raw_ev)
                result.findings.append(Finding("evidence.invalid", "warning", code, "questionnaire",
                                               t.address(r, "evidence"), {"raw": ev or as_text(raw_ev)}))


def _report_missing_rows(catalog: Catalog, result: ReadResult) -> None:
    """Indicators and detail items of the workbook's scope whose row was deleted: unanswered, and said so
    (the Results formulas count them too, from the catalog's totals)."""
    audit = result.audit
    kept = audit.typed_codes()  # e.g. on the conversion sheet
    for code in _row_codes(catalog, audit.profile, audit.modules, audit.departments):
        if ("questionnaire", code) not in result.cells and code not in kept:
            result.findings.append(Finding("row.missing", "warning", code, "questionnaire", "", {}))


@lru_cache(maxsize=64)
def _row_codes(catalog: Catalog, profile: str, modules: tuple[str, ...] | None,
               departments: tuple[str, ...] | None) -> tuple[str, ...]:
    """The codes of a scope's questionnaire rows that take an answer: indicators and their detail items."""
    return tuple(code for ind in catalog.indicators(profile, modules, departments)
                 for code in (ind.code, *(d.code for d in ind.details)))


def parse_org_value(ftype: str, raw: Any, choices: dict[str, str] | None = None) -> Any:
    """A typed Organization Information value, or raise ValueError when the cell holds something else."""
    if ftype == "text":
        return as_text(raw)
    if ftype == "choice":
        code = (choices or {}).get(answer_key(as_text(raw)))
        if code is None:
            raise ValueError(raw)
        return code
    if ftype == "date":
        if isinstance(raw, dt.datetime):
            return raw.date() if raw.time() == dt.time(0) else raw
        if isinstance(raw, dt.date):
            return raw
        return dt.date.fromisoformat(as_text(raw).strip())
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, (int, float)):
        value = raw
    else:
        text = as_text(raw).strip().replace("\u00a0", "").replace(" ", "")
        percent = ftype == "percent" and text.endswith("%")
        value = float(text.rstrip("%")) / (100 if percent else 1)
        value = int(value) if value.is_integer() and ftype == "integer" else value
    if ftype == "integer":
        if float(value) != int(value):
            raise ValueError(raw)
        return int(value)
    return value


def _read_organization(t: L.Table, catalog: Catalog, result: ReadResult) -> None:
    fields = {f.id: f for f in catalog.org_fields}
    for r in range(t.first_row, len(t.rows)):
        fid = t.value(r, "field")
        if not isinstance(fid, str) or fid not in fields:
            continue
        f = fields[fid]
        result.cells[("organization", fid)] = t.address(r, "value")
        raw = t.value(r, "value")
        if raw is None or (f.type != "text" and isinstance(raw, str) and not raw.strip()):  # texts kept as typed
            continue
        if f.type == "percent" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            result.percent_cells[fid] = t.address(r, "value")  # its meaning depends on the cell's number format
        try:
            result.audit.org[fid] = parse_org_value(f.type, raw, term_lookup(catalog, f"org.{fid}") if f.choices else None)
        except (ValueError, TypeError):
            result.audit.unparsed[(fid, "value")] = as_text(raw)
            result.findings.append(Finding("org.invalid", "error", fid, "organization", t.address(r, "value"),
                                           {"raw": as_text(raw), "kind": f.type}))


_META_PARSED = frozenset((*META_DATES, "assessment_type"))  # Start sheet values read as a date or a term, not text


def _read_start(t: L.Table, catalog: Catalog, result: ReadResult) -> None:
    assessment = term_lookup(catalog, "assessment")
    for r in range(t.first_row, len(t.rows)):
        key = t.value(r, "key")
        if key not in META_FIELDS:
            continue
        result.cells[("start", key)] = t.address(r, "value")
        raw = t.value(r, "value")
        if raw is None or (key in _META_PARSED and not as_text(raw).strip()):  # free texts are kept as typed
            continue
        try:
            if key in META_DATES:
                value = parse_org_value("date", raw)
            elif key == "assessment_type":
                value = assessment.get(answer_key(as_text(raw)))
                if value not in ASSESSMENT_TYPES:
                    raise ValueError(f"not an assessment type: {raw!r}")
            else:
                value = as_text(raw)
            result.audit.metadata[key] = value
        except (ValueError, KeyError):
            result.audit.unparsed[(key, "value")] = as_text(raw)
            result.findings.append(Finding("meta.invalid", "warning", key, "start", t.address(r, "value"), {"raw": as_text(raw)}))


def _read_conversion(t: L.Table, catalog: Catalog, result: ReadResult) -> None:
    """Entries a conversion could not place stay part of the audit, so converting back restores them.

    Answers and evidence types are written by name in the workbook's language (codes in older files)."""
    audit = result.audit
    evidence_codes = term_lookup(catalog, "evidence")
    for r in range(t.first_row, len(t.rows)):
        code = as_text(t.value(r, "old_code")).strip()
        if not code or parse_status(t.value(r, "status")) not in ("removed", "merged", "hidden"):
            continue
        answer, evidence = as_text(t.value(r, "answer")), as_text(t.value(r, "evidence"))
        if answer and (parsed := parse_item_answer(catalog, code, answer)) is not None:
            audit.answers[code] = parsed[1]
        elif answer:
            audit.unparsed[(code, "answer")] = answer
        if evidence and (ev := evidence_codes.get(answer_key(evidence))) is not None:
            audit.evidence[code] = ev
        elif evidence:
            audit.unparsed[(code, "evidence")] = evidence
        for column, target in (("comment", audit.comments), ("flag", audit.flags)):
            if text := as_text(t.value(r, column)):
                target[code] = text


def _read_merge(t: L.Table, catalog: Catalog) -> tuple[MergeEntry, ...]:
    """The merge report's rows, from the hidden columns that hold them whatever the workbook's language."""
    from spi4xl.merge import STATUSES, MergeEntry

    entries = []
    for r in range(t.first_row, len(t.rows)):
        text = lambda column: as_text(t.value(r, column))  # noqa: E731
        if text("status_code") in STATUSES and text("item"):
            entries.append(MergeEntry(text("status_code"), text("field"), text("item"), text("value_code"),
                                      text("file"), parse_origin(catalog, text("origin")), text("source"), text("rule_code"), text("other_code")))
    return tuple(entries)


COLUMN_OF_FIELD = {"answers": "answer", "comments": "comment", "evidence": "evidence", "flags": "flag"}


def merge_source(result: ReadResult, name: str) -> Source:
    """A file read, as `spi4xl.merge` takes it: its audit, its save time, and its cells by sheet and column."""
    from spi4xl.merge import Source, item_role

    catalog = result.catalog

    def cell(field_: str, item: str) -> str:
        role = item_role(catalog, item)
        return result.cell_of(role, item, COLUMN_OF_FIELD.get(field_, "answer") if role == "questionnaire" else "value")

    return Source(result.audit, name, result.saved, cell)


def _read_plan(t: L.Table, audit: Audit) -> None:
    """What the auditor typed on the action plan, by indicator code: a due date as a date (else as typed),
    a status by its code (else as typed). Rows with nothing typed are not kept."""
    # a whole column at a time: the plan has a row per indicator, most with nothing typed
    codes = L.column(t.rows, t.columns.get("code"), t.first_row)
    typed = [L.column(t.rows, t.columns.get(column), t.first_row) for column in PLAN_FIELDS]
    for code, *values in zip(codes, *typed):
        code = as_text(code).strip()
        if not code:
            continue
        entry = {}
        for column, raw in zip(PLAN_FIELDS, values):
            if raw is None or not as_text(raw).strip():
                continue
            if column == "due":
                try:
                    entry[column] = parse_org_value("date", raw)
                except ValueError:
                    entry[column] = as_text(raw)
            elif column == "status":
                entry[column] = parse_plan_status(raw) or as_text(raw)
            else:
                entry[column] = as_text(raw)
        if entry:
            audit.plan[code] = entry
