"""Compiled JSON bundles: data read from YAML and PO files, stored with a checksum of those sources.

Where PyYAML and polib are missing (xlwings Lite's Pyodide) or slow to start, the catalog and the
interface strings load from a bundle instead of their sources. A bundle file is two lines: a JSON
header (`format`, `sources`: the checksum of the source files it was compiled from, `crc32`: that of
the body line) and the JSON body. `read_bundle` returns the body only when both checksums hold, so
an edited YAML or PO file is never shadowed by an old bundle: the caller falls back to the sources.
The checksums are CRC-32, as a zip checks its members: they catch an edit or a damaged file (not a
forgery: whoever can change a bundle can change the code beside it), and zlib is loaded anyway, while
hashlib's OpenSSL took ~5 ms of every start. This module needs nothing beyond the standard library.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable

FORMAT = 2  # 2: CRC-32 checksums (1: SHA-256)


def sources_digest(root: Path, files: Iterable[Path]) -> str:
    """CRC-32 over the files' paths (relative to `root`), sizes and bytes, in path order, and their total size;
    line ends as in the files.

    Every start that loads the catalog or a string runs this over ~30 files: paths are handled as strings
    (pathlib's relative_to and read_bytes took a third of its time)."""
    crc = total = 0
    top = os.path.join(str(root), "")
    named = []
    for path in map(str, files):
        if not path.startswith(top):
            raise ValueError(f"{path} is not in {root}")
        named.append((path[len(top):].replace(os.sep, "/"), path))
    for name, path in sorted(named):
        with open(path, "rb") as fh:
            data = fh.read()
        crc = zlib.crc32(data, zlib.crc32(f"{name}\0{len(data)}\0".encode(), crc))
        total += len(data)
    return f"{crc:08x}-{total}"


def bundle_text(body: Any, sources: str) -> str:
    """The file text of a bundle: deterministic, so a regenerated bundle is byte-identical."""
    line = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    header = {"crc32": f"{zlib.crc32(line.encode()):08x}", "format": FORMAT, "sources": sources}
    return json.dumps(header, sort_keys=True) + "\n" + line + "\n"


def read_bundle(path: Path, sources: str, object_hook: Callable[[dict], Any] | None = None) -> Any | None:
    """The body of the bundle at `path` (each JSON object passed through `object_hook`, as json.loads does);
    None when it is missing, damaged or compiled from other sources."""
    try:
        head, body = path.read_bytes().split(b"\n", 1)
        header = json.loads(head)
    except (OSError, ValueError):
        return None
    body = body.rstrip(b"\n")
    if (not isinstance(header, dict) or header.get("format") != FORMAT or header.get("sources") != sources
            or header.get("crc32") != f"{zlib.crc32(body):08x}"):
        return None
    return json.loads(body, object_hook=object_hook)
