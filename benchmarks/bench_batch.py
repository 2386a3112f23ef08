"""Benchmark batch scoring (a script, not a test).

    python3 benchmarks/bench_batch.py [--n 1000] [--seed 2016] [--dir FOLDER] [--sizes 100,300,1000]

Over N seeded audits (tests/audits.py `random_audit`, rendered as in bench_read.py; --dir keeps
them for the next run):
- scoring in process: `score(audit, catalog)` per audit, median and 95th percentile;
- batch throughput (files/s, wall clock) of `spi4xl.batch.run_batch` with jobs=1 and jobs=2, each
  file read, validated and scored into one CSV row;
- the same batch with the reader swapped for the obvious openpyxl one (`load_workbook(read_only=True,
  data_only=True)`, every sheet's values, then the same reading, validation and scoring), as the
  baseline; both must write the same table;
- peak memory (ru_maxrss of the process and of its children) of batches of --sizes files, each in a
  fresh subprocess, to show it stays flat as the batch grows.
Goals: scoring < 5 ms per audit; batch >= 10x the openpyxl baseline; memory flat.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_read import LANGS, audit_set_parser, openpyxl_values, render_audits  # noqa: E402

SCORE_GOAL_MS = 5.0
SPEEDUP_GOAL = 10.0
FLAT_TOLERANCE = 0.25  # peak RSS may grow by at most this share from the smallest to the largest batch


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- scoring in process -------------------------------------------------------------------------
def bench_scoring(n: int, seed: int) -> tuple[float, float]:
    from audits import CATALOG, random_audit
    from spi4xl.scoring import score

    rng = random.Random(seed)
    audits = [random_audit(seed + i, LANGS[i % 3], fill=rng.uniform(0.3, 1.0)) for i in range(n)]
    for audit in audits[:20]:
        score(audit, CATALOG)  # builds the catalog's index once
    times = []
    for audit in audits:
        start = time.perf_counter()
        score(audit, CATALOG)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), percentile(times, 0.95)


# --- batches ------------------------------------------------------------------------------------
def openpyxl_assess(path):
    """assess() with the workbook read by openpyxl instead of spi4xl's reader; the rest identical."""
    from spi4xl.assess import Assessment, located
    from spi4xl.scoring import score
    from spi4xl.validation import validate
    from spi4xl.workbook.read import read_values
    from spi4xl.workbook.layout import normalise

    sheets = {name: [[normalise(v) for v in row] for row in rows] for name, rows in openpyxl_values(path).items()}
    result = read_values(sheets, str(path))
    findings = result.findings + located(validate(result.audit, result.catalog), result)
    return Assessment(Path(path), result, score(result.audit, result.catalog), findings)


@contextmanager
def openpyxl_reader():
    """Swap the batch's reader (forked pool workers inherit the swap)."""
    import spi4xl.batch

    original = spi4xl.batch.assess
    spi4xl.batch.assess = openpyxl_assess
    try:
        yield
    finally:
        spi4xl.batch.assess = original


def timed_batch(files: list[Path], out: Path, jobs: int) -> float:
    from spi4xl.batch import run_batch

    start = time.perf_counter()
    written, skipped = run_batch(files, out, jobs=jobs)
    elapsed = time.perf_counter() - start
    assert written == len(files) and not skipped, skipped[:3]
    return elapsed


