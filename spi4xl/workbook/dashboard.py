"""The dashboard: native Excel charts over the Results sheet, and the social dashboard of key figures."""

from __future__ import annotations

import datetime as dt


from spi4xl.key_figures import key_figures, ratios
from spi4xl.ui import has_ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.formats import NUMBER_FORMATS, protect, row_height
from spi4xl.workbook.printing import column_pixels, print_blocks
from spi4xl.workbook.names import modules_name


def _series(ctx, spans: dict[str, tuple[int, int]], level: str, value_col: str, name_col: str = "name") -> dict | None:
    if level not in spans:
        return None
    first, last = spans[level]
    sheet = ctx.sheet_names["results"]
    ref = lambda col: f"='{sheet}'!${_letter(L.RESULTS.col(col))}${first + 1}:${_letter(L.RESULTS.col(col))}${last + 1}"
    return {"categories": ref(name_col), "values": ref(value_col)}


def _letter(col: int) -> str:
    return L.col_name(col)


# Charts on a 2 x 2 grid, placed by pixel offsets from B5 so row heights cannot move them.
CHART_SIZE = (560, 340)
CHART_GAP = 20
CHARTS = (  # (type, Results level, value column, category column, title key, grid column, grid row)
    ("radar", "dimension", "score", "short", "results.dimensions", 0, 0),
    ("bar", "standard", "score", "code", "results.standards", 1, 0),
    ("bar", "principle", "score", "name", "results.principles", 0, 1),
    ("bar", "dimension", "completion", "short", "col.completion", 1, 1),
)
CHARTS_ROW = 10  # below the headline
TABLES_ROW = 47  # below the charts: the dimensions' key, then the key figures
WIDTHS = (2, 46, 13, 13)  # columns A to D; the charts reach over default-width columns to their right
DEFAULT_WIDTH = 8.43


def write_dashboard(book, ctx) -> None:
    """Charts and key figures over the results rows (`ctx.spans`, set by the results writer)."""
    fmt, spans = ctx.fmt, ctx.spans
    ws = book.add_worksheet(ctx.sheet_names["dashboard"])
    ws.write_string(0, 0, L.DASHBOARD.marker, fmt.key)
    ws.set_row(0, None, None, {"hidden": True})
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.write_string(1, 1, ctx.t("dashboard.title"), fmt.title)
    ws.set_row(1, 24)
    _headline(ws, ctx, spans, 2)
    width, height = CHART_SIZE
    for kind, level, value_col, name_col, title_key, gx, gy in CHARTS:
        series = _series(ctx, spans, level, value_col, name_col)
        if series is None:
            continue
        chart = book.add_chart({"type": kind, **({"subtype": "filled"} if kind == "radar" else {})})
        chart.add_series({**series, "name": ctx.t(title_key), "data_labels": {"value": kind != "radar", "num_format": "0%"},
                          **({"gap": 60} if kind == "bar" else {})})
        chart.set_title({"name": ctx.t(title_key), "name_font": {"size": 11}})
        axis = {"min": 0, "max": 1, "num_format": "0%", "major_unit": 0.25}
        if name_col == "short":
            chart.show_hidden_data()  # the dimensions' short names sit in a hidden Results column
        if kind == "radar":  # the dimensions' short names around it; their full names in the table below the charts
            chart.set_y_axis(axis)
            chart.set_x_axis({"num_font": {"size": 9, "bold": True}})
        else:
            chart.set_x_axis(axis)
            chart.set_y_axis({"reverse": True})  # first category on top, as on the Results sheet
        chart.set_legend({"none": True})
        chart.set_size({"width": width, "height": height})
        ws.insert_chart(CHARTS_ROW, 1, chart, {"x_offset": gx * (width + CHART_GAP), "y_offset": gy * (height + CHART_GAP)})
    row = _dimension_table(ws, ctx, spans, TABLES_ROW)
    last_row = _social_dashboard(ws, ctx, first_row=row + 1)
    _print(ws, ctx, last_row)
    protect(ws, fmt)  # nothing to type here: its formulas stay as rendered


def _print(ws, ctx, last_row: int) -> None:
    """Two landscape pages: the title and the four charts, then the tables (a break above TABLES_ROW)."""
    charts_w = 2 * CHART_SIZE[0] + CHART_GAP
    col, x = 1, 0  # from B, the columns the charts cover
    while x < charts_w:
        x += column_pixels(WIDTHS[col] if col < len(WIDTHS) else DEFAULT_WIDTH)
        col += 1
    rows_h = (24 + 15 * (TABLES_ROW - 2)) * 4 / 3  # rows 2 to TABLES_ROW (title 24 pt, then 15 pt), in pixels
    print_blocks(ws, ctx, last_row, col - 1, (x, rows_h), [TABLES_ROW])


def dimension_short(ctx, code: str) -> str:
    """A dimension's name short enough for a chart axis: the UI's short name when it has one, else the code."""
    return ctx.t(f"dimension_short.{code}") if has_ui(f"dimension_short.{code}") else code


