"""Bytes derived from sources, kept in the user's cache folder under the hash of everything they are made from.

Why: the .xlsm's VBA project needs pyopenvba (~0.1-0.15 s to import) and ~0.14 s to build, for bytes that change
only when its sources do. An entry is named by the SHA-256 of every input the caller names (sources, versions,
the recipe's own code), so any change makes a new name: an entry is never trusted stale. It starts with the
SHA-256 of its bytes, checked on every read (a damaged entry is made again and replaced), and is written through
`spi4xl.output.atomic_output`, so it appears whole or not at all. A folder that cannot be written only costs the
time of making the bytes again. SPI4XL_CACHE_DIR names another folder; set to "" it turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from spi4xl.errors import Spi4xlError
from spi4xl.output import atomic_output

ENV = "SPI4XL_CACHE_DIR"


def cache_dir() -> Path | None:
    """The folder of spi4xl's cache (created on first write), or None when it is turned off or there is no home."""
    if (chosen := os.environ.get(ENV)) is not None:
        return Path(chosen) if chosen else None
    try:
        if os.name == "nt":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "spi4xl" / "Cache"
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches" / "spi4xl"
        else:
            base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spi4xl"
    except RuntimeError:  # no home folder to be found
        return None
    return base


def entry_path(kind: str, inputs: Iterable[bytes]) -> Path | None:
    """Where the bytes made from `inputs` are kept (None: no cache). Each input is length-prefixed: no two
    lists of inputs give the same key."""
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256()
    for part in inputs:
        key.update(len(part).to_bytes(8, "big"))
        key.update(part)
    return folder / kind / f"{key.hexdigest()}.bin"


def cached(kind: str, inputs: Iterable[bytes], make: Callable[[], bytes]) -> bytes:
    """The bytes `make()` gives for these inputs: from the cache when an intact entry is there, else made and kept."""
    path = entry_path(kind, inputs)
    if path is None:
        return make()
    try:
        blob = path.read_bytes()
    except OSError:
        blob = b""
    if len(blob) >= 32 and hashlib.sha256(blob[32:]).digest() == blob[:32]:
        return blob[32:]
    data = make()
    try:
        with atomic_output(path) as temp:
            temp.write_bytes(hashlib.sha256(data).digest() + data)
    except Spi4xlError:
        pass  # a folder that cannot be written (read-only home, full disk): the bytes are made again next time
    return data
