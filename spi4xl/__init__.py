"""spi4xl: the social-performance standards of inclusive finance as data, rendered as Excel audit workbooks.

Every public name is imported on first use, so `import spi4xl` costs next to nothing and the core
(load_catalog, score, validate) never loads python-calamine, XlsxWriter, pandas or xlwings: only
read_audit (python-calamine) and render (XlsxWriter) bring in their library, when first touched.
"""

import importlib as _importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the command line starts sooner
if TYPE_CHECKING:
    from spi4xl.audit import Audit
    from spi4xl.catalog import load_catalog
    from spi4xl.errors import Spi4xlError
    from spi4xl.scoring import score
    from spi4xl.validation import validate
    from spi4xl.workbook.read import read_audit
    from spi4xl.workbook.render import render

__version__ = "0.1.0"

_LAZY = {  # public name -> the module that defines it
    "Audit": "spi4xl.audit",
    "load_catalog": "spi4xl.catalog",
    "read_audit": "spi4xl.workbook.read",
    "render": "spi4xl.workbook.render",
    "score": "spi4xl.scoring",
    "validate": "spi4xl.validation",
    "Spi4xlError": "spi4xl.errors",
}
__all__ = ["Audit", "load_catalog", "read_audit", "render", "score", "validate", "Spi4xlError"]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    """The public names, loaded or not, the submodules already imported and the dunders."""
    return sorted({*__all__, *(n for n in globals() if not n.startswith("_") or n.startswith("__"))})
