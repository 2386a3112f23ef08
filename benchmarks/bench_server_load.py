"""Benchmark `spi4xl serve` under load: bursts of concurrent Score calls with real payloads, on 127.0.0.1 only.

    python3 benchmarks/bench_server_load.py [--requests 200] [--rounds 10] [--audits 4] [--client Office.js]

Starts `spi4xl serve` on a free port of 127.0.0.1 (XLWINGS_LICENSE_KEY=noncommercial for that
process if no key is set: non-commercial use, see the README), renders --audits filled audits (the
full questionnaire as bench_xl_score.py scores it, in each language in turn) and turns each into the
payload the add-in sends for Score (its `include` sheets). Each round sends --requests Score calls at
once (each its own connection, payloads in turn; each request built once, its answer read to the end by a
protocol that parses only the status line, on uvloop when it is installed: the client shares the cores with
the server) while /healthz is polled every 20 ms; every loop is bounded (a fixed
number of calls, a timeout per call). Printed per round and overall: Score latency median, p95 and
max, errors (any status but 200, or no answer), /healthz latency median and p95 during the load, and
the memory (PSS) of the server with its workers before the first round and after each one, and the CPU time per
call of the server's process, of its workers and of this client (/proc), beside the load average.
Goals (issue 10): 0 errors, Score p95 under 2 s, /healthz p95 under 100 ms, memory flat across rounds: the high
point of the last three rounds within 10 % of that of the first three (the server's process keeps the high point of
the bodies of a round held at once, which moves by ~10 % from round to round with how they arrive: a growth shows
as a rise of the high points, one low round is not one). Exit code 1 when a goal is missed. --json for the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"  # never anything else: this script loads a server, it must be ours
GOALS = {"score_p95_s": 2.0, "healthz_p95_ms": 100.0, "memory_growth": 0.10}


def payloads(n: int, client: str) -> list[bytes]:
    """Request bodies: the Score payloads of n rendered audits."""
    from bench_xl_score import full_audit  # the full questionnaire answered at random, as bench_xl_score scores it
    from spi4xl.catalog import load_catalog
    from spi4xl.workbook.render import render
    from spi4xl.xl import adapter
    from spi4xl.xl.payload import payload

    catalog = load_catalog("usspm-2016")
    include = adapter.sheet_names_for(adapter.JOB_ROLES["score"])
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for seed in range(n):
            lang = catalog.languages[seed % len(catalog.languages)]
            audit = dataclasses.replace(full_audit(catalog, seed), language=lang)
            paths.append(render(catalog, lang, audit, Path(tmp) / f"audit-{seed}.xlsx"))
        return [json.dumps(payload(p, client, include)).encode() for p in paths]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def process_tree(pid: int) -> set[int]:
    """A process and all its descendants (the server, its fork server and workers)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
        except (OSError, StopIteration):
            continue
        parents[int(status.parent.name)] = int(ppid.split()[1])
    tree, grown = {pid}, True
    while grown:
        grown = False
        for proc, parent in parents.items():
            if parent in tree and proc not in tree:
                tree.add(proc)
                grown = True
    return tree


