"""Benchmark merging department files (a script, not a test).

    python3 benchmarks/bench_merge.py [--parts 10] [--runs 5] [--seed 2016]

Renders one full audit (tests/audits.py `random_audit`, every item answered, French), splits it with
`spi4xl split` into one part per department (the first --parts departments), changes one answer in each part,
then times on one core, median of --runs:
- read + merge: reading the audit and the parts and merging them (spi4xl.merge), nothing written;
- spi4xl merge: the whole command, the merged workbook with its Merge report written;
each as wall and CPU seconds.
Goal: the whole merge of 10 parts of a full audit under 1 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # tests/audits.py: the seeded audit generator

GOAL_SECONDS = 1.0


def prepare(folder: Path, parts: int, seed: int) -> tuple[Path, list[Path]]:
    from audits import CATALOG, random_audit
    from spi4xl.parts import departments_in_scope, split
    from spi4xl.workbook.read import read_workbook
    from spi4xl.workbook.render import render

    audit = random_audit(seed, "fr", fill=1.0)
    src = render(CATALOG, "fr", audit, folder / "audit.xlsx")
    teams = departments_in_scope(CATALOG, audit)[:parts]
    files = []
    for entry in split(src, folder / "split", teams):
        part = read_workbook(entry["file"]).audit
        code = next(i.code for i in CATALOG.indicators(departments=part.departments) if not i.is_checklist)
        answer = next(a for a in CATALOG.scales[CATALOG.indicator(code).scale].codes if a != part.answers.get(code))
        filled = dataclasses.replace(part, answers={**part.answers, code: answer})
        files.append(render(CATALOG, "fr", filled, folder / Path(entry["file"]).name))
    return src, files


def timed(fn, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds (the CPU time says what a quiet machine would show when others share it)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    from spi4xl.merge import merge
    from spi4xl.parts import merge_files
    from spi4xl.workbook.read import merge_source, read_workbook

    with tempfile.TemporaryDirectory(prefix="spi4xl-bench-merge-") as tmp:
        folder = Path(tmp)
        src, parts = prepare(folder, args.parts, args.seed)

        def read_and_merge() -> None:
            merge(merge_source(read_workbook(src), src.name), [merge_source(read_workbook(p), p.name) for p in parts])

        core = timed(read_and_merge, args.runs)
        whole = timed(lambda: merge_files(parts, src, folder / "merged.xlsx"), args.runs)
    print(f"{len(parts)} parts of a full audit, median of {args.runs} runs:")
    print(f"  read + merge:  {core[0]:.2f} s wall, {core[1]:.2f} s CPU")
    print(f"  spi4xl merge:  {whole[0]:.2f} s wall, {whole[1]:.2f} s CPU (the merged workbook written); "
          f"goal < {GOAL_SECONDS:.0f} s: {'met' if whole[0] < GOAL_SECONDS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
