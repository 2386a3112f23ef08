"""Worker processes that end with the process that started them (batch workers, the server's job workers)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when `parent` dies, whatever kills it; exit at once if it already has."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def start_forked(work: Callable[[], None]) -> Callable[[], bool] | None:
    """Run `work` in a forked copy of this process; give back a function that waits for it and tells whether it
    succeeded. None where this process should not fork (not Linux: macOS's libraries are not fork-safe, Windows
    cannot; or threads are running), so the caller does the work itself.

    Why fork: the copy starts with everything this process has built, at the cost of the pages either process
    writes to afterwards. The objects alive now are moved out of the garbage collector's reach in the copy
    (gc.freeze) so that a collection there does not touch, and copy, them all. The copy says nothing and
    always ends with os._exit: no exit handlers, no buffered output of this process written twice; whatever it
    failed on, the caller learns only that it failed (it can do the work itself to report why).
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return None
    import ctypes  # noqa: F401 - what die_with_parent needs, imported once here rather than in every copy

    parent = os.getpid()
    gc.freeze()
    try:
        pid = os.fork()
    finally:
        if os.getpid() == parent:
            gc.unfreeze()
    if pid == 0:
        code = 1
        try:
            die_with_parent(parent)
            work()
            code = 0
        finally:
            os._exit(code)

    def wait() -> bool:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0

    return wait
