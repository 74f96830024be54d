"""Event-loop affinity of an async client.

An ``AsyncTriggerClient``'s connections belong to the event loop they were opened on; awaited
from another loop (``asyncio.run`` called twice with one client) they hang or fail with a bare
``RuntimeError``. ``AsyncLoopGuard`` remembers the loop the client first ran on and refuses any
other at once with ``EventLoopError``. ``SyncLoopGuard`` is the blocking client's no-op twin.
"""

from __future__ import annotations

import asyncio

from ._exceptions import EventLoopError

__all__ = ["AsyncLoopGuard", "SyncLoopGuard"]


def _current_loop() -> object | None:
    """The running asyncio loop, or trio's token of the running trio run, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        import trio
    except ImportError:  # pragma: no cover - trio is not installed and not running
        return None
    try:
        return trio.lowlevel.current_trio_token()
    except RuntimeError:
        return None


class AsyncLoopGuard:
    """Remembers the first event loop it is checked on; another one raises ``EventLoopError``."""

    __slots__ = ("_loop",)

    def __init__(self) -> None:
        self._loop: object | None = None

    def check(self) -> None:
        current = _current_loop()
        if current is None:
            return
        if self._loop is None:
            self._loop = current
        elif current is not self._loop:
            raise EventLoopError(
                "this AsyncTriggerClient first ran on another event loop, which its connections "
                "belong to (asyncio.run or trio.run called twice with one client?): create one "
                "client per event loop, for example inside the function passed to asyncio.run"
            )


class SyncLoopGuard:
    """The blocking client has no event loop: nothing to check."""

    __slots__ = ()

    def check(self) -> None:
        return None
