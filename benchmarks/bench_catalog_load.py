"""Benchmark loading the catalog and the interface strings: from the YAML and PO sources vs the compiled JSON bundles.

    python3 benchmarks/bench_catalog_load.py [--n 21]

In process (imports done, caches cleared each run): `load_catalog_sources` (PyYAML with libyaml, polib) vs
`load_bundle` (json, checksums of the sources included), and the interface strings the same two ways.
Whole processes: `python -c "import spi4xl; spi4xl.load_catalog()"` with the bundle and with `bundle=False`.
Median of `--n` runs each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import spi4xl.ui as ui
from spi4xl.catalog.bundle import load_bundle
from spi4xl.catalog.loader import catalog_dir, load_catalog_sources

EDITION = "usspm-2016"


def median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def ui_sources() -> None:
    ui.ui_source.cache_clear()
    ui.ui_translations.cache_clear()
    for lang in ui.LANGUAGES:
        ui._source_table(lang)


def ui_bundle() -> None:
    ui._bundled.cache_clear()
    ui._bundled(ui.UI_DIR)


def process_ms(code: str, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=21)
    n = parser.parse_args(argv).n
    root = catalog_dir(EDITION)
    rows = [
        ("catalog, in process", median_ms(lambda: load_catalog_sources(root), n), median_ms(lambda: load_bundle(root), n)),
        ("interface strings, in process", median_ms(ui_sources, n), median_ms(ui_bundle, n)),
        ("import spi4xl; load_catalog(), whole process",
         process_ms(f"import spi4xl; spi4xl.load_catalog({EDITION!r}, bundle=False)", n),
         process_ms(f"import spi4xl; spi4xl.load_catalog({EDITION!r})", n)),
    ]
    print(f"median of {n} runs: sources (YAML, PO) vs compiled bundle")
    for what, sources, bundle in rows:
        print(f"{what}: {sources:.1f} ms vs {bundle:.1f} ms ({sources / bundle:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
