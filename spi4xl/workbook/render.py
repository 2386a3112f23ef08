"""Render a catalog and an audit as a questionnaire workbook (.xlsx, or .xlsm with buttons).

The workbook computes its scores with its own formulas (English names, commas), and every
formula is written with the value Python computed for it as its cached result, so viewers that
do not recalculate and fast readers still see the right numbers.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from contextlib import contextmanager
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from spi4xl.answers import answer_row, answer_table, parse_item_answer, term_lookup
from spi4xl.audit import ASSESSMENT_TYPES, META_DATES, META_FIELDS, NUMBER_FORMAT, PLAN_STATUSES, Audit, answer_key, as_text
from spi4xl.catalog.model import CORE_MODULE, EXCEL_CELL_LIMIT, PROFILES, Catalog, Indicator
from spi4xl.errors import Spi4xlError
from spi4xl.catalog.departments import owns_field
from spi4xl.identity import parse_time
from spi4xl.output import atomic_output, close_workbook
from spi4xl.processes import start_forked
from spi4xl.plan import GAPS, LOW_STANDARD, STATES, plan_rows
from spi4xl.records import MutableRecord, Record, record
from spi4xl.scoring import Scores, UnitScore, score
from spi4xl.ui import ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.dashboard import dimension_short, write_dashboard
from spi4xl.workbook.formats import SEVERITY_FILLS, Formats, protect, row_height
from spi4xl.workbook.printing import paper_for, print_one_page, print_table
from spi4xl.workbook.names import departments_name, modules_name, origin_name, plan_status_name, profile_name, status_name
from spi4xl.workbook.shapes import JOBS, add_sheet_buttons, name_button_shapes

if TYPE_CHECKING:
    from spi4xl.findings import Finding

FORMATS = ("xlsx", "xlsm")


@record
class ConversionEntry(Record):
    """One item a conversion could not carry over as is (removed, merged beside another answer, or changed meaning)."""

    status: str  # "removed", "merged", "hidden" or "changed"
    old_code: str
    new_code: str = ""
    answer: str = ""
    comment: str = ""
    evidence: str = ""
    flag: str = ""


@record(frozen=False)
class RenderContext(MutableRecord):
    """What the sheet writers share: the catalog, the audit and its scores, and what earlier writers found."""

    catalog: Catalog
    lang: str
    audit: Audit
    scores: Scores
    findings: list[Finding]
    fmt: Formats
    indicators: tuple[Indicator, ...]
    sheet_names: dict[str, str] = field(default_factory=dict)
    highlights: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, item) -> severity
    cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, item) -> 'Sheet'!A1 of its input
    conversion: list[ConversionEntry] = field(default_factory=list)  # rows of the conversion sheet
    peers: list = field(default_factory=list)  # standings for the peers sheet (spi4xl compare)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # results rows by level, for the dashboard
    paper: str | None = None  # a4 or letter; None: the language's default (spi4xl.workbook.printing)

    def t(self, key: str, **values: object) -> str:
        return ui(key, self.lang, **values)

    def ct(self, key: str, field_: str = "name") -> str:
        return self.catalog.text(key, field_, self.lang)


def _key_row(ws, role: L.SheetRole, fmt: Formats, ncols: int | None = None) -> None:
    """The hidden first row that names the role and the columns: what readers look for."""
    ws.write_string(0, 0, role.marker, fmt.key)
    for i, col in enumerate(role.columns[1:], start=1):
        ws.write_string(0, i, col.id, fmt.key)
    ws.set_row(0, None, None, {"hidden": True})


def _define_column(book, sheet_name: str, col: int, name: str, first: int, last: int) -> None:
    letter = L.col_name(col)
    book.define_name(name, f"='{sheet_name}'!${letter}${first + 1}:${letter}${last + 1}")


def _header_height(ctx: RenderContext, role: L.SheetRole) -> float:
    """Tall enough for every column header of the role, in bold, at its column's width."""
    return row_height(*((ctx.t(col.header), col.width, 10, True) for col in role.columns if col.header)) or 15


def _setup_columns(ws, role: L.SheetRole, fmt: Formats) -> None:
    """Column widths; helper columns hidden (on key/value sheets only the key column: the others have no header)."""
    for i, col in enumerate(role.columns):
        ws.set_column(i, i, col.width, None, {"hidden": col.header is None and (role.keyed or i == 0)})


# --- lists --------------------------------------------------------------------------------------
def write_lists(book, ctx: RenderContext) -> None:
    """The hidden lists sheet: the answer lookup table and every dropdown list, behind defined names."""
    name = ctx.sheet_names["lists"]
    ws = book.add_worksheet(name)
    ws.write_string(0, 0, L.LISTS.marker, ctx.fmt.key)
    table = answer_table(ctx.catalog)
    ws.write_row(1, 0, ["key", "value", "na", "code"], ctx.fmt.bold)
    for i, (scale, key, code, value) in enumerate(table, start=2):
        ws.write_string(i, 0, f"{scale}|{key}")
        if value is None:
            ws.write_string(i, 1, "")
        else:
            ws.write_number(i, 1, value)
        ws.write_number(i, 2, 1 if value is None else 0)
        ws.write_string(i, 3, code)
    last = 1 + len(table)
    for col, defined in enumerate(("l_key", "l_value", "l_na", "l_code")):
        _define_column(book, name, col, defined, 2, last)
    lists: list[tuple[str, list[str]]] = []
    for scale in ctx.catalog.scales.values():
        lists.append((f"list_{scale.id}", [ctx.catalog.answer_label(scale.id, a.code, ctx.lang) for a in scale.answers]))
    lists.append(("list_evidence", [ctx.ct(t.key) for t in ctx.catalog.evidence_types]))
    lists.append(("list_assessment", [ctx.t(f"assessment.{c}") for c in ASSESSMENT_TYPES]))
    lists.append(("list_language", list(ctx.catalog.languages)))
    lists.append(("list_profile", [profile_name(p, ctx.lang) for p in PROFILES]))
    lists.append(("list_plan_status", [plan_status_name(p, ctx.lang) for p in PLAN_STATUSES]))
    for f in ctx.catalog.org_fields:
        if f.choices:
            lists.append((f"list_org_{f.id}", [ctx.ct(f"org.{f.id}.{c}", "label") for c in f.choices]))
    for col, (defined, values) in enumerate(lists, start=5):
        ws.write_string(1, col, defined, ctx.fmt.bold)
        for i, value in enumerate(values, start=2):
            ws.write_string(i, col, value)
        _define_column(book, name, col, defined, 2, 1 + len(values))
    ws.hide()


# --- questionnaire ------------------------------------------------------------------------------
def _rows(ctx: RenderContext) -> Iterable[tuple[str, Any]]:
    """(level, node) in reading order, limited to the indicators in scope."""
    in_scope = {i.code for i in ctx.indicators}
    for dim in ctx.catalog.dimensions:
        dim_rows = []
        for std in dim.standards:
            std_rows = []
            for ep in std.practices:
                inds = [i for i in ep.indicators if i.code in in_scope]
                if inds:
                    std_rows.append(("practice", ep))
                    for ind in inds:
                        std_rows.append(("indicator", ind))
                        std_rows += [("detail", d) for d in ind.details]
            if std_rows:
                dim_rows += [("standard", std), *std_rows]
        if dim_rows:
            yield ("dimension", dim)
            yield from dim_rows


_PRINCIPLE_COLUMNS = tuple((f"cp{n}", f"CP{n}") for n in range(1, 8))  # questionnaire column -> client protection principle


