"""Running the xlwings Lite plugin in Pyodide under Node.js, and the same calls in CPython, for tests and benchmarks.

`scripts/setup-lite.sh` caches what this needs in .cache/lite: the pinned `pyodide` npm package and xlwings'
pure-Python wheel. The spi4xl wheel is built from the checkout for each run. The workbook side is what
xlwings Lite sends: per job the Office.js payload of a rendered, filled workbook with only the sheets the
script's `include` names (spi4xl.xl.payload, laid out after xlwings' remote engine, see its docstring); a
custom function gets its ranges as the 2-D arrays Excel passes for the templates' defined names.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from spi4xl.xl.adapter import JOB_ROLES, sheet_names_for
from spi4xl.xl.payload import payload

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "lite"
PYODIDE = CACHE / "node" / "node_modules" / "pyodide"
WHEELS = CACHE / "wheels"
HERE = Path(__file__).resolve().parent / "lite"
JOBS = ("score", "validate", "populate")


def missing() -> str | None:
    """Why the Pyodide run cannot happen here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (scripts/setup-lite.sh installs it)"
    if not (PYODIDE / "pyodide.mjs").is_file() or not list(WHEELS.glob("xlwings-*.whl")):
        return "the pyodide npm package or xlwings' wheel is not in .cache/lite: run scripts/setup-lite.sh"
    return None


def job_payloads(path: Path) -> dict[str, Any]:
    """What Lite sends each script of a workbook: Office.js's payload with the sheets of the script's `include`."""
    return {job: payload(path, "Office.js", sheet_names_for(JOB_ROLES[job])) for job in JOBS}


def named_range(data: dict[str, Any], name: str) -> list[list[Any]]:
    """A defined name's cells as Excel passes a range to a custom function: 2-D, empty cells as None."""
    (entry,) = [n for n in data["names"] if n["name"] == name]
    from spi4xl.workbook.layout import parse_cell

    first, last = (parse_cell(a) for a in entry["address"].split(":"))
    rows = payload_values(data, entry["sheet_index"])
    return [[_cell(rows, r, c) for c in range(first[1], last[1] + 1)] for r in range(first[0], last[0] + 1)]


def payload_values(data: dict[str, Any], index: int) -> list[list[Any]]:
    return data["sheets"][index]["values"]


def _cell(rows: list[list[Any]], r: int, c: int) -> Any:
    value = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
    return None if value == "" else value


def calls(data: dict[str, Any], language: str, rows_with_findings: list[str]) -> list[dict[str, Any]]:
    """Custom-function calls over the workbook's own ranges: scores and completion of units, findings of rows, texts."""
    q = {n: named_range(data, n) for n in ("q_code", "q_answer", "q_comment", "q_evidence")}
    lang = [[language]]
    out = []
    for unit in ("overall", "1", "4", "4A", "4A.1", "CP2", "ALINUS", "4A.1.1", "nope"):
        out.append({"func": "unit_score", "label": unit, "args": [[[unit]], q["q_code"], q["q_answer"]]})
    for unit in ("overall", "2B"):
        out.append({"func": "unit_completion", "label": unit, "args": [[[unit]], q["q_code"], q["q_answer"]]})
    for code in rows_with_findings:
        columns = [q["q_code"], q["q_answer"], q["q_comment"], q["q_evidence"]]
        out.append({"func": "findings_text", "label": code, "args": [[[code]], *columns, lang]})
        out.append({"func": "findings_count", "label": code, "args": [[[code]], *columns]})
    for code in ("4A.1.1", "4A", "CP3"):
        out.append({"func": "catalog_text", "label": code, "args": [[[code]], lang]})
    return out


def run_pyodide(cases: dict[str, Any], wheels: list[Path], work: Path, timeout: int = 600) -> dict[str, Any]:
    """The driver's answer from Pyodide under Node, with the wheels installed (spi4xl's and the cached ones)."""
    folder = work / "wheels"
    folder.mkdir(exist_ok=True)
    for wheel in [*wheels, *WHEELS.glob("*.whl")]:
        shutil.copy(wheel, folder)
    spec = work / "cases.json"
    spec.write_text(json.dumps(cases), encoding="utf-8")
    done = subprocess.run(["node", HERE / "run.mjs", PYODIDE, folder, HERE / "driver.py", spec], capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"node exited {done.returncode}: {done.stderr[-4000:]}")
    return json.loads(done.stdout)


def run_cpython(cases: dict[str, Any], work: Path) -> dict[str, Any]:
    """The driver's answer from this interpreter's spi4xl, with the environment run.mjs gives Pyodide."""
    spec = work / "cases-cpython.json"
    spec.write_text(json.dumps(cases), encoding="utf-8")
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}
    done = subprocess.run([sys.executable, HERE / "driver.py", spec], capture_output=True, text=True, env=env,
                          timeout=600, cwd=work)
    if done.returncode != 0:
        raise RuntimeError(f"driver exited {done.returncode}: {done.stderr[-4000:]}")
    return json.loads(done.stdout)
