"""spi4xl: the social-performance standards of inclusive finance as data, rendered as Excel audit workbooks."""

from spi4xl.catalog import load_catalog
from spi4xl.errors import Spi4xlError
from spi4xl.scoring import score
from spi4xl.validation import validate

__all__ = ["load_catalog", "score", "validate", "Spi4xlError"]
__version__ = "0.1.0"
