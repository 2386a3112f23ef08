"""Shared fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from spi4xl.engines.libreoffice import LibreOffice

# Messages in English whatever the machine's locale (tests match English text; tests/test_errors.py
# checks the other languages and how the language is chosen). Commands run by the tests inherit it.
os.environ["SPI4XL_LANG"] = "en"


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[LibreOffice]:
    """One headless LibreOffice for the whole run: starting it costs ~1-2 s, a call ~0.1 s."""
    with LibreOffice() as engine:
        yield engine
