"""The dashboard: native Excel charts over the Results sheet, and the social dashboard of key figures."""

from __future__ import annotations

from xlsxwriter.utility import xl_col_to_name

from spi4xl.workbook import layout as L
from spi4xl.workbook.formats import NUMBER_FORMATS

# Shares shown beside the raw figures: (UI key, numerator field, denominator field).
RATIOS = (
    ("dashboard.women_clients", "women_clients", "active_clients"),
    ("dashboard.rural_clients", "rural_clients", "active_clients"),
    ("dashboard.women_borrowers", "women_borrowers", "active_borrowers"),
    ("dashboard.women_staff", "staff_women", "staff_total"),
)


def _series(ctx, spans: dict[str, tuple[int, int]], level: str, value_col: str, name_col: str = "name") -> dict | None:
    if level not in spans:
        return None
    first, last = spans[level]
    sheet = ctx.sheet_names["results"]
    ref = lambda col: f"='{sheet}'!${_letter(L.RESULTS.col(col))}${first + 1}:${_letter(L.RESULTS.col(col))}${last + 1}"
    return {"categories": ref(name_col), "values": ref(value_col)}


def _letter(col: int) -> str:
    return xl_col_to_name(col)


def write_dashboard(book, ctx, spans: dict[str, tuple[int, int]]) -> None:
    fmt = ctx.fmt
    ws = book.add_worksheet(ctx.sheet_names["dashboard"])
    ws.write_string(0, 0, L.DASHBOARD.marker, fmt.key)
    ws.set_row(0, None, None, {"hidden": True})
    ws.set_column(0, 0, 2)
    ws.write_string(1, 1, ctx.t("dashboard.title"), fmt.title)
    ws.write_formula(2, 1, "=r_status", fmt.bold, ctx.t("results.provisional") if ctx.scores.provisional else ctx.t("results.final"))
    charts = (
        ("radar", "dimension", "score", "results.dimensions", "B5", {"radar_style": "filled"}),
        ("bar", "standard", "score", "results.standards", "J5", {}),
        ("column", "principle", "score", "results.principles", "B24", {}),
        ("bar", "dimension", "completion", "col.completion", "J24", {}),
    )
    for kind, level, value_col, title_key, anchor, extra in charts:
        series = _series(ctx, spans, level, value_col, "code" if level == "standard" else "name")
        if series is None:
            continue
        chart = book.add_chart({"type": kind, **({"subtype": extra["radar_style"]} if "radar_style" in extra else {})})
        chart.add_series({**series, "name": ctx.t(title_key), "data_labels": {"value": kind != "radar", "num_format": "0%"}})
        chart.set_title({"name": ctx.t(title_key), "name_font": {"size": 11}})
        axis = {"min": 0, "max": 1, "num_format": "0%", "major_unit": 0.25}
        (chart.set_y_axis if kind in ("radar", "column") else chart.set_x_axis)(axis)
        if kind == "bar":
            chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": 360})
        ws.insert_chart(anchor, chart)
    _social_dashboard(ws, ctx, first_row=42)


def _social_dashboard(ws, ctx, first_row: int) -> None:
    """Key Organization Information figures, read live from the Organization sheet through defined names."""
    fmt, cat = ctx.fmt, ctx.catalog
    ws.write_string(first_row, 1, ctx.t("dashboard.social"), fmt.header)
    ws.write_blank(first_row, 2, None, fmt.header)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 2, 16)
    r = first_row + 1
    fields = {f.id: f for f in cat.org_fields}
    for f in (f for f in cat.org_fields if f.dashboard):
        ws.write_string(r, 1, ctx.ct(f"org.{f.id}", "label"), fmt.wrap)
        value = ctx.audit.org.get(f.id)
        cached = value if isinstance(value, (int, float)) else ""
        ws.write_formula(r, 2, f'=IF(ISBLANK(org_{f.id}),"",org_{f.id})', ctx.fmt.add(num_format=NUMBER_FORMATS.get(f.type, "General")), cached)
        r += 1
    for key, num, den in RATIOS:
        if num in fields and den in fields:
            a, b = ctx.audit.org.get(num), ctx.audit.org.get(den)
            ok = isinstance(a, (int, float)) and isinstance(b, (int, float)) and b
            ws.write_string(r, 1, ctx.t(key), fmt.wrap)
            ws.write_formula(r, 2, f'=IF(AND(ISNUMBER(org_{num}),ISNUMBER(org_{den})),IFERROR(org_{num}/org_{den},""),"")', fmt.result_pct, a / b if ok else "")
            r += 1
