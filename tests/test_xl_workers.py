"""The server's worker pool (spi4xl/xl/workers.py) with real worker processes: answers, failures, deaths,
cancelled calls, the body passed beside the pickle."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import time
from typing import Awaitable, Callable

import pytest

from spi4xl.xl.workers import Pool, WorkerDied, WorkerFailed

pytestmark = pytest.mark.server


def echo(kind: str, value: object) -> object:
    """What a job gets and does, as the worker sees it: (its pid, the argument's type name, a value)."""
    if kind == "raise":
        raise ValueError(f"bad {value}")
    if kind == "sleep":
        time.sleep(value)
    if kind == "exit":
        os._exit(3)
    return os.getpid(), type(value).__name__, bytes(value) if isinstance(value, bytearray) else value


def start() -> None:
    pass


def pool(size: int) -> Pool:
    # spawned, not forked from the fork server: that one is started once per process, with the environment of
    # that moment, and the server's tests need it started with their licence key set
    return Pool(size, multiprocessing.get_context("spawn"), echo, start)


def with_pool(size: int, check: Callable[[Pool], Awaitable[None]]) -> None:
    """Run `check` on a pool of `size` workers in an event loop of its own, the pool closed after."""
    async def main() -> None:
        jobs = pool(size)
        try:
            await check(jobs)
        finally:
            jobs.close()

    asyncio.run(main())


def test_calls_are_answered_by_at_most_size_workers_and_a_body_arrives_as_bytes() -> None:
    async def check(jobs: Pool) -> None:
        body = b'{"x": 1}' * 50_000
        answers = await asyncio.gather(*(jobs.run("echo", i) for i in range(12)))
        assert [a[2] for a in answers] == list(range(12))
        assert len({pid for pid, _, _ in answers}) <= 2 == len(jobs.workers)
        _, kind, value = await jobs.run("echo", pickle.PickleBuffer(body))
        assert kind == "bytearray" and value == body  # sent beside the pickle, received into a bytearray

    with_pool(2, check)


def test_a_job_that_raises_is_a_failure_with_its_traceback_and_the_worker_goes_on() -> None:
    async def check(jobs: Pool) -> None:
        pid = (await jobs.run("echo", 1))[0]
        with pytest.raises(WorkerFailed, match="ValueError: bad 7"):
            await jobs.run("raise", 7)
        assert (await jobs.run("echo", 2))[0] == pid

    with_pool(1, check)


def test_a_dead_worker_costs_its_call_only_and_a_fresh_one_serves_the_next() -> None:
    async def check(jobs: Pool) -> None:
        first = (await jobs.run("echo", 1))[0]
        waiting = asyncio.ensure_future(jobs.run("echo", 2))  # queued behind the call that kills its worker
        with pytest.raises(WorkerDied):
            await jobs.run("exit", None)
        pid, _, value = await waiting
        assert value == 2 and pid != first and len(jobs.workers) == 1

    with_pool(1, check)


def test_cancelled_calls_lose_no_worker_and_no_answer_reaches_another_call() -> None:
    async def check(jobs: Pool) -> None:
        running = asyncio.ensure_future(jobs.run("sleep", 0.3))
        queued = asyncio.ensure_future(jobs.run("echo", "queued"))
        await asyncio.sleep(0.1)
        queued.cancel()  # cancelled while it waits for the worker
        running.cancel()  # cancelled mid-call: its worker is retired, its late answer never read
        await asyncio.gather(running, queued, return_exceptions=True)
        assert (await jobs.run("echo", "next"))[2] == "next"
        assert len(jobs.workers) == 1

    with_pool(1, check)


def test_close_ends_the_workers() -> None:
    async def main() -> list[multiprocessing.Process]:
        jobs = pool(2)
        await asyncio.gather(jobs.run("sleep", 0.05), jobs.run("sleep", 0.05))
        processes = [w.process for w in jobs.workers]
        jobs.close()
        return processes

    for process in asyncio.run(main()):
        process.join(5)
        assert not process.is_alive()
