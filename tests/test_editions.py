"""The light edition look-up that `spi4xl --version` uses: the version it reads agrees with the loader's."""

from __future__ import annotations

from pathlib import Path

import pytest

from spi4xl.catalog import load_catalog
from spi4xl.catalog.editions import bundled_standards, declared_version, editions


def test_declared_version_is_the_loaded_catalog_s_for_every_carried_edition() -> None:
    root = bundled_standards()
    assert editions(root)
    for name in editions(root):
        assert declared_version(root / name) == load_catalog(root / name, bundle=False).version


@pytest.mark.parametrize("text, version", [
    ("id: x\nversion: 2.0.1\n", "2.0.1"), ("version: '2.0.1'\n", "2.0.1"), ('version: "2.0.1"  # bumped\n', "2.0.1"),
    ("title: a\n  version: 9.9.9\n", "?"), ("version: 2.0\n", "?"), ("id: x\n", "?"), ("version: '2.0.1\"\n", "?"),
])
def test_declared_version_reads_the_top_level_line_only(tmp_path: Path, text: str, version: str) -> None:
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    assert declared_version(tmp_path) == version


def test_declared_version_of_a_folder_without_catalog_is_unknown(tmp_path: Path) -> None:
    assert declared_version(tmp_path) == "?"
