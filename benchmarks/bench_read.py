"""Benchmark reading filled audit workbooks back (a script, not a test).

    python3 benchmarks/bench_read.py [--n 1000] [--seed 2016] [--dir FOLDER] [--render-jobs 2]

Renders N seeded audits (tests/audits.py `random_audit`, languages en/fr/es in turn, fill 30-100 %)
into a folder (a temporary one, or --dir, which is reused when it already holds them), then times on
one core:
- one audit: median of 50 reads of the same file;
- all N files, one after the other;
for spi4xl's reader (`spi4xl.workbook.read.read_audit`: python-calamine, sheets by marker) and for the
obvious openpyxl way (`load_workbook(read_only=True, data_only=True)`, every sheet's values).
Goal: >= 80 audits/s with read_audit.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # tests/audits.py: the seeded audit generator

LANGS = ("en", "fr", "es")
GOAL_PER_SECOND = 80


def _render_one(job: tuple[int, str]) -> str:
    from audits import CATALOG, random_audit
    from spi4xl.workbook.render import render

    seed, path = job
    rng = random.Random(seed)
    lang = LANGS[seed % len(LANGS)]
    return str(render(CATALOG, lang, random_audit(seed, lang, fill=rng.uniform(0.3, 1.0)), path))


def render_audits(n: int, seed: int, folder: Path, jobs: int) -> list[Path]:
    """N rendered audits in `folder` (kept from an earlier run when they are all there), in a stable order."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [(seed + i, str(folder / f"audit-{seed}-{i:05d}.xlsx")) for i in range(n)]
    todo = [job for job in wanted if not Path(job[1]).is_file()]
    if todo:
        start = time.perf_counter()
        print(f"rendering {len(todo)} audits into {folder} with {jobs} process(es)...", flush=True)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_render_one, todo, chunksize=8))
        print(f"  rendered in {time.perf_counter() - start:.1f} s", flush=True)
    return [Path(path) for _, path in wanted]


def openpyxl_values(path: Path) -> dict[str, list[list[Any]]]:
    """The obvious way to read these files: openpyxl, read-only, cached values, every sheet."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def spi4xl_read(path: Path) -> Any:
    from spi4xl.workbook.read import read_audit

    return read_audit(path)


def timed(fn: Callable[[Path], Any], paths: list[Path]) -> list[float]:
    out = []
    for path in paths:
        start = time.perf_counter()
        fn(path)
        out.append(time.perf_counter() - start)
    return out


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def audit_set_parser(description: str) -> argparse.ArgumentParser:
    """Options shared by the benchmarks that render a set of audits first."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1000, help="number of audits (default 1000)")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--dir", help="folder for the rendered audits (kept; reused when complete)")
    parser.add_argument("--render-jobs", type=int, default=os.cpu_count() or 1)
    return parser


def main() -> None:
    parser = audit_set_parser(__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="reads of one audit (default 50)")
    args = parser.parse_args()

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="spi4xl-bench-read-"))
    try:
        paths = render_audits(args.n, args.seed, folder, args.render_jobs)
        size = statistics.mean(p.stat().st_size for p in paths) / 1024
        print(f"{len(paths)} audits, {size:.0f} KB each on average; {pin_to_one_core()}")
        readers = (("spi4xl read_audit", spi4xl_read), ("openpyxl read-only", openpyxl_values))
        for _, fn in readers:
            fn(paths[0])  # warm up: imports, catalog load
        one = {name: statistics.median(timed(fn, [paths[0]] * args.repeat)) for name, fn in readers}
        every = {name: sum(timed(fn, paths)) for name, fn in readers}

        print()
        print(f"{'reader':<20} {'one audit (median of ' + str(args.repeat) + ')':>28} {'all ' + str(len(paths)):>12} "
              f"{'audits/s':>10}")
        for name, _ in readers:
            rate = len(paths) / every[name]
            print(f"{name:<20} {one[name] * 1000:>25.1f} ms {every[name]:>10.1f} s {rate:>10.1f}")
        rate = len(paths) / every["spi4xl read_audit"]
        speedup = every["openpyxl read-only"] / every["spi4xl read_audit"]
        print(f"\nspi4xl reads {speedup:.1f}x faster than openpyxl; goal >= {GOAL_PER_SECOND} audits/s: "
              f"{'met' if rate >= GOAL_PER_SECOND else 'NOT met'} ({rate:.0f}/s)")
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
