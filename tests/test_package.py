"""Rules about the package as a whole: no assert statements, and a light core.

The core (`import spi4xl`, load_catalog, score, validate) and the commands that need no workbook load
none of the heavy libraries: each test runs a fresh interpreter and lists what it imported.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import spi4xl

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spi4xl"
HEAVY = ("pandas", "numpy", "xlwings", "fastapi", "uvicorn", "python_calamine", "xlsxwriter", "openpyxl", "pyopenvba",
         "tqdm")


def loaded_after(code: str, *args: str) -> tuple[list[str], str]:
    """Run code in a fresh `python -c`; the heavy modules it left in sys.modules, and its stdout."""
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json as _json, sys as _sys
        print(_json.dumps(sorted(set({HEAVY!r}) & set(_sys.modules))))
        """)
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    *out, last = proc.stdout.splitlines()
    return json.loads(last), "\n".join(out)


def test_no_assert_statement_in_the_package() -> None:
    """`python -O` strips asserts: a check the package relies on must be an explicit `if ... raise`."""
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
             if isinstance(node, ast.Assert)]
    assert found == []


def test_the_core_loads_no_heavy_module() -> None:
    heavy, out = loaded_after("""
        import spi4xl
        catalog = spi4xl.load_catalog("usspm-2016")
        audit = spi4xl.Audit(catalog.edition, catalog.version, "en", answers={"1A.1.1": "yes", "1A.2.1": "no"})
        print(spi4xl.score(audit, catalog).to_dict()["overall"]["answered"], len(spi4xl.validate(audit, catalog)) > 0)
        """)
    assert out == "2 True"  # it did the work
    assert heavy == []


def test_read_audit_and_render_are_there_and_loaded_when_first_used() -> None:
    assert {"read_audit", "render", "score", "validate", "load_catalog", "Audit", "Spi4xlError"} <= set(dir(spi4xl))
    assert set(spi4xl.__all__) <= set(dir(spi4xl))
    heavy, _ = loaded_after("""
        import spi4xl
        from spi4xl import read_audit
        from spi4xl.workbook.read import read_audit as defined
        assert read_audit is defined and spi4xl.render.__module__ == "spi4xl.workbook.render"
        """)
    assert heavy == []  # the modules are there; their file libraries wait for a file (xlwings Lite has none)
    heavy, _ = loaded_after("""
        import spi4xl, sys, tempfile
        audit = spi4xl.read_audit("samples/sample-audit-en.xlsx")
        spi4xl.render(spi4xl.load_catalog(audit.edition), "en", audit, tempfile.mkdtemp() + "/a.xlsx")
        """)
    assert {"python_calamine", "xlsxwriter"} <= set(heavy)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spi4xl.nope  # noqa: B018


RUN_CLI = """
    import contextlib, io, runpy, sys
    sys.argv = ["spi4xl", *sys.argv[1:]]
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            runpy.run_module("spi4xl", run_name="__main__")
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
    print(shown.getvalue().splitlines()[0])
    """


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["catalog", "show"], ["catalog", "check"]])
def test_commands_without_workbooks_load_no_heavy_module(args: list[str]) -> None:
    heavy, _ = loaded_after(RUN_CLI, *args)
    assert heavy == []


def test_version_loads_no_catalog_and_no_yaml() -> None:
    """`spi4xl --version` lists editions from their folders: no loader, model, PyYAML or hashing at start-up."""
    script = textwrap.dedent(RUN_CLI) + "print(sorted({'yaml', 'dataclasses', 'hashlib', 'spi4xl.catalog.loader', 'spi4xl.output'} & set(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script, "--version"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_score_loads_no_writer_pandas_or_xlwings() -> None:
    sample = ROOT / "samples" / "sample-audit-fr.xlsx"
    heavy, first = loaded_after(RUN_CLI, "score", str(sample))
    assert first.startswith(f"{sample} : global ") and "%" in first  # the French sample speaks French
    assert heavy == ["python_calamine"]  # reading needs it; writing (XlsxWriter) only with --out


def test_score_loads_only_what_reading_and_scoring_need() -> None:
    """Issue 14's start-up: the modules a plain `spi4xl score` used to load and does not need (each a few ms)."""
    script = textwrap.dedent(RUN_CLI) + ("print(sorted({'hashlib', 'textwrap', 'spi4xl.merge', 'spi4xl.workbook.formats', "
                                         "'spi4xl.key_figures'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", script, "score", str(ROOT / "samples" / "sample-audit-fr.xlsx")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "spi4xl", "--version"], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, "")
    first, *rest = proc.stdout.splitlines()
    assert first == f"spi4xl {spi4xl.__version__}"
    assert any(line.startswith("catalog editions carried: usspm-2016 ") for line in rest)
