"""spi4xl: the social-performance standards of inclusive finance as data, rendered as Excel audit workbooks."""

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.errors import Spi4xlError
from spi4xl.scoring import score
from spi4xl.validation import validate
from spi4xl.workbook.read import read_audit
from spi4xl.workbook.render import render

__all__ = ["Audit", "load_catalog", "read_audit", "render", "score", "validate", "Spi4xlError"]
__version__ = "0.1.0"
