"""spi4xl beside the alternatives, in one run, as ratios (a script, not a test).

    python3 benchmarks/compare.py [--n 20] [--rounds 15]

CPU time (time.process_time, or the children's rusage for whole commands), runs of spi4xl and of
its alternative interleaved round by round so both see the same machine load; medians printed with
the ratio alternative / spi4xl (above 1: spi4xl is faster). On a shared machine run it under
`nice -n -10`. What is compared, on N seeded audits rendered first (tests/audits.py):

- read: `read_audit` / python-calamine parsing the sheets the reader parses / openpyxl read-only;
- batch, per file: `batch.audit_row` (read, validate, score, one row) / a plain calamine loop over
  the questionnaire's answer cells; and `spi4xl batch` as whole processes: fixed cost per run
  (1 file vs N files, CPU of the command and its workers) and peak memory (largest process);
- render: `render()` of a template / the same with plain XlsxWriter (its file mode, no formula pre-check);
  `spi4xl build` of the six templates as a whole command;
- server: `adapter.score(book)` on a full payload as the server runs it (the request's body searched once for
  date and error texts) / the same alone (each sheet searched) / `read_values` + `score` on the same values;
- start-up: `spi4xl --version` / `python -c pass`.
"""

from __future__ import annotations

import argparse
import contextvars
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # the remote engine, for adapter.score only

from bench_read import openpyxl_values, render_audits  # noqa: E402

SPI4XL = [sys.executable, "-m", "spi4xl"]
SHEETS: dict[Path, dict[str, str]] = {}  # each file's sheet name by role (they are localised), found before timing


def cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def children_cpu(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, int]:
    """CPU seconds of a whole command (with its workers) and the peak RSS (KB) of its largest process, in a
    fresh interpreter so earlier children do not count."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); print(u.ru_utime + u.ru_stime, u.ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True,
                         env=env, cwd=cwd).stdout
    seconds, rss = out.split()
    return float(seconds), int(rss)


def interleaved(rounds: int, **fns: Callable[[], float]) -> dict[str, float]:
    """Median seconds of each measurement, taken in turn each round."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(fn())
    return {name: statistics.median(t) for name, t in times.items()}


def show(title: str, results: dict[str, float], unit: str = "ms") -> None:
    """The first entry is spi4xl's; every other is shown with its ratio to it."""
    scale = 1000 if unit == "ms" else 1
    base_name, base = next(iter(results.items()))
    print(f"\n{title}")
    for name, value in results.items():
        ratio = "" if name == base_name else f"   {value / base:5.2f}x spi4xl's time"
        print(f"  {name:<44} {value * scale:9.1f} {unit}{ratio}")


# --- reading and batch --------------------------------------------------------------------------
def calamine_sheets(path: Path) -> None:
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(path))
    for name in SHEETS[path].values():  # every sheet the reader parses (ReadResult.sheets)
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def calamine_answer_loop(path: Path) -> dict[str, Any]:
    """The floor of a batch: the questionnaire's code and answer cells by the key row, nothing checked."""
    import python_calamine as pc

    rows = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEETS[path]["questionnaire"]).to_python()
    key = {v: i for i, v in enumerate(rows[0])}
    code, answer = key["spi4xl:questionnaire"], key["answer"]
    return {row[code]: row[answer] for row in rows[2:] if len(row) > answer and row[answer] != ""}


def bench_files(paths: list[Path], rounds: int) -> None:
    from spi4xl.batch import audit_row
    from spi4xl.workbook.read import read_audit, read_workbook

    SHEETS.update({path: read_workbook(path).sheets for path in paths})
    for fn in (read_audit, calamine_sheets, openpyxl_values, audit_row, calamine_answer_loop):
        fn(paths[0])  # imports, catalog
    each = lambda fn: lambda: cpu(lambda: [fn(p) for p in paths]) / len(paths)  # noqa: E731
    show(f"read one audit (CPU per file, {len(paths)} files, median of {rounds} rounds)", interleaved(
        rounds, **{"spi4xl read_audit": each(read_audit), "python-calamine parsing the same sheets": each(calamine_sheets),
                   "openpyxl read-only, every sheet": each(openpyxl_values)}))
    show("batch work per file, in process", interleaved(
        rounds, **{"spi4xl batch.audit_row (read, validate, score)": each(audit_row),
                   "plain calamine loop over the answer cells": each(calamine_answer_loop)}))


