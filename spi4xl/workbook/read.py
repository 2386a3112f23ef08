"""Read a filled workbook back into an Audit: sheets by role marker, columns by id, rows by code.

Nothing typed is dropped: text that is not a valid answer, evidence type or number is kept in
`Audit.unparsed` and reported as a finding with its cell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from spi4xl.answers import parse_answer, term_lookup
from spi4xl.audit import ASSESSMENT_TYPES, META_DATES, META_FIELDS, Audit, answer_key, as_text
from spi4xl.catalog import load_catalog
from spi4xl.catalog.loader import STANDARDS_DIR
from spi4xl.catalog.model import Catalog
from spi4xl.errors import Spi4xlError, shown
from spi4xl.findings import Finding
from spi4xl.ui import ui_all
from spi4xl.workbook import layout as L
from spi4xl.workbook.values import normalise, open_book, raw_rows

REQUIRED_ROLES = ("settings", "questionnaire", "organization", "start")
ROLES_READ = (*REQUIRED_ROLES, "conversion")


@dataclass
class ReadResult:
    audit: Audit
    findings: list[Finding] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # role -> sheet name in this file
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, item) -> A1 of its input cell
    fingerprints: dict[str, str] = field(default_factory=dict)  # code -> fingerprint of the text it showed
    catalog: Catalog | None = None


@dataclass
class _Table:
    """A sheet found by its marker: its rows, where the key row is, and where each column id is."""

    name: str
    rows: list[list[Any]]
    key_row: int
    columns: dict[str, int]

    def cell(self, row: int, column: str) -> Any:
        """The normalised value at a row and column id (normalised here, on the few cells read)."""
        return self.at(self.rows[row], self.columns.get(column))

    @staticmethod
    def at(values: list[Any], col: int | None) -> Any:
        if col is None or col >= len(values):
            return None
        value = values[col]
        return None if value == "" or value is None else normalise(value)

    def address(self, row: int, column: str) -> str:
        return xl_rowcol_to_cell(row, self.columns[column])


EDITION_RX = re.compile(r"[a-z0-9][a-z0-9._-]*", re.IGNORECASE)


@lru_cache(maxsize=8)
def _catalog(edition: str) -> Catalog:
    """The catalog a workbook names: a plain edition name under standards/, never a path from the file."""
    if not EDITION_RX.fullmatch(edition) or ".." in edition:
        raise Spi4xlError(f"{shown(edition)!r} is not an edition name")
    return load_catalog(STANDARDS_DIR / edition)


def _find_marker(rows: list[list[Any]]) -> tuple[str, int, int] | None:
    for r, row in enumerate(rows[: L.MARKER_SCAN_ROWS]):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith(L.MARKER_PREFIX):
                return value[len(L.MARKER_PREFIX):], r, c
    return None


ROLES_NOT_READ = ("results", "dashboard", "findings", "peers", "lists")


def _unneeded_names() -> set[str]:
    """Sheet names, in every language, of roles the reader never needs: read last, and only if needed."""
    return {name for role in ROLES_NOT_READ for name in ui_all(L.ROLES[role].title_key).values()} | {"xlwings.conf"}


def _add_table(found: dict[str, "_Table"], name: str, rows: list[list[Any]], path: str) -> None:
    """Record `name` under its role when it carries a marker, with its columns by id."""
    marker = _find_marker(rows)
    if marker is None or marker[0] not in ROLES_READ:
        return
    role, r, c = marker
    if role in found:
        raise Spi4xlError(f"{path}: sheets {found[role].name!r} and {name!r} are both the {role} sheet: delete the copy")
    spec = L.ROLES[role]
    if spec.keyed:
        columns = {v: i for i, v in enumerate(rows[r]) if isinstance(v, str)}
        columns[spec.columns[0].id] = c
        lost = [col.id for col in spec.columns if col.id not in columns]
        if lost:
            raise Spi4xlError(f"{path}: sheet {name!r} lost its column(s) {', '.join(lost)} (the hidden first row "
                              "was edited or columns deleted): undo the change or copy answers into a fresh template")
    else:
        columns = {col.id: c + i for i, col in enumerate(spec.columns)}
    found[role] = _Table(name, rows, r, columns)


def _tables(sheets: Mapping[str, list[list[Any]]], path: str, later: set[str] = frozenset()) -> dict[str, _Table]:
    """Find the role sheets; sheets named in `later` are parsed only when a required role is still missing."""
    found: dict[str, _Table] = {}
    first = [n for n in sheets if n not in later]
    for names in (first, [n for n in sheets if n in later]):
        if names is not first and all(role in found for role in REQUIRED_ROLES):
            break
        for name in names:
            _add_table(found, name, sheets[name], path)
    if not found:
        raise Spi4xlError(f"{path}: not an spi4xl workbook (no sheet carries an spi4xl marker): "
                          "was it made by another tool? Render a template with 'spi4xl build'")
    missing = [role for role in REQUIRED_ROLES if role not in found]
    if missing:
        raise Spi4xlError(f"{path}: the {', '.join(missing)} sheet is missing or its hidden first row was deleted: "
                          "copy your answers into a fresh template or use 'spi4xl convert' on a backup")
    return found


def _settings(table: _Table) -> dict[str, str]:
    out = {}
    for r in range(table.key_row + 1, len(table.rows)):
        key = table.cell(r, "key")
        if isinstance(key, str) and key in L.SETTINGS_KEYS:
            out[key] = as_text(table.cell(r, "value")).strip()
    return out


def _modules(text: str) -> tuple[str, ...] | None:
    if text in ("", "all"):
        return None
    return tuple(m for m in re.split(r"[,\s;]+", text) if m and m != "core")


class _LazySheets(Mapping):
    """Sheet values parsed on first access: most workbooks are read without parsing their helper sheets."""

    def __init__(self, path: Path) -> None:
        self.book = open_book(path)
        self.cache: dict[str, list[list[Any]]] = {}

    def __getitem__(self, name: str) -> list[list[Any]]:
        if name not in self.cache:
            self.cache[name] = raw_rows(self.book, name)
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
    return _read(_tables(sheets, str(path), sheets.hidden() | _unneeded_names()), str(path))


def read_values(sheets: Mapping[str, list[list[Any]]], path: str = "workbook") -> ReadResult:
    """The same reading over sheet values from any source (a file, or an xlwings book), from A1."""
    return _read(_tables(sheets, path), path)


def _read(tables: dict[str, "_Table"], path: str) -> ReadResult:
    settings = _settings(tables["settings"])
    edition = settings.get("edition")
    if not edition:
        raise Spi4xlError(f"{path}: the settings sheet does not name a catalog edition")
    try:
        catalog = _catalog(edition)
    except Spi4xlError:
        raise Spi4xlError(f"{path}: made for catalog edition {shown(edition)!r}, which this version of spi4xl does not have") from None
    language = settings.get("language", "en")
    audit = Audit(edition=edition, catalog_version=settings.get("catalog_version", ""),
                  language=language if language in catalog.languages else "en",
                  profile=settings.get("profile") if settings.get("profile") in ("full", "alinus", "cp") else "full",
                  modules=_modules(settings.get("modules", "all")))
    result = ReadResult(audit, sheets={role: t.name for role, t in tables.items()}, catalog=catalog)
    try:
        _read_questionnaire(tables["questionnaire"], catalog, result)
    except Spi4xlError as exc:  # e.g. a code duplicated by a copy-paste: say which file
        raise Spi4xlError(f"{path}: {exc}") from None
    _read_organization(tables["organization"], catalog, result)
    _read_start(tables["start"], catalog, result)
    if "conversion" in tables:
        _read_conversion(tables["conversion"], catalog, result)
    return result


def read_audit(path: str | Path) -> Audit:
    return read_workbook(path).audit


def _read_questionnaire(t: _Table, catalog: Catalog, result: ReadResult) -> None:
    audit, seen = result.audit, {}
    evidence = term_lookup(catalog, "evidence")
    at = t.at  # the hot loop of every read: plain index lookups, no per-cell method dispatch
    i_level, i_code, i_fp, i_answer, i_scale, i_comment, i_flag, i_evidence = (
        t.columns.get(k) for k in ("level", "code", "fingerprint", "answer", "scale", "comment", "flag", "evidence"))
    answer_col = xl_col_to_name(i_answer)
    for r in range(t.key_row + 1, len(t.rows)):
        row = t.rows[r]
        level = at(row, i_level)
        code = at(row, i_code)
        if level not in ("indicator", "detail") or code is None:
            continue
        code = as_text(code).strip()
        if code in seen:
            raise Spi4xlError(f"sheet {t.name!r}: code {code} appears twice (rows {seen[code] + 1} and {r + 1}), "
                              "probably after a copy-paste: delete the duplicate row")
        seen[code] = r
        result.cells[("questionnaire", code)] = f"{answer_col}{r + 1}"
        if (fp := at(row, i_fp)) is not None:
            result.fingerprints[code] = as_text(fp)
        raw = at(row, i_answer)
        if raw is not None and as_text(raw).strip():
            node = catalog.node(code)
            scale = as_text(at(row, i_scale)) or getattr(node, "scale", "")
            parsed = parse_answer(catalog, scale, raw) if scale in catalog.scales else None
            if parsed is not None and not getattr(node, "is_checklist", False):
                audit.answers[code] = parsed
            else:
                audit.unparsed[(code, "answer")] = as_text(raw)
                allowed = ", ".join(catalog.answer_label(scale, a, audit.language) for a in catalog.scales[scale].codes) \
                    if scale in catalog.scales else "?"
                result.findings.append(Finding("answer.invalid", "error", code, "questionnaire", t.address(r, "answer"),
                                               {"raw": as_text(raw), "allowed": allowed}))
        for index, target in ((i_comment, audit.comments), (i_flag, audit.flags)):
            if text := as_text(at(row, index)):
                target[code] = text
        raw_ev = at(row, i_evidence)
        if raw_ev is not None and level == "indicator" and (ev := as_text(raw_ev).strip()):
            if (ev_code := evidence.get(answer_key(ev))) is not None:
                audit.evidence[code] = ev_code
            else:
                audit.unparsed[(code, "evidence")] = as_text(raw_ev)
                result.findings.append(Finding("evidence.invalid", "warning", code, "questionnaire",
                                               t.address(r, "evidence"), {"raw": ev}))


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


def _read_organization(t: _Table, catalog: Catalog, result: ReadResult) -> None:
    fields = {f.id: f for f in catalog.org_fields}
    for r in range(t.key_row + 1, len(t.rows)):
        fid = t.cell(r, "field")
        if not isinstance(fid, str) or fid not in fields:
            continue
        f = fields[fid]
        result.cells[("organization", fid)] = t.address(r, "value")
        raw = t.cell(r, "value")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            result.audit.org[fid] = parse_org_value(f.type, raw, term_lookup(catalog, f"org.{fid}") if f.choices else None)
        except (ValueError, TypeError):
            result.audit.unparsed[(fid, "value")] = as_text(raw)
            result.findings.append(Finding("org.invalid", "error", fid, "organization", t.address(r, "value"),
                                           {"raw": as_text(raw), "kind": f.type}))


def _read_start(t: _Table, catalog: Catalog, result: ReadResult) -> None:
    assessment = term_lookup(catalog, "assessment")
    for r in range(t.key_row + 1, len(t.rows)):
        key = t.cell(r, "key")
        if key not in META_FIELDS:
            continue
        result.cells[("start", key)] = t.address(r, "value")
        raw = t.cell(r, "value")
        if raw is None or not as_text(raw).strip():
            continue
        try:
            if key in META_DATES:
                value = parse_org_value("date", raw)
            elif key == "assessment_type":
                value = assessment[answer_key(as_text(raw))]
                assert value in ASSESSMENT_TYPES
            else:
                value = as_text(raw)
            result.audit.metadata[key] = value
        except (ValueError, KeyError, AssertionError):
            result.audit.unparsed[(key, "value")] = as_text(raw)
            result.findings.append(Finding("meta.invalid", "warning", key, "start", t.address(r, "value"), {"raw": as_text(raw)}))


def _read_conversion(t: _Table, catalog: Catalog, result: ReadResult) -> None:
    """Entries a conversion could not place stay part of the audit, so converting back restores them."""
    audit = result.audit
    answer_codes = {a for s in catalog.scales.values() for a in s.codes}
    evidence_codes = {e.code for e in catalog.evidence_types}
    for r in range(t.key_row + 1, len(t.rows)):
        code = as_text(t.cell(r, "old_code")).strip()
        if not code or t.cell(r, "status") not in ("removed", "hidden"):
            continue
        answer, evidence = as_text(t.cell(r, "answer")), as_text(t.cell(r, "evidence"))
        if answer in answer_codes:
            audit.answers[code] = answer
        elif answer:
            audit.unparsed[(code, "answer")] = answer
        if evidence in evidence_codes:
            audit.evidence[code] = evidence
        elif evidence:
            audit.unparsed[(code, "evidence")] = evidence
        for column, target in (("comment", audit.comments), ("flag", audit.flags)):
            if text := as_text(t.cell(r, column)):
                target[code] = text
