"""Every file spi4xl writes appears whole or not at all, and an earlier file at that path survives a failure.

`atomic_output(dest)` gives the writer a path with dest's own name inside a private folder beside
dest (same file system, so the final rename is atomic; XlsxWriter is given that folder for its own
temporary files, so nothing is left in TMPDIR). When the writer is done, the file is flushed to disk
and renamed over dest. On any failure, Ctrl-C or termination, the private folder is removed and dest
keeps what it had. A missing destination folder is created; a folder that cannot be written to or a
full disk is one line naming dest. After a SIGKILL, only a hidden `.<name>.*.tmp` folder can remain.

Ctrl-C can land anywhere, also inside the cleanup itself or between the writer's `with` and its body, where no
`finally` runs in time; so each private folder is listed in `_PENDING` from before it exists until it is gone,
and the command line's interrupt handler calls `remove_pending()` on its way out.
"""

from __future__ import annotations

import errno
import gc
import os
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from spi4xl.errors import Spi4xlError

TEMP_SUFFIX = ".tmp"
_PENDING: set[Path] = set()


def write_error(dest: Path, exc: OSError) -> Spi4xlError:
    """The one-line error for an OSError met while writing `dest`."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return Spi4xlError("write.disk_full", path=dest)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Spi4xlError("write.denied", path=dest)
    if exc.errno == errno.EISDIR:
        return Spi4xlError("write.is_folder", path=dest)
    return Spi4xlError("write.failed", path=dest, reason=exc.strerror or type(exc).__name__)


def _fsync(path: Path, directory: bool = False) -> None:
    if directory and os.name == "nt":
        return  # Windows cannot open a folder to flush it
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(dest: str | Path) -> Iterator[Path]:
    """A path to write `dest` to; it replaces `dest` when the block ends without an exception."""
    dest = Path(dest)
    # Named here and made inside the try: Ctrl-C landing just after the folder is made still removes it (with
    # tempfile.mkdtemp it could land before the name came back, and the folder stayed). 128 random bits: no clash.
    private = dest.parent / f".{dest.name}.{secrets.token_hex(16)}{TEMP_SUFFIX}"
    _PENDING.add(private)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        private.mkdir(mode=0o700)
        temp = private / dest.name
        yield temp
        _fsync(temp)
        os.replace(temp, dest)
        _fsync(dest.parent, directory=True)
    except OSError as exc:
        raise write_error(dest, exc) from None
    finally:
        shutil.rmtree(private, ignore_errors=True)
        _PENDING.discard(private)


def remove_pending() -> None:
    """Remove the private folders of writes an interrupt cut short (see the module's docstring)."""
    for private in list(_PENDING):
        shutil.rmtree(private, ignore_errors=True)
        _PENDING.discard(private)


def release(exc: BaseException | None) -> None:
    """Let go, quietly, of what a writer that failed left open (XlsxWriter's zip, its part files): their
    finalizers would report the error again ("Exception ignored ... No space left on device") after the one
    line. The frames holding them live in the tracebacks of the exception's chain."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda u: None if isinstance(u.exc_value, OSError) else hook(u)
    try:
        while exc is not None:
            exc.__traceback__, exc = None, exc.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def close_workbook(book: Any) -> None:
    """Close an XlsxWriter workbook, letting the OSError behind a FileCreateError through to atomic_output."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        book.close()
    except FileCreateError as exc:
        if exc.args and isinstance(exc.args[0], OSError):
            raise exc.args[0] from None
        raise
