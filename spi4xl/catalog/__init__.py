"""The standards catalog: typed model, strict loader, translations, overlays and checks."""

from spi4xl.catalog.loader import load_catalog
from spi4xl.catalog.model import Catalog, Indicator

__all__ = ["Catalog", "Indicator", "load_catalog"]
