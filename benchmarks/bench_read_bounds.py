"""Benchmark what the reading bounds (spi4xl/workbook/package.py) cost a read: the same reads with and without them.

    python3 benchmarks/bench_read_bounds.py [samples/sample-audit-en.xlsx] [--rounds 15] [--reads 10]

Reads the workbook with `read_workbook` in alternating rounds, with the checks of package.py and with
them switched off in this process (the workbook is then opened by python-calamine alone), so both
see the same machine load; prints CPU time per read, minimum and median over the rounds, and the
difference. Only for measuring: the checks are what keeps a hostile file from crashing the parser.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from spi4xl.workbook import package, values
from spi4xl.workbook.read import read_workbook

ROOT = Path(__file__).resolve().parents[1]


class _Unchecked:
    """A Package that measures and checks nothing."""

    def __init__(self, path: Path) -> None:
        self.path, self.sheet_parts = path, None

    def check_sheet(self, index: int, sheet: str) -> None:
        pass

    def number_formats(self, index: int, refs: object) -> dict[str, str]:
        return {}  # percent cells then judged by their size, as without a file

    def modified(self) -> str:
        return ""

    def spend_cells(self, count: int) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", default=str(ROOT / "samples" / "sample-audit-en.xlsx"))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reads", type=int, default=10, help="reads per round")
    args = parser.parse_args()

    checked_init = values.Workbook.__init__

    def unchecked_init(self, path, pkg, book) -> None:
        self.path, self.package, self.book = path, pkg, book

    modes = {"with the bounds": (package.Package, checked_init), "without": (_Unchecked, unchecked_init)}
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(3):
        read_workbook(args.workbook)  # imports, catalog
    for _ in range(args.rounds):
        for mode, (package_class, init) in modes.items():
            values.Package, values.Workbook.__init__ = package_class, init
            start = time.process_time()
            for _ in range(args.reads):
                read_workbook(args.workbook)
            times[mode].append((time.process_time() - start) / args.reads * 1000)
    values.Package, values.Workbook.__init__ = package.Package, checked_init
    for mode, ms in times.items():
        print(f"{mode:<16} min {min(ms):6.2f} ms   median {statistics.median(ms):6.2f} ms per read")
    extra = statistics.median(times["with the bounds"]) - statistics.median(times["without"])
    print(f"the bounds cost {extra:.2f} ms per read ({extra / statistics.median(times['without']):.0%}), CPU time")


if __name__ == "__main__":
    main()
