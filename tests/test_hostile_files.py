"""Hostile files (tests/crafted.py) read or refused in one line, in bounded memory and time; batches survive them.

Every command runs as a subprocess under an address-space limit that a sheet grown to its far cell
cannot fit in (the parser used to ask for 512 GB and abort), and its peak memory is measured. A batch
over good audits, the crafted files and files that crash the worker outright finishes, writes a row
per good audit and lists every other file once, with one job or two.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from audits import CATALOG, random_audit
from crafted import CASES
from spi4xl.workbook.render import render

ADDRESS_SPACE = 3 * 2**30
PEAK_MB = 400
SECONDS = 90


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(CATALOG, "en", random_audit(31, fill=0.7), tmp_path_factory.mktemp("good") / "audit.xlsx")


@pytest.fixture(scope="module")
def corpus(good: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crafted")
    return {name: make(good, folder) for name, (make, _, _) in CASES.items()}


def measured(*args: object, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run spi4xl with limited address space; (result, peak RSS in MB, seconds)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "spi4xl", *map(str, args)], cwd=cwd, stdout=out, stderr=err,
                                text=True, preexec_fn=limit)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read()), usage.ru_maxrss / 1024, seconds


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("spi4xl: error ["), proc.stderr[-2000:]
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_crafted_file_is_read_or_refused_in_one_line_with_bounded_memory(name: str, corpus: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    _, outcome, words = CASES[name]
    path = corpus[name]
    proc, peak, seconds = measured("read", path, cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert "root:" not in proc.stdout + proc.stderr  # no entity ever resolved to a local file
    if outcome == "reads" or (outcome == "any" and proc.returncode == 0):
        assert proc.returncode == 0, proc.stderr[-2000:]
        scored, _, _ = measured("score", path, "--out", tmp_path / "scored.xlsx", cwd=tmp_path)
        assert scored.returncode == 0 and (tmp_path / "scored.xlsx").stat().st_size > 0, scored.stderr[-2000:]
        assert measured("read", tmp_path / "scored.xlsx", cwd=tmp_path)[0].returncode == 0
    else:
        one_line_error(proc, path.name, *words)
    assert peak < PEAK_MB, f"{name}: {peak:.0f} MB"
    assert seconds < SECONDS, f"{name}: {seconds:.1f} s"


CRASHING = """
import os, sys
import spi4xl.batch as batch
real = batch.audit_row
batch.audit_row = lambda path: os.abort() if path.name.startswith("crash") else real(path)
from spi4xl.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_finishes_over_crafted_files_and_crashing_workers(jobs: int, good: Path, corpus: dict[str, Path],
                                                                tmp_path: Path) -> None:
    folder = tmp_path / "audits"
    folder.mkdir()
    for i in range(3):
        (folder / f"good-{i}.xlsx").write_bytes(good.read_bytes())
        (folder / f"crash-{i}.xlsx").write_bytes(good.read_bytes())  # the worker aborts on these (see CRASHING)
    for name, path in corpus.items():
        (folder / f"{name}.xlsx").write_bytes(path.read_bytes())
    out = tmp_path / "results.csv"
    proc = subprocess.run([sys.executable, "-c", CRASHING, "batch", str(folder), "--out", str(out), "--jobs", str(jobs),
                           "--quiet"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    reads = [name for name, (_, outcome, _) in CASES.items() if outcome == "reads"]
    either = {f"{name}.xlsx" for name, (_, outcome, _) in CASES.items() if outcome == "any"}
    table = pd.read_csv(out)
    scored = {Path(f).name for f in table["file"]}
    assert scored - either == {f"good-{i}.xlsx" for i in range(3)} | {f"{name}.xlsx" for name in reads}
    skipped = {line.split(": ", 1)[0].removeprefix("skipped ").rsplit(" [", 1)[0]: line for line in proc.stderr.splitlines()}
    expected = [f"crash-{i}.xlsx" for i in range(3)] + [f"{n}.xlsx" for n, (_, o, _) in CASES.items() if o == "refused"]
    assert sorted(name for p in skipped if (name := Path(p).name) not in either) == sorted(expected)
    assert {Path(p).name for p in skipped} & scored == set() and either <= {Path(p).name for p in skipped} | scored
    for i in range(3):
        assert "SIGABRT" in skipped[str(folder / f"crash-{i}.xlsx")]
    for name, (_, outcome, words) in CASES.items():
        if outcome == "refused":
            line = skipped[str(folder / f"{name}.xlsx")]
            assert all(w.lower() in line.lower() for w in words), line
    assert f"wrote {out}: {len(table)} audit(s), {len(skipped)} skipped" in proc.stdout
