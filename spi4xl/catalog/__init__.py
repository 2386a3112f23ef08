"""The standards catalog: typed model, strict loader, translations, overlays and checks.

Its names load on first use, so a light module of the package (editions, scope) imports no loader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spi4xl.catalog.loader import load_catalog
    from spi4xl.catalog.model import Catalog, Indicator

_LAZY = {"Catalog": "spi4xl.catalog.model", "Indicator": "spi4xl.catalog.model", "load_catalog": "spi4xl.catalog.loader"}
__all__ = ["Catalog", "Indicator", "load_catalog"]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
