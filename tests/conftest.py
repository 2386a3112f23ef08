"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spi4xl.engines.libreoffice import LibreOffice


@pytest.fixture(scope="session")
def libreoffice() -> Iterator[LibreOffice]:
    """One headless LibreOffice for the whole run: starting it costs ~1-2 s, a call ~0.1 s."""
    with LibreOffice() as engine:
        yield engine
