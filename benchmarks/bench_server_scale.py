"""Benchmark how `spi4xl serve --workers N` scales: Score calls from a fixed number of clients, N workers against one.

    python3 benchmarks/bench_server_scale.py [--workers 2] [--clients 8] [--calls 160] [--rounds 5]

Starts two servers on free ports of 127.0.0.1 (as bench_server_load.py does: real 240 KB Score
payloads of full questionnaires), one with --workers 1 and one with --workers N, warms both, then in
each round sends --calls Score calls from --clients clients in a closed loop (each client sends its
next call when its answer is in) to the one-worker server, then to the N-worker server, so both see
the same machine load. Printed per round and as medians: calls per second, the ratio N workers / 1
worker (goal, issue 14: at least 1.7 for 2 workers on 2 cores at 8 clients), and the CPU per call of
the server's process, its workers and this client, with the load average. The clients run on the same
cores as the servers: their CPU is part of what the machine spends per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

from bench_server_load import call, cpu_per_call_ms, cpu_seconds, payloads, start_server, stop_server

GOAL = 1.7
SCORE = "/xlwings/custom-scripts-call/score"


async def closed_loop(port: int, bodies: list[bytes], clients: int, calls: int) -> tuple[float, int]:
    """(calls per second, errors) of `calls` Score calls from `clients` clients, each waiting for its answer."""
    left = iter(range(calls))
    errors = 0

    async def client() -> None:
        nonlocal errors
        for i in left:
            status, _ = await call(port, "POST", SCORE, bodies[i % len(bodies)])
            errors += status != 200

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return calls / (time.perf_counter() - start), errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="workers of the server compared with one worker")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--calls", type=int, default=160, help="Score calls per server per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--audits", type=int, default=4, help="different payloads, sent in turn")
    args = parser.parse_args()

    bodies = payloads(args.audits, "Office.js")
    servers = {n: start_server(n) for n in (1, args.workers)}
    results: dict[int, list[float]] = {n: [] for n in servers}
    cpu: dict[int, list[dict[str, float]]] = {n: [] for n in servers}
    try:
        for server, port in servers.values():
            asyncio.run(closed_loop(port, bodies, args.clients, 2 * args.clients))  # warm: workers, catalog, caches
        for i in range(args.rounds):
            line = []
            for n, (server, port) in servers.items():
                before, client = cpu_seconds(server.pid), time.process_time()
                rate, errors = asyncio.run(closed_loop(port, bodies, args.clients, args.calls))
                cpu[n].append(cpu_per_call_ms(server.pid, before, client, args.calls))
                results[n].append(rate)
                line.append(f"{n} worker(s) {rate:.1f} calls/s" + (f" ({errors} errors)" if errors else ""))
            print(f"round {i + 1}: " + ", ".join(line) + f"; ratio {results[args.workers][-1] / results[1][-1]:.2f}; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for server, _ in servers.values():
            stop_server(server)
    ratios = [b / a for a, b in zip(results[1], results[args.workers])]
    for n in servers:
        c = {k: statistics.median(r[k] for r in cpu[n]) for k in cpu[n][0]}
        print(f"{n} worker(s): median {statistics.median(results[n]):.1f} calls/s at {args.clients} clients; CPU per call: "
              f"server {c['cpu_server_ms']:.1f} ms, workers {c['cpu_workers_ms']:.1f} ms, clients {c['cpu_client_ms']:.1f} ms")
    ratio = statistics.median(ratios)
    print(f"{args.workers} workers / 1 worker: median ratio {ratio:.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f}), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT met'}")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
