"""Benchmark how long the `spi4xl` command takes as a whole process (a script, not a test).

    python benchmarks/bench_startup.py [--n 21] [--before CHECKOUT] [--markdown]

Times, as whole processes started from scratch (interpreter start, imports, work, exit), the median
wall time and CPU time (user + system) of N runs (after one warm-up run, so the files are in the page
cache) of:
- `python -c pass`: the reference, what any Python program pays before its first line;
- `spi4xl --version`;
- `spi4xl catalog show` (loads the default catalog and prints its summary);
- `spi4xl score samples/sample-audit-fr.xlsx` (reads a workbook, validates and scores it);
and reports each in milliseconds and as a ratio to the reference. CPU time moves much less than wall time
with the load other processes put on the machine. `spi4xl` is the console script
beside this Python (`.venv/bin/spi4xl`), or `python -m spi4xl` where there is none.

--installed times each checkout as pip installs it for a user: a wheel of it installed into a venv of its own
(bytecode compiled by pip, no editable-install finder on every start), its dependencies taken from this Python's
site-packages through a .pth file; without it, the checkout runs in place (this venv's editable install, or
PYTHONPATH), whose finder adds ~25 ms to every start, and through which a --before checkout on PYTHONPATH still
finds this checkout's data folders (standards/ and its bundles): when the bundles' format differs between the two,
the older code falls back to the YAML sources. --installed gives each checkout its own data.

--before CHECKOUT also times another checkout of spi4xl (an older commit, e.g. from `git worktree add
/tmp/before <commit>`) through PYTHONPATH, with its own samples/, interleaved run by run with this
one, so both see the same load on the machine. An older `spi4xl` without --version exits 2 after
parsing: that still times its start-up. The runs may write bytecode (`__pycache__/`, as pip writes it when it
installs): PYTHONDONTWRITEBYTECODE is left out of their environment, so the warm-up run compiles every module once
and no timed run pays for compiling. To see where the time of one command goes:
`python -X importtime -m spi4xl --version 2>&1 | sort -t'|' -k2 -n | tail`.
"""

from __future__ import annotations

import argparse
import os
import resource
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("python -c pass", "spi4xl --version", "spi4xl catalog show", "spi4xl score samples/sample-audit-fr.xlsx")


def spi4xl_command(python: str) -> list[str]:
    script = Path(python).with_name("spi4xl")
    return [str(script)] if script.exists() else [python, "-m", "spi4xl"]


def commands(root: Path, python: str = sys.executable) -> list[list[str]]:
    spi4xl = spi4xl_command(python)
    return [[python, "-c", "pass"], [*spi4xl, "--version"], [*spi4xl, "catalog", "show"],
            [*spi4xl, "score", str(root / "samples" / "sample-audit-fr.xlsx")]]


def install(root: Path, into: Path) -> str:
    """A venv in `into` with a wheel of the checkout at `root` installed as pip installs it; its Python."""
    wheels = into / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(root)], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(into / "venv")], check=True)
    python = str(into / "venv" / "bin" / "python")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index",
                    *map(str, wheels.glob("*.whl"))], check=True)
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies: this Python's site-packages as plain paths (their own .pth files, such as an editable
    # install's finder, are not run from there)
    Path(purelib, "spi4xl_bench_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def checkout_env(root: Path) -> dict[str, str]:
    """The environment of one checkout's runs: bytecode cached as an installed spi4xl has it (pip compiles it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if root != ROOT:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    return env


def where(python: str, env: dict[str, str], cwd: Path) -> str:
    return subprocess.run([python, "-P", "-c", "import spi4xl; print(spi4xl.__file__)"], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False).stdout.strip() or "(not importable)"


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system, the process and its children) and exit code of one run."""
    cpu, start = cpu_of_children(), time.perf_counter()
    code = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False).returncode
    return time.perf_counter() - start, cpu_of_children() - cpu, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=21, help="runs per command (median reported; default 21)")
    parser.add_argument("--before", type=Path, help="another spi4xl checkout to time against this one")
    parser.add_argument("--installed", action="store_true", help="time each checkout installed from its wheel")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    checkouts = {"this checkout": ROOT}
    if args.before:
        checkouts = {"before": args.before.resolve(), "after": ROOT}
    with tempfile.TemporaryDirectory(prefix="spi4xl-startup-") as tmp:
        pythons = {label: sys.executable for label in checkouts}
        envs = {label: checkout_env(root) for label, root in checkouts.items()}
        if args.installed:
            pythons = {label: install(root, Path(tmp, str(i))) for i, (label, root) in enumerate(checkouts.items())}
            envs = {label: checkout_env(ROOT) for label in checkouts}  # no PYTHONPATH: the installed copy
        for label, env in envs.items():
            print(f"{label}: spi4xl from {where(pythons[label], env, checkouts[label])}", file=sys.stderr)
        return measure(args, checkouts, pythons, envs)


def measure(args: argparse.Namespace, checkouts: dict[str, Path], pythons: dict[str, str],
            envs: dict[str, dict[str, str]]) -> int:
    times: dict[tuple[str, str], list[float]] = {(label, name): [] for label in checkouts for name in NAMES}
    cpus: dict[tuple[str, str], list[float]] = {(label, name): [] for label in checkouts for name in NAMES}
    codes: dict[tuple[str, str], int] = {}
    for i in range(args.n + 1):  # run 0 warms the page cache and is not counted
        for label, root in checkouts.items():
            for name, cmd in zip(NAMES, commands(root, pythons[label])):
                seconds, cpu, codes[label, name] = run_once(cmd, envs[label], root)
                if i:
                    times[label, name].append(seconds)
                    cpus[label, name].append(cpu)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"median of {args.n} runs per command; load average at the end {load:.1f} on {os.cpu_count()} cores",
          file=sys.stderr)

    wall = {key: statistics.median(ts) for key, ts in times.items()}
    cpu = {key: statistics.median(ts) for key, ts in cpus.items()}

    def cell(label: str, name: str) -> str:
        """Median wall and CPU time, each with its ratio to `python -c pass` of the same checkout."""
        ref = NAMES[0]
        note = f"; exit {codes[label, name]}" if codes[label, name] else ""
        return (f"{1000 * wall[label, name]:.0f} ms ({wall[label, name] / wall[label, ref]:.1f}x) / "
                f"{1000 * cpu[label, name]:.0f} ms CPU ({cpu[label, name] / cpu[label, ref]:.1f}x){note}")

    if args.markdown:
        labels = list(checkouts)
        print("| command | " + " | ".join(f"{label}: wall / CPU (x `python -c pass`)" for label in labels) + " |")
        print("|---|" + "---|" * len(labels))
        for name in NAMES:
            print(f"| `{name}` | " + " | ".join(cell(label, name) for label in labels) + " |")
    else:
        for label in checkouts:
            for name in NAMES:
                print(f"{label:<14} {name:<45} {cell(label, name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
