"""Data folders that ship inside the package, found the same way in a wheel, an editable install and a checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def data_dir(name: str) -> Path:
    """The folder of the data package `spi4xl.<name>` (kept at the top of the repository as `<name>/`).

    A wheel holds it inside the package; an editable install maps it to the checkout's folder (see
    pyproject.toml); a checkout run without installing has no such package, so the folder is read
    directly. Installs are unzipped, so the result is a real folder.
    """
    try:
        return Path(str(importlib.resources.files(f"spi4xl.{name}")))
    except ModuleNotFoundError:
        return REPO / name
