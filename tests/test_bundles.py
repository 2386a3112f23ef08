"""The compiled JSON bundles: the same catalog and strings as their sources, used only while they match them.

And the runtime path they open: without PyYAML, polib or any library for files, the buttons and the
xlwings Lite functions still run (what Pyodide has; tests/test_lite.py runs it there for real).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import spi4xl.ui
from spi4xl.catalog.bundle import FOLDER, bundle_files, load_bundle
from spi4xl.catalog.check import check_catalog, stale_bundles
from spi4xl.catalog.loader import catalog_dir, load_catalog, load_catalog_sources

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "catalogs" / "mini"
NATIVE = ["yaml", "polib", "python_calamine", "xlsxwriter", "pandas", "numpy", "pyopenvba", "fastapi", "tqdm",
          "openpyxl"]


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    for path, text in bundle_files(root, load_catalog_sources(root)).items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def same(a, b) -> bool:
    fields = ("id", "edition", "version", "date", "licence", "languages", "sources", "scales", "default_scale",
              "detail_scale", "scoring", "principles", "modules", "departments", "evidence_types", "dimensions",
              "org_fields", "org_rules", "field_departments")
    return (all(getattr(a, f) == getattr(b, f) for f in fields) and a.content_hash == b.content_hash
            and {k: dict(v) for k, v in a.texts.items()} == {k: dict(v) for k, v in b.texts.items()}
            and [list(t) for t in a.texts.values()] == [list(t) for t in b.texts.values()])  # text order kept


def test_the_shipped_bundles_are_current_and_equal_their_sources() -> None:
    catalog = load_catalog("usspm-2016")
    assert stale_bundles(catalog) == []  # else: spi4xl catalog bundle
    assert load_bundle(catalog_dir("usspm-2016")) is not None
    assert same(catalog, load_catalog_sources(catalog_dir("usspm-2016")))
    assert spi4xl.ui._bundled(spi4xl.ui.UI_DIR) == spi4xl.ui.compile_bundle()


def test_an_edited_source_is_read_from_its_files_and_reported(mini: Path) -> None:
    assert same(load_bundle(mini), load_catalog_sources(mini))
    dimension = mini / "dimensions" / "1" / "dimension.yaml"
    dimension.write_text(dimension.read_text(encoding="utf-8").replace("name: Social goals", "name: Social aims"),
                         encoding="utf-8")
    assert load_bundle(mini) is None
    assert load_catalog(mini).text("1") == "Social aims"
    assert sorted(p.where for p in check_catalog(load_catalog(mini)) if p.key == "bundle") == \
        [f"mini/{FOLDER}/{lang}.json" for lang in ("en", "es", "fr")]


def test_a_damaged_bundle_is_not_used(mini: Path) -> None:
    fr = mini / FOLDER / "fr.json"
    fr.write_text(fr.read_text(encoding="utf-8").replace("Objectifs", "Objectivos"), encoding="utf-8")
    assert load_bundle(mini) is None  # its checksum no longer holds: the sources are read
    assert same(load_catalog(mini), load_catalog_sources(mini))


def test_an_edition_of_ones_own_needs_no_bundle(mini: Path) -> None:
    shutil.rmtree(mini / FOLDER)
    catalog = load_catalog(mini)
    assert [p for p in check_catalog(catalog) if p.key == "bundle"] == []
    assert same(catalog, load_catalog_sources(mini))


def test_catalog_bundle_writes_what_check_wants(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture) -> None:
    from spi4xl.cli import main

    ui = Path(shutil.copytree(spi4xl.ui.UI_DIR, tmp_path / "ui", ignore=shutil.ignore_patterns("*.py", "__pycache__")))
    (ui / "bundle.json").unlink()
    shutil.rmtree(mini / FOLDER)
    monkeypatch.setattr(spi4xl.ui, "UI_DIR", ui)
    assert main(["catalog", "bundle", str(mini)]) == 0
    assert sorted(Path(line.split(" ", 1)[1]).name for line in capsys.readouterr().out.splitlines()) == \
        ["bundle.json", "en.json", "es.json", "fr.json"]
    assert stale_bundles(load_catalog(mini)) == []
    assert load_bundle(mini) is not None


@pytest.mark.parametrize("part", [None, "operations"], ids=["whole audit", "a department's part"])
def test_buttons_and_lite_functions_run_without_yaml_polib_or_file_libraries(part: str | None, tmp_path: Path) -> None:
    """What xlwings Lite's Python lacks is blocked; the jobs and functions still answer (and the core too), also on
    a department's part, whose Organization fields come from departments.yaml (carried by the bundle)."""
    from spi4xl.parts import split
    from spi4xl.xl.payload import payload

    src = REPO / "samples" / "sample-audit-fr.xlsx"
    if part:
        (written,) = split(src, tmp_path / "parts", [part])
        src = Path(written["file"])
    data = tmp_path / "payload.json"
    data.write_text(json.dumps(payload(src, "Office.js")), encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, os, sys
        for name in {NATIVE!r}:
            sys.modules[name] = None  # `import name` now fails, as where it is not installed
        os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
        import xlwings as xw
        from spi4xl.xl import adapter, lite
        data = json.load(open(sys.argv[1], encoding="utf-8"))
        counts = []
        for job in ("score", "validate", "populate"):
            book = xw.Book(json=data)
            adapter.JOBS[job](book)
            counts.append(len(book.json()["actions"]))
        print(json.dumps({{"actions": counts, "text": lite.catalog_text("4A", "fr")}}))
        """)
    done = subprocess.run([sys.executable, "-c", script, data], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert all(n > 0 for n in answer["actions"]) and answer["text"] == "Prévention du surendettement"
