"""The server's worker processes, each behind its own socket pair, driven from the event loop.

Why not ProcessPoolExecutor: it moves every call through a manager thread and a queue-feeder thread, each woken
per call and each taking the GIL from the event loop, and writes the pickled body through a 64 KB pipe in pieces;
on 2 cores that was ~1 ms of the server process's CPU per call. Here a call is one frame written into an idle
worker's socket and one read of its answer, on the event loop itself, with no thread. A worker runs one call at
a time; a dead worker (killed, out of memory) costs the call it had, and only that call: the next call that
needs it starts a fresh one.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import traceback
from collections import deque
from collections.abc import Callable
from multiprocessing.context import BaseContext
from typing import Any

_HEAD = struct.Struct("!QQ")  # the pickle's length, the count of buffers sent beside it
_SIZE = struct.Struct("!Q")  # each buffer's length
_BUFFER = 1 << 20  # socket buffers that take a whole payload (~220 KB) in one write: fewer wake-ups on both sides


class WorkerDied(Exception):
    """The worker ended (killed, out of memory) before it answered."""


class WorkerFailed(Exception):
    """The job raised in the worker: its traceback, for the server's log (a bug, answered with 500)."""


def _parts(value: Any) -> list[Any]:
    """A value as the pieces to send: a head, its pickle, then the raw bytes of each pickle.PickleBuffer in it
    (a request's body goes so, never copied into the pickle)."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    head = _HEAD.pack(len(data), len(raws)) + b"".join(_SIZE.pack(r.nbytes) for r in raws)
    return [head + data, *raws]


def _recv_exactly(sock: socket.socket, size: int) -> bytearray | None:
    """`size` bytes from a blocking socket; None when the other end closed."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        n = sock.recv_into(view[got:])
        if not n:
            return None
        got += n
    return buffer


def _receive(sock: socket.socket) -> Any:
    """The next value sent by _parts, or None when the other end closed."""
    head = _recv_exactly(sock, _HEAD.size)
    if head is None:
        return None
    length, count = _HEAD.unpack(head)
    sizes = _recv_exactly(sock, _SIZE.size * count)
    data = _recv_exactly(sock, length)
    buffers = [_recv_exactly(sock, size) for (size,) in _SIZE.iter_unpack(sizes or b"")]
    if data is None or None in buffers:
        return None
    return pickle.loads(data, buffers=buffers)


def _serve(sock: socket.socket, target: Callable[..., Any], initializer: Callable[[], None]) -> None:
    """A worker's life: calls from `sock`, one at a time, until the server closes it."""
    initializer()
    while (call := _receive(sock)) is not None:
        try:
            # an argument sent as a PickleBuffer arrives as a read-only view of the bytearray it was received into
            answer = ("ok", target(*(a.obj if isinstance(a, memoryview) else a for a in call)))
        except Exception:  # a bug: the server logs it and answers 500, the worker goes on
            answer = ("failed", traceback.format_exc())
        for part in _parts(answer):
            sock.sendall(part)


class Worker:
    """One worker process and the server's end of its socket pair."""

    def __init__(self, context: BaseContext, target: Callable[..., Any], initializer: Callable[[], None]) -> None:
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        self.process = context.Process(target=_serve, args=(theirs, target, initializer), daemon=True)
        try:
            self.process.start()
        finally:
            theirs.close()  # the worker's end lives only in the worker: its death is an end of file here
        ours.setblocking(False)
        self.sock = ours

    async def call(self, args: tuple[Any, ...]) -> Any:
        loop = asyncio.get_running_loop()
        try:
            for part in _parts(args):
                await loop.sock_sendall(self.sock, part)
            length, count = _HEAD.unpack(await self._recv(loop, _HEAD.size))
            sizes = _SIZE.iter_unpack(await self._recv(loop, _SIZE.size * count))
            data = await self._recv(loop, length)
            kind, value = pickle.loads(data, buffers=[await self._recv(loop, size) for (size,) in sizes])
        except OSError as exc:  # broken pipe, reset: the worker ended
            raise WorkerDied(str(exc)) from None
        if kind == "failed":
            raise WorkerFailed(value)
        return value

    async def _recv(self, loop: asyncio.AbstractEventLoop, size: int) -> bytearray:
        """`size` bytes, read at once when they are there: only waiting goes through the loop, which watches the
        socket for that wait alone (uvloop adds and removes the watch on every sock_recv_into)."""
        buffer = bytearray(size)
        view, got = memoryview(buffer), 0
        while got < size:
            try:
                n = self.sock.recv_into(view[got:])
            except BlockingIOError:
                n = await loop.sock_recv_into(self.sock, view[got:])
            if not n:
                raise WorkerDied("end of file")
            got += n
        return buffer

    def stop(self) -> None:
        """Close our end (an idle worker then ends by itself) and end the process now."""
        self.sock.close()
        if self.process.is_alive():
            self.process.kill()


class Pool:
    """Up to `size` workers, started when calls need them; calls wait for an idle worker in their order.

    A slot is either a worker or the right to start one (None); a call holds one slot from its start to its answer."""

    def __init__(self, size: int, context: BaseContext, target: Callable[..., Any],
                 initializer: Callable[[], None]) -> None:
        self.size, self._context, self._target, self._initializer = size, context, target, initializer
        self._idle: deque[Worker] = deque()
        self._unstarted = size
        self._waiting: deque[asyncio.Future[Worker | None]] = deque()
        self.workers: list[Worker] = []

    async def run(self, *args: Any) -> Any:
        """target(*args) in a worker; WorkerDied if the worker died meanwhile (a fresh one serves the next calls)."""
        worker = await self._acquire()
        try:
            answer = await worker.call(args)
        except WorkerFailed:
            self._hand_over(worker)
            raise
        except BaseException:  # died, or this call was cancelled and its answer would reach the next call
            worker.stop()
            self.workers.remove(worker)
            self._hand_over(None)
            raise
        if self._hand_over(worker):  # a call was waiting: let it reach the worker before this answer goes out
            await asyncio.sleep(0)
        return answer

    async def _acquire(self) -> Worker:
        if self._idle:
            return self._idle.popleft()
        if self._unstarted:
            self._unstarted -= 1
            slot = None
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                slot = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a slot as this call was cancelled: pass it on
                    self._hand_over(waiter.result())
                elif waiter in self._waiting:
                    self._waiting.remove(waiter)
                raise
            if slot is not None:
                return slot
        try:  # off the event loop: the first start waits for the fork server to import the jobs' code
            worker = await asyncio.get_running_loop().run_in_executor(
                None, Worker, self._context, self._target, self._initializer)
        except BaseException:
            self._hand_over(None)
            raise
        self.workers.append(worker)
        return worker

    def _hand_over(self, slot: Worker | None) -> bool:
        """Give a slot to the first call still waiting (True), else keep it."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(slot)
                return True
        if slot is None:
            self._unstarted += 1
        else:
            self._idle.append(slot)
        return False

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()
        self._idle.clear()
