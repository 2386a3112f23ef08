"""The adapter writes what the renderer writes: recorded grids against real files, text protection, sheet-button shapes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from audits import CATALOG, random_audit
from spi4xl.audit import Audit
from spi4xl.findings import Finding
from spi4xl.workbook.render import ConversionEntry, render
from spi4xl.workbook import shapes
from spi4xl.xl import grid as grid_module
from spi4xl.xl.grid import ROLES, Formula, Grid, clean, excel_text, render_grids
from sheets import sheet_drawing
from xl_helpers import _as_excel

REPO = Path(__file__).resolve().parents[1]


def file_cells(path: Path, sheet: str) -> dict[tuple[int, int], object]:
    ws = openpyxl.load_workbook(path)[sheet]
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, dt.datetime) and value.time() == dt.time(0):
                value = value.date()
            if value not in (None, ""):
                out[(cell.row - 1, cell.column - 1)] = value
    return out


def grid_cells(grid: Grid) -> dict[tuple[int, int], object]:
    out = {}
    for r, row in enumerate(grid.rows):
        for c, value in enumerate(row):
            if value is not None:
                out[(r, c)] = clean(value)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("lang,profile,modules", [("en", "full", None), ("fr", "alinus", ("gender",)), ("es", "cp", ())])
def test_grids_hold_what_render_writes(tmp_path: Path, lang: str, profile: str, modules) -> None:
    audit = random_audit(3, lang, fill=0.5)
    audit.profile, audit.modules = profile, modules
    audit.metadata.update(organization="=not a formula", start_date=dt.date(2016, 1, 2))
    audit.comments[next(iter(audit.answers))] = "007"
    findings = [Finding("answer.missing", "error", CATALOG.indicators()[0].code, "questionnaire"),
                Finding("org.missing", "error", CATALOG.org_fields[0].id, "organization")]
    conversion = [ConversionEntry("changed", "1A.1.1", "1A.1.1", "yes", "note")]
    render(CATALOG, lang, audit, tmp_path / "book.xlsx", findings=findings, conversion=conversion)
    rendered = render_grids(CATALOG, lang, audit, findings=findings, conversion=conversion)
    assert list(rendered.sheets) == [r for r in ROLES if r in rendered.sheets] and "conversion" in rendered.sheets
    for role, grid in rendered.sheets.items():
        want = file_cells(tmp_path / "book.xlsx", grid.name)
        got = grid_cells(grid)
        if role == "findings":  # links are HYPERLINK formulas in the live book, plain cells with a link in files
            got = {k: re.sub(r'^=HYPERLINK\("#.*","(.*)"\)$', r"\1", v) if isinstance(v, Formula) else v
                   for k, v in got.items()}
        assert got == want, role
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    for name, (sheet, address) in rendered.names.items():
        assert book.defined_names[name].attr_text == f"'{sheet}'!{address}"


def clear_static() -> None:
    grid_module.STATIC_GRIDS.clear()
    grid_module.STATIC_RENDERS.clear()


@pytest.mark.parametrize("lang, profile, modules, departments", [("en", "full", None, None), ("fr", "cp", ("core",), None),
                                                                 ("es", "alinus", ("core", "gender"), None),
                                                                 ("en", "full", None, ("board", "credit"))])
def test_static_grids_replayed_are_the_grids_written_afresh(lang: str, profile: str, modules, departments) -> None:
    """Results and dashboard, cached per catalog, language, scope and sheet names, never depend on the answers."""
    names = {"results": "Scores", "questionnaire": "Q", "dashboard": "Board"}
    for sheet_names in (None, names):
        clear_static()
        for seed in (1, 2, 3):  # different answers, the same scope: the second and third are replays
            audit = dataclasses.replace(random_audit(seed, lang), profile=profile, modules=modules, departments=departments)
            replayed = render_grids(CATALOG, lang, audit, ("results", "dashboard"), sheet_names=sheet_names)
            assert len(grid_module.STATIC_GRIDS) == 2 and len(grid_module.STATIC_RENDERS) == 1
            with_input = render_grids(CATALOG, lang, audit, ("questionnaire", "results", "dashboard"), sheet_names=sheet_names)
            clear_static()
            fresh = render_grids(CATALOG, lang, audit, ("results", "dashboard"), sheet_names=sheet_names)
            assert replayed == fresh  # grids, defined names, scores, input cells
            assert with_input.sheets["results"] == fresh.sheets["results"]  # replayed sheet by sheet in a wider render
            assert with_input.sheets["dashboard"] == fresh.sheets["dashboard"]


def test_a_department_part_is_not_given_the_grids_of_the_whole_audit() -> None:
    """A part's results count only its departments' indicators: its scope is part of the cache's key."""
    clear_static()
    whole = random_audit(4, "en")
    part = dataclasses.replace(whole, departments=("board",))
    render_grids(CATALOG, "en", whole, ("results", "dashboard"))
    render_grids(CATALOG, "en", whole, ("results", "questionnaire"))
    replayed = [render_grids(CATALOG, "en", part, roles) for roles in (("results", "dashboard"), ("results", "questionnaire"))]
    clear_static()
    fresh = [render_grids(CATALOG, "en", part, roles) for roles in (("results", "dashboard"), ("results", "questionnaire"))]
    assert replayed == fresh
    assert replayed[0].sheets["results"] != render_grids(CATALOG, "en", whole, ("results",)).sheets["results"]


