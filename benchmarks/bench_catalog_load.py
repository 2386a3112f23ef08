"""Benchmark loading the catalog and the interface strings: from the YAML and PO sources vs the compiled JSON bundles.

    python3 benchmarks/bench_catalog_load.py [--n 21]

In process (imports done, caches cleared each run): `load_catalog_sources` (PyYAML with libyaml, polib) vs
`load_bundle` (json, checksums of the sources included), and the interface strings the same two ways; and the
first `load_catalog()` of a fresh process (what a command pays). Whole processes: `python -c "import spi4xl;
spi4xl.load_catalog()"` with the bundle and with `bundle=False`. CPU time (the machine may be shared), median
of `--n` runs each. `PYTHONPATH=/tmp/before python benchmarks/bench_catalog_load.py` times another checkout.
"""

from __future__ import annotations

import argparse
import os
import resource
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
        t = time.process_time()
        fn()
        times.append((time.process_time() - t) * 1000)
    return statistics.median(times)


def ui_sources() -> None:
    ui.ui_source.cache_clear()
    ui.ui_translations.cache_clear()
    for lang in ui.LANGUAGES:
        ui._source_table(lang)


def ui_bundle() -> None:
    ui._bundled.cache_clear()
    ui._bundled(ui.UI_DIR)


def children_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def process_ms(code: str, n: int) -> float:
    """Median CPU time of `python -c code` as a whole process."""
    times = []
    for _ in range(n):
        t = children_ms()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(children_ms() - t)
    return statistics.median(times)


FIRST_LOAD = ("import time; from spi4xl.catalog import load_catalog; t = time.process_time(); "
              "load_catalog({edition!r}, bundle={bundle}); print((time.process_time() - t) * 1000)")


def first_load_ms(n: int, bundle: bool) -> float:
    """Median CPU time of the first load_catalog() in a fresh process (imports not counted)."""
    code = FIRST_LOAD.format(edition=EDITION, bundle=bundle)
    return statistics.median(float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                                  text=True).stdout) for _ in range(n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=21)
    n = parser.parse_args(argv).n
    root = catalog_dir(EDITION)
    rows = [
        ("catalog, in process", median_ms(lambda: load_catalog_sources(root), n), median_ms(lambda: load_bundle(root), n)),
        ("interface strings, in process", median_ms(ui_sources, n), median_ms(ui_bundle, n)),
        ("first load_catalog() of a process", first_load_ms(n, False), first_load_ms(n, True)),
        ("import spi4xl; load_catalog(), whole process",
         process_ms(f"import spi4xl; spi4xl.load_catalog({EDITION!r}, bundle=False)", n),
         process_ms(f"import spi4xl; spi4xl.load_catalog({EDITION!r})", n)),
    ]
    print(f"CPU time, median of {n} runs: sources (YAML, PO) vs compiled bundle "
          f"(load average {os.getloadavg()[0]:.1f})")
    for what, sources, bundle in rows:
        print(f"{what}: {sources:.1f} ms vs {bundle:.1f} ms ({sources / bundle:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