def child(n: int, folder: Path, jobs: int, seed: int) -> None:
    """One batch of the first n audits; prints peak RSS (KB) of this process and of its children."""
    from spi4xl.batch import run_batch

    files = [folder / f"audit-{seed}-{i:05d}.xlsx" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        written, _ = run_batch(files, Path(tmp) / "results.csv", jobs=jobs)
    print(json.dumps({"files": written, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))


def peak_memory(n: int, folder: Path, jobs: int, seed: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(n), "--dir", str(folder), "--jobs", str(jobs),
                           "--seed", str(seed)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = audit_set_parser(__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="batch sizes for the memory runs")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, Path(args.dir), args.jobs, args.seed)

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="spi4xl-bench-batch-"))
    sizes = [s for s in (int(x) for x in args.sizes.split(",")) if s <= args.n]
    rows: list[tuple[str, str, str]] = []
    try:
        median, p95 = bench_scoring(args.n, args.seed)
        rows.append(("score() per audit, median / p95", f"{median:.3f} / {p95:.3f} ms",
                     f"< {SCORE_GOAL_MS:g} ms: {'met' if p95 < SCORE_GOAL_MS else 'NOT met'}"))

        files = render_audits(args.n, args.seed, folder, args.render_jobs)
        from spi4xl.assess import assess

        assess(files[0])  # warm up: imports, catalog load (pool workers are forked from this process)
        openpyxl_assess(files[0])
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            rates: dict[tuple[str, int], float] = {}
            for jobs in (1, 2):
                rates[("spi4xl", jobs)] = len(files) / timed_batch(files, tmp / f"spi4xl-{jobs}.csv", jobs)
                print(f"  spi4xl batch jobs={jobs}: {rates[('spi4xl', jobs)]:.1f} files/s", flush=True)
            baseline_jobs = (1, 2) if multiprocessing.get_start_method() == "fork" else (1,)
            with openpyxl_reader():
                for jobs in baseline_jobs:
                    rates[("openpyxl", jobs)] = len(files) / timed_batch(files, tmp / f"openpyxl-{jobs}.csv", jobs)
                    print(f"  openpyxl batch jobs={jobs}: {rates[('openpyxl', jobs)]:.1f} files/s", flush=True)
            same = all((tmp / f"openpyxl-{j}.csv").read_bytes() == (tmp / "spi4xl-1.csv").read_bytes()
                       for j in baseline_jobs) and (tmp / "spi4xl-2.csv").read_bytes() == (tmp / "spi4xl-1.csv").read_bytes()
        for jobs in (1, 2):
            rows.append((f"batch, spi4xl reader, jobs={jobs}", f"{rates[('spi4xl', jobs)]:.1f} files/s", ""))
        for jobs in baseline_jobs:
            rows.append((f"batch, openpyxl reader, jobs={jobs}", f"{rates[('openpyxl', jobs)]:.1f} files/s", ""))
        for jobs in baseline_jobs:
            speedup = rates[("spi4xl", jobs)] / rates[("openpyxl", jobs)]
            rows.append((f"speed-up over openpyxl, jobs={jobs}", f"{speedup:.1f}x",
                         f">= {SPEEDUP_GOAL:g}x: {'met' if speedup >= SPEEDUP_GOAL else 'NOT met'}"))
        best = rates[("spi4xl", 2)] / rates[("openpyxl", 1)]
        rows.append(("spi4xl jobs=2 over openpyxl jobs=1", f"{best:.1f}x",
                     f">= {SPEEDUP_GOAL:g}x: {'met' if best >= SPEEDUP_GOAL else 'NOT met'}"))
        rows.append(("all batches wrote the same table", "yes" if same else "NO", ""))

        for jobs in (1, 2):
            peaks = {n: peak_memory(n, folder, jobs, args.seed) for n in sizes}
            for n, peak in peaks.items():
                rows.append((f"peak RSS, {n} files, jobs={jobs}",
                             f"{peak['self_kb'] / 1024:.0f} MB" + (f" (+ worker {peak['children_kb'] / 1024:.0f} MB)"
                                                                  if jobs > 1 else ""), ""))
            worst = max(max(p["self_kb"], p["children_kb"]) for p in peaks.values())
            first = peaks[sizes[0]]
            growth = worst / max(first["self_kb"], first["children_kb"]) - 1
            rows.append((f"memory growth {sizes[0]} -> {sizes[-1]} files, jobs={jobs}", f"{100 * growth:+.0f} %",
                         f"flat (<= {100 * FLAT_TOLERANCE:.0f} %): {'met' if growth <= FLAT_TOLERANCE else 'NOT met'}"))
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"\n{args.n} audits, {os.cpu_count()} cores\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'result':<28}  goal")
    for what, result, goal in rows:
        print(f"{what:<{width}}  {result:<28}  {goal}")


if __name__ == "__main__":
    main()
