"""Benchmark how `spi4xl serve --workers N` scales: Score calls from a fixed number of clients, N workers against one.

    python3 benchmarks/bench_server_scale.py [--workers 2] [--clients 8] [--calls 160] [--rounds 5] [--before PATH]
                                             [--keep-alive]

Starts two servers on free ports of 127.0.0.1 (as bench_server_load.py does: real ~220 KB Score
payloads of full questionnaires), one with --workers 1 and one with --workers N, warms both, then in
each round sends --calls Score calls from --clients clients in a closed loop (each client sends its
next call when its answer is in) to the one-worker server, then to the N-worker server, so both see
the same machine load. Printed per round and as medians: calls per second, the ratio N workers / 1
worker (goal, issue 14: at least 1.7 for 2 workers on 2 cores at 8 clients), and the CPU per call of
the server's process, its workers and this client, with the load average. The clients run on the same
cores as the servers: their CPU is part of what the machine spends per call (the client is
bench_server_load.py's: one connection per call, on uvloop when it is installed; --keep-alive: one connection
per client for all its calls, as the add-in's browser keeps one).

--before PATH also starts the same two servers from the spi4xl found on PYTHONPATH=PATH (a worktree of an
earlier commit; add a folder holding a uvloop.py that raises ImportError to run it without uvloop), measured in
each round just before this checkout's, with the same client: the ratios and CPU per call of both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

from bench_server_load import KeptConnection, call, cpu_per_call_ms, cpu_seconds, payloads, request, run, start_server, stop_server

GOAL = 1.7
SCORE = "/xlwings/custom-scripts-call/score"


async def closed_loop(port: int, bodies: list[bytes], clients: int, calls: int, keep_alive: bool = False) -> tuple[float, int]:
    """(calls per second, errors) of `calls` Score calls from `clients` clients, each waiting for its answer; each
    call on its own connection, or with `keep_alive` each client's calls on one connection."""
    messages = [request(port, "POST", SCORE, body, keep_alive) for body in bodies]
    left = iter(range(calls))
    errors = 0

    async def client() -> None:
        nonlocal errors
        connection = await KeptConnection.open(port) if keep_alive else None
        for i in left:
            message = messages[i % len(messages)]
            status = await connection.call(message) if connection else (await call(port, message))[0]
            errors += status != 200
        if connection:
            connection.transport.close()

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
    parser.add_argument("--before", metavar="PATH", help="also measure servers run with PYTHONPATH=PATH")
    parser.add_argument("--keep-alive", action="store_true", help="each client's calls on one connection")
    args = parser.parse_args()

    bodies = payloads(args.audits, "Office.js")
    trees = {"before": args.before, "this": None} if args.before else {"this": None}
    servers = {(tree, n): start_server(n, path) for tree, path in trees.items() for n in (1, args.workers)}
    results: dict[tuple[str, int], list[float]] = {key: [] for key in servers}
    cpu: dict[tuple[str, int], list[dict[str, float]]] = {key: [] for key in servers}
    try:
        for server, port in servers.values():
            run(closed_loop(port, bodies, args.clients, 2 * args.clients, args.keep_alive))  # warm: workers, catalog, caches
        for i in range(args.rounds):
            line = []
            for (tree, n), (server, port) in servers.items():
                before, client = cpu_seconds(server.pid), time.process_time()
                rate, errors = run(closed_loop(port, bodies, args.clients, args.calls, args.keep_alive))
                cpu[tree, n].append(cpu_per_call_ms(server.pid, before, client, args.calls))
                results[tree, n].append(rate)
                line.append(f"{tree} {n} worker(s) {rate:.1f} calls/s" + (f" ({errors} errors)" if errors else ""))
            ratios = ", ".join(f"{tree} {results[tree, args.workers][-1] / results[tree, 1][-1]:.2f}" for tree in trees)
            print(f"round {i + 1}: " + ", ".join(line) + f"; ratio {ratios}; load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for server, _ in servers.values():
            stop_server(server)
    met = True
    for tree in trees:
        for n in (1, args.workers):
            c = {k: statistics.median(r[k] for r in cpu[tree, n]) for k in cpu[tree, n][0]}
            print(f"{tree}, {n} worker(s): median {statistics.median(results[tree, n]):.1f} calls/s at {args.clients} "
                  f"clients; CPU per call: server {c['cpu_server_ms']:.2f} ms, workers {c['cpu_workers_ms']:.1f} ms, "
                  f"clients {c['cpu_client_ms']:.2f} ms")
        ratios = [b / a for a, b in zip(results[tree, 1], results[tree, args.workers])]
        ratio = statistics.median(ratios)
        met = ratio >= GOAL if tree == "this" else met
        print(f"{tree}: {args.workers} workers / 1 worker: median ratio {ratio:.2f} (rounds {min(ratios):.2f}-"
              f"{max(ratios):.2f}), {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; goal >= {GOAL}: "
              f"{'met' if ratio >= GOAL else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
