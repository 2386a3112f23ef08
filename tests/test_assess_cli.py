"""`spi4xl score` and `spi4xl validate` as a user runs them, and the dashboard as a user sees it.

The CLI runs in a subprocess (`python -m spi4xl`), so exit codes, stdout/stderr and the absence of
tracebacks are what a shell sees. Workbooks are read back by role marker and column id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import spi4xl
from audits import CATALOG, CLEAN_ORG, random_audit
from pixels import png_pixels
from sheets import role_records
from spi4xl.assess import assess
from spi4xl.audit import PLAN_STATUSES, Audit
from spi4xl.key_figures import RATIOS, key_figures
from spi4xl.plan import gap_count
from spi4xl.ui import ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.formats import INPUT_FILL, SEVERITY_FILLS
from spi4xl.workbook.read import read_audit, read_workbook
from spi4xl.workbook.render import render, sheet_names

REPO = Path(__file__).resolve().parents[1]
UNIT_KEYS = {"score", "total", "answered", "na", "applicable", "scored", "completion"}
TOP_KEYS = {"edition", "catalog_version", "language", "completion", "provisional", "overall", "dimensions", "standards",
            "essential_practices", "client_protection", "alinus", "modules", "key_figures", "findings", "plan", "output"}
FINDING_KEYS = {"code", "severity", "item", "sheet", "role", "cell", "message", "hint"}
INVALID_ANSWER = (next(i.code for i in CATALOG.all_indicators() if not i.is_checklist and i.scale == "ypn"), "peut-être")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spi4xl", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- audits -------------------------------------------------------------------------------------
META = {"organization": "Synthetic MFI", "country": "Peru", "auditor": "Test", "assessment_type": "external",
        "start_date": dt.date(2026, 3, 1), "end_date": dt.date(2026, 3, 12)}


def clean_audit(lang: str) -> Audit:
    """Everything answered (no N/A where it is forbidden), commented, Organization Information complete."""
    audit = random_audit(101, lang, fill=1.0)
    audit.comments = {i.code: "Policy manual p. 4" for i in CATALOG.all_indicators()}
    audit.org = dict(CLEAN_ORG)
    audit.metadata = dict(META)
    return audit


def dirty_audit(lang: str) -> Audit:
    """Invalid and missing answers, a bad and an out-of-range Organization Information value, dates reversed."""
    audit = random_audit(102, lang, fill=0.6)
    code, text = INVALID_ANSWER
    audit.answers.pop(code, None)
    audit.unparsed[(code, "answer")] = text
    audit.org.update(branches=-3)
    audit.unparsed[("staff_total", "value")] = "beaucoup"
    audit.metadata.update(organization="IMF test", start_date=dt.date(2025, 3, 1), end_date=dt.date(2025, 2, 1))
    return audit


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audits")
    return {
        "dirty_fr": render(CATALOG, "fr", dirty_audit("fr"), folder / "dirty-fr.xlsx"),
        "clean_en": render(CATALOG, "en", clean_audit("en"), folder / "clean-en.xlsx"),
        "clean_es": render(CATALOG, "es", clean_audit("es"), folder / "clean-es.xlsx"),
    }


# --- score --json -------------------------------------------------------------------------------
def check_unit(unit: dict[str, Any], where: str) -> None:
    assert set(unit) == UNIT_KEYS, where
    for key in ("answered", "na", "applicable", "total", "scored"):
        assert isinstance(unit[key], int) and unit[key] >= 0, where
    assert unit["answered"] <= unit["total"] and unit["applicable"] <= unit["total"], where
    assert unit["na"] <= unit["answered"] and unit["applicable"] == unit["total"] - unit["na"], where
    assert unit["scored"] <= unit["applicable"], where
    for key in ("score", "completion"):
        assert unit[key] is None or (isinstance(unit[key], (int, float)) and 0 <= unit[key] <= 1), where
    assert (unit["score"] is None) == (unit["scored"] == 0), where
    assert (unit["completion"] is None) == (unit["total"] == 0), where


@pytest.mark.parametrize("name", ["dirty_fr", "clean_en"])
def test_score_json_has_the_documented_shape(books, name):
    path = books[name]
    proc = run("score", path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == TOP_KEYS
    assert (data["edition"], data["catalog_version"]) == (CATALOG.edition, CATALOG.version)
    assert data["language"] == name.split("_")[1]
    assert data["output"] is None
    assert set(data["findings"]) == {"error", "warning", "info"}
    check_unit(data["overall"], "overall")
    check_unit(data["alinus"], "alinus")
    for block in ("dimensions", "standards", "essential_practices", "client_protection", "modules"):
        assert data[block], block
        for code, unit in data[block].items():
            check_unit(unit, f"{block} {code}")
    assert list(data["dimensions"]) == [d.code for d in CATALOG.dimensions]
    assert list(data["client_protection"]) == [f"CP{n}" for n in range(1, 8)]
    assert list(data["modules"]) == ["poverty", "gender", "rural", "environment"]
    overall = data["overall"]
    assert data["completion"] == overall["completion"]
    assert data["provisional"] is (overall["answered"] < overall["total"])
    assert data["provisional"] is (name == "dirty_fr")
    # the same numbers as the library
    expected = spi4xl.score(read_audit(path)).to_dict()
    assert {k: v for k, v in data.items() if k not in ("findings", "output", "key_figures", "plan")} == \
        json.loads(json.dumps(expected))
    assert data["key_figures"] == key_figures(CATALOG, read_audit(path).org)
    assert list(data["key_figures"]["ratios"]) == [r.id for r in RATIOS]
    assert data["plan"]["gaps"] == gap_count(spi4xl.score(read_audit(path))) and set(data["plan"]["status"]) >= set(PLAN_STATUSES)
    counts = assess(path).counts
    assert data["findings"] == counts
    assert (counts["error"] > 0) is (name == "dirty_fr")


def test_score_text_output_names_the_units(books, tmp_path):
    path = books["dirty_fr"]
    out = tmp_path / "scored.xlsx"
    proc = run("--lang", "en", "score", path, "--out", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "provisional" in lines[0]
    scores = assess(path).scores
    # one heading line per unit kind, each unit on its own line under it; ALINUS alone on its line
    dims = lines.index(ui("cli.kind.dimension"))
    assert [line.split()[0] for line in lines[dims + 1:dims + 1 + len(scores.dimensions)]] == list(scores.dimensions)
    cps = lines.index(ui("cli.kind.principle"))
    assert [line.split()[0] for line in lines[cps + 1:cps + 1 + len(scores.client_protection)]] == list(scores.client_protection)
    (alinus,) = [line for line in lines if line.startswith("ALINUS")]
    assert f"{scores.alinus.answered}/{scores.alinus.total}" in alinus and "finding" not in alinus
    assert scores.modules, "the audit should have an optional module"
    mods = lines.index(ui("cli.kind.module"))
    assert [line.split()[0] for line in lines[mods + 1:mods + 1 + len(scores.modules)]] == list(scores.modules)
    assert lines[-1] == ui("cli.wrote", path=out) and out.is_file()
    # --lang fr: the same report in French
    french = run("--lang", "fr", "score", path).stdout
    for key in ("cli.kind.principle", "cli.kind.module", "cli.alinus", "cli.provisional"):
        assert ui(key, "fr") in french and ui(key, "fr") != ui(key), key


def test_validate_and_read_text_report_the_same_findings_with_their_fix(books, tmp_path):
    path = books["dirty_fr"]
    findings = assess(path).findings
    out = tmp_path / "validated.xlsx"
    validated = run("--lang", "en", "validate", path, "--out", out).stdout
    for f in findings:
        assert ui("cli.hint", hint=f.hint("en")) in validated, f.code
    assert validated.splitlines()[-1] == ui("cli.wrote", path=out)
    read = run("--lang", "en", "read", path)
    assert read.returncode == 0, read.stderr
    assert f"{len(findings)} finding(s)" in read.stdout.splitlines()[1]
    assert len(json.loads(run("read", path, "--json").stdout)["findings"]) == len(findings)
    assert sum(f.message("en") in read.stdout for f in findings) == sum(f.message("en") in validated for f in findings)


# --- score --out --------------------------------------------------------------------------------
@pytest.mark.slow
def test_score_out_writes_a_new_workbook_with_results_findings_and_highlights(books, tmp_path):
    src = books["dirty_fr"]
    before = sha(src)
    out = tmp_path / "scored.xlsx"
    proc = run("score", src, "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["output"] == str(out) and out.is_file()
    assert sha(src) == before  # the input is never touched
    validated = run("validate", src, "--json")
    assert sha(src) == before
    findings = json.loads(validated.stdout)["findings"]

    # Results: the cached values written with the formulas are the JSON scores
    _, results = role_records(out, "results")
    by_unit = {(r["level"], r.get("code") or ""): r for r in results if r.get("level") in
               ("overall", "dimension", "standard", "practice", "principle", "alinus", "module")}
    expected = {("overall", ""): data["overall"], ("alinus", "ALINUS"): data["alinus"]}
    for block, level in (("dimensions", "dimension"), ("standards", "standard"), ("essential_practices", "practice"),
                         ("client_protection", "principle"), ("modules", "module")):
        expected.update({(level, code): unit for code, unit in data[block].items()})
    assert set(by_unit) == set(expected)
    for key, unit in expected.items():
        for column in UNIT_KEYS:
            got = by_unit[key].get(column)
            assert got == pytest.approx(unit[column], abs=1e-12) if unit[column] is not None else got is None, (key, column)

    # Findings: every finding of `validate`, in the workbook's language, pointing at the new file's cells
    names = sheet_names("fr")
    findings_sheet, rows = role_records(out, "findings")
    listed = [r for r in rows if r.get("finding")]
    assert len(listed) == len(findings) > 10
    for row, f in zip(listed, findings):
        assert (row["finding"], row["severity"], row.get("item") or "", row["message"], row["hint"]) == \
               (f["code"], ui(f"finding_severity.{f['severity']}", "fr"), f["item"], f["message"], f["hint"])
        assert row["sheet"] == names[f["role"]] == f["sheet"]
        assert (row.get("cell") or "") == f["cell"]  # same layout: the same cells as in the input

    book = openpyxl.load_workbook(out)
    worst: dict[tuple[str, str], str] = {}
    for f in findings:
        if f["cell"] and f["severity"] in SEVERITY_FILLS:
            key = (f["sheet"], f["cell"])
            worst[key] = "error" if "error" in (worst.get(key), f["severity"]) else f["severity"]
    kinds = set()
    for n, (row, f) in enumerate(zip(listed, findings)):
        if not f["cell"]:
            continue
        ws = book[row["sheet"]]
        target = ws[f["cell"]]
        link = book[findings_sheet].cell(n + 3, L.FINDINGS.col("cell") + 1).hyperlink
        assert link is not None and link.location == f"'{row['sheet']}'!{f['cell']}"
        # the cell is the item's input cell: its row carries the item's code, its column is an input column
        key_row = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
        if f["role"] == "questionnaire":
            assert ws.cell(target.row, 1).value == f["item"]
            column = "evidence" if f["code"] == "evidence.invalid" else "answer"
            assert target.column == key_row[column]
        elif f["role"] == "organization":
            assert ws.cell(target.row, 1).value == f["item"] and target.column == key_row["value"]
        else:
            assert ws.cell(target.row, 1).value == f["item"] and target.column == 3
        if f["severity"] in SEVERITY_FILLS:
            fill = target.fill.fgColor.rgb
            assert fill == "FF" + SEVERITY_FILLS[worst[(row["sheet"], f["cell"])]].lstrip("#"), (f, fill)
            kinds.add((f["role"], f["severity"]))
    assert {("questionnaire", "error"), ("organization", "error"), ("start", "error"), ("start", "warning")} <= kinds
    # an input cell without findings keeps the plain input fill
    org = book[names["organization"]]
    key_row = {org.cell(1, c).value: c for c in range(1, org.max_column + 1)}
    clean_row = next(r for r in range(3, org.max_row + 1) if org.cell(r, 1).value == "active_clients")
    assert org.cell(clean_row, key_row["value"]).fill.fgColor.rgb == "FF" + INPUT_FILL.lstrip("#")
    # and the new workbook reads back with the same answers
    again, first = read_audit(out), read_audit(src)
    for part in ("answers", "comments", "evidence", "flags", "org"):
        assert getattr(again, part) == getattr(first, part), part


def test_a_date_with_a_finding_survives_score_out(books, tmp_path):
    src = books["dirty_fr"]
    out = tmp_path / "scored.xlsx"
    assert run("score", src, "--out", out).returncode == 0
    assert read_audit(out) == read_audit(src)


@pytest.mark.slow
def test_findings_on_checklist_indicators_are_highlighted(tmp_path):
    audit = random_audit(103, "en", fill=1.0)
    checklist = next(i for i in CATALOG.all_indicators() if i.is_checklist)
    audit.answers.update({d.code: "yes" for d in checklist.details})
    audit.comments = {}  # scored and no comment: answer.no_evidence (a warning) on the checklist indicator
    src = render(CATALOG, "en", audit, tmp_path / "in.xlsx")
    out = tmp_path / "out.xlsx"
    assert run("score", src, "--out", out).returncode == 0
    (finding,) = [f for f in assess(src).findings if f.item == checklist.code and f.code == "answer.no_evidence"]
    ws = openpyxl.load_workbook(out)[sheet_names("en")["questionnaire"]]
    assert ws[finding.cell].fill.fgColor.rgb == "FF" + SEVERITY_FILLS["warning"].lstrip("#")


@pytest.mark.slow
def test_text_typed_on_a_checklist_row_survives_score_out(books, tmp_path):
    checklist = next(i for i in CATALOG.all_indicators() if i.is_checklist)
    src = render(CATALOG, "en", random_audit(104, "en"), tmp_path / "in.xlsx")
    book = openpyxl.load_workbook(src)
    ws = next(ws for ws in book.worksheets if ws.cell(1, 1).value == L.QUESTIONNAIRE.marker)
    key_row = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == checklist.code)
    ws.cell(row, key_row["answer"]).value = "Yes, all of it"
    book.save(tmp_path / "typed.xlsx")
    assert read_audit(tmp_path / "typed.xlsx").unparsed[(checklist.code, "answer")] == "Yes, all of it"
    assert run("score", tmp_path / "typed.xlsx", "--out", tmp_path / "out.xlsx").returncode == 0
    assert read_audit(tmp_path / "out.xlsx").unparsed.get((checklist.code, "answer")) == "Yes, all of it"


def test_score_out_refuses_to_write_over_its_input(books, tmp_path):
    src = tmp_path / "audit.xlsx"
    shutil.copy(books["clean_en"], src)
    before = sha(src)
    for command in ("score", "validate"):
        proc = run(command, src, "--out", src)
        assert proc.returncode == 1
        assert proc.stderr.startswith("spi4xl: error [write.overwrite]: ") and proc.stderr.count("\n") == 1
        assert sha(src) == before


# --- validate -----------------------------------------------------------------------------------
def test_validate_exits_1_on_errors_with_located_french_findings(books):
    path = books["dirty_fr"]
    proc = run("validate", path, "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"findings", "counts"}
    findings = data["findings"]
    assert all(set(f) == FINDING_KEYS for f in findings)
    assert data["counts"]["error"] == sum(f["severity"] == "error" for f in findings) > 0
    assert {f["severity"] for f in findings} <= {"error", "warning", "info"}
    codes = {f["code"] for f in findings}
    assert {"answer.invalid", "answer.missing", "org.invalid", "org.bound", "org.missing", "meta.dates",
            "meta.missing"} <= codes
    read = read_workbook(path)
    cells = read.cells
    for f in findings:
        assert f["role"] in ("questionnaire", "organization", "start")
        assert f["sheet"] == read.sheets[f["role"]] == sheet_names("fr")[f["role"]]  # the sheet's real name
        if f["item"] and f["code"] not in ("dimension.overestimated", "evidence.invalid"):
            assert f["cell"] == cells[(f["role"], f["item"])], f
    code, text = INVALID_ANSWER
    (invalid,) = [f for f in findings if f["code"] == "answer.invalid"]
    assert (invalid["item"], invalid["cell"]) == (code, cells[("questionnaire", code)])
    assert text in invalid["message"] and "Partiellement" in invalid["message"]
    # French messages and hints, the same as the library's
    expected = [f.as_dict("fr", read.sheets) for f in assess(path).findings]
    assert findings == expected
    english = [f.as_dict("en") for f in assess(path).findings]
    for fr, en in zip(findings, english):
        assert fr["message"] != en["message"] and fr["hint"] != en["hint"], fr["code"]

    text_run = run("validate", path)
    assert text_run.returncode == 1
    assert "Questionnaire!" + invalid["cell"] in text_run.stdout and invalid["message"] in text_run.stdout
    # the counts, each label before its number ("notes 1", never "1 notes"), in the workbook's language
    counts = data["counts"]
    assert text_run.stdout.splitlines()[-1] == (f"{path}: erreurs {counts['error']}, avertissements "
                                                f"{counts['warning']}, notes {counts['info']}")


@pytest.mark.parametrize("name", ["clean_en", "clean_es"])
def test_validate_exits_0_on_a_clean_audit(books, name):
    proc = run("validate", books[name], "--json")
    assert proc.returncode == 0, proc.stdout[:2000]
    data = json.loads(proc.stdout)
    assert data["counts"]["error"] == 0
    assert not any(f["severity"] == "error" for f in data["findings"])


def test_validate_out_writes_findings_without_touching_the_input(books, tmp_path):
    src = books["dirty_fr"]
    before = sha(src)
    out = tmp_path / "validated.xlsx"
    proc = run("validate", src, "--out", out)
    assert proc.returncode == 1 and out.is_file()
    assert sha(src) == before
    _, rows = role_records(out, "findings")
    assert sum(1 for r in rows if r.get("finding")) == sum(assess(src).counts.values())


# --- files that are not audits ------------------------------------------------------------------
def _bad_files(folder: Path, good: Path) -> dict[str, Path]:
    files = {}
    files["text"] = folder / "notes.xlsx"
    files["text"].write_text("this is not a workbook\n")
    files["truncated"] = folder / "truncated.xlsx"
    files["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["encrypted"] = folder / "locked.xlsx"
    files["encrypted"].write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    files["broken_sheet"] = folder / "broken-sheet.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(files["broken_sheet"], "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, b"<worksheet><sheetData><row><c r=" if info.filename.endswith("sheet3.xml") else data)
    files["other_tool"] = folder / "budget.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Budget", 2026])
    book.save(files["other_tool"])
    files["unknown_edition"] = folder / "future.xlsx"
    book = openpyxl.load_workbook(good)
    settings = next(ws for ws in book.worksheets if ws.cell(1, 1).value == L.SETTINGS.marker)
    row = next(r for r in range(1, settings.max_row + 1) if settings.cell(r, 1).value == "edition")
    settings.cell(row, 3).value = "usspm-2099"
    book.save(files["unknown_edition"])
    files["duplicate_code"] = folder / "duplicate.xlsx"
    book = openpyxl.load_workbook(good)
    ws = next(ws for ws in book.worksheets if ws.cell(1, 1).value == L.QUESTIONNAIRE.marker)
    first, second = [r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value in ("1A.1.1", "1A.1.2")]
    ws.cell(second, 1).value = "1A.1.1"
    book.save(files["duplicate_code"])
    files["missing"] = folder / "nowhere.xlsx"
    files["folder"] = folder / "a-folder.xlsx"
    files["folder"].mkdir()
    files["xls"] = folder / "old.xls"
    files["xls"].write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    return files


BAD = ["text", "truncated", "encrypted", "broken_sheet", "other_tool", "unknown_edition", "duplicate_code", "missing",
       "folder", "xls"]


@pytest.fixture(scope="module")
def bad_files(books, tmp_path_factory) -> dict[str, Path]:
    return _bad_files(tmp_path_factory.mktemp("bad"), books["clean_en"])


@pytest.mark.slow
@pytest.mark.parametrize("kind", BAD)
def test_a_bad_file_is_one_line_and_exit_1(bad_files, kind):
    path = bad_files[kind]
    for args in (("score", path, "--json"), ("validate", path)):
        proc = run(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and re.match(r"spi4xl: error \[[a-z_]+\.[a-z_0-9]+\]: ", lines[0]), proc.stderr
        if kind in ("broken_sheet", "duplicate_code"):  # these name the sheet, not the file (see the report)
            assert "'Questionnaire'" in lines[0], lines[0]
        else:
            assert path.name in lines[0], lines[0]
        assert proc.stdout == ""


# --- the dashboard, as LibreOffice draws it -------------------------------------------------------


@pytest.mark.libreoffice
def test_dashboard_renders_as_a_picture(libreoffice, tmp_path):
    audit = read_audit(REPO / "samples" / "sample-audit-en.xlsx")  # a filled audit with Organization Information
    path = render(CATALOG, "en", audit, tmp_path / "dashboard-en.xlsx")
    name = sheet_names("en")["dashboard"]
    (png,) = libreoffice.to_png(path, tmp_path / "png", sheets=[name])
    assert png.stat().st_size > 20_000
    width, height, rows = png_pixels(png.read_bytes())
    bpp = len(rows[0]) // width
    pixels = [row[i:i + bpp] for row in rows[::4] for i in range(0, len(row), bpp * 4)]
    white = bytes([255] * bpp)
    inked = sum(p != white for p in pixels) / len(pixels)
    assert width > 400 and height > 300
    assert 0.03 < inked < 0.9, inked  # charts and figures drawn, not a blank or black page
    assert len(set(pixels)) > 20  # several colours: bars, radar, text
    if os.environ.get("SPI4XL_UPDATE_PICTURES") == "1":
        target = REPO / "docs" / "img" / "dashboard-en.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, target)
