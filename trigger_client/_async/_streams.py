"""``AsyncStreamSubscription``: the chunks of one realtime stream of a run, resumed across drops.

Server-Sent Events are parsed by httpx-sse over the client's own httpx client (so event hooks,
mocks and proxies see the requests). A connection that fails or breaks mid-body is reopened with
``Last-Event-ID`` after a jittered backoff, so no chunk is lost or repeated; a clean end of the
response is the end of the stream (the server ends it after ``Timeout-Seconds`` without a chunk).
401/403 refresh a callable access token once, then raise; other 4xx raise their typed error.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import AsyncIterator
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from .._backends import AsyncAbortScope, AsyncBackend, RequestAborted
from .._config import base_headers
from .._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientClosedError,
    RealtimeProtocolError,
    SubscriptionTimeout,
)
from .._fan_in import AsyncFanIn, Emit, ProducerFailed
from .._generated.models import Run
from .._protocol.responses import retry_after_seconds
from .._protocol.retry import (
    classify_exception,
    classify_status,
    connection_error_message,
    untrusted_certificate,
)
from .._protocol.streams import (
    RunUpdate,
    StreamChunk,
    StreamCursor,
    StreamDecoder,
    announced_streams,
    stream_path,
    timeout_seconds,
)
from ._transport import AsyncTransport

if TYPE_CHECKING:
    from ._subscription import AsyncRunSubscription

__all__ = [
    "MAX_STREAM_ATTEMPTS",
    "AsyncRunWithStreams",
    "AsyncStreamSubscription",
    "stream_base_url",
]

logger = logging.getLogger("trigger_client")

#: Consecutive failed attempts (no event in between) after which the last error is raised.
MAX_STREAM_ATTEMPTS = 10
#: Read timeout of a stream response: the server sends a ``: ping`` every 10 s of silence.
STREAM_READ_TIMEOUT = 45.0


def stream_base_url(transport: AsyncTransport) -> str:
    """``TRIGGER_STREAM_URL`` when set (as the official client reads it), else the API URL."""
    return (os.environ.get("TRIGGER_STREAM_URL") or transport.base_url).rstrip("/")


class AsyncStreamSubscription:
    """An iterator of one stream's chunks (decoded: JSON values, else text); a context manager.

    It ends when the server ends the stream cleanly; ``close()`` ends it at once.
    ``last_event_id`` is the id of the last chunk yielded: pass it as ``start_after`` to resume.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        run_id: str,
        stream_key: str,
        *,
        timeout: float | None = None,
        start_after: str | None = None,
    ) -> None:
        self._transport = transport
        self._run_id = run_id
        self.stream_key = stream_key
        self._url = stream_base_url(transport) + stream_path(run_id, stream_key)
        self._cursor = StreamCursor(start_after or None, timeout_seconds(timeout))
        self._abort = AsyncAbortScope()
        transport.token.guard.track(self._abort)  # closing the client aborts it
        self._response: httpx.Response | None = None
        self._events: AsyncIterator[ServerSentEvent] | None = None
        self._closed = False
        self._refreshed = False
        # consecutive failed attempts (no event in between): MAX_STREAM_ATTEMPTS, then raise
        self._retries = transport.backoff(max_retries=MAX_STREAM_ATTEMPTS - 1)
        self._decoder = StreamDecoder(None)
        self._pending: deque[tuple[str | None, Any, bool]] = deque()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._run_id}/{self.stream_key} {state}>"

    @property
    def last_event_id(self) -> str | None:
        """The id of the last chunk received (None before the first)."""
        return self._cursor.last_event_id

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> AsyncStreamSubscription:
        return self

    async def __anext__(self) -> Any:
        while True:
            if self._pending:
                position, chunk, skip = self._pending.popleft()
                self._cursor.advance(position)
                if skip:
                    continue
                return chunk
            await self._read(None)

    async def _relay(self, emit: Emit) -> None:
        """Hand every chunk to ``emit`` until the stream ends (what ``with_streams()`` reads).

        Unlike iterating, the events of one connection are read in one abort scope, not one
        scope per event: the loop never hands control back between events.
        """
        try:
            while True:
                await self._read(emit)
        except StopAsyncIteration:
            return

    async def _read(self, emit: Emit | None) -> None:
        """Read from the open response (connecting first) in the abort scope: one event into
        the pending chunks, or with ``emit`` every event until the response ends. After a drop
        it returns once the backoff is over, to be called again."""
        if self._closed:
            raise StopAsyncIteration
        try:
            if self._events is None:
                await self._connect()
            events = self._events
            assert events is not None
            await self._abort.run(partial(self._consume, events, emit))
        except StopAsyncIteration:
            logger.debug("stream %s: ended by the server", self.stream_key)
            await self.aclose()
            raise
        except RequestAborted:
            await self._aborted()
        except SSEError as exc:  # a 2xx that is not text/event-stream: a proxy in the way
            response = self._response
            await self.aclose()
            raise RealtimeProtocolError(
                f"the stream endpoint did not answer with Server-Sent Events ({exc})",
                response=response,
            ) from exc
        except httpx.TransportError as exc:
            await self._drop()
            await self._backoff(exc, None)
        except BaseException:
            await self.aclose()
            raise

    async def _consume(self, events: AsyncIterator[ServerSentEvent], emit: Emit | None) -> None:
        """Decode events: the next one into the pending chunks, or with ``emit`` each chunk of
        every event (the id to resume after advancing with it) until the response ends."""
        decoder = self._decoder
        if emit is None:
            event = await events.__anext__()
            self._retries.reset()
            self._refreshed = False
            self._pending.extend(decoder.feed(event.event, event.data, event.id))
            return
        cursor = self._cursor
        received = False
        async for event in events:
            if not received:
                received = True
                self._retries.reset()
                self._refreshed = False
            for position, chunk, skip in decoder.feed(event.event, event.data, event.id):
                cursor.advance(position)
                if not skip:
                    emit(chunk)
        raise StopAsyncIteration

    async def _connect(self) -> None:
        """Open the SSE response (after the last event id), or raise what ends the stream."""
        while True:
            token = await self._transport.token.get()
            headers = {
                **base_headers(self._transport.branch),
                **self._cursor.headers(),
                "authorization": f"Bearer {token}",
            }
            timeout = httpx.Timeout(
                STREAM_READ_TIMEOUT, connect=self._transport.timeout.connect or 10.0
            )
            client = self._transport.http_client
            request = client.build_request("GET", self._url, headers=headers, timeout=timeout)
            response = await self._abort.run(partial(client.send, request, stream=True))
            status = response.status_code
            if 200 <= status < 300:
                self._response = response
                self._decoder = StreamDecoder(response.headers.get("x-stream-version"))
                self._events = EventSource(response).aiter_sse().__aiter__()
                logger.debug("stream %s: connected (after %s)", self.stream_key, self.last_event_id)
                return
            await self._abort.run(response.aread)
            await response.aclose()
            kind = classify_status(status, headers=response.headers)
            if kind == "auth" and self._transport.token.refreshable and not self._refreshed:
                self._refreshed = True
                await self._transport.token.refresh()
                continue
            error = self._transport.status_error(response, realtime=True)
            if kind != "transient":
                raise error
            await self._backoff(
                error, retry_after_seconds(response.headers, now=AsyncBackend.wall())
            )

    async def _backoff(self, error: BaseException, retry_after: float | None) -> None:
        """Wait before the next attempt, or raise once the attempts are used up."""
        if untrusted_certificate(error) is not None or (
            isinstance(error, httpx.TransportError) and classify_exception(error) == "fatal"
        ):
            await self.aclose()
            raise APIConnectionError(connection_error_message(error)) from error
        if not self._retries.can_retry():
            await self.aclose()
            if isinstance(error, APIError):
                raise error
            if isinstance(error, httpx.TimeoutException):
                raise APITimeoutError() from error
            raise APIConnectionError(connection_error_message(error)) from error
        delay = self._retries.next_delay(retry_after)
        logger.debug(
            "stream %s: %s; reconnecting after %s in %.2fs",
            self.stream_key,
            type(error).__name__,
            self.last_event_id,
            delay,
        )
        try:
            await self._abort.sleep(delay)
        except RequestAborted:
            await self._aborted()

    async def _aborted(self) -> NoReturn:
        """End after an abort: cleanly when this stream was closed, else (its client was closed)
        with ``ClientClosedError``."""
        closed_by_us = self._closed
        await self.aclose()
        if closed_by_us:
            raise StopAsyncIteration from None
        raise ClientClosedError(
            f"stream {self.stream_key} of {self._run_id} ended: its client was closed"
        ) from None

    async def _drop(self) -> None:
        response, self._response, self._events = self._response, None, None
        if response is not None:
            await AsyncBackend.close_quietly(response)

    async def aclose(self) -> None:
        """Stop reading and release the connection. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._abort.abort()
        await self._drop()

    async def __aenter__(self) -> AsyncStreamSubscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _RunsEnded:
    pass


class _StreamEnded:
    def __init__(self, key: str) -> None:
        self.key = key


class AsyncRunWithStreams:
    """The parts of ``subscription.with_streams()``: ``RunUpdate`` and ``StreamChunk``, in the
    order they arrive; also a context manager. See ``AsyncRunSubscription.with_streams``."""

    def __init__(
        self,
        subscription: AsyncRunSubscription,
        transport: AsyncTransport,
        *,
        timeout: float | None,
        stream_timeout: float | None,
    ) -> None:
        timeout_seconds(stream_timeout)  # a bad value fails here, not in a background reader
        self._subscription = subscription
        self._transport = transport
        self._timeout = timeout
        self._stream_timeout = stream_timeout
        self._fan = AsyncFanIn()
        self._streams: dict[str, AsyncStreamSubscription] = {}
        self._open_streams = 0
        self._runs_done = False
        self._started = False
        self._closed = False
        self._deadline: float | None = None
        self.last_run: Run | None = None
        """The last run update yielded, or None before the first."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {state}, streams {sorted(self._streams)}>"

    @property
    def streams(self) -> list[str]:
        """The keys of the streams opened so far, in the order the run announced them."""
        return list(self._streams)

    def __aiter__(self) -> AsyncRunWithStreams:
        return self

    async def __anext__(self) -> RunUpdate | StreamChunk:
        if self._closed:
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            if self._timeout is not None:
                self._deadline = AsyncBackend.monotonic() + self._timeout
            await self._fan.open()
            self._fan.spawn(self._pump_runs)
        try:
            while True:
                if self._runs_done and self._open_streams == 0:
                    await self.aclose()
                    raise StopAsyncIteration
                left = None
                if self._deadline is not None:
                    left = self._deadline - AsyncBackend.monotonic()
                try:
                    item = await self._fan.get(left)
                except TimeoutError:
                    await self.aclose()
                    raise SubscriptionTimeout(
                        f"with_streams() reached its timeout of {self._timeout}s",
                        last_run=self.last_run,
                    ) from None
                if isinstance(item, Run):
                    self.last_run = item
                    for key in announced_streams(item):
                        if key not in self._streams:
                            self._open(key, item)
                    return RunUpdate(item)
                if isinstance(item, StreamChunk):
                    return item
                if isinstance(item, _StreamEnded):
                    self._open_streams -= 1
                elif isinstance(item, _RunsEnded):
                    self._runs_done = True
                elif isinstance(item, ProducerFailed):
                    raise item.error
        except BaseException:
            await self.aclose()
            raise

    def _open(self, key: str, run: Run) -> None:
        stream = AsyncStreamSubscription(self._transport, run.id, key, timeout=self._stream_timeout)
        self._streams[key] = stream
        self._open_streams += 1

        async def pump(emit: Emit) -> None:
            try:
                await stream._relay(lambda chunk: emit(StreamChunk(key, chunk, run)))
            except Exception as exc:
                emit(ProducerFailed(exc))
                return
            finally:
                await AsyncBackend.close_quietly(stream)
            emit(_StreamEnded(key))

        self._fan.spawn(pump)

    async def _pump_runs(self, emit: Emit) -> None:
        try:
            async for run in self._subscription:
                emit(run)
        except Exception as exc:
            emit(ProducerFailed(exc))
            return
        emit(_RunsEnded())

    async def aclose(self) -> None:
        """Stop the run updates and every stream. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        await self._subscription.aclose()
        for stream in self._streams.values():
            await stream.aclose()
        await self._fan.aclose()

    async def __aenter__(self) -> AsyncRunWithStreams:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
