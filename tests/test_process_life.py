"""Processes end with the command that started them, Ctrl-C is a one-line stop, concurrent builds corrupt nothing.

`spi4xl batch` runs its files in worker processes: killed (SIGTERM, SIGKILL) they must not outlive it,
interrupted (SIGINT) it stops within a second with one line and writes nothing. Several `spi4xl build`
into one folder at once all succeed and leave only complete templates there.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from audits import CATALOG, random_audit
from spi4xl.workbook.render import render


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough audits for a batch to be still running when it is signalled."""
    folder = tmp_path_factory.mktemp("many")
    data = render(CATALOG, "en", random_audit(51, fill=0.7), folder / "audit-000.xlsx").read_bytes()
    for i in range(1, 400):
        (folder / f"audit-{i:03d}.xlsx").write_bytes(data)
    return folder


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_batch(folder: Path, out: Path, jobs: int = 2) -> tuple[subprocess.Popen, set[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "spi4xl", "batch", str(folder), "--out", str(out), "--jobs",
                             str(jobs), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(workers := children(proc.pid)) < jobs:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "no workers"
        time.sleep(0.05)
    time.sleep(0.5)  # well into the batch
    return proc, workers


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


@pytest.mark.slow
def test_ctrl_c_stops_a_batch_within_a_second_with_one_line_and_no_output(audits: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    proc, workers = start_batch(audits, out)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    stopped = time.monotonic() - sent
    assert proc.returncode == 130 and err == "spi4xl: interrupted\n", (proc.returncode, err[-2000:])
    assert stopped < 1.0, f"{stopped:.2f} s"
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert not any(alive(pid) for pid in workers)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGHUP])
def test_batch_workers_end_when_the_batch_ends(sig: signal.Signals, audits: Path, tmp_path: Path) -> None:
    proc, workers = start_batch(audits, tmp_path / "results.csv")
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"workers still running after {sig.name} of the batch"
    assert not (tmp_path / "results.csv").exists() and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_concurrent_builds_into_one_folder_all_succeed_and_corrupt_nothing(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "spi4xl", "build", "--lang", "en,fr", "--format", "xlsx", "--out", str(tmp_path / "shared")]
    reference = subprocess.run([*args[:-1], str(tmp_path / "reference")], capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr
    for round_ in range(2):
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for proc in procs:
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0 and "Traceback" not in err, (round_, err[-3000:])
        written = sorted(p.name for p in (tmp_path / "shared").iterdir())
        assert written == sorted(p.name for p in (tmp_path / "reference").iterdir()), written
        for name in written:
            data = (tmp_path / "shared" / name).read_bytes()
            assert hashlib.sha256(data).digest() == hashlib.sha256((tmp_path / "reference" / name).read_bytes()).digest(), name
            with zipfile.ZipFile(tmp_path / "shared" / name) as z:
                assert z.testzip() is None


@pytest.mark.parametrize("where", ["parsing the arguments", "a class body during a lazy import",
                                   "a weakref callback (the import system's module locks)"])
def test_ctrl_c_at_any_moment_of_the_command_line_is_one_line_and_exit_130(
        where: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C while argparse runs, inside a dataclass's __set_name__ (Python 3.11 wraps it in a RuntimeError), or
    in a callback Python cannot raise from (it printed "Exception ignored ..." and the command went on) ends like
    Ctrl-C during a command; any other RuntimeError still propagates."""
    import weakref

    from spi4xl import __main__ as entry, cli

    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)  # put back after run() sets its own

    def interrupted_parser(command=None):
        if where == "parsing the arguments":
            raise KeyboardInterrupt
        if where.startswith("a weakref callback"):
            class Lock:
                pass

            def cb(ref):
                raise KeyboardInterrupt
            lock = Lock()
            ref = weakref.ref(lock, cb)
            del lock  # the callback runs here: its KeyboardInterrupt cannot propagate
            for _ in range(10**8):  # the command goes on... until the interrupt is delivered again
                pass
            raise AssertionError(f"the interrupt was lost ({ref})")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from exc

    monkeypatch.setattr(cli, "build_parser", interrupted_parser)
    monkeypatch.setattr(sys, "argv", ["spi4xl", "--version"])
    assert entry.run() == 130
    assert capsys.readouterr().err == "spi4xl: interrupted\n"

    monkeypatch.setattr(cli, "build_parser", lambda command=None: (_ for _ in ()).throw(RuntimeError("a real bug")))
    with pytest.raises(RuntimeError, match="a real bug"):
        entry.run()