def test_findings_link_to_live_cells_and_sheets() -> None:
    audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language="fr")
    code = CATALOG.indicators()[0].code
    grids = render_grids(CATALOG, "fr", audit, ("findings",), findings=[Finding("answer.missing", "error", code, "questionnaire")],
                         sheet_names={"questionnaire": "Q (copie)"}, cells={("questionnaire", code): "D40"})
    row = grids.sheets["findings"].rows[2]
    assert row[2] == "Q (copie)" and row[3] == Formula('=HYPERLINK("#\'Q (copie)\'!D40","D40")')
    assert set(grids.sheets) == {"findings"}


@pytest.mark.parametrize("text", ["007", "1/2", "=SUM(A1)", "+33 1 23", "TRUE", "false", "2016-12-31", "15 %", "1,5",
                                  "-", "@home", "'quoted", "12:30", "#N/A", " 42 ", "(12)", "$5", "1e5", "31.12.2016"])
def test_text_excel_would_convert_is_protected(text: str) -> None:
    written = excel_text(text)
    assert written == "'" + text
    assert _as_excel(written) == (text, True)


@pytest.mark.parametrize("value", ["1A.1.1", "Yes", "Oui, en partie", "N/A", "3b217", "D:1", "Voir\nrapport p. 4",
                                   Formula("=SUM(A1)"), 3, 0.5, None, dt.date(2016, 1, 2)])
def test_other_values_pass_unchanged(value) -> None:
    assert excel_text(value) is value or excel_text(value) == value


def test_blocks_skip_the_hidden_cells_of_merged_ranges() -> None:
    grid = Grid("start", "Start", [[c * 10 + r for c in range(4)] for r in range(6)], merged=[(1, 1, 2, 2)])
    covered = {}
    for row, col, values in grid.blocks():
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                assert (row + r, col + c) not in covered
                covered[(row + r, col + c)] = value
    hidden = {(1, 2), (2, 1), (2, 2)}
    assert set(covered) == {(r, c) for r in range(6) for c in range(4)} - hidden
    assert all(covered[k] == grid.rows[k[0]][k[1]] for k in covered)
    assert len(grid.blocks()) == 6  # above; rows 1 and 2 hide different cells: two pieces each; below


# --- sheet-button shapes ----------------------------------------------------------------------------
def drawing_of_start(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as z:
        part = sheet_drawing(z, openpyxl.load_workbook(path, read_only=True).sheetnames[0])
        rels = part.replace("drawings/", "drawings/_rels/") + ".rels"
        return z.read(part).decode(), z.read(rels).decode()


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_xlsx_templates_carry_named_linked_buttons(lang: str) -> None:
    path = REPO / "workbook_templates" / f"spi4xl-usspm-2016-full-{lang}.xlsx"
    start = openpyxl.load_workbook(path, read_only=True).sheetnames[0]
    drawing, rels = drawing_of_start(path)
    names = re.findall(r'<xdr:cNvPr id="\d+" name="([^"]+)"><a:hlinkClick [^>]*r:id="(rId\d+)"', drawing)
    assert [n for n, _ in names] == ["spi4xl_populate", "spi4xl_validate", "spi4xl_score"]
    targets = dict(re.findall(r'Id="(rId\d+)" Type="[^"]+/hyperlink" Target="#([^"]+)"', rels))
    for (name, rid), job in zip(names, shapes.JOBS):
        assert targets[rid] == f"'{start}'!{shapes.button_cell(job)}"
        ref = shapes.button_ref(job, start)
        assert ref == f"[{name}]{start}!{shapes.button_cell(job)}"
    with zipfile.ZipFile(path.with_suffix(".xlsm")) as z:
        assert not any("TextBox" in z.read(n).decode(errors="ignore") for n in z.namelist() if "drawings/drawing" in n)


def test_named_shapes_keep_builds_byte_identical(tmp_path: Path) -> None:
    audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language="es")
    a, b = render(CATALOG, "es", audit, tmp_path / "a.xlsx"), render(CATALOG, "es", audit, tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert [i.date_time for i in z.infolist()] == [z.infolist()[0].date_time] * len(z.infolist())
    assert 'name="TextBox' not in drawing_of_start(a)[0]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_buttons(tmp_path: Path, libreoffice) -> None:
    info = libreoffice.inspect(REPO / "workbook_templates" / "spi4xl-usspm-2016-full-fr.xlsx")
    assert not info["repaired"] and not info["warnings"]
