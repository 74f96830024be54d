"""A client's guard: the event loop it belongs to, and whether it is closed.

Every request asks the client's token source for the token first, and the token source asks this
guard (shared by the client, its per-call token overrides and its ``with_options`` copies):

- closed: closing the client aborts every subscription in flight on it (its request or its
  backoff sleep, each tracked here), and any later call raises ``ClientClosedError``;
- the event loop (async only): an ``AsyncTriggerClient``'s connections belong to the loop they
  were opened on; awaited from another loop (``asyncio.run`` called twice with one client) they
  hang or fail with a bare ``RuntimeError``. The guard remembers the loop the client first ran on
  and refuses any other at once with ``EventLoopError``.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Protocol

from ._exceptions import ClientClosedError, EventLoopError

__all__ = ["AsyncClientGuard", "SyncClientGuard"]


class _Abortable(Protocol):
    def abort(self) -> None: ...


class SyncClientGuard:
    """Whether the client is closed, and the subscriptions to abort when it closes."""

    __slots__ = ("__weakref__", "_lock", "_tracked", "closed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tracked: weakref.WeakSet[_Abortable] = weakref.WeakSet()
        self.closed: bool = False

    def check(self) -> None:
        """Raise ``ClientClosedError`` once the client is closed."""
        if self.closed:
            raise ClientClosedError(
                "the client is closed: create a new one (or use it in a `with` block)"
            )

    def track(self, scope: _Abortable) -> None:
        """Abort ``scope`` when the client closes; ``check`` first (a closed client, or another
        event loop, raises here, before anything starts)."""
        self.check()
        with self._lock:
            if not self.closed:
                self._tracked.add(scope)
                return
        scope.abort()  # closed in the meantime

    def close(self) -> None:
        """Mark the client closed and abort everything tracked."""
        with self._lock:
            self.closed = True
            scopes = list(self._tracked)
            self._tracked = weakref.WeakSet()
        for scope in scopes:
            scope.abort()


def _current_loop() -> object | None:
    """The running asyncio loop, or trio's token of the running trio run, or None.

    Neither is imported here (the blocking client never loads asyncio): an event loop of a
    library that was never imported is not running.
    """
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            return asyncio.get_running_loop()  # type: ignore[no-any-return]
        except RuntimeError:
            pass
    trio = sys.modules.get("trio")
    if trio is None:
        return None
    try:
        return trio.lowlevel.current_trio_token()  # type: ignore[no-any-return]
    except RuntimeError:
        return None


class AsyncClientGuard(SyncClientGuard):
    """Also remembers the first event loop it is checked on; another one raises
    ``EventLoopError``."""

    __slots__ = ("_loop",)

    def __init__(self) -> None:
        super().__init__()
        self._loop: object | None = None

    def check(self) -> None:
        current = _current_loop()
        if current is not None:
            if self._loop is None:
                self._loop = current
            elif current is not self._loop:
                raise EventLoopError(
                    "this AsyncTriggerClient first ran on another event loop, which its "
                    "connections belong to (asyncio.run or trio.run called twice with one "
                    "client?): create one client per event loop, for example inside the "
                    "function passed to asyncio.run"
                )
        super().check()
