"""Fan-in, async and sync: several producers running at once, their items read in arrival order.

``with_streams()`` reads a run's updates and each of its streams at the same time. Async code
uses ``AsyncFanIn`` (anyio tasks in one task group: asyncio or trio); unasync's
``Async* -> Sync*`` rule turns it into ``SyncFanIn`` (daemon threads and a queue) in the generated
sync code. A producer is called with ``emit``; what it raises is handed to the reader in order.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

__all__ = ["AsyncFanIn", "Emit", "ProducerFailed", "SyncFanIn"]


class ProducerFailed:
    """The item a failed producer leaves: its exception."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


Emit = Callable[[Any], None]

#: ``AsyncFanIn.get`` yields to the event loop at least once per this many items.
CHECKPOINT_EVERY = 64


class AsyncFanIn:
    """Producers run as tasks of one task group, entered by ``open`` and left by ``aclose`` (in
    the task that iterates)."""

    def __init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Any](math.inf)
        self._group: TaskGroup | None = None
        self._taken = 0

    async def open(self) -> None:
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group

    def spawn(self, producer: Callable[[Emit], Awaitable[None]]) -> None:
        assert self._group is not None, "open() first"
        self._group.start_soon(self._run, producer)

    async def _run(self, producer: Callable[[Emit], Awaitable[None]]) -> None:
        try:
            await producer(self._send.send_nowait)
        except Exception as exc:
            self._send.send_nowait(ProducerFailed(exc))

    async def get(self, timeout: float | None) -> Any:
        """The next item; ``TimeoutError`` after ``timeout`` seconds (None: no limit).

        An item already queued is taken at once (``receive`` yields to the event loop for each
        item); every ``CHECKPOINT_EVERY`` items taken so, the reader yields once, so that it stays
        cancellable.
        """
        if timeout is not None and timeout <= 0:
            raise TimeoutError
        self._taken += 1
        if self._taken < CHECKPOINT_EVERY:
            try:
                return self._receive.receive_nowait()
            except anyio.WouldBlock:
                pass
        self._taken = 0
        if timeout is None:
            return await self._receive.receive()
        with anyio.fail_after(max(0.0, timeout)):
            return await self._receive.receive()

    async def aclose(self) -> None:
        """Cancel the producers and wait for them."""
        group, self._group = self._group, None
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
        self._send.close()
        self._receive.close()


class SyncFanIn:
    """Producers run in daemon threads; ``close`` waits briefly for them (their sources must be
    closed first, which interrupts their reads)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # C put/get, no Python lock
        self._threads: list[threading.Thread] = []

    def open(self) -> None:
        pass

    def spawn(self, producer: Callable[[Emit], None]) -> None:
        thread = threading.Thread(
            target=self._run, args=(producer,), name="trigger-client-stream", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _run(self, producer: Callable[[Emit], None]) -> None:
        try:
            producer(self._queue.put)
        except Exception as exc:
            self._queue.put(ProducerFailed(exc))

    def get(self, timeout: float | None) -> Any:
        """The next item; ``TimeoutError`` after ``timeout`` seconds (None: no limit)."""
        try:
            return self._queue.get(timeout=None if timeout is None else max(0.0, timeout))
        except queue.Empty:
            raise TimeoutError from None

    def close(self) -> None:
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5.0)
        self._threads.clear()
