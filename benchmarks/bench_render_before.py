"""render() and `spi4xl build` of this checkout beside an earlier one (a script, not a test).

    git worktree add --detach /tmp/before <commit>
    python3 benchmarks/bench_render_before.py --before /tmp/before [--n 5] [--rounds 7]

Two versions of spi4xl cannot share a process, so each round runs, for each checkout in turn (PYTHONPATH set
to it; the same interpreter and packages): one process timing N renders of the English template as .xlsx and
as .xlsm, alternating (CPU, median and fastest, after one render of each to warm up), then `spi4xl build` of
the six templates as a whole command (CPU of the process and its children, forked copies included). Printed:
medians of the rounds and the after/before ratio of each round pair (a pair sees the same load). The build of this checkout runs with the user's cache as it is
(spi4xl/cache.py: the VBA project, warm after the first build); `--cold-cache` turns it off. Both checkouts
run with their bytecode cached, as pip installs them: PYTHONDONTWRITEBYTECODE is left out of the children's
environment and a first, untimed round writes it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from compare import children_cpu

HERE = Path(__file__).resolve().parent
RENDER = """
import json, statistics, sys, time
from pathlib import Path
import spi4xl
if not spi4xl.__file__.startswith(sys.argv[1]):
    raise SystemExit(f"imported {spi4xl.__file__}, not the checkout {sys.argv[1]}")
from spi4xl.catalog import load_catalog
from spi4xl.workbook.render import render
catalog, out, times = load_catalog("usspm-2016"), Path(sys.argv[3]), {}
for fmt in ("xlsx", "xlsm"):
    render(catalog, "en", None, out / f"warm.{fmt}")
for _ in range(int(sys.argv[2])):
    for fmt in ("xlsx", "xlsm"):
        start = time.process_time()
        render(catalog, "en", None, out / f"t.{fmt}")
        times.setdefault(fmt, []).append(time.process_time() - start)
print(json.dumps({fmt: [statistics.median(t), min(t)] for fmt, t in times.items()}))
"""


def run_render(checkout: Path, n: int, out: Path, env: dict[str, str]) -> dict[str, list[float]]:
    done = subprocess.run([sys.executable, "-c", RENDER, str(checkout), str(n), str(out)], env=env,
                          capture_output=True, text=True, cwd=out)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def run_build(out: Path, env: dict[str, str]) -> float:
    return children_cpu([sys.executable, "-m", "spi4xl", "build", "--out", str(out)], env, out.parent)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cold-cache", action="store_true")
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": HERE.parent}
    results: dict[str, dict[str, list[float]]] = {name: {} for name in checkouts}
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds + 1):
            for name, checkout in checkouts.items():
                env = {**base, "PYTHONPATH": str(checkout)}
                if args.cold_cache:
                    env["SPI4XL_CACHE_DIR"] = ""
                renders = run_render(checkout, 1 if round_ == 0 else args.n, Path(tmp), env)
                build = run_build(Path(tmp) / name, env)
                if round_ == 0:  # bytecode written, the cache filled
                    continue
                for fmt, (median, fastest) in renders.items():
                    results[name].setdefault(f"render {fmt}", []).append(median)
                    results[name].setdefault(f"fastest {fmt}", []).append(fastest)
                results[name].setdefault("build", []).append(build)
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end; CPU, medians of {args.rounds} rounds "
          f"(fastest: the fastest render of each round; renders slow down ~1.6x while the other core is busy)")
    for what in results["after"]:
        before, after = results["before"][what], results["after"][what]
        ratios = [b / a for b, a in zip(before, after)]
        unit, scale = ("s", 1) if what == "build" else ("ms", 1000)
        print(f"  {what:<12} before {statistics.median(before) * scale:7.3g} {unit}   after "
              f"{statistics.median(after) * scale:7.3g} {unit}   before/after {statistics.median(ratios):.2f}x "
              f"(rounds {min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