def bench_batch_processes(paths: list[Path], rounds: int, out: Path) -> None:
    folder_one, folder_all = out / "one", out / "all"
    for folder, chosen in ((folder_one, paths[:1]), (folder_all, paths)):
        folder.mkdir()
        for p in chosen:
            (folder / p.name).symlink_to(p)
    run = lambda folder: children_cpu([*SPI4XL, "batch", str(folder), "--out", str(out / "r.csv"),  # noqa: E731
                                       "--jobs", "1", "--quiet"])
    one, every, rss = [], [], []
    for _ in range(max(3, rounds // 3)):
        one.append(run(folder_one)[0])
        seconds, peak = run(folder_all)
        every.append(seconds)
        rss.append(peak)
    per_file = (statistics.median(every) - statistics.median(one)) / (len(paths) - 1)
    fixed = statistics.median(one) - per_file
    print(f"\n`spi4xl batch --jobs 1` as whole processes (CPU of the command and its worker)\n"
          f"  fixed cost per run {fixed:.2f} s, then {per_file * 1000:.1f} ms per file "
          f"({1 / per_file:.0f} files/s per core); largest process {statistics.median(rss) / 1024:.0f} MB peak RSS")


# --- render -------------------------------------------------------------------------------------
def bench_render(rounds: int, out: Path) -> None:
    from test_book import PlainWorkbook  # XlsxWriter's file mode; the buttons renamed in the saved file

    from spi4xl.catalog import load_catalog
    from spi4xl.workbook import book
    from spi4xl.workbook.render import render

    catalog = load_catalog("usspm-2016")

    def render_with(book_class) -> Callable[[], float]:
        def run() -> float:
            book.Workbook = book_class  # what render() imports when it writes
            try:
                return cpu(lambda: render(catalog, "en", None, out / "template.xlsx"))
            finally:
                book.Workbook = ours
        return run

    ours = book.Workbook
    render_with(ours)()
    show(f"render() one template (CPU, median of {rounds})", interleaved(
        rounds, **{"spi4xl render()": render_with(ours), "the same with plain XlsxWriter": render_with(PlainWorkbook)}))
    build = [children_cpu([*SPI4XL, "build", "--out", str(out / "templates")])[0] for _ in range(3)]
    print(f"  `spi4xl build` (six templates, whole command): {statistics.median(build):.2f} s CPU (median of 3)")


# --- server -------------------------------------------------------------------------------------
def bench_score(rounds: int, out: Path) -> None:
    import xlwings as xw

    from bench_xl_score import full_audit
    from spi4xl.catalog import load_catalog
    from spi4xl.scoring import score
    from spi4xl.workbook.read import read_values
    from spi4xl.workbook.render import render
    from spi4xl.xl import adapter
    from spi4xl.xl.payload import payload

    catalog = load_catalog("usspm-2016")
    path = render(catalog, "fr", full_audit(catalog), out / "full.xlsx")
    data = payload(path, "VBA", adapter.sheet_names_for(adapter.JOB_ROLES["score"]))
    values = {sheet.name: adapter.sheet_values(sheet) for sheet in xw.Book(json=copy.deepcopy(data)).sheets}

    body = json.dumps(data).encode()  # the request's body: the server searches it once for dates and error texts

    def adapter_score() -> float:
        book = xw.Book(json=copy.deepcopy(data))  # built outside the timing: the server does it per request too
        return cpu(lambda: adapter.score(book, alert=False))

    def server_score() -> float:
        """adapter.score as the server runs it: the body's one search, then every sheet used as sent when it
        holds no date or error text (spi4xl.xl.server.run_job)."""
        book = xw.Book(json=copy.deepcopy(data))

        def run() -> None:
            adapter.PLAIN_PAYLOAD.set(adapter.json_is_plain(body))
            adapter.score(book, alert=False)
        return cpu(lambda: contextvars.copy_context().run(run))

    def read_and_score() -> float:
        def run() -> None:
            result = read_values(values, "book")
            score(result.audit, result.catalog)
        return cpu(run)

    for _ in range(3):
        server_score()
    show(f"server Score on a full payload (CPU, median of {rounds * 4})", interleaved(
        rounds * 4, **{"spi4xl adapter.score(book), as in the server": server_score,
                       "adapter.score(book), each sheet searched": adapter_score,
                       "read_values + score on the same values": read_and_score}))


def bench_startup(rounds: int) -> None:
    show(f"start-up (CPU of the whole process, median of {rounds})", interleaved(
        rounds, **{"spi4xl --version": lambda: children_cpu([*SPI4XL, "--version"])[0],
                   "python -c pass": lambda: children_cpu([sys.executable, "-c", "pass"])[0]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="audits read and batched (default 20)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--only", nargs="*", choices=("read", "batch", "render", "server", "startup"))
    args = parser.parse_args()
    only = set(args.only or ("read", "batch", "render", "server", "startup"))
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="spi4xl-compare-") as tmp:
        out = Path(tmp)
        if only & {"read", "batch"}:
            paths = render_audits(args.n, args.seed, out / "audits", min(2, os.cpu_count() or 1))
            if "read" in only:
                bench_files(paths, args.rounds)
            if "batch" in only:
                bench_batch_processes(paths, args.rounds, out)
        if "render" in only:
            bench_render(args.rounds, out)
        if "server" in only:
            bench_score(args.rounds, out)
        if "startup" in only:
            bench_startup(args.rounds)


if __name__ == "__main__":
    main()
