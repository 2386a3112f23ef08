"""Score many audit files at once: one row per audit, unreadable files reported and skipped."""

from __future__ import annotations

import glob
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from spi4xl.assess import assess
from spi4xl.errors import Spi4xlError
from spi4xl.workbook.values import WORKBOOK_SUFFIXES

META_COLUMNS = ("organization", "country", "assessment_type", "start_date", "end_date")


def find_audits(pattern: str) -> list[Path]:
    """Workbooks in a folder (recursively) or matching a glob, in a stable order."""
    path = Path(pattern)
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.suffix.lower() in WORKBOOK_SUFFIXES]
    else:
        files = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).suffix.lower() in WORKBOOK_SUFFIXES]
    files = [p for p in files if not p.name.startswith("~$")]  # Excel's lock files
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


def iter_rows(files: list[Path], jobs: int = 1) -> Iterator[tuple[Path, dict[str, Any] | None, Spi4xlError | None]]:
    if jobs <= 1:
        yield from map(_safe_row, files)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_safe_row, files, chunksize=max(1, len(files) // (jobs * 8)))


def run_batch(files: list[Path], out: Path, jobs: int = 1,
              progress: Callable[[Iterable], Iterable] | None = None) -> tuple[int, list[tuple[Path, Spi4xlError]]]:
    """Write results to .csv or .parquet; returns (rows written, [(file, error)] for skipped files)."""
    import pandas as pd

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise Spi4xlError("batch.out_format", path=out)
    rows, skipped = [], []
    stream = iter_rows(files, jobs)
    for path, row, error in (progress(stream) if progress else stream):
        if row is None:
            skipped.append((path, error))
        else:
            rows.append(row)
    frame = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        try:
            frame.to_parquet(out, index=False)
        except ImportError:
            raise Spi4xlError("batch.no_pyarrow") from None
    return len(rows), skipped


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))
