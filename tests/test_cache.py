"""spi4xl's cache (spi4xl/cache.py): keyed by content, never stale, damage-proof, optional; the VBA project through it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spi4xl import cache


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting(data: bytes) -> tuple[list[int], object]:
    calls: list[int] = []
    return calls, lambda: calls.append(1) or data


def test_a_hit_does_not_make_the_bytes_again(folder: Path) -> None:
    calls, make = counting(b"made")
    assert cache.cached("k", [b"a", b"b"], make) == b"made"
    assert cache.cached("k", [b"a", b"b"], make) == b"made"
    assert len(calls) == 1
    assert [p.name for p in (folder / "k").iterdir()] == [cache.entry_path("k", [b"a", b"b"]).name]


def test_any_change_of_the_inputs_is_a_miss(folder: Path) -> None:
    calls, make = counting(b"x")
    for inputs in ([b"a", b"b"], [b"a", b"c"], [b"ab"], [b"a", b"b", b""], [b"b", b"a"]):
        cache.cached("k", inputs, make)
    assert len(calls) == 5  # length-prefixed parts: ["ab"] is not ["a", "b"]


def test_a_damaged_entry_is_made_again_and_replaced(folder: Path) -> None:
    calls, make = counting(b"good bytes")
    cache.cached("k", [b"a"], make)
    entry = cache.entry_path("k", [b"a"])
    for damage in (entry.read_bytes()[:-1] + b"?", entry.read_bytes()[:10], b""):
        entry.write_bytes(damage)
        assert cache.cached("k", [b"a"], make) == b"good bytes"
    assert len(calls) == 4
    assert cache.cached("k", [b"a"], make) == b"good bytes" and len(calls) == 4  # replaced: a hit again


def test_off_or_unwritable_the_bytes_are_still_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls, make = counting(b"x")
    monkeypatch.setenv(cache.ENV, "")
    assert cache.cache_dir() is None and cache.cached("k", [b"a"], make) == b"x"
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))
    assert cache.cached("k", [b"a"], make) == b"x" == cache.cached("k", [b"a"], make)
    assert len(calls) == 3 and list(tmp_path.iterdir()) == [blocker]


def test_the_default_folder_is_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if os.name == "posix" and sys.platform != "darwin":
        assert cache.cache_dir() == tmp_path / "spi4xl"


def test_the_vba_project_comes_from_the_cache_and_equals_a_fresh_build(folder: Path) -> None:
    """A fresh process with the cache warm builds nothing (pyopenvba is not even imported), and its bytes are
    those of a process that built the project with the cache off."""
    code = ("import sys; from spi4xl.workbook.vba import vba_project_bin; b = vba_project_bin(('Sheet1', 'Sheet2'));"
            "sys.stdout.write(str('pyopenvba' in sys.modules) + ' ' + b.hex())")
    run = lambda where: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: E731
                                       env={**os.environ, cache.ENV: where}).stdout.split()
    fresh, first, warm = run(""), run(str(folder)), run(str(folder))
    assert fresh == ["True", fresh[1]] and first == fresh
    assert warm == ["False", fresh[1]]
    assert len(list((folder / "vba-project").iterdir())) == 1