@lru_cache(maxsize=8192)  # the same ~1,400 items in every render of a catalog
def fingerprint(catalog: Catalog, code: str) -> str:
    """A short hash of the English text and scale: conversion uses it to spot indicators that changed meaning."""
    basis = catalog.text(code, "text", "en") + "|" + getattr(catalog.node(code), "scale", "")
    return hashlib.sha1(basis.encode()).hexdigest()[:10]


def write_questionnaire(book, ctx: RenderContext) -> None:
    role, fmt, audit = L.QUESTIONNAIRE, ctx.fmt, ctx.audit
    name = ctx.sheet_names["questionnaire"]
    ws = book.add_worksheet(name)
    _setup_columns(ws, role, fmt)
    _key_row(ws, role, fmt)
    ws.set_row(1, max(30, _header_height(ctx, role)))
    for i, col in enumerate(role.columns):
        if col.header:
            ws.write_string(1, i, ctx.t(col.header), fmt.header)
    c = {col.id: i for i, col in enumerate(role.columns)}
    W = {col.id: col.width for col in role.columns}
    letters = L.column_letters(c)
    A = lambda r, cid: f"${letters[cid]}{r + 1}"  # same-row reference, safe under sorting
    valid: dict[str, list[str]] = {}
    evidence_cells: list[str] = []
    r = L.FIRST_DATA_ROW
    for level, node in _rows(ctx):
        code = node.code
        ws.write_string(r, c["code"], code, fmt.level[level])
        ws.write_string(r, c["level"], level)
        if level in ("dimension", "standard", "practice"):
            ws.write_string(r, c["text"], ctx.ct(code), fmt.level[level])
            # the row format colours the band without a cell per column (fewer cells, faster reading)
            ws.set_row(r, row_height((ctx.ct(code), W["text"], 10, True)), fmt.level[level], {"level": 0})
            for cid, notes in (("comment", ctx.audit.comments), ("flag", ctx.audit.flags)):  # kept, read back
                if code in notes:
                    ws.write_string(r, c[cid], notes[code], fmt.level[level])
            r += 1
            continue
        is_detail = level == "detail"
        ind = ctx.catalog.indicator(node.indicator if is_detail else code)
        scale = node.scale if is_detail else ind.scale
        ws.write_string(r, c["text"], ctx.ct(code, "text"), fmt.detail if is_detail else fmt.wrap)
        ws.write_string(r, c["parent"], ind.code if is_detail else ind.practice)
        ws.write_string(r, c["scale"], scale)
        ws.write_string(r, c["fingerprint"], fingerprint(ctx.catalog, code))
        if not is_detail:
            # What the Results formulas select on. Only 1s are written (criteria look for 1): fewer
            # cells make the sheet faster to read, and blank is as good as 0 for COUNTIFS.
            for cid, key in (("dimension", f"D:{ind.dimension}"), ("standard", f"S:{ind.standard}"),
                             ("practice", f"P:{ind.practice}"), ("module_code", ind.module)):
                ws.write_string(r, c[cid], key)
            flags = {"unit": ind.module == CORE_MODULE, "indicator": True, "alinus01": ind.alinus,
                     **{cid: principle in ind.principles for cid, principle in _PRINCIPLE_COLUMNS}}
            for cid in (cid for cid, on in flags.items() if on):
                ws.write_number(r, c[cid], 1)
        severity = ctx.highlights.get(("questionnaire", code))
        answer_fmt = fmt.input_highlight[severity] if severity else fmt.input
        ctx.cells[("questionnaire", code)] = f"{letters['answer']}{r + 1}"
        if not is_detail:
            ws.write_string(r, c["guidance"], ctx.ct(code, "guidance"), fmt.guidance)
            ws.write_string(r, c["department"], ctx.ct(f"department.{ind.department}"), fmt.wrap)
            marks = {"principles": ", ".join(ind.principles), "alinus": "ALINUS" if ind.alinus else "",
                     "module": "" if ind.module == CORE_MODULE else ctx.ct(f"module.{ind.module}"),
                     "mandatory": ctx.t("mark.mandatory") if ind.mandatory else ""}
            for cid in (cid for cid, text in marks.items() if text):
                ws.write_string(r, c[cid], marks[cid], fmt.center)
            evidence = audit.evidence.get(code)
            raw_ev = audit.unparsed.get((code, "evidence"))
            ev_text = ctx.ct(f"evidence.{evidence}") if evidence else (raw_ev or "")
            ws.write_string(r, c["evidence"], ev_text, fmt.input) if ev_text else ws.write_blank(r, c["evidence"], None, fmt.input)
            evidence_cells.append(f"{letters['evidence']}{r + 1}")
        for cid, source in (("comment", audit.comments), ("flag", audit.flags)):
            text = source.get(code, "")
            ws.write_string(r, c[cid], text, fmt.input_wrap) if text else ws.write_blank(r, c[cid], None, fmt.input_wrap)
        result = _row_result(ctx, code, scale, ind, is_detail)
        if ind.is_checklist and not is_detail:
            # scored by its detail items; anything typed here anyway is kept and shown
            typed = audit.unparsed.get((code, "answer"), "")
            cell_fmt = fmt.input_highlight[severity] if severity else fmt.locked_grey
            ws.write_string(r, c["answer"], typed, cell_fmt) if typed else ws.write_blank(r, c["answer"], None, cell_fmt)
            n = len(ind.details)
            crit = f"q_parent,{A(r, 'code')}"
            ws.write_number(r, c["match"], 0)
            for cid, formula, value in (
                ("done", f"=IF(COUNTIFS({crit},q_ddone,1)={n},1,0)", int(result.done)),
                ("na", f"=IF(COUNTIFS({crit},q_dna,1)={n},1,0)", int(result.na)),
                ("scored", f"=IF(COUNTIFS({crit},q_dscored,1)>0,1,0)", int(result.value is not None)),
                ("value", f"=IF({A(r, 'scored')}=1,AVERAGEIFS(q_dvalue,{crit},q_dscored,1),\"\")", _cached(result.value)),
            ):
                ws.write_formula(r, c[cid], formula, None, value)
        else:
            answer = audit.answers.get(code)
            typed = ctx.catalog.answer_label(scale, answer, ctx.lang) if answer else audit.unparsed.get((code, "answer"), "")
            ws.write_string(r, c["answer"], typed, answer_fmt) if typed else ws.write_blank(r, c["answer"], None, answer_fmt)
            valid.setdefault(scale, []).append(f"{letters['answer']}{r + 1}")
            lookup = _escape_wildcards(f'{A(r, "scale")}&"|"&TRIM({A(r, "answer")})')
            ws.write_formula(r, c["match"], f"=IFERROR(MATCH({lookup},l_key,0),0)", None, result.match)
            m = A(r, "match")
            prefix = "d" if is_detail else ""
            cols = {k: (f"{prefix}{k}" if is_detail else k) for k in ("done", "na", "scored", "value")}
            for key, formula, value in (
                ("done", f"=IF({m}>0,1,0)", int(result.done)),
                ("na", f"=IF({m}>0,INDEX(l_na,{m}),0)", int(result.na)),
                ("value", f"=IF({m}>0,IF(INDEX(l_na,{m})=1,\"\",INDEX(l_value,{m})),\"\")", _cached(result.value)),
                ("scored", f"=IF(ISNUMBER({A(r, cols['value'])}),1,0)", int(result.value is not None)),
            ):
                ws.write_formula(r, c[cols[key]], formula, None, value)
        if not is_detail:
            ws.write_formula(r, c["score"], f"=IF({A(r, 'scored')}=1,{A(r, 'value')},\"\")", fmt.percent_cell,
                             _cached(result.value))
        wrapped = [(ctx.ct(code, "text"), W["text"] - (3 if is_detail else 0)), (audit.comments.get(code, ""), W["comment"]),
                   (audit.flags.get(code, ""), W["flag"])]
        if not is_detail:
            wrapped += [(ctx.ct(code, "guidance"), W["guidance"], 9), (ctx.ct(f"department.{ind.department}"), W["department"])]
        ws.set_row(r, row_height(*wrapped), None, {"level": 2 if is_detail else 1})
        r += 1
    last = r - 1
    for col in role.columns:
        if col.name:
            _define_column(book, name, c[col.id], col.name, L.FIRST_DATA_ROW, max(last, L.ROW_LIMIT))
    for scale, cells in valid.items():
        _list_validation(ws, cells, f"=list_{scale}", ctx, "warning")
    if evidence_cells:
        _list_validation(ws, evidence_cells, "=list_evidence", ctx, "warning")
    answer_col = L.col_name(c["answer"])
    top = L.FIRST_DATA_ROW + 1
    ws.conditional_format(f"{answer_col}{top}:{answer_col}{last + 1}", {
        "type": "formula", "format": fmt.invalid,
        "criteria": f'=AND(TRIM(${answer_col}{top})<>"",${L.col_name(c["match"])}{top}=0)',
    })
    last_visible = max(i for i, col in enumerate(role.columns) if col.header)
    ws.autofilter(1, 0, last, last_visible)
    ws.freeze_panes(L.FIRST_DATA_ROW, 2)
    ws.outline_settings(True, False, True, False)
    print_table(ws, ctx, role, last)
    # Not protected: Excel sorts a protected sheet only when every cell of the range is unlocked, and
    # groups open and close only on an unprotected sheet. The row formulas sit in hidden columns.


