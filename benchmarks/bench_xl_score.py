"""Benchmark the Score button on the remote engine: `adapter.score(book)` on a full questionnaire payload.

    python3 benchmarks/bench_xl_score.py [--n 200] [--client VBA] [--no-libreoffice]

The workbook is the full questionnaire (every module, every item answered or not, comments,
Organization Information), recalculated in LibreOffice when it is installed so formula cells carry
real values; the payload carries the sheets the add-in sends for Score (its `include` list). Each
run builds `xw.Book(json=payload)` (timed apart) and calls `score(book)`; printed: median and 95th
percentile time, and the number of actions queued, against the goal (under 50 ms, at most 25
actions). Populate and Validate on the same payload are timed for reference.

xlwings' remote engine is xlwings PRO: this script sets XLWINGS_LICENSE_KEY=noncommercial for its
own process if no key is set (non-commercial use; see the README for the licence).
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings as xw  # noqa: E402

from spi4xl.audit import Audit  # noqa: E402
from spi4xl.catalog import load_catalog  # noqa: E402
from spi4xl.workbook.render import render  # noqa: E402
from spi4xl.xl import adapter  # noqa: E402
from spi4xl.xl.payload import payload  # noqa: E402

GOAL_MS, GOAL_ACTIONS = 50.0, 25


def full_audit(catalog, seed: int = 2016) -> Audit:
    rng = random.Random(seed)
    audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language="fr", profile="full", modules=None)
    for ind in catalog.all_indicators():
        for code, scale in [(ind.code, ind.scale), *((d.code, d.scale) for d in ind.details)]:
            if rng.random() < 0.85:
                audit.answers[code] = rng.choice(catalog.scales[scale].codes)
        if rng.random() < 0.5:
            audit.comments[ind.code] = "Politique de crédit p. 4, entretien DG"
    audit.org = {"active_clients": 42_000, "women_clients": 27_000, "active_borrowers": 30_000, "par30": 0.04}
    return audit


def stats(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms"


def run(job, data: dict, n: int) -> tuple[list[float], list[float], int]:
    books, jobs, actions = [], [], 0
    for _ in range(n):
        fresh = copy.deepcopy(data)
        start = time.perf_counter()
        book = xw.Book(json=fresh)
        built = time.perf_counter()
        job(book)
        done = time.perf_counter()
        actions = len(book.json()["actions"])
        book.close()
        books.append(built - start)
        jobs.append(done - built)
    return books, jobs, actions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--client", default="VBA", choices=("VBA", "Office.js"))
    parser.add_argument("--no-libreoffice", action="store_true", help="use the renderer's cached values as they are")
    args = parser.parse_args()

    catalog = load_catalog("usspm-2016")
    with tempfile.TemporaryDirectory() as tmp:
        path = render(catalog, "fr", full_audit(catalog), Path(tmp) / "full.xlsx")
        recalculated = "renderer's cached values"
        if not args.no_libreoffice:
            from spi4xl.engines.libreoffice import LibreOffice, available

            if available():
                with LibreOffice() as lo:
                    lo.recalculate(path, Path(tmp) / "recalculated.xlsx")
                path, recalculated = Path(tmp) / "recalculated.xlsx", "recalculated in LibreOffice"
        data = payload(path, args.client, adapter.sheet_names_for(adapter.JOB_ROLES["score"]))
        everything = payload(path, args.client)
    rows = sum(len(s["values"]) for s in data["sheets"])
    cells = sum(len(r) for s in data["sheets"] for r in s["values"])
    print(f"full questionnaire ({len(catalog.all_indicators())} indicators, {recalculated}), client {args.client}: "
          f"{rows} rows, {cells} cells sent for Score")
    run(adapter.score, data, 5)  # warm: catalog, caches
    books, jobs, actions = run(adapter.score, data, args.n)
    print(f"xw.Book(json=...)  {stats(books)}")
    print(f"score(book)        {stats(jobs)}   {actions} actions")
    for name in ("validate", "populate"):
        include = adapter.sheet_names_for(adapter.JOB_ROLES[name])
        job_data = copy.deepcopy(everything)
        for sheet in job_data["sheets"]:
            if sheet["name"] not in include:
                sheet["values"] = [[]]
        run(adapter.JOBS[name], job_data, 2)
        _, times, count = run(adapter.JOBS[name], job_data, max(5, args.n // 10))
        print(f"{name + '(book)':<18} {stats(times)}   {count} actions")
    median = statistics.median(jobs) * 1000
    ok = median < GOAL_MS and actions <= GOAL_ACTIONS
    print(f"goal: score(book) under {GOAL_MS:.0f} ms and at most {GOAL_ACTIONS} actions: "
          f"{'met' if ok else 'NOT met'} ({median:.1f} ms, {actions} actions)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
