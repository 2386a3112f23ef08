"""Data folders that ship inside the package, found the same way in a wheel, an editable install and a checkout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    """The folder of the data package `spi4xl.<name>` (kept at the top of the repository as `<name>/`).

    A wheel holds it inside the package; an editable install maps it to the checkout's folder (see
    pyproject.toml); a checkout run without installing has no such package, so the folder is read
    directly. Installs are unzipped, so the package's one folder is the data. Found by its import spec,
    not importlib.resources, whose import (tempfile, shutil, zipfile...) every command would pay at start.
    """
    spec = importlib.util.find_spec(f"spi4xl.{name}")
    if spec is None or not spec.submodule_search_locations:
        return REPO / name
    return Path(next(iter(spec.submodule_search_locations)))


def templates_dir() -> Path:
    """The templates spi4xl carries (workbook_templates/ of the checkout)."""
    return data_dir("workbook_templates")
