"""spi4xl as users install it: a wheel, in a fresh virtual environment, away from the checkout.

These are the README's install steps (Windows, macOS, server): build the wheel with
`pip wheel --no-deps`, `pip install` it (not editable), then `pip install "<wheel>[server]"`. Every
command runs with its working directory elsewhere, no PYTHONPATH and no SPI4XL_STANDARDS, so the
catalog and the templates can only come from inside the installed package. What it runs must
answer exactly as the checkout's own install does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-audit-fr.xlsx"
# score(book) through xlwings' remote engine, on the payload xlwings' VBA client would post for a file.
ADAPTER_SCORE = """
import json, os, sys
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"  # before xlwings is imported (tests only)
import xlwings as xw
import spi4xl
from spi4xl.xl import adapter
from spi4xl.xl.payload import payload
book = xw.Book(json=payload(sys.argv[1], "VBA"))
adapter.score(book)
print(json.dumps({"package": spi4xl.__file__, "path": sys.path, "actions": book.json()["actions"]}))
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SPI4XL_STANDARDS", "XLWINGS_LICENSE_KEY",
                                                           "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


def run(cmd: list, cwd: Path, timeout: int = 600, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(**env), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{cmd}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(checkout_wheel: Path) -> Path:
    return checkout_wheel


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed as the README says (desktop: no extras)."""
    root = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", root / "env"], cwd=root)
    run([root / "env" / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=root)
    return root / "env"


@pytest.fixture()
def elsewhere(tmp_path: Path) -> Path:
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "elsewhere"


def test_the_wheel_carries_every_edition_every_template_and_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for edition in (REPO / "standards").iterdir():
        if (edition / "catalog.yaml").is_file():
            for f in edition.rglob("*"):
                if f.is_file():
                    assert f"spi4xl/standards/{f.relative_to(REPO / 'standards').as_posix()}" in names
    for template in (REPO / "workbook_templates").glob("*.xls[xm]"):
        assert f"spi4xl/workbook_templates/{template.name}" in names
    for source in (REPO / "spi4xl").rglob("*"):  # a subpackage missing from pyproject's list fails here
        if source.is_file() and "__pycache__" not in source.parts:
            assert source.relative_to(REPO).as_posix() in names, f"{source} is not in the wheel"
    assert all(n.startswith(("spi4xl/", "spi4xl-")) for n in names), "the wheel installs something beside spi4xl"


def test_installed_spi4xl_knows_its_editions_and_runs_the_main_job(venv: Path, elsewhere: Path) -> None:
    spi4xl = venv / "bin" / "spi4xl"
    site = run([venv / "bin" / "python", "-c", "import spi4xl, sys; print(spi4xl.__file__); print(sys.path)"],
               cwd=elsewhere).stdout
    assert site.startswith(str(venv)) and str(REPO) not in site

    version = run([spi4xl, "--version"], cwd=elsewhere).stdout
    assert version.splitlines()[0] == "spi4xl 0.1.0"
    assert "catalog editions carried: usspm-2016 1.1.0" in version and f"({venv}" in version
    assert "templates carried: 6" in version

    assert "0 problem(s)" in run([spi4xl, "catalog", "check"], cwd=elsewhere).stdout
    run([spi4xl, "build", "--lang", "fr", "--format", "xlsm", "--out", "t"], cwd=elsewhere)
    assert (elsewhere / "t" / "spi4xl-usspm-2016-full-fr.xlsm").is_file()
    run([spi4xl, "build", "--check"], cwd=elsewhere)  # the templates it carries are what it renders
    run([spi4xl, "build", "--lang", "en", "--format", "xlsx"], cwd=elsewhere)  # no --out: here, not in the package
    assert (elsewhere / "workbook_templates" / "spi4xl-usspm-2016-full-en.xlsx").is_file()

    installed = json.loads(run([spi4xl, "score", SAMPLE, "--json"], cwd=elsewhere).stdout)
    checkout = json.loads(run([sys.executable, "-m", "spi4xl", "score", SAMPLE, "--json"], cwd=REPO).stdout)
    assert installed == checkout and installed["overall"]["total"] > 0


def test_installed_adapter_scores_a_payload_and_the_server_extras_install(venv: Path, wheel: Path,
                                                                          elsewhere: Path) -> None:
    script = elsewhere / "adapter_score.py"
    script.write_text(ADAPTER_SCORE, encoding="utf-8")
    installed = json.loads(run([venv / "bin" / "python", script, SAMPLE], cwd=elsewhere).stdout)
    checkout = json.loads(run([sys.executable, script, SAMPLE], cwd=REPO).stdout)
    assert installed["package"].startswith(str(venv)) and not any(p.startswith(str(REPO)) for p in installed["path"])
    assert installed["actions"] == checkout["actions"]
    assert any(a["func"] == "alert" for a in installed["actions"])
    assert any(a["func"] == "setValues" for a in installed["actions"])

    run([venv / "bin" / "python", "-m", "pip", "install", "-q", f"{wheel}[server]"], cwd=elsewhere)
    served = run([venv / "bin" / "python", "-c", "from spi4xl.xl.server import manifest; "
                  "print(manifest('https://audit.example.org'))"], cwd=elsewhere,
                 XLWINGS_LICENSE_KEY="noncommercial").stdout
    assert "https://audit.example.org/taskpane.html" in served