def _escape_wildcards(expr: str) -> str:
    """MATCH treats * ? ~ as wildcards; escape them so typed text matches exactly, as in Python."""
    return f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({expr},"~","~~"),"*","~*"),"?","~?")'


@record(slots=True)  # one per questionnaire row: a slotted record keeps its compiled, faster __init__
class _RowResult(Record):
    """What a questionnaire row's formulas give: the answer's row on its scale, done, not applicable, value."""

    match: int
    done: bool
    na: bool
    value: float | None


def _row_result(ctx: RenderContext, code: str, scale: str, ind: Indicator, is_detail: bool) -> _RowResult:
    """What the row's formulas evaluate to, computed in Python for their cached values."""
    if not is_detail:
        res = ctx.scores.indicators[code]
        return _RowResult(0 if ind.is_checklist else _match_row(ctx, scale, ctx.audit.answers.get(code)), res.done, res.na, res.value)
    answer = ctx.audit.answers.get(code)
    sc = ctx.catalog.scales[scale]
    a = sc.answer(answer) if answer else None
    return _RowResult(_match_row(ctx, scale, answer), a is not None, bool(a and a.is_na), a.value if a else None)


def _match_row(ctx: RenderContext, scale: str, answer: str | None) -> int:
    """The row MATCH finds for the label this workbook shows (0: blank or not an answer of the scale)."""
    if not answer or ctx.catalog.scales[scale].answer(answer) is None:
        return 0
    return answer_row(ctx.catalog, scale, ctx.catalog.answer_label(scale, answer, ctx.lang))


def _cached(value: float | None) -> Any:
    return "" if value is None else value


def _list_validation(ws, cells: list[str], source: str, ctx: RenderContext, error_type: str) -> None:
    first, rest = cells[0], " ".join(cells)
    ws.data_validation(first, {
        "validate": "list", "source": source, "multi_range": rest, "error_type": error_type,
        "error_title": ctx.t("col.answer"), "error_message": ctx.t("finding.answer.invalid.hint"),
        "ignore_blank": True,
    })




# --- organization -------------------------------------------------------------------------------
def write_organization(book, ctx: RenderContext) -> None:
    role, fmt = L.ORGANIZATION, ctx.fmt
    name = ctx.sheet_names["organization"]
    ws = book.add_worksheet(name)
    _setup_columns(ws, role, fmt)
    _key_row(ws, role, fmt)
    c = {col.id: i for i, col in enumerate(role.columns)}
    W = {col.id: col.width for col in role.columns}
    ws.set_row(1, _header_height(ctx, role))
    for i, col in enumerate(role.columns):
        if col.header:
            ws.write_string(1, i, ctx.t(col.header), fmt.header)
    for r, f in enumerate(ctx.catalog.org_fields, start=L.FIRST_DATA_ROW):
        ws.write_string(r, c["field"], f.id)
        ws.write_string(r, c["label"], ctx.ct(f"org.{f.id}", "label"), fmt.wrap)
        ws.write_string(r, c["unit"], ctx.ct(f"org.{f.id}", "unit") if f.has_unit else "", fmt.wrap)
        ws.write_string(r, c["mandatory"], ctx.t("mark.mandatory") if f.mandatory else "", fmt.center)
        ws.write_string(r, c["help"], ctx.ct(f"org.{f.id}", "help") if f.has_help else "", fmt.guidance)
        wrapped = [(ctx.ct(f"org.{f.id}", "label"), W["label"])]
        wrapped += [(ctx.ct(f"org.{f.id}", "unit"), W["unit"])] if f.has_unit else []
        wrapped += [(ctx.ct(f"org.{f.id}", "help"), W["help"], 9)] if f.has_help else []
        severity = ctx.highlights.get(("organization", f.id))
        # a whole-number percentage read from a General cell stays in one, so it keeps its meaning
        kept = "General" if ctx.audit.org_formats.get(f.id) == NUMBER_FORMAT else None
        cell_fmt = fmt.org_input(f.type, severity, kept)
        value = ctx.audit.org.get(f.id)
        raw = ctx.audit.unparsed.get((f.id, "value"))
        if value is None and raw:
            ws.write_string(r, c["value"], raw, cell_fmt)
        elif value is None:
            ws.write_blank(r, c["value"], None, cell_fmt)
        elif f.type == "choice":
            ws.write_string(r, c["value"], ctx.ct(f"org.{f.id}.{value}", "label"), cell_fmt)
        elif f.type == "date":
            ws.write_datetime(r, c["value"], _as_datetime(value), cell_fmt)
        elif f.type == "text":
            ws.write_string(r, c["value"], str(value), cell_fmt)
        else:
            ws.write_number(r, c["value"], value, cell_fmt)
        if value is None and raw or f.type in ("choice", "text") and value is not None:
            shown = raw if value is None else ctx.ct(f"org.{f.id}.{value}", "label") if f.type == "choice" else str(value)
            wrapped.append((shown, W["value"]))
        # a department's part hides the fields of other departments (kept, so formulas over them still work)
        hidden = not owns_field(ctx.catalog, f.id, ctx.audit.departments)
        ws.set_row(r, row_height(*wrapped), None, {"hidden": True} if hidden else None)
        cell = L.cell_name(r, c["value"])
        ctx.cells[("organization", f.id)] = cell
        book.define_name(f"org_{f.id}", f"='{name}'!{L.cell_name(r, c['value'], True, True)}")
        _org_validation(ws, cell, f, ctx)
    ws.freeze_panes(L.FIRST_DATA_ROW, 2)
    print_table(ws, ctx, role, L.FIRST_DATA_ROW + len(ctx.catalog.org_fields) - 1)
    protect(ws, ctx.fmt)


