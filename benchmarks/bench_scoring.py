"""Benchmark score() and validate() on seeded random audits of a catalog (a script, not a test).

    python3 benchmarks/bench_scoring.py [--n 1000] [--seed 2016] [--edition usspm-2016]

Prints the median and 95th percentile time per audit. The first call on a catalog builds its
cached index; it is timed separately ("first call") and left out of the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.scoring import score
from spi4xl.validation import validate


def random_audit(catalog, rng: random.Random) -> Audit:
    fill = rng.choice([0.3, 0.8, 1.0, 1.0])
    profile = rng.choice(["full", "full", "alinus", "cp"])
    modules = rng.choice([None, (), tuple(rng.sample(catalog.module_codes[1:], 2))])
    answers, comments = {}, {}
    for ind in catalog.all_indicators():
        for code, scale in [(ind.code, ind.scale), *((d.code, d.scale) for d in ind.details)]:
            if rng.random() < fill:
                answers[code] = rng.choice(catalog.scales[scale].codes + ("bogus",))
        if rng.random() < 0.6:
            comments[ind.code] = "Credit policy p. 4"
    org = {}
    for field in catalog.org_fields:
        if rng.random() < 0.1:
            continue
        if field.type == "choice":
            org[field.id] = rng.choice(field.choices)
        elif field.type == "date":
            org[field.id] = dt.date(2016, 12, 31)
        elif field.type == "text":
            org[field.id] = "XOF"
        elif field.type == "percent":
            org[field.id] = rng.choice([rng.random(), rng.uniform(1, 100)])
        elif field.type == "integer":
            org[field.id] = rng.randint(0, 50_000)
        else:
            org[field.id] = rng.uniform(0, 1e9)
    metadata = {"organization": "Bench MFI", "country": "PE", "assessment_type": "external",
                "start_date": dt.date(2017, 3, 1), "end_date": dt.date(2017, 3, rng.randint(1, 20))}
    return Audit(catalog.edition, profile=profile, modules=modules, metadata=metadata, answers=answers,
                 comments=comments, org=org)


def timed(fn, audits, catalog) -> list[float]:
    out = []
    for audit in audits:
        start = time.perf_counter()
        fn(audit, catalog)
        out.append(time.perf_counter() - start)
    return out


def report(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{name:<10} median {statistics.median(ms):7.3f} ms   p95 {p95:7.3f} ms   max {ms[-1]:7.3f} ms"
          f"   ({len(ms)} audits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of random audits (default 1000)")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--edition", default="usspm-2016")
    args = parser.parse_args()

    catalog = load_catalog(args.edition)
    rng = random.Random(args.seed)
    audits = [random_audit(catalog, rng) for _ in range(args.n)]
    start = time.perf_counter()
    for profile in ("full", "alinus", "cp"):
        score(Audit(catalog.edition, profile=profile), catalog)
    print(f"catalog {catalog.id} {catalog.version}: {len(catalog.all_indicators())} indicators; "
          f"first calls (index build, 3 profiles) {(time.perf_counter() - start) * 1000:.1f} ms")
    timed(score, audits[:50], catalog)  # warm every scope
    report("score()", timed(score, audits, catalog))
    report("validate()", timed(validate, audits, catalog))


if __name__ == "__main__":
    main()
