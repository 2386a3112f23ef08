"""Every template opens cleanly in a real spreadsheet program, with what the layout declares; and the
committed templates are what a fresh build makes.

LibreOffice stands in for Excel: each built template (EN/FR/ES x .xlsx/.xlsm) must load without repair
or questions, carry its localized sheet names, every defined name the layout contract declares, its
data validations, and in .xlsm the VBA modules and three buttons bound to their macros.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from audits import CATALOG
from spi4xl.build import TEMPLATES_DIR, build
from spi4xl.ui import ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.vba import MACROS, MODULE

TARGETS = [(lang, fmt) for lang in CATALOG.languages for fmt in ("xlsx", "xlsm")]
SHEETS = ("start", "organization", "questionnaire", "results", "dashboard", "findings", "plan", "settings", "lists")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("templates")
    report = build(out_dir=out)
    files = {(e["language"], e["format"]): Path(e["file"]) for e in report}
    assert sorted(files) == sorted(TARGETS)
    assert all(p.parent == out and p.is_file() for p in files.values())
    return files


@pytest.fixture(scope="module")
def inspected(built: dict[tuple[str, str], Path], libreoffice: Any) -> dict[tuple[str, str], dict]:
    return {target: libreoffice.inspect(path) for target, path in built.items()}


def declared_names() -> set[str]:
    """Every workbook-level name the layout contract (and the lists sheet) promises formulas and readers."""
    names = {col.name for role in L.ROLES.values() for col in role.columns if col.name}
    names |= set(L.SETTING_NAME.values()) | {"l_key", "l_value", "l_na", "l_code", "r_status"}
    names |= {f"list_{scale}" for scale in CATALOG.scales}
    names |= {"list_evidence", "list_assessment", "list_language", "list_profile"}
    names |= {f"list_org_{f.id}" for f in CATALOG.org_fields if f.choices}
    names |= {f"org_{f.id}" for f in CATALOG.org_fields}
    # Findings, conversion and peer sheets name no columns; keep the check honest if that changes
    return names


def expected_validations() -> dict[str, int]:
    """Cells with a validation: every answer cell and every evidence cell; every typed Organization field."""
    inds = CATALOG.indicators("full", None)
    answers = sum((0 if i.is_checklist else 1) + len(i.details) for i in inds)
    return {"questionnaire": answers + len(inds),
            "organization": sum(1 for f in CATALOG.org_fields if f.type != "text")}


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang,fmt", TARGETS)
def test_template_loads_cleanly_with_localized_sheets(lang: str, fmt: str, inspected: dict) -> None:
    info = inspected[(lang, fmt)]
    assert info["repaired"] is False
    assert info["warnings"] == []
    names = [ui(f"sheet.{role}", lang) for role in SHEETS]
    assert info["sheets"] == names + (["xlwings.conf"] if fmt == "xlsm" else [])
    if lang != "en":
        english = [ui(f"sheet.{role}", "en") for role in SHEETS]
        assert sum(a != b for a, b in zip(names, english)) >= len(SHEETS) // 2, "sheet names are not translated"


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang,fmt", TARGETS)
def test_template_has_every_declared_name(lang: str, fmt: str, inspected: dict) -> None:
    names = set(inspected[(lang, fmt)]["names"])
    missing = declared_names() - names
    assert not missing, f"defined names LibreOffice does not see: {sorted(missing)}"
    # sheet-scoped names: only print areas and titles (every sheet prints, see test_printing.py)
    assert {n for n in names if "!" in n} <= {f"{ui(f'sheet.{role}', lang)}!_xlnm.{k}" for role in SHEETS
                                              for k in ("Print_Area", "Print_Titles")}


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang,fmt", TARGETS)
def test_template_has_its_validations(lang: str, fmt: str, inspected: dict) -> None:
    validations = inspected[(lang, fmt)]["validations"]
    for role, cells in expected_validations().items():
        assert validations[ui(f"sheet.{role}", lang)] == cells, role
    assert validations[ui("sheet.start", lang)] >= 1  # assessment type and dates
    assert validations[ui("sheet.settings", lang)] >= 1  # language and profile


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang,fmt", TARGETS)
def test_macro_template_has_modules_and_bound_buttons(lang: str, fmt: str, inspected: dict) -> None:
    info = inspected[(lang, fmt)]
    if fmt == "xlsx":
        assert info["basic_modules"] == [] and info["buttons"] == []
        return
    assert {f"VBAProject.{MODULE}", "VBAProject.xlwings"} <= set(info["basic_modules"])
    start = ui("sheet.start", lang)
    got = [(b["sheet"], b["label"], b["macro"]) for b in info["buttons"]]
    assert got == [(start, ui(f"button.{key}", lang), f"VBAProject.{macro}") for key, macro in MACROS.items()]
    if lang != "en":
        assert [b["label"] for b in info["buttons"]] != [ui(f"button.{k}", "en") for k in MACROS]


# --- build --check -------------------------------------------------------------------------------
@pytest.mark.slow
def test_build_check_passes_on_the_committed_templates(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "spi4xl", "build", "--check"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(TARGETS) and all(line.startswith("current: ") for line in lines)


@pytest.mark.slow
def test_build_check_names_an_altered_template(tmp_path: Path) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, copy)
    victim = copy / "spi4xl-usspm-2016-full-fr.xlsx"
    with zipfile.ZipFile(victim, "a") as z:  # an auditor's save: one more part, everything else the same
        z.writestr("docProps/custom.xml", "<Properties/>")
    (copy / "spi4xl-usspm-2016-full-es.xlsm").unlink()
    report = {Path(e["file"]).name: e["status"] for e in build(out_dir=copy, check=True)}
    assert report.pop(victim.name) == "stale"
    assert report.pop("spi4xl-usspm-2016-full-es.xlsm") == "missing"
    assert set(report.values()) == {"current"}
    proc = subprocess.run([sys.executable, "-m", "spi4xl", "build", "--check", "--out", str(copy)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"stale: {victim}" in proc.stdout.splitlines()
    assert "not current" in proc.stderr
    assert not (copy / "spi4xl-usspm-2016-full-es.xlsm").exists()  # --check writes nothing