def memory_mb(pid: int) -> float:
    """Memory of a process and all its descendants: their proportional set size (pages shared by forked workers
    counted once overall), or resident size where PSS is unreadable."""
    total = 0
    for proc in process_tree(pid):
        try:
            rollup = Path(f"/proc/{proc}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
        except (OSError, StopIteration):
            try:
                status = Path(f"/proc/{proc}/status").read_text()
                total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            except (OSError, StopIteration):
                continue
    return total / 1024


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time (user + system) of a process and each of its descendants, by process id."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for proc in process_tree(pid):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[proc] = (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_per_call_ms(pid: int, before: dict[int, float], client_before: float, calls: int) -> dict[str, float]:
    """CPU per call since `before` (cpu_seconds) and `client_before` (this process's time.process_time): of the
    server's own process (HTTP, hand-off), of its workers (the jobs; the fork server counts with them), of this client."""
    after = cpu_seconds(pid)
    spent = {proc: after[proc] - before.get(proc, 0.0) for proc in after}
    server = spent.pop(pid, 0.0)
    return {"cpu_server_ms": server * 1000 / calls, "cpu_workers_ms": sum(spent.values()) * 1000 / calls,
            "cpu_client_ms": (time.process_time() - client_before) * 1000 / calls}


def start_server(workers: int | None = None, pythonpath: str | None = None) -> tuple[subprocess.Popen, int]:
    """`spi4xl serve` on a free port of 127.0.0.1, answering /healthz (up to a minute to start); with `pythonpath`,
    the spi4xl found there (an earlier checkout), this client's own code unchanged."""
    port = free_port()
    env = {**os.environ, "XLWINGS_LICENSE_KEY": os.environ.get("XLWINGS_LICENSE_KEY", "noncommercial")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, "-m", "spi4xl", "serve", "--host", HOST, "--port", str(port)]
    server = subprocess.Popen(command + (["--workers", str(workers)] if workers else []), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if run(call(port, request(port, "GET", "/healthz"), timeout=2))[0] == 200:
            return server, port
        if server.poll() is not None:
            break
        time.sleep(0.1)
    stop_server(server)
    raise SystemExit("spi4xl serve did not start (is XLWINGS_LICENSE_KEY usable?)")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def request(port: int, method: str, path: str, body: bytes = b"", keep_alive: bool = False) -> bytes:
    """One HTTP/1.1 request, head and body, built once however many times it is sent."""
    return (f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


class _Call(asyncio.Protocol):
    """A request sent whole once connected; the answer's status read from its first line, the rest let through
    until the server closes the connection (Connection: close): the least work a real client can do per call."""

    def __init__(self, message: bytes, done: asyncio.Future) -> None:
        self.message, self.done, self.head, self.status = message, done, b"", 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.message)

    def data_received(self, data: bytes) -> None:
        if self.head is not None:
            self.head += data
            line, found, _ = self.head.partition(b"\r\n")
            if found:
                parts = line.split()
                self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
                self.head = None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(0 if exc else self.status)


async def call(port: int, message: bytes, timeout: float = 60.0) -> tuple[int, float]:
    """(status, seconds) of one request (see `request`) on its own connection; status 0 when it fails or times out."""
    start = time.perf_counter()
    loop = asyncio.get_running_loop()
    done, transport = loop.create_future(), None
    try:
        async with asyncio.timeout(timeout):
            transport, _ = await loop.create_connection(lambda: _Call(message, done), HOST, port)
            status = await done
    except (OSError, TimeoutError):
        status = 0
    if transport is not None:
        transport.close()
    return status, time.perf_counter() - start


class KeptConnection(asyncio.Protocol):
    """One connection that carries a client's calls one after the other, as a browser keeps the add-in's open:
    each answer ends at its Content-Length."""

    def __init__(self) -> None:
        self.buffer, self.end, self.status = bytearray(), 0, 0
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None

    @classmethod
    async def open(cls, port: int) -> KeptConnection:
        return (await asyncio.get_running_loop().create_connection(cls, HOST, port))[1]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    async def call(self, message: bytes) -> int:
        """The status of one request (built with keep_alive=True); 0 when the connection ends first."""
        if self.transport is None or self.transport.is_closing():
            return 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(message)
        return await self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.end:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            lines = bytes(self.buffer[:head_end]).split(b"\r\n")
            self.status = int(lines[0].split()[1])
            length = next((int(line.split(b":")[1]) for line in lines[1:] if line.lower().startswith(b"content-length:")), 0)
            self.end = head_end + 4 + length
        if len(self.buffer) >= self.end:
            del self.buffer[:self.end]
            self.end = 0
            self.waiter.set_result(self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(0)


def run(coroutine):
    """asyncio.run, on uvloop when it is installed: this client shares the cores with the server it loads, and the
    CPU it spends per call (half as much on uvloop) is taken from the server's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


async def burst(port: int, bodies: list[bytes], n: int) -> dict:
    """n Score calls at once while /healthz is polled every 20 ms."""
    done = asyncio.Event()
    health: list[float] = []
    healthz = request(port, "GET", "/healthz")

    async def poll() -> None:
        for _ in range(3000):  # at most a minute of polling
            if done.is_set():
                return
            status, seconds = await call(port, healthz, timeout=10)
            health.append(seconds if status == 200 else float("inf"))
            await asyncio.sleep(0.02)

    poller = asyncio.create_task(poll())
    calls = [request(port, "POST", "/xlwings/custom-scripts-call/score", body) for body in bodies]
    start = time.perf_counter()
    results = await asyncio.gather(*(call(port, calls[i % len(calls)]) for i in range(n)))
    wall = time.perf_counter() - start
    done.set()
    await poller
    times = [t for _, t in results]
    statuses = [s for s, _ in results]
    return {"score_median_s": statistics.median(times), "score_p95_s": percentile(times, 0.95),
            "score_max_s": max(times), "throughput_rps": n / wall, "errors": sum(s != 200 for s in statuses),
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "healthz_median_ms": statistics.median(health) * 1000, "healthz_p95_ms": percentile(health, 0.95) * 1000,
            "healthz_max_ms": max(health) * 1000, "healthz_calls": len(health)}


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: with two /healthz answers in a whole burst, the slower one is the 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="concurrent Score calls per round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--audits", type=int, default=4, help="different payloads, sent in turn")
    parser.add_argument("--client", default="Office.js", choices=("Office.js", "VBA"))
    parser.add_argument("--workers", type=int, help="spi4xl serve --workers (default: one per core)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    bodies = payloads(args.audits, args.client)
    server, port = start_server(args.workers)
    try:
        run(burst(port, bodies, 4))  # warm: workers started, catalog loaded
        memory = [memory_mb(server.pid)]
        rounds = []
        for i in range(args.rounds):
            cpu, client = cpu_seconds(server.pid), time.process_time()
            rounds.append(run(burst(port, bodies, args.requests)))
            rounds[-1].update(cpu_per_call_ms(server.pid, cpu, client, args.requests))
            memory.append(memory_mb(server.pid))
            r = rounds[-1]
            if not args.json:
                print(f"round {i + 1:>2}: Score median {r['score_median_s']:.2f} s, p95 {r['score_p95_s']:.2f} s, "
                      f"max {r['score_max_s']:.2f} s, {r['throughput_rps']:.1f} calls/s, errors {r['errors']}; /healthz x{r['healthz_calls']} median "
                      f"{r['healthz_median_ms']:.0f} ms, p95 {r['healthz_p95_ms']:.0f} ms, max {r['healthz_max_ms']:.0f} ms; "
                      f"server {memory[-1]:.0f} MB; CPU per call: server {r['cpu_server_ms']:.1f} ms, workers "
                      f"{r['cpu_workers_ms']:.1f} ms, this client {r['cpu_client_ms']:.1f} ms; load {os.getloadavg()[0]:.1f}",
                      flush=True)
    finally:
        stop_server(server)
    summary = {
        "requests_per_round": args.requests, "rounds": args.rounds, "payload_kb": round(statistics.mean(map(len, bodies)) / 1024),
        "cores": os.cpu_count(), "client": args.client,
        "score_p50_s": statistics.median(r["score_median_s"] for r in rounds),
        "score_p95_s": max(r["score_p95_s"] for r in rounds),
        "throughput_rps": statistics.median(r["throughput_rps"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "healthz_p95_ms": max(r["healthz_p95_ms"] for r in rounds),
        "memory_mb": [round(m) for m in memory], "rounds_detail": rounds,
    }
    first, last = max(memory[1:4]), max(memory[-3:])
    growth = (last - first) / first
    met = (summary["errors"] == 0 and summary["score_p95_s"] < GOALS["score_p95_s"]
           and summary["healthz_p95_ms"] < GOALS["healthz_p95_ms"] and growth <= GOALS["memory_growth"])
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.rounds} rounds of {args.requests} concurrent Score calls ({summary['payload_kb']} KB payloads, "
              f"{args.client}), {summary['cores']} cores: median of round medians {summary['score_p50_s']:.2f} s, "
              f"worst p95 {summary['score_p95_s']:.2f} s, {summary['throughput_rps']:.1f} calls/s (median round), "
              f"{summary['errors']} errors, worst /healthz p95 "
              f"{summary['healthz_p95_ms']:.0f} ms; server memory {memory[0]:.0f} MB before, "
              f"{memory[1]:.0f} MB after round 1, {memory[-1]:.0f} MB after round {args.rounds}; high point of the "
              f"first three rounds {first:.0f} MB, of the last three {last:.0f} MB ({growth:+.1%})")
        print(f"goals (0 errors, p95 < {GOALS['score_p95_s']} s, /healthz p95 < {GOALS['healthz_p95_ms']:.0f} ms, "
              f"memory: the last rounds' high point within {GOALS['memory_growth']:.0%} of the first rounds'): "
              f"{'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