def _org_validation(ws, cell: str, f, ctx: RenderContext) -> None:
    kind = {"integer": "integer", "number": "decimal", "percent": "decimal", "currency": "decimal", "date": "date"}.get(f.type)
    opts: dict[str, Any] = {"error_type": "stop", "error_title": ctx.ct(f"org.{f.id}", "label")[:32]}
    if f.type == "choice":
        opts.update(validate="list", source=f"=list_org_{f.id}", error_type="warning")
    elif kind == "date":
        opts.update(validate="date", criteria=">=", value=dt.date(1900, 1, 1))
    elif kind:
        lo, hi = f.min, f.max
        if lo is not None and hi is not None:
            opts.update(validate=kind, criteria="between", minimum=lo, maximum=hi)
        elif lo is not None:
            opts.update(validate=kind, criteria=">=", value=lo)
        elif hi is not None:
            opts.update(validate=kind, criteria="<=", value=hi)
        else:
            opts.update(validate=kind, criteria="between", minimum=-1e15, maximum=1e15)
    else:
        return
    opts["error_message"] = ctx.t("finding.org.invalid.hint", kind=ctx.t(f"type.{f.type}"))[:255]
    ws.data_validation(cell, opts)


def _as_datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)


# --- start and settings -------------------------------------------------------------------------
def write_start(book, ctx: RenderContext) -> None:
    fmt = ctx.fmt
    name = ctx.sheet_names["start"]
    ws = book.add_worksheet(name)
    _setup_columns(ws, L.START, fmt)
    ws.write_string(0, 0, L.START.marker, fmt.key)
    ws.set_row(0, None, None, {"hidden": True})
    width = sum(col.width for col in L.START.columns[1:])  # texts span the label and value columns
    ws.write_string(1, 1, ctx.t("start.title"), fmt.title)
    ws.set_row(1, 24)
    ws.merge_range(2, 1, 2, 2, ctx.ct("catalog", "title"), fmt.subtitle)
    ws.set_row(2, row_height((ctx.ct("catalog", "title"), width, 11)))
    texts = [ctx.t(key) for key in ("start.purpose", "start.howto", "start.buttons", "start.lite")]
    for r, text in enumerate(texts + [ctx.ct("catalog", "numbering")], start=3):  # then which codes are official
        if text:
            ws.merge_range(r, 1, r, 2, text, fmt.paragraph)
            ws.set_row(r, (row_height((text, width)) or 15) + 6)
    ws.write_string(8, 1, ctx.t("start.metadata"), fmt.header)
    ws.write_blank(8, 2, None, fmt.header)
    r = 9
    for key in META_FIELDS:
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, ctx.t(f"meta.{key}"), fmt.bold)
        value = ctx.audit.metadata.get(key)
        raw = ctx.audit.unparsed.get((key, "value"))
        severity = ctx.highlights.get(("start", key))
        if key in META_DATES:
            cell_fmt = fmt.input_highlight_date[severity] if severity else fmt.input_date
        else:
            cell_fmt = fmt.input_highlight[severity] if severity else fmt.input
        if value is None and raw:
            ws.write_string(r, 2, raw, cell_fmt)
        elif value is None:
            ws.write_blank(r, 2, None, cell_fmt)
        elif key in META_DATES:
            ws.write_datetime(r, 2, _as_datetime(value), cell_fmt)
        elif key == "assessment_type":
            ws.write_string(r, 2, ctx.t(f"assessment.{value}"), cell_fmt)
        else:
            ws.write_string(r, 2, str(value), cell_fmt)
        ctx.cells[("start", key)] = L.cell_name(r, 2)
        if key == "assessment_type":
            ws.data_validation(r, 2, r, 2, {"validate": "list", "source": "=list_assessment", "error_type": "warning"})
        if key in META_DATES:
            ws.data_validation(r, 2, r, 2, {"validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1)})
        r += 1
    r += 1
    ws.write_string(r, 1, ctx.t("start.about"), fmt.header)
    ws.write_blank(r, 2, None, fmt.header)
    for key in L.SETTINGS_KEYS:
        r += 1
        ws.write_string(r, 1, ctx.t(f"meta.{key}"), fmt.bold)
        # ""& keeps an empty setting (a template's audit id) empty instead of Excel's 0 for a blank cell
        ws.write_formula(r, 2, f'=""&{L.SETTING_NAME[key]}', fmt.plain, _setting_values(ctx)[key])
    print_one_page(ws, ctx, r, 1, 2)  # the label and value columns: the buttons beside them do not print
    protect(ws, ctx.fmt)
    ws.activate()


def _setting_values(ctx: RenderContext) -> dict[str, str]:
    modules = ctx.audit.modules
    return {
        "language": ctx.lang,
        "edition": ctx.catalog.edition,
        "catalog_version": ctx.catalog.version,
        "content_hash": ctx.catalog.content_hash,
        "profile": profile_name(ctx.audit.profile, ctx.lang),
        "modules": modules_name(ctx.catalog, modules, ctx.lang),
        "departments": departments_name(ctx.catalog, ctx.audit.departments, ctx.lang),
        "audit_id": ctx.audit.audit_id,
        "origin": origin_name(ctx.catalog, ctx.audit.origin, ctx.lang),
        "created": ctx.audit.created,
        "updated": ctx.audit.updated,
    }


def write_settings(book, ctx: RenderContext) -> None:
    fmt, name = ctx.fmt, ctx.sheet_names["settings"]
    ws = book.add_worksheet(name)
    _setup_columns(ws, L.SETTINGS, fmt)
    ws.write_string(0, 0, L.SETTINGS.marker, fmt.key)
    ws.set_row(0, None, None, {"hidden": True})
    ws.write_string(1, 1, ctx.t("settings.title"), fmt.bold)
    for r, (key, value) in enumerate(_setting_values(ctx).items(), start=2):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, ctx.t(f"meta.{key}"))
        ws.write_string(r, 2, value, fmt.input if key in ("language", "profile", "modules", "origin") else fmt.plain)
        book.define_name(L.SETTING_NAME[key], f"='{name}'!$C${r + 1}")
        if key in ("language", "profile"):
            ws.data_validation(r, 2, r, 2, {"validate": "list", "source": f"=list_{key}"})
    print_one_page(ws, ctx, 1 + len(L.SETTINGS_KEYS), 1, 2)
    protect(ws, ctx.fmt)


# --- results ------------------------------------------------------------------------------------
def _unit_rows(ctx: RenderContext) -> list[tuple[str, str, str, str, str, UnitScore]]:
    """(level, code, label, COUNTIFS criteria, parent, python score) for every unit, in sheet order."""
    s, cat = ctx.scores, ctx.catalog
    rows = [("overall", "", ctx.t("results.overall"), "q_unit,1", "", s.overall)]
    for dim in cat.dimensions:
        if dim.code not in s.dimensions:
            continue
        rows.append(("dimension", dim.code, ctx.ct(dim.code), f'q_unit,1,q_dim,"D:{dim.code}"', "", s.dimensions[dim.code]))
    for std in cat.standards:
        if std.code in s.standards:
            rows.append(("standard", std.code, ctx.ct(std.code), f'q_unit,1,q_std,"S:{std.code}"', std.dimension, s.standards[std.code]))
    for ep in cat.practices:
        if ep.code in s.essential_practices:
            rows.append(("practice", ep.code, ctx.ct(ep.code), f'q_unit,1,q_ep,"P:{ep.code}"', ep.standard, s.essential_practices[ep.code]))
    for p in cat.principles:
        if p.code in s.client_protection:
            rows.append(("principle", p.code, ctx.ct(p.key), f"q_unit,1,q_cp{p.code[2:]},1", "", s.client_protection[p.code]))
    rows.append(("alinus", "ALINUS", ctx.t("results.alinus"), "q_unit,1,q_alinus,1", "", s.alinus))
    for mo in cat.modules:
        if mo.code in s.modules:
            rows.append(("module", mo.code, ctx.ct(mo.key), f'q_ind,1,q_module,"{mo.code}"', "", s.modules[mo.code]))
    return rows


def write_results(book, ctx: RenderContext) -> None:
    """Scores computed by formulas over the questionnaire; returns first/last row per level for charts."""
    role, fmt, name = L.RESULTS, ctx.fmt, ctx.sheet_names["results"]
    ws = book.add_worksheet(name)
    _setup_columns(ws, role, fmt)
    _key_row(ws, role, fmt)
    c = {col.id: i for i, col in enumerate(role.columns)}
    ws.set_row(1, _header_height(ctx, role))
    for i, col in enumerate(role.columns):
        if col.header:
            ws.write_string(1, i, ctx.t(col.header) if col.id != "name" else "", fmt.header)
    rows = _unit_rows(ctx)
    first = L.FIRST_DATA_ROW
    child_rows: dict[tuple[str, str], list[int]] = {}
    for r, (level, code, _, _, parent, _) in enumerate(rows, start=first):
        child_rows.setdefault((level, parent), []).append(r)
    child_level = {"overall": "dimension", "dimension": "standard", "standard": "practice"}
    spans = ctx.spans
    letters = L.column_letters(c)
    for r, (level, code, label, crit, parent, unit) in enumerate(rows, start=first):
        spans[level] = (spans.get(level, (r, r))[0], r)
        A = lambda cid: f"{letters[cid]}{r + 1}"  # noqa: E731 - L.cell_name(r, c[cid])
        ws.write_string(r, c["level"], level)
        ws.write_string(r, c["code"], code)
        ws.write_string(r, c["ref"], "" if level == "module" else code, fmt.level_result[level])
        ws.write_string(r, c["name"], label, fmt.level_result_text[level])
        ws.set_row(r, row_height((label, role.columns[c["name"]].width - 2, 10, level in ("overall", "dimension"))))
        ws.write_string(r, c["parent"], parent)
        ws.write_string(r, c["short"], dimension_short(ctx, code) if level == "dimension" else code)
        # The catalog's count, not a count of rows: a deleted row stays in the total as unanswered.
        ws.write_number(r, c["total"], unit.total, fmt.result_int)
        ws.write_formula(r, c["answered"], f"=COUNTIFS({crit},q_done,1)", fmt.result_int, unit.answered)
        ws.write_formula(r, c["na"], f"=COUNTIFS({crit},q_na,1)", fmt.result_int, unit.na)
        ws.write_formula(r, c["applicable"], f"={A('total')}-{A('na')}", None, unit.applicable)
        ws.write_formula(r, c["scored"], f"=COUNTIFS({crit},q_scored,1)", fmt.result_int, unit.scored)
        if ctx.catalog.scoring.method == "mean_of_children" and level in child_level:
            kids = child_rows.get((child_level[level], code if level != "overall" else ""), [])
            refs = ",".join(f"{letters['score']}{k + 1}" for k in kids)
            formula = f'=IFERROR(AVERAGE({refs}),"")' if refs else '=""'
        else:
            formula = f'=IF({A("scored")}>0,AVERAGEIFS(q_value,{crit},q_scored,1),"")'
        ws.write_formula(r, c["score"], formula, fmt.result_pct, _cached(unit.score))
        ws.write_formula(r, c["completion"], f'=IF({A("total")}>0,{A("answered")}/{A("total")},"")', fmt.result_pct,
                         _cached(unit.completion))
        ws.write_formula(r, c["has"], f"=IF(ISNUMBER({A('score')}),1,0)", None, int(unit.score is not None))
    last = first + len(rows) - 1
    for col in role.columns:
        if col.name:
            _define_column(book, name, c[col.id], col.name, first, last)
    status_row = last + 2
    total, answered = (L.cell_name(first, c[k]) for k in ("total", "answered"))
    ws.write_formula(status_row, c["name"], f'=IF({answered}<{total},"{_q(ctx.t("results.provisional"))}","{_q(ctx.t("results.final"))}")',
                     fmt.bold, ctx.t("results.provisional") if ctx.scores.provisional else ctx.t("results.final"))
    ws.write_string(status_row + 1, c["name"], ctx.t("questionnaire.remaining"))
    ws.write_formula(status_row + 1, c["score"], f"={total}-{answered}", fmt.result_int,
                     ctx.scores.overall.total - ctx.scores.overall.answered)
    book.define_name("r_status", f"='{name}'!{L.cell_name(status_row, c['name'], True, True)}")
    ws.freeze_panes(L.FIRST_DATA_ROW, c["score"])
    print_table(ws, ctx, role, status_row + 1)
    protect(ws, ctx.fmt)


def _q(text: str) -> str:
    return text.replace('"', '""')


# --- findings and conversion --------------------------------------------------------------------
_WIDTHS: dict[str, dict[str, float]] = {}  # role -> column id -> width: _fit runs for each row of the plan


def _fit(role: L.SheetRole, **texts: str) -> float | None:
    """The height of a row whose wrapped cells, by column id, hold these texts."""
    widths = _WIDTHS.get(role.role) or _WIDTHS.setdefault(role.role, {col.id: col.width for col in role.columns})
    return row_height(*((text, widths[cid]) for cid, text in texts.items()))


def _table_sheet(book, ctx: RenderContext, role: L.SheetRole):
    """A new sheet laid out as `role` declares: column widths, the hidden key row, localized headers."""
    ws = book.add_worksheet(ctx.sheet_names[role.role])
    _setup_columns(ws, role, ctx.fmt)
    _key_row(ws, role, ctx.fmt)
    ws.set_row(1, _header_height(ctx, role))
    for i, col in enumerate(role.columns):
        if col.header:
            ws.write_string(1, i, ctx.t(col.header), ctx.fmt.header)
    return ws


def write_findings(book, ctx: RenderContext) -> None:
    role, fmt = L.FINDINGS, ctx.fmt
    ws = _table_sheet(book, ctx, role)
    c = {col.id: i for i, col in enumerate(role.columns)}
    for r, f in enumerate(ctx.findings, start=L.FIRST_DATA_ROW):
        sheet = ctx.sheet_names.get(f.sheet, f.sheet)
        cell = ctx.cells.get((f.sheet, f.item), "")
        texts = {"severity": ctx.t(f"finding_severity.{f.severity}"), "sheet": sheet, "subject": f.name(ctx.lang),
                 "message": f.message(ctx.lang), "hint": f.hint(ctx.lang)}
        for cid, value in {"finding": f.code, **texts, "item": f.item}.items():
            ws.write_string(r, c[cid], value, fmt.wrap)
        if cell:
            # XlsxWriter's default link format sits at the bottom of a tall row: beside the next finding
            ws.write_url(r, c["cell"], f"internal:'{sheet}'!{cell}", fmt.link, cell)
        else:
            ws.write_blank(r, c["cell"], None, fmt.wrap)
        ws.set_row(r, _fit(role, **texts))
    last = L.FIRST_DATA_ROW + max(len(ctx.findings), 1) - 1
    ws.autofilter(1, 0, last, len(role.columns) - 1)
    ws.freeze_panes(L.FIRST_DATA_ROW, 0)
    print_table(ws, ctx, role, last)


def write_plan(book, ctx: RenderContext) -> None:
    """The action plan: a row per indicator with live gap, priority and standard score formulas (over the
    questionnaire and results names, so sorting keeps them right) and the plan's input columns.

    Gaps come first, in priority order; the filter is set to the gaps, the other rows rendered hidden.
    Not protected, so that the auditor can sort and filter it (see the questionnaire).
    """
    role, fmt = L.PLAN, ctx.fmt
    ws = _table_sheet(book, ctx, role)
    ws.write_comment(1, role.col("priority"), ctx.t("plan.note"), {"x_scale": 3, "y_scale": 2})
    c = {col.id: i for i, col in enumerate(role.columns)}
    letters = L.column_letters(c)
    A = lambda r, cid: f"${letters[cid]}{r + 1}"  # noqa: E731 - same-row reference, safe under sorting
    labels = [_q(ctx.t(f"plan_state.{s}")) for s in STATES]
    state_labels = {s: ctx.t(f"plan_state.{s}") for s in (*STATES, "outside")}
    outside, choices = _q(state_labels["outside"]), ",".join(f'"{x}"' for x in labels)  # the same on every row
    status_cells: list[str] = []
    rows = plan_rows(ctx.catalog, ctx.audit, ctx.scores)
    for r, row in enumerate(rows, start=L.FIRST_DATA_ROW):
        node = ctx.catalog.node(row.code)
        ind = node if isinstance(node, Indicator) else None
        state = STATES.index(row.state) + 1 if row.state else 0
        label = state_labels[row.state or "outside"]
        ws.write_string(r, c["code"], row.code, fmt.wrap)
        m, st, std = A(r, "match"), A(r, "state"), A(r, "std_score")
        answer_cell = ctx.cells.get(("questionnaire", row.code))
        ws.write_formula(r, c["match"], f"=IFERROR(MATCH({A(r, 'code')},q_code,0),0)", None,
                         L.parse_cell(answer_cell)[0] - L.FIRST_DATA_ROW + 1 if answer_cell else 0)
        at = lambda name: f"INDEX({name},{m})"  # noqa: E731
        ws.write_formula(r, c["state"], f"=IF({m}=0,0,IF({at('q_na')}=1,2,IF({at('q_scored')}=0,5,IF(AND("
                         f"{at('q_done')}=1,{at('q_value')}>=1),1,IF({at('q_value')}=0,4,IF({at('q_value')}<1,3,5))))))",
                         None, state)
        ws.write_formula(r, c["gap"], f'=IF({st}=0,"{outside}",CHOOSE({st},{choices}))', fmt.wrap, label)
        ws.write_formula(r, c["std_score"], f'=IFERROR(INDEX(r_score,MATCH({A(r, "standard")},r_code,0)),"")',
                         fmt.percent_cell, _cached(row.standard_score))
        ws.write_formula(r, c["priority"], f'=IF({st}<3,"",IF({A(r, "protects")}=1,1,IF(AND(ISNUMBER({std}),'
                         f'{std}>={LOW_STANDARD}),3,2)))', fmt.center, row.priority or "")
        texts = {"text": ctx.ct(row.code, "text") if ind is not None else ""}
        if ind is not None:
            ws.write_string(r, c["practice"], ind.practice, fmt.center)
            ws.write_string(r, c["standard"], ind.standard, fmt.center)
            ws.write_string(r, c["principles"], ", ".join(ind.principles), fmt.center)
            ws.write_string(r, c["alinus"], "ALINUS" if ind.alinus else "", fmt.center)
            texts["department"] = ctx.ct(f"department.{ind.department}")
            if ind.principles or ind.alinus:
                ws.write_number(r, c["protects"], 1)
        for cid, text in texts.items():
            ws.write_string(r, c[cid], text, fmt.wrap)
        entry = {k: v for k, v in row.entry.items() if v not in (None, "")}
        for cid in ("action", "owner", "comment"):
            text = as_text(entry.get(cid))
            ws.write_string(r, c[cid], text, fmt.input_wrap) if text else ws.write_blank(r, c[cid], None, fmt.input_wrap)
        due = entry.get("due")
        if isinstance(due, dt.date):
            ws.write_datetime(r, c["due"], _as_datetime(due), fmt.input_date)
        elif due:
            ws.write_string(r, c["due"], as_text(due), fmt.input_date)
        else:
            ws.write_blank(r, c["due"], None, fmt.input_date)
        status = plan_status_name(entry["status"], ctx.lang) if entry.get("status") else ""
        ws.write_string(r, c["status"], status, fmt.input) if status else ws.write_blank(r, c["status"], None, fmt.input)
        status_cells.append(f"{letters['status']}{r + 1}")
        height = _fit(role, text=texts["text"], department=texts.get("department", ""), action=as_text(entry.get("action")),
                      comment=as_text(entry.get("comment")), gap=label)
        ws.set_row(r, height, None, {"hidden": row.state in ("met", "na")})
    last = L.FIRST_DATA_ROW + max(len(rows), 1) - 1
    if status_cells:
        ws.data_validation(status_cells[0], {"validate": "list", "source": "=list_plan_status",
                                             "multi_range": " ".join(status_cells), "error_type": "warning",
                                             "ignore_blank": True})
        due = L.col_name(c["due"])
        ws.data_validation(f"{due}{L.FIRST_DATA_ROW + 1}:{due}{last + 1}", {
            "validate": "date", "criteria": ">=", "value": dt.date(1900, 1, 1), "error_type": "warning",
            "error_title": ctx.t("col.due"), "error_message": ctx.t("type.date")})
    last_visible = max(i for i, col in enumerate(role.columns) if col.header)
    ws.autofilter(1, 0, last, last_visible)
    ws.filter_column_list(c["gap"], [ctx.t(f"plan_state.{s}") for s in (*GAPS, "outside")])
    ws.freeze_panes(L.FIRST_DATA_ROW, 1)
    print_table(ws, ctx, role, last)


def write_conversion(book, ctx: RenderContext) -> None:
    """Items a conversion could not place, kept with what was typed; no sheet when there are none."""
    if not ctx.conversion:
        return
    role, fmt = L.CONVERSION, ctx.fmt
    ws = _table_sheet(book, ctx, role)
    for r, e in enumerate(ctx.conversion, start=L.FIRST_DATA_ROW):
        answer, evidence = _answer_name(ctx, e.old_code, e.answer), _evidence_name(ctx, e.evidence)
        ws.write_row(r, 0, [status_name(e.status, ctx.lang), e.old_code, e.new_code, answer, e.comment, evidence,
                            e.flag], fmt.input_wrap)
        ws.write_string(r, role.col("message"), ctx.t(f"conversion.{e.status}"), fmt.wrap)
        ws.set_row(r, _fit(role, answer=answer, comment=e.comment, evidence=evidence, flag=e.flag,
                           message=ctx.t(f"conversion.{e.status}")))
    ws.freeze_panes(L.FIRST_DATA_ROW, 0)
    print_table(ws, ctx, role, L.FIRST_DATA_ROW + len(ctx.conversion) - 1)


MERGE_COLUMNS = {"answers": "col.answer", "comments": "col.comment", "evidence": "col.evidence", "flags": "col.flag"}


def _merge_value(ctx: RenderContext, entry_field: str, item: str, text: str) -> str:
    """A merged value as the auditor reads it: answers, evidence types and choices by name in the workbook's language."""
    if not text:
        return ""
    if entry_field == "answers":
        return _answer_name(ctx, item, text)
    if entry_field == "evidence":
        return _evidence_name(ctx, text)
    if entry_field == "metadata" and item == "assessment_type" and text in ASSESSMENT_TYPES:
        return ctx.t(f"assessment.{text}")
    field_ = next((f for f in ctx.catalog.org_fields if f.id == item), None) if entry_field == "org" else None
    if field_ is not None and text in field_.choices:
        return ctx.ct(f"org.{item}.{text}", "label")
    return text


def write_merge(book, ctx: RenderContext) -> None:
    """The merge report (spi4xl merge): who answered what from which file and cell, every conflict with both
    values and the rule that chose, a link to the item's cell here; no sheet for an audit never merged."""
    if not ctx.audit.merged:
        return
    from spi4xl.merge import item_role  # only for a merged audit

    role, fmt = L.MERGE, ctx.fmt
    ws = _table_sheet(book, ctx, role)
    c = {col.id: i for i, col in enumerate(role.columns)}
    conflict = fmt.add(text_wrap=True, bg_color=SEVERITY_FILLS["warning"])
    for r, e in enumerate(ctx.audit.merged, start=L.FIRST_DATA_ROW):
        where = item_role(ctx.catalog, e.item)
        subject = ctx.t(f"meta.{e.item}") if where == "start" else \
            ctx.ct(f"org.{e.item}", "label") if where == "organization" else e.item
        texts = {"status": ctx.t(f"merge_status.{e.status}"), "subject": subject,
                 "what": ctx.t(MERGE_COLUMNS.get(e.field, "col.value")),
                 "value": _merge_value(ctx, e.field, e.item, e.value), "file": e.file,
                 "origin": origin_name(ctx.catalog, e.origin, ctx.lang), "source": e.cell,
                 "rule": ctx.t(f"merge_rule.{e.rule}") if e.rule else "",
                 "other": _merge_value(ctx, e.field, e.item, e.other)}
        for cid, value in {**texts, "status_code": e.status, "field": e.field, "item": e.item, "rule_code": e.rule,
                           "value_code": e.value, "other_code": e.other}.items():
            ws.write_string(r, c[cid], value, conflict if e.status == "conflict" and cid in texts else fmt.wrap)
        if cell := ctx.cells.get((where, e.item)):
            ws.write_url(r, c["cell"], f"internal:'{ctx.sheet_names[where]}'!{cell}", fmt.link, cell)
        else:
            ws.write_blank(r, c["cell"], None, fmt.wrap)
        ws.set_row(r, _fit(role, **texts))
    last = L.FIRST_DATA_ROW + len(ctx.audit.merged) - 1
    ws.autofilter(1, 0, last, c["cell"])
    ws.freeze_panes(L.FIRST_DATA_ROW, 0)
    print_table(ws, ctx, role, last)


def _answer_name(ctx: RenderContext, code: str, typed: str) -> str:
    """An answer by its label in the workbook's language; text that is no answer stays as typed."""
    parsed = parse_item_answer(ctx.catalog, code, typed) if typed else None
    return ctx.catalog.answer_label(*parsed, ctx.lang) if parsed else typed


def _evidence_name(ctx: RenderContext, typed: str) -> str:
    code = term_lookup(ctx.catalog, "evidence").get(answer_key(typed)) if typed else None
    return ctx.ct(f"evidence.{code}") if code else typed


def _check_cell_limits(audit: Audit) -> None:
    """Excel silently refuses longer text; refuse to write a workbook that would lose it."""
    texts = [((code, "comment"), text) for code, text in audit.comments.items()]
    texts += [((code, "flag"), text) for code, text in audit.flags.items()]
    texts += [((code, column), value) for code, entry in audit.plan.items() for column, value in entry.items()
              if isinstance(value, str)]
    for (item, column), text in [*texts, *audit.unparsed.items()]:
        if len(text) > EXCEL_CELL_LIMIT:
            raise Spi4xlError("render.cell_limit", item=item, column=column, length=len(text), limit=EXCEL_CELL_LIMIT)


def _orphans(ctx: RenderContext, listed: set[str]) -> list[ConversionEntry]:
    """Typed items this workbook has no row for (not in the catalog, or outside its profile/modules).

    They go to the conversion sheet, whose rows the reader puts back into the audit: nothing is lost.
    """
    audit = ctx.audit
    rendered = {i.code for i in ctx.indicators} | {d.code for i in ctx.indicators for d in i.details}
    rendered |= {code for i in ctx.indicators for code in (i.dimension, i.standard, i.practice)}  # header rows' notes

    def status(code: str) -> tuple[str, str, str]:
        if ctx.catalog.node(code) is not None:
            return "hidden", code, ""
        from spi4xl.migration import successor  # only for an item the catalog no longer has

        new = successor(ctx.catalog, code)  # merged into an item that holds another answer
        return ("merged", code, new) if new else ("removed", code, "")

    return [
        ConversionEntry(
            *status(code),
            audit.answers.get(code) or audit.unparsed.get((code, "answer"), ""), audit.comments.get(code, ""),
            audit.evidence.get(code) or audit.unparsed.get((code, "evidence"), ""), audit.flags.get(code, ""))
        for code in sorted(audit.typed_codes() - rendered - listed)
    ]


def write_peers(book, ctx: RenderContext) -> None:
    """Percentile ranks against a peer set (from 'spi4xl compare'), as plain values; no sheet without peers."""
    if not ctx.peers:
        return
    role, fmt = L.PEERS, ctx.fmt
    ws = _table_sheet(book, ctx, role)
    for r, s in enumerate(ctx.peers, start=L.FIRST_DATA_ROW):
        label = ctx.t("results.overall") if s.kind == "overall" else ctx.ct(s.code if s.kind == "dimension" else f"principle.{s.code}")
        ws.write_string(r, 0, label, fmt.wrap)
        ws.set_row(r, _fit(role, unit=label))  # long names wrap: on screen and on paper, nothing overlaps
        ws.write_string(r, 1, s.code, fmt.wrap)
        for col, value in ((2, s.score), (3, s.peer_median), (5, s.percentile)):
            ws.write(r, col, "" if value is None else value, fmt.result_pct)
        ws.write_number(r, 4, s.peers, fmt.result_int)
    print_table(ws, ctx, role, L.FIRST_DATA_ROW + len(ctx.peers) - 1)


# --- entry point --------------------------------------------------------------------------------
def sheet_names(lang: str) -> dict[str, str]:
    return {role: ui(r.title_key, lang) for role, r in L.ROLES.items()}


def new_context(catalog: Catalog, language: str, audit: Audit, fmt: Formats, *,
                findings: Iterable[Finding] = (), conversion: Iterable[ConversionEntry] = (), peers: Iterable = (),
                names: dict[str, str] | None = None, paper: str | None = None) -> RenderContext:
    """The context every sheet writer gets: scores computed once, findings by cell, the conversion rows
    (`conversion` first, then the typed items this workbook has no row for)."""
    ctx = RenderContext(catalog, language, audit, score(audit, catalog), list(findings), fmt,
                        catalog.indicators(audit.profile, audit.modules, audit.departments), {**sheet_names(language), **(names or {})},
                        peers=list(peers), paper=paper)
    for f in ctx.findings:
        if f.severity in ("error", "warning") and ctx.highlights.get((f.sheet, f.item)) != "error":
            ctx.highlights[(f.sheet, f.item)] = f.severity
    given = list(conversion)
    ctx.conversion = given + _orphans(ctx, {e.old_code for e in given})
    return ctx


@record
class SheetWriter(Record):
    """One sheet of the workbook: its role, the function that writes it, and the sheets it needs written first."""

    role: str
    write: Callable[[Any, RenderContext], None]
    needs: tuple[str, ...] = ()


# The sheets in workbook order. render() writes them all; spi4xl.xl.grid records the ones a button needs.
SHEET_WRITERS: tuple[SheetWriter, ...] = (
    SheetWriter("start", write_start),
    SheetWriter("organization", write_organization),
    SheetWriter("questionnaire", write_questionnaire),
    SheetWriter("results", write_results),
    SheetWriter("dashboard", write_dashboard, needs=("start", "results")),  # charts over the results rows, the dates
    SheetWriter("findings", write_findings, needs=("start", "organization", "questionnaire")),  # links to input cells
    SheetWriter("plan", write_plan, needs=("questionnaire", "results")),  # formulas over their defined names
    SheetWriter("conversion", write_conversion),
    SheetWriter("merge", write_merge, needs=("start", "organization", "questionnaire")),  # links to input cells
    SheetWriter("peers", write_peers),
    SheetWriter("settings", write_settings),
    SheetWriter("lists", write_lists),
)


def render(catalog: Catalog, language: str, audit: Audit | None = None, out: str | Path = "audit.xlsx", *,
           findings: list[Finding] | None = None, conversion: list[ConversionEntry] | None = None,
           peers: list | None = None, password: str | None = None, protected: bool = True,
           interpreters: Mapping[str, str] | None = None, paper: str | None = None) -> Path:
    """Write `audit` (an empty one for a template) as a workbook in `language`; .xlsm adds the buttons.

    `interpreters` ({"Interpreter_Win": path, "Interpreter_Mac": path}) go on the .xlsm's xlwings.conf sheet.
    `paper`: "a4" or "letter", what every sheet prints on (default: the language's, see printing.DEFAULT_PAPER).
    `protected=False` leaves every sheet unprotected, as the buttons of xlwings Lite need (they cannot lift it).
    """
    return render_formats(catalog, language, audit, [out], findings=findings, conversion=conversion, peers=peers,
                          password=password, protected=protected, interpreters=interpreters, paper=paper)[0]


def render_formats(catalog: Catalog, language: str, audit: Audit | None, outs: Sequence[str | Path],
                   **options: Any) -> list[Path]:
    """`render` to each of `outs` (say an .xlsx and an .xlsm: the same sheets, but for the start sheet's
    buttons, the VBA project and the xlwings.conf sheet), each file byte for byte what render() writes.

    The sheets are written once, and their rows' XML too (Workbook.keep_rows). Each file after the first is finished
    in a forked copy of this process (spi4xl.processes.start_forked) while this one finishes the first; where there
    is no fork, or the copy failed, that file is rendered again from the start here (so a failure is reported as
    render() reports it).
    """
    outs = [Path(out) for out in outs]
    for out in outs:
        if out.suffix.lower().lstrip(".") not in FORMATS:
            raise Spi4xlError("render.format", path=out)
    if language not in catalog.languages:
        raise Spi4xlError("render.language", lang=language, catalog=catalog.id, known=", ".join(catalog.languages))
    audit = audit or Audit(edition=catalog.edition, catalog_version=catalog.version, language=language)
    options["paper"] = paper_for(language, options.get("paper"))
    interpreters = options.pop("interpreters", None)
    _check_cell_limits(audit)
    if any(out.suffix.lower() == ".xlsm" for out in outs[1:]):
        from spi4xl.workbook import vba  # noqa: F401 - imported once, here, not in each forked copy that needs it
    with collector_paused():
        book, ctx = _write_sheets(catalog, language, audit, **options)
        if len(outs) > 1:  # every format has these rows: written once, before the copies are made
            book.keep_rows()
        copies = [(out, start_forked(lambda out=out: _finish(book, ctx, out, interpreters))) for out in outs[1:]]
        try:
            _finish(book, ctx, outs[0], interpreters)
        finally:  # even on Ctrl-C: a copy is never left writing (its file appears whole, or not at all)
            done = [(out, wait is not None and wait()) for out, wait in copies]
        book = ctx = None  # freed here by their reference counts (book.Workbook.close breaks XlsxWriter's cycle),
        # so the collector, on again, has not them all to walk
        for out in (out for out, ok in done if not ok):
            _finish(*_write_sheets(catalog, language, audit, **options), out, interpreters)
    return outs


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, as it was after it.

    Why: a render makes ~150,000 objects (cells, formulas, XML strings) that live until its file is written; the
    collector walks them again and again and frees none of them (~10 % of a render, measured). Objects a render
    leaves in cycles are collected at the next collection after it. Threads: the collector is turned back on by
    the block that turned it off, so it is never left off by a render."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _write_sheets(catalog: Catalog, language: str, audit: Audit, *, password: str | None = None,
                  protected: bool = True, findings=None, conversion=None, peers=None,
                  paper: str | None = None) -> tuple[Any, RenderContext]:
    """The workbook with its sheets written, in memory: what every format has."""
    from spi4xl.workbook.book import Workbook  # XlsxWriter only when a file is written: the buttons record cells without it

    book = Workbook(None, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({
        "title": ui("start.title", language), "subject": catalog.id, "author": "spi4xl",
        "company": "", "comments": f"{catalog.id} {catalog.version} {catalog.content_hash}",
        "created": parse_time(audit.updated) or dt.datetime.fromisoformat(catalog.date),  # no clock: same input, same file
    })
    book.set_calc_mode("auto")
    ctx = new_context(catalog, language, audit, Formats(book, password, protected), findings=findings or (),
                      conversion=conversion or (), peers=peers or (), paper=paper)
    for writer in SHEET_WRITERS:
        writer.write(book, ctx)
    return book, ctx


def _finish(book, ctx: RenderContext, out: Path, interpreters: Mapping[str, str] | None) -> None:
    """What `out`'s format adds (the buttons; for .xlsm the xlwings.conf sheet and the VBA project), then the
    file, written whole or not at all (its parts are put together in memory: no other file)."""
    start = book.get_worksheet_by_name(ctx.sheet_names["start"])
    if out.suffix.lower() == ".xlsm":
        from spi4xl.workbook.vba import MACROS, add_buttons, add_vba  # only for macro workbooks

        _write_xlwings_conf(book, ctx, interpreters)
        add_vba(book, book.worksheets())
        add_buttons(start, 1, 4, {k: ctx.t(f"button.{k}") for k in MACROS})
    else:  # Office.js add-in buttons: named shapes
        add_sheet_buttons(start, ctx.sheet_names["start"], {k: ctx.t(f"button.{k}") for k in JOBS})
        book.edit_drawing(start, name_button_shapes)
    with atomic_output(out) as temp:
        book.filename = str(temp)
        close_workbook(book)


def _write_xlwings_conf(book, ctx: RenderContext, interpreters: Mapping[str, str] | None = None) -> None:
    """The xlwings.conf sheet of the desktop buttons: only settings that have a value.

    xlwings reads this sheet from A1 down to the first empty row, before the folder's and the user's
    xlwings.conf files, so a key with an empty value would hide the user's own setting. The workbook
    folder stays off PYTHONPATH (spi4xl is installed; a OneDrive/SharePoint folder makes RunPython
    fail); interpreters are written only when `spi4xl build --interpreter-win/--interpreter-mac` names
    them. A note under the empty row (not read by xlwings) says how to add one.
    """
    ws = book.add_worksheet("xlwings.conf")
    rows = [("ADD_WORKBOOK_TO_PYTHONPATH", "False"), *((k, v) for k, v in (interpreters or {}).items() if v)]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    ws.write_string(len(rows) + 1, 0, ctx.t("xlwings_conf.note"))
    ws.set_column(0, 1, 28)
    ws.hide()
