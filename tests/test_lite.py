"""spi4xl as an xlwings Lite plugin, run for real in Pyodide (WebAssembly) under Node.js, offline.

The wheel is built from the checkout and installed, with xlwings' pure-Python wheel and nothing else,
into Pyodide's file system (no PyYAML, polib, python-calamine, XlsxWriter, pandas, pyopenvba, FastAPI or
tqdm there: the catalog comes from its compiled bundle). For a filled EN, FR and ES workbook, each
script gets the payload xlwings Lite sends (Office.js client, the script's `include` sheets; see
tests/lite_harness.py) and each custom function the ranges of the templates' defined names. What comes
back (the actions the add-in would replay, the functions' values) must equal what the same calls give in
CPython, and the scores must be those of `spi4xl score --json`.

Not covered here, for want of Excel: the payload the real add-in builds (this one follows xlwings' remote
engine and xlwings-server's Pyodide runtime), Lite's plugin discovery and the replay of the actions in Excel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import lite_harness as H

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")


def spi4xl_json(*args: Any) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "spi4xl", *map(str, args), "--json"], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, checkout_wheel: Path) -> dict[str, Any]:
    """Both runs over the three workbooks (one Pyodide start for all: it is the slow part)."""
    if (why := H.missing()) is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the xlwings Lite test: {why}")
        pytest.skip(why)
    work = tmp_path_factory.mktemp("lite")
    books = {"en": REPO / "samples" / "sample-audit-en.xlsx", "fr": REPO / "samples" / "sample-audit-fr.xlsx",
             "es": work / "sample-audit-es.xlsx"}
    subprocess.run([sys.executable, "-m", "spi4xl", "convert", books["en"], "--lang", "es", "--out", books["es"]],
                   check=True, capture_output=True, timeout=300, cwd=REPO)
    cases, expected = [], {}
    for lang in LANGS:
        payloads = H.job_payloads(books[lang])
        findings = spi4xl_json("validate", books[lang])["findings"]
        rows = [f["item"] for f in findings if f["role"] == "questionnaire"][:2]
        cases.append({"name": lang, "payloads": payloads, "calls": H.calls(payloads["score"], lang, rows)})
        expected[lang] = {"score": spi4xl_json("score", books[lang]), "findings": findings, "rows": rows}
    spec = {"repeat": 1, "cases": cases}
    wheel = checkout_wheel
    return {"pyodide": H.run_pyodide(spec, [wheel], work), "cpython": H.run_cpython(spec, work), "expected": expected,
            "wheel": wheel}


def case(answer: dict[str, Any], lang: str) -> dict[str, Any]:
    return next(c for c in answer["cases"] if c["name"] == lang)


def test_it_runs_in_pyodide_offline_with_spi4xl_and_xlwings_only(runs) -> None:
    run = runs["pyodide"]
    assert run["refused"] == []  # no request left Node: nothing from a CDN
    assert run["answer"]["platform"] == "emscripten" and run["answer"]["python"].startswith("3.14")
    assert run["answer"]["xlwings"] == "0.37.8"


def test_the_plugin_registers_the_buttons_and_functions(runs) -> None:
    answer = runs["pyodide"]["answer"]
    scripts = {s["function_name"]: s for s in answer["scripts"]}
    assert set(scripts) == {f"{job}{suffix}" for job in H.JOBS for suffix in ("", "_button_en", "_button_fr", "_button_es")}
    assert scripts["score_button_fr"]["button"] == "[spi4xl_score]Accueil!E6"
    assert scripts["score_button_es"]["button"] == "[spi4xl_score]Inicio!E6"
    assert "Questionnaire" in scripts["score"]["include"].split(",") and "Lists" not in scripts["score"]["include"]
    assert answer["functions"] == ["SPI4XL.COMPLETION", "SPI4XL.FINDINGS", "SPI4XL.FINDINGS_COUNT", "SPI4XL.SCORE",
                                   "SPI4XL.TEXT"]
    assert answer["scripts"] == runs["cpython"]["scripts"]
    assert answer["main_py"] == {"scripts": answer["scripts"], "functions": answer["functions"]}  # the README's fallback


@pytest.mark.parametrize("lang", LANGS)
def test_the_scripts_queue_the_actions_cpython_queues(runs, lang: str) -> None:
    lite, cpython = case(runs["pyodide"]["answer"], lang), case(runs["cpython"], lang)
    for job in H.JOBS:
        assert lite["jobs"][job]["actions"] == cpython["jobs"][job]["actions"], job
    alert = lite["jobs"]["score"]["actions"][-1]
    overall = runs["expected"][lang]["score"]["overall"]["score"]
    assert alert["func"] == "alert" and f"{100 * overall:.1f} %" in alert["args"][0]
    counts = lite["jobs"]["validate"]["actions"][-1]["args"][0]
    assert str(len([f for f in runs["expected"][lang]["findings"] if f["severity"] == "error"])) in counts


@pytest.mark.parametrize("lang", LANGS)
def test_the_functions_answer_as_cpython_and_spi4xl_score(runs, lang: str) -> None:
    lite, cpython = case(runs["pyodide"]["answer"], lang), case(runs["cpython"], lang)
    assert [(c["func"], c["label"], c["value"]) for c in lite["calls"]] == \
        [(c["func"], c["label"], c["value"]) for c in cpython["calls"]]
    values = {(c["func"], c["label"]): c["value"] for c in lite["calls"]}
    expected = runs["expected"][lang]["score"]
    assert values[("unit_score", "overall")] == [[round(expected["overall"]["score"], 6)]]
    assert values[("unit_score", "4A")] == [[round(expected["standards"]["4A"]["score"], 6)]]
    assert values[("unit_score", "CP2")] == [[round(expected["client_protection"]["CP2"]["score"], 6)]]
    assert values[("unit_completion", "overall")] == [[round(expected["overall"]["completion"], 6)]]
    assert values[("unit_score", "nope")].startswith("Spi4xlError")
    for row in runs["expected"][lang]["rows"]:  # a row's findings in the workbook's language, as spi4xl validate says
        messages = [f["message"] for f in runs["expected"][lang]["findings"] if f["item"] == row]
        assert values[("findings_count", row)] == [[len(messages)]]
        assert values[("findings_text", row)] == [["\n".join(messages)]]
