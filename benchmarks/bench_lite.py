"""Benchmark the xlwings Lite plugin in Pyodide under Node.js: cold import, Score, Validate, Populate; the wheel's size.

    python3 benchmarks/bench_lite.py [--n 7] [--workbook samples/sample-audit-en.xlsx]

Needs what scripts/setup-lite.sh caches (the pinned pyodide npm package, xlwings' wheel). The spi4xl wheel is
built from the checkout and installed with xlwings' into Pyodide (tests/lite_harness.py, as the test does);
each job runs `--n` times on the payload xlwings Lite would send for the workbook (the full questionnaire of
the English sample by default), each time on a fresh `xw.Book(json=payload)`. Printed: Pyodide's own start,
the cold import of xlwings and of the plugin, the first call and the median of the others per job, against
the goals (score < 300 ms, validate < 500 ms, populate < 1.5 s, plugin import < 2 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import lite_harness as H  # noqa: E402

GOALS_MS = {"score": 300, "validate": 500, "populate": 1500}
IMPORT_GOAL_MS = 2000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=7)
    parser.add_argument("--workbook", default=str(REPO / "samples" / "sample-audit-en.xlsx"))
    args = parser.parse_args(argv)
    if (why := H.missing()) is not None:
        print(f"bench_lite: {why}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheel = H.build_wheel(work / "build")
        spec = {"repeat": args.n, "cases": [{"name": "bench", "payloads": H.job_payloads(Path(args.workbook))}]}
        run = H.run_pyodide(spec, [wheel], work)
        size = wheel.stat().st_size
    answer = run["answer"]
    plugin_ms = answer["import_ms"] - answer["xlwings_import_ms"]
    print(f"Pyodide {answer['python']} (Python), xlwings {answer['xlwings']}, {Path(args.workbook).name}, n={args.n}")
    print(f"wheel: {size / 1e6:.2f} MB ({size} bytes)")
    print(f"Pyodide start (loadPyodide): {run['load_ms']:.0f} ms")
    print(f"cold import: xlwings {answer['xlwings_import_ms']:.0f} ms, then the plugin {plugin_ms:.0f} ms "
          f"(goal < {IMPORT_GOAL_MS} ms: {'met' if plugin_ms < IMPORT_GOAL_MS else 'NOT met'}); "
          f"both {answer['import_ms']:.0f} ms")
    for job, done in answer["cases"][0]["jobs"].items():
        first, rest = done["ms"][0], done["ms"][1:] or done["ms"]
        median = statistics.median(rest)
        print(f"{job}: first {first:.0f} ms, then median {median:.0f} ms (min {min(rest):.0f}, max {max(rest):.0f}), "
              f"{len(done['actions'])} actions; goal < {GOALS_MS[job]} ms: {'met' if median < GOALS_MS[job] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
