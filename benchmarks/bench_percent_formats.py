"""What telling percent cells by their number format adds to reading a filled audit (a script, not a test).

    python3 benchmarks/bench_percent_formats.py [--n 200]

Renders one French audit whose Organization Information is filled (every percent field holds a number),
then times, interleaved, N whole reads (`read_workbook`, the format step included) and N runs of the
format step alone on an opened workbook (`Workbook.number_formats` over the percent cells: the
Organization sheet's XML and styles.xml inflated and searched once more). Medians in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # tests/audits.py: the seeded audit generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="runs of each (default 200)")
    args = parser.parse_args()

    from audits import CATALOG, CLEAN_ORG, random_audit
    from spi4xl.workbook import layout as L
    from spi4xl.workbook.read import read_workbook
    from spi4xl.workbook.render import render
    from spi4xl.workbook.values import open_book

    audit = random_audit(1, "fr")
    audit.org.update(CLEAN_ORG)
    with tempfile.TemporaryDirectory() as tmp:
        path = render(CATALOG, "fr", audit, Path(tmp) / "audit.xlsx")
        first = read_workbook(path)
        sheet, cells = first.sheets["organization"], list(first.percent_cells.values())
        book = open_book(path)
        reads, steps = [], []
        for _ in range(args.n):
            start = time.perf_counter()
            read_workbook(path)
            reads.append(time.perf_counter() - start)
            book.package.xml_left = L.READ_XML_BYTES  # a fresh budget, as a newly opened workbook has
            start = time.perf_counter()
            book.number_formats(sheet, cells)
            steps.append(time.perf_counter() - start)
    read_ms, step_ms = statistics.median(reads) * 1000, statistics.median(steps) * 1000
    print(f"{len(cells)} percent cells, medians of {args.n}: read_workbook {read_ms:.2f} ms, of which the format "
          f"step {step_ms:.2f} ms ({100 * step_ms / read_ms:.1f} %)")


if __name__ == "__main__":
    main()