def _headline(ws, ctx, spans: dict[str, tuple[int, int]], row: int) -> None:
    """Overall, ALINUS and completion scores, the provisional badge, the audit date and the modules, live."""
    fmt, scores, sheet = ctx.fmt, ctx.scores, ctx.sheet_names["results"]
    status = ctx.t("results.provisional") if scores.provisional else ctx.t("results.final")
    ws.write_formula(row, 1, "=r_status", fmt.badge, status)
    figures = (("results.overall", "overall", "score", scores.overall.score),
               ("results.alinus", "alinus", "score", scores.alinus.score),
               ("col.completion", "overall", "completion", scores.overall.completion))
    r = row
    for r, (key, level, column, value) in enumerate(figures, start=row + 1):
        ws.write_string(r, 1, ctx.t(key), fmt.bold)
        if level in spans:
            ref = f"='{sheet}'!${_letter(L.RESULTS.col(column))}${spans[level][0] + 1}"
            ws.write_formula(r, 2, ref, fmt.headline_pct, "" if value is None else value)
    r += 1
    ws.write_string(r, 1, ctx.t("dashboard.date"), fmt.bold)
    dates = [ctx.cells[("start", k)] for k in ("end_date", "start_date") if ("start", k) in ctx.cells]
    if dates:
        start = f"'{ctx.sheet_names['start']}'!"
        formula = '""'
        for cell in reversed(dates):  # the end date, else the start date
            formula = f"IF(ISNUMBER({start}{cell}),{start}{cell},{formula})"
        when = ctx.audit.metadata.get("end_date") or ctx.audit.metadata.get("start_date")
        cached = (dt.date(when.year, when.month, when.day) - dt.date(1899, 12, 30)).days if isinstance(when, dt.date) else ""
        ws.write_formula(r, 2, "=" + formula, fmt.headline_date, cached)
    ws.write_string(r + 1, 1, ctx.t("meta.modules"), fmt.bold)
    ws.write_formula(r + 1, 2, f"={L.SETTING_NAME['modules']}", fmt.plain, modules_name(ctx.catalog, ctx.audit.modules, ctx.lang))


def _dimension_table(ws, ctx, spans: dict[str, tuple[int, int]], first_row: int) -> int:
    """What the charts' codes stand for: each dimension with its score and completion, live from Results."""
    fmt = ctx.fmt
    ws.write_string(first_row, 1, ctx.t("results.dimensions"), fmt.header)
    ws.write_string(first_row, 2, ctx.t("col.score"), fmt.header)
    ws.write_string(first_row, 3, ctx.t("col.completion"), fmt.header)
    if "dimension" not in spans:
        return first_row + 1
    sheet = ctx.sheet_names["results"]
    codes = [d.code for d in ctx.catalog.dimensions if d.code in ctx.scores.dimensions]
    first, _ = spans["dimension"]
    r = first_row
    for i, code in enumerate(codes):
        r = first_row + 1 + i
        label = f"{code}  {ctx.ct(code)}"
        unit = ctx.scores.dimensions[code]
        ws.write_string(r, 1, label, fmt.wrap)
        for col, results_col, value in ((2, "score", unit.score), (3, "completion", unit.completion)):
            ref = f"='{sheet}'!${_letter(L.RESULTS.col(results_col))}${first + i + 1}"
            ws.write_formula(r, col, ref, fmt.figure_pct, "" if value is None else value)
        ws.set_row(r, row_height((label, 46)))
    return r + 1


def _social_dashboard(ws, ctx, first_row: int) -> int:
    """Key Organization Information figures and ratios (spi4xl.key_figures), read live from the Organization
    sheet through defined names; returns the last row written."""
    fmt, cat = ctx.fmt, ctx.catalog
    ws.write_string(first_row, 1, ctx.t("dashboard.social"), fmt.header)
    ws.write_blank(first_row, 2, None, fmt.header)
    r = first_row + 1
    figures = key_figures(cat, ctx.audit.org)
    for f in (f for f in cat.org_fields if f.dashboard):
        ws.write_string(r, 1, ctx.ct(f"org.{f.id}", "label"), fmt.wrap)
        ws.set_row(r, row_height((ctx.ct(f"org.{f.id}", "label"), 46)))
        cached = figures["fields"][f.id]
        ws.write_formula(r, 2, f'=IF(ISNUMBER(org_{f.id}),org_{f.id},"")',
                         ctx.fmt.add(num_format=NUMBER_FORMATS.get(f.type, "General")), "" if cached is None else cached)
        r += 1
    for ratio in ratios(cat):
        num, den, cached = ratio.numerator, ratio.denominator, figures["ratios"][ratio.id]
        ws.write_string(r, 1, ctx.t(ratio.label_key), fmt.wrap)
        ws.set_row(r, row_height((ctx.t(ratio.label_key), 46)))
        ws.write_formula(r, 2, f'=IF(AND(ISNUMBER(org_{num}),ISNUMBER(org_{den})),IFERROR(org_{num}/org_{den},""),"")',
                         fmt.figure_pct if ratio.percent else fmt.figure_ratio, "" if cached is None else cached)
        r += 1
    return r - 1
