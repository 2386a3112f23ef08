"""Shared fixtures, and the one place that decides what a test needing LibreOffice does without it.

Markers (registered in pyproject.toml; --strict-markers refuses any other):
- libreoffice: needs headless LibreOffice (soffice) and Debian's python3-uno. Where they are missing,
  such a test is skipped with the reason, except in CI (CI=true), where it fails: CI never passes by
  skipping. A test that asks for the `libreoffice` fixture, directly or through another fixture, must
  carry the marker (collection stops otherwise), so `-m "not libreoffice"` never starts LibreOffice.
- server: runs `spi4xl serve`'s app (FastAPI, xlwings Server) in process.
- slow: seconds of its own (property tests over rendered workbooks, every template built, the command
  line run over many files).

The fast loop: `pytest -m "not libreoffice and not slow"`. SPI4XL_SOFFICE= (empty) hides LibreOffice
from the engine, to see what a machine without it runs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from spi4xl.engines.libreoffice import LibreOffice, available

MISSING = "LibreOffice (soffice and /usr/bin/python3 with uno) is not installed: run scripts/setup-tests.sh"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_libreoffice() -> None:
    """Nothing when LibreOffice is there; else skip the test, or fail it in CI."""
    if available():
        return
    if in_ci():
        pytest.fail(f"CI=true and {MISSING}", pytrace=False)
    pytest.skip(MISSING)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items
                if "libreoffice" in getattr(item, "fixturenames", ()) and item.get_closest_marker("libreoffice") is None]
    if unmarked:
        raise pytest.UsageError("these tests use the libreoffice fixture without @pytest.mark.libreoffice:\n  "
                                + "\n  ".join(unmarked))
    needing = [item for item in items if item.get_closest_marker("libreoffice") is not None]
    if needing and not in_ci() and not available():
        for item in needing:  # skipped where they are, so -ra names each test's file and line
            item.add_marker(pytest.mark.skip(reason=MISSING))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("libreoffice") is not None:
        require_libreoffice()

# Messages in English whatever the machine's locale (tests match English text; tests/test_errors.py
# checks the other languages and how the language is chosen). Commands run by the tests inherit it.
os.environ["SPI4XL_LANG"] = "en"
# spi4xl's cache (spi4xl/cache.py: the VBA project) in a folder of this run, not the user's; commands inherit it.
os.environ["SPI4XL_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="spi4xl-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[LibreOffice]:
    """One headless LibreOffice for the whole run: starting it costs ~1-2 s, a call ~0.1 s."""
    require_libreoffice()
    with LibreOffice() as engine:
        yield engine


REPO = Path(__file__).resolve().parents[1]
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".cache", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".hypothesis", "out")


@pytest.fixture(scope="session")
def checkout_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spi4xl wheel of this checkout, built once per pytest process (the install test and the xlwings Lite test share it)
    from a copy of the checkout, so no build/ folder is left in it and a stale one cannot leak in."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "spi4xl"
    shutil.copytree(REPO, src, ignore=NOT_COPIED)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(src)],
                   check=True, capture_output=True, timeout=600)
    (built,) = (work / "dist").glob("spi4xl-*.whl")
    return built
