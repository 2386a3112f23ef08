"""Where catalog editions live and how a name finds its folder: light, so `spi4xl --version` needs no loader.

Imports neither the model nor PyYAML: listing the editions (and the version each declares) costs a
directory listing and one line read per edition, not a catalog load.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from spi4xl.errors import Spi4xlError, shown
from spi4xl.resources import data_dir

STANDARDS_ENV = "SPI4XL_STANDARDS"  # a folder of one's own editions, looked up before the bundled ones
# The top-level `version:` line of catalog.yaml, as the loader's check writes it (MAJOR.MINOR.PATCH, maybe quoted)
_VERSION_LINE = re.compile(r"""^version:[ \t]*(['"]?)(\d+\.\d+\.\d+)\1[ \t]*(#.*)?$""", re.MULTILINE)


def bundled_standards() -> Path:
    """The editions spi4xl carries: standards/ of the checkout, shipped as the package spi4xl.standards."""
    return data_dir("standards")


def standards_dirs() -> list[Path]:
    """Where edition names are looked up, in order: $SPI4XL_STANDARDS (when set), then the bundled editions."""
    own = os.environ.get(STANDARDS_ENV)
    return ([Path(own)] if own else []) + [bundled_standards()]


def editions(root: Path) -> list[str]:
    """The edition folders under `root`."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "catalog.yaml").is_file())


def edition_dir(name: str) -> Path:
    """The folder of an edition name, searched in standards_dirs() only (never a path of the caller's)."""
    for root in standards_dirs():
        if name in editions(root):
            return root / name
    known = ", ".join(sorted({e for root in standards_dirs() for e in editions(root)})) or "none"
    raise Spi4xlError("catalog.unknown_edition", edition=shown(name), known=known)


def catalog_dir(edition: str | os.PathLike) -> Path:
    """The folder of an edition name (see edition_dir) or an explicit path."""
    path = Path(edition)
    try:  # a name too long for a path (a Settings cell of 5,000 characters) is an unknown edition too
        if path.is_dir():
            return path
    except OSError:
        pass
    return edition_dir(str(edition))


def declared_version(folder: Path) -> str:
    """The version an edition's catalog.yaml declares, read from its top-level line; '?' when there is none
    such (unreadable, or written another way: `spi4xl catalog check` says what is wrong with it)."""
    try:
        found = _VERSION_LINE.search((folder / "catalog.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "?"
    return found.group(2) if found else "?"
