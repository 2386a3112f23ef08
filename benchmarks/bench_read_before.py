"""Reading and batch work of this checkout beside an earlier one (a script, not a test).

    git worktree add /tmp/before <commit>
    python3 benchmarks/bench_read_before.py --before /tmp/before [--n 12] [--rounds 7]

Two versions of spi4xl cannot share a process, so each round runs one process per checkout, in turn, each
timing on the same N seeded audits (rendered first, tests/audits.py) the CPU per file of `read_audit`,
`batch.audit_row` (read, validate, score) and, as the floors in that same process, python-calamine parsing the
sheets the reader parses (start, organization, questionnaire, action plan, settings, and a conversion
report when there is one) and the plain calamine loop over the answer cells. Printed: medians, each
version's time over its floor, and the before/after ratio of each round pair (the pairs see the same load).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROUND = """
import json, sys, time, statistics
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import python_calamine as pc
import spi4xl
from spi4xl.batch import audit_row
from spi4xl.workbook.read import read_audit, read_workbook
if not spi4xl.__file__.startswith(sys.argv[1]):
    raise SystemExit(f"imported {spi4xl.__file__}, not the checkout {sys.argv[1]}")
paths = [Path(p) for p in sys.argv[3:]]
sheets = {p: read_workbook(p).sheets for p in paths}

def floor(p):
    book = pc.CalamineWorkbook.from_path(str(p))
    for name in sheets[p].values():  # the sheets this version's reader parses
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)

def loop(p):
    rows = pc.CalamineWorkbook.from_path(str(p)).get_sheet_by_name(sheets[p]["questionnaire"]).to_python()
    key = {v: i for i, v in enumerate(rows[0])}
    code, answer = key["spi4xl:questionnaire"], key["answer"]
    return {row[code]: row[answer] for row in rows[2:] if len(row) > answer and row[answer] != ""}

fns = {"read_audit": read_audit, "audit_row": audit_row, "calamine_sheets": floor, "calamine_loop": loop}
for fn in fns.values():
    fn(paths[0])
times = {}
for _ in range(int(sys.argv[2])):
    for name, fn in fns.items():
        start = time.process_time()
        for p in paths:
            fn(p)
        times.setdefault(name, []).append((time.process_time() - start) / len(paths))
print(json.dumps({name: statistics.median(t) for name, t in times.items()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="a checkout of the earlier version")
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_read import render_audits

    with tempfile.TemporaryDirectory(prefix="spi4xl-before-") as tmp:
        paths = [str(p) for p in render_audits(args.n, args.seed, Path(tmp), 2)]
        checkouts = {"before": str(Path(args.before).resolve()), "after": str(HERE.parent)}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
        for _ in range(args.rounds):
            for name, root in checkouts.items():
                out = subprocess.run([sys.executable, "-c", ROUND, root, "3", *paths], capture_output=True, text=True,
                                     check=True).stdout
                runs[name].append(json.loads(out.splitlines()[-1]))
    for name, rounds in runs.items():
        med = {k: statistics.median(r[k] for r in rounds) * 1000 for k in rounds[0]}
        over = lambda a, b: statistics.median(r[a] / r[b] for r in rounds)  # noqa: E731
        print(f"{name:>6}: read_audit {med['read_audit']:.1f} ms ({over('read_audit', 'calamine_sheets'):.2f}x the "
              f"floor, its sheets parsed by calamine: {med['calamine_sheets']:.1f} ms); audit_row {med['audit_row']:.1f} ms "
              f"({over('audit_row', 'calamine_loop'):.2f}x the calamine loop {med['calamine_loop']:.1f} ms)")
    for key in ("read_audit", "audit_row"):
        pairs = statistics.median(b[key] / a[key] for b, a in zip(runs["before"], runs["after"]))
        print(f"{key}: before / after = {pairs:.2f}x (median of {args.rounds} round pairs)")


if __name__ == "__main__":
    main()
