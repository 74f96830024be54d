"""``AsyncRunSubscription``: iterate over runs as they change, from any feed.

It yields the current state first, then each change once; it never yields a run older than one it
already yielded for the same id (after a must-refetch or a reconnect the server may resend old
rows); it ends right after yielding a finished run when ``stop_on_completion`` is set; ``timeout``
bounds the whole subscription. ``.last`` is the last run yielded.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING

from .._backends import AsyncBackend, RequestAborted
from .._exceptions import ClientClosedError, SubscriptionTimeout, TriggerError
from .._generated.models import Run
from .._protocol.numbers import check_seconds
from .._protocol.runs import is_finished
from .._protocol.wording import subscription_timeout_message
from ._feeds import AsyncRunFeed

# The streams (httpx and httpx-sse) load with with_streams(): a subscription does not need them.
if TYPE_CHECKING:
    from ._streams import AsyncRunWithStreams
    from ._transport import AsyncTransport

__all__ = ["AsyncRunSubscription"]

logger = logging.getLogger("trigger_client")


class AsyncRunSubscription:
    """An iterator of ``Run`` updates; also a context manager. Close it to stop early.

    Iterating after the subscription ended (the run finished, ``close`` was called, or an error was
    raised) stops at once.
    """

    def __init__(
        self,
        feed: AsyncRunFeed,
        *,
        stop_on_completion: bool = True,
        timeout: float | None = None,
        describe: str = "subscription",
        streams_transport: AsyncTransport | None = None,
    ) -> None:
        if timeout is not None:
            timeout = check_seconds(timeout, "timeout")
        self._feed = feed
        self._stop_on_completion = stop_on_completion
        self._timeout = timeout
        self._deadline: float | None = None
        self._describe = describe
        self._streams_transport = streams_transport
        # Accepted runs not yielded yet, last first (pop() from the end: no deque per subscription).
        self._pending: list[Run] = []
        self._latest: dict[str, Run] = {}
        self._closed = False
        self.last: Run | None = None
        """The last run yielded, or None before the first."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._describe} {state}>"

    @property
    def closed(self) -> bool:
        """Whether the subscription has ended (finished run, ``close``, timeout or error)."""
        return self._closed

    def __aiter__(self) -> AsyncRunSubscription:
        return self

    async def __anext__(self) -> Run:
        if self._closed:
            raise StopAsyncIteration
        if self._deadline is None and self._timeout is not None:
            self._deadline = AsyncBackend.monotonic() + self._timeout
        try:
            while not self._pending:
                batch = [r for r in await self._feed.next_batch(self._deadline) if self._accept(r)]
                batch.reverse()
                self._pending = batch
        except RequestAborted:  # closed while a request or a backoff sleep was in flight
            closed_by_us = self._closed  # else the client was closed under it
            await self.aclose()
            if closed_by_us:
                raise StopAsyncIteration from None
            raise ClientClosedError(
                f"{self._describe} ended: its client was closed", last_run=self.last
            ) from None
        except SubscriptionTimeout as exc:
            await self.aclose()
            cause = exc.__cause__
            message = subscription_timeout_message(
                self._describe, self._timeout or 0.0, self.last, cause
            )
            raise SubscriptionTimeout(message, last_run=self.last) from cause
        except BaseException:
            await self.aclose()
            raise
        run = self._pending.pop()
        self.last = run
        if self._stop_on_completion and is_finished(run):
            logger.debug("%s: %s finished (%s); closing", self._describe, run.id, run.status)
            await self.aclose()
        return run

    def with_streams(self, *, stream_timeout: float | None = None) -> AsyncRunWithStreams:
        """The run updates and, interleaved in arrival order, the chunks of every stream the run
        announces: ``RunUpdate(run)`` and ``StreamChunk(stream, chunk, run)`` parts.

        Each stream is opened once, when a run update first lists it (``metadata["$$streams"]``,
        else ``realtimeStreams``), and read from ``TRIGGER_STREAM_URL`` or the API URL. A stream
        has ended when the server ends its response cleanly, which the server does after
        ``stream_timeout`` seconds without a chunk (``Timeout-Seconds``, 1-600; default 15 s on
        Trigger.dev); a dropped connection resumes after the last chunk. The parts end after the
        run finished and every opened stream has ended, or at the subscription's ``timeout``
        (``SubscriptionTimeout``). Use it instead of iterating the subscription itself.
        """
        if self._streams_transport is None:
            raise TriggerError("with_streams() is available on runs.subscribe_to_run subscriptions")
        from ._streams import AsyncRunWithStreams

        return AsyncRunWithStreams(
            self, self._streams_transport, timeout=self._timeout, stream_timeout=stream_timeout
        )

    def _accept(self, run: Run) -> bool:
        """Whether ``run`` is news: not a repeat, and not older than what was already yielded."""
        previous = self._latest.get(run.id)
        if previous is not None:
            if run == previous or run.updated_at < previous.updated_at:
                return False
        self._latest[run.id] = run
        return True

    async def aclose(self) -> None:
        """Stop the subscription and release its resources. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        await self._feed.aclose()

    async def __aenter__(self) -> AsyncRunSubscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
