"""Benchmark one audit report, HTML and PDF, as `spi4xl report` makes it (a script, not a test).

    python3 benchmarks/bench_report.py [--n 7] [--workbook samples/sample-audit-fr.xlsx]

Times (wall; CPU too for HTML), as medians over n runs in this process (the catalog and the template already loaded, as in a folder
of reports): the HTML report from the workbook (read, score, validate, page written), then the PDF
(the same, plus printing), with a browser started for each PDF ("PDF, own browser": what one
`spi4xl report audit.xlsx --out r.pdf` costs beyond start-up) and with one browser shared by all
("PDF, shared browser": what each report of `spi4xl report DIR --format pdf` costs). Goals: HTML < 0.5 s,
PDF < 3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from spi4xl.report.pdf import Browser
from spi4xl.reporting import Options, write_report

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(fn, n: int) -> tuple[float, float]:
    """Median wall time of n calls, and the CPU time per call of this process (and of the child processes it
    waited for: not a browser's own helpers, so a PDF's CPU time is not shown)."""
    times = []
    cpu = _cpu()
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (_cpu() - cpu) / n


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7)
    parser.add_argument("--workbook", default=str(ROOT / "samples" / "sample-audit-fr.xlsx"))
    args = parser.parse_args()
    source = Path(args.workbook)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_report(source, out / "warm.html", Options())  # catalog and template loaded once, as in any run
        html = median_seconds(lambda: write_report(source, out / "r.html", Options()), args.n)
        own = median_seconds(lambda: write_report(source, out / "r.pdf", Options()), args.n)
        with Browser() as browser:
            shared = median_seconds(lambda: write_report(source, out / "s.pdf", Options(browser=browser)), args.n)
    print(f"{source.name}, median of {args.n}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"HTML report:                {html[0]:.3f} s wall, {html[1]:.3f} s CPU (goal < 0.5 s)")
    print(f"PDF report, own browser:    {own[0]:.3f} s wall (goal < 3 s)")
    print(f"PDF report, shared browser: {shared[0]:.3f} s wall")


if __name__ == "__main__":
    main()
