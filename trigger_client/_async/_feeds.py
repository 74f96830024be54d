"""Feeds: where runs come from. Each answers "the next batch of runs", blocking until there is one.

``AsyncRealtimeFeed`` follows one Electric shape (a run, a tag set or a batch) with the long-poll
protocol of ``_protocol.shape_log``; ``AsyncPollFeed`` polls the REST retrieve endpoint. Both retry
transient failures with backoff until the caller's deadline, refresh a callable token once after a
401/403, and raise typed errors for everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Protocol

import attrs

from .._backends import AsyncAbortScope, AsyncBackend
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    SubscriptionTimeout,
)
from .._generated.models import Run
from .._protocol.packets import decode_downloaded_packet
from .._protocol.paths import path_segment
from .._protocol.reachability import Reachability, public_url
from .._protocol.responses import decode_json, retry_after_seconds
from .._protocol.retry import Backoff, classify_status, untrusted_certificate
from .._protocol.runs import run_from_retrieve
from .._protocol.server_rules import NotFoundWindow, lagging_not_found
from .._protocol.shape_log import ShapeLog
from ._packets import AsyncPacketResolver
from ._transport import AsyncTransport

__all__ = ["AsyncPollFeed", "AsyncRealtimeFeed", "AsyncRunFeed"]

logger = logging.getLogger("trigger_client")


class AsyncRunFeed(Protocol):
    async def next_batch(self, deadline: float | None) -> Sequence[Run]: ...

    async def aclose(self) -> None: ...


def _deadline_passed() -> SubscriptionTimeout:
    return SubscriptionTimeout("the subscription reached its timeout")


#: A gap this much larger on the wall clock than on the monotonic clock means the machine slept.
CLOCK_GAP = 5.0


async def _sleep_within(
    abort: AsyncAbortScope,
    seconds: float,
    backoff: Backoff,
    cause: BaseException | None = None,
) -> None:
    """Sleep ``seconds`` (abortable), or raise SubscriptionTimeout (from ``cause``) if the
    backoff's deadline comes first."""
    left = backoff.remaining()
    if left is not None and left <= seconds:
        await abort.sleep(max(0.0, left))
        raise _deadline_passed() from cause
    await abort.sleep(seconds)


class AsyncRealtimeFeed:
    """Runs from one realtime shape (``/realtime/v1/...``), over the Electric long-poll protocol."""

    def __init__(
        self,
        transport: AsyncTransport,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        packets: AsyncPacketResolver | None = None,
    ) -> None:
        self._transport = transport
        self._path = path
        self._log = ShapeLog(params)
        self._packets = packets or AsyncPacketResolver(transport)
        self._abort = AsyncAbortScope()
        self._last_error: BaseException | None = None
        self._warned_limit = False
        self._clock_mark: tuple[float, float] | None = None
        self._not_found = NotFoundWindow(transport.retry_policy.not_found_seconds)
        self._reach = Reachability(transport.retry_policy.max_retries)
        transport.token.guard.track(self._abort)  # closing the client aborts it

    @property
    def shape(self) -> ShapeLog:
        return self._log

    async def aclose(self) -> None:
        self._abort.abort()

    def _check_clock_gap(self) -> None:
        """After the machine slept, catch up with a non-live request before going live again."""
        mark = (AsyncBackend.monotonic(), AsyncBackend.wall())
        if self._clock_mark is not None:
            slept = (mark[1] - self._clock_mark[1]) - (mark[0] - self._clock_mark[0])
            if slept > CLOCK_GAP and self._log.is_up_to_date:
                logger.debug("realtime %s: the clock jumped %.0fs; catching up", self._path, slept)
                self._log.request_catch_up()
        self._clock_mark = mark

    async def next_batch(self, deadline: float | None) -> Sequence[Run]:
        backoff = self._transport.backoff(deadline=deadline)
        refreshed = False
        while True:
            left = backoff.remaining()
            if left is not None and left <= 0:
                raise _deadline_passed() from self._last_error
            self._check_clock_gap()
            request = self._log.next_request()
            token = await self._transport.token.get()
            read_timeout = (
                self._transport.live_timeout if request.live else _read_timeout(self._transport)
            )
            if left is not None:
                read_timeout = max(0.05, min(read_timeout, left))
            try:
                response = await self._abort.run(
                    partial(
                        self._transport.shape_request,
                        self._path,
                        request.params,
                        token=token,
                        read_timeout=read_timeout,
                        abort=self._abort,
                    )
                )
            except APIConnectionError as exc:
                if untrusted_certificate(exc) is not None:  # no retry can fix it
                    raise
                if _give_up(self._reach, exc, self._transport.base_url + self._path):
                    raise
                self._last_error = exc
                if backoff.expired():
                    raise _deadline_passed() from exc
                delay = backoff.next_delay()
                logger.debug(
                    "realtime %s: %s; reconnecting in %.2fs (attempt %d)",
                    self._path,
                    type(exc).__name__,
                    delay,
                    backoff.attempt,
                )
                await _sleep_within(self._abort, delay, backoff, self._last_error)
                continue
            status = response.status_code
            self._reach.answered()
            kind = classify_status(status, headers=response.headers)
            if kind in ("ok", "refetch"):
                batch = self._log.handle_response(status, response.headers, response.content)
                del response  # not kept alive during the next long-poll
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "realtime %s offset=%s live=%s -> %s (%d runs)",
                        self._path,
                        dict(request.params).get("offset"),
                        request.live,
                        status,
                        len(batch.rows),
                    )
                if batch.must_refetch:
                    logger.debug("realtime %s: must-refetch (409); resyncing", self._path)
                if batch.must_refetch or batch.stale:
                    # A refetch is retried at once a few times, then backs off; a stale (cached)
                    # answer always backs off: re-asking a cache at once would spin.
                    if batch.stale or self._log.needs_backoff:
                        await _sleep_within(self._abort, backoff.next_delay(), backoff)
                    continue
                backoff.reset()
                refreshed = False
                self._last_error = None
                self._not_found.reset()
                if batch.rows:
                    return await self._packets.runs_from_rows(batch.rows)
                continue
            if lagging_not_found(status, response.headers):
                # a batch the read replica has not seen yet: a bounded wait, then NotFoundError
                error = self._transport.status_error(response, realtime=True)
                now = AsyncBackend.monotonic()
                if not self._not_found.allows_retry(now):
                    raise error
                self._last_error = error
                delay = min(backoff.next_delay(), self._not_found.left(now))
                await _sleep_within(self._abort, delay, backoff, error)
                continue
            if kind == "transient":
                self._last_error = self._transport.status_error(response, realtime=True)
                if status == 429 and not self._warned_limit:
                    self._warned_limit = True
                    logger.warning("realtime %s: %s; backing off", self._path, self._last_error)
                delay = backoff.next_delay(
                    retry_after_seconds(response.headers, now=AsyncBackend.wall())
                )
                logger.debug(
                    "realtime %s: %s; retrying in %.2fs (attempt %d)",
                    self._path,
                    status,
                    delay,
                    backoff.attempt,
                )
                await _sleep_within(self._abort, delay, backoff, self._last_error)
                continue
            if kind == "auth" and self._transport.token.refreshable and not refreshed:
                refreshed = True
                logger.debug("realtime %s: %s; refreshing the access token", self._path, status)
                await self._transport.token.refresh()
                continue
            raise self._transport.status_error(response, realtime=True)


class AsyncPollFeed:
    """Runs from polling ``GET /api/v3/runs/{id}`` every ``interval`` seconds."""

    def __init__(
        self,
        transport: AsyncTransport,
        run_id: str,
        *,
        interval: float,
    ) -> None:
        if interval <= 0:
            raise ValueError("poll_interval must be positive")
        self._transport = transport
        # The feed owns the backoff: no REST retries nested inside it (they would restart at the
        # initial delay on every poll, and a persistent outage would never reach the cap), and
        # waits for a run the server cannot see yet itself, within the subscription's deadline.
        self._rest = transport.derive(
            retry_policy=attrs.evolve(transport.retry_policy, max_retries=0, not_found_seconds=0)
        )
        self._not_found = NotFoundWindow(transport.retry_policy.not_found_seconds)
        self._run_id = run_id
        self._interval = interval
        self._next_poll: float | None = None
        self._abort = AsyncAbortScope()
        self._reach = Reachability(transport.retry_policy.max_retries)
        transport.token.guard.track(self._abort)  # closing the client aborts it

    async def aclose(self) -> None:
        self._abort.abort()

    async def next_batch(self, deadline: float | None) -> Sequence[Run]:
        backoff = self._transport.backoff(deadline=deadline)
        if self._next_poll is not None:
            await _sleep_within(
                self._abort, max(0.0, self._next_poll - AsyncBackend.monotonic()), backoff
            )
        self._next_poll = AsyncBackend.monotonic() + self._interval
        while True:
            try:
                run = await self._abort.run(partial(retrieve_run, self._rest, self._run_id))
                self._reach.answered()
                self._not_found.reset()
                return [run]
            except APIConnectionError as exc:
                if untrusted_certificate(exc) is not None:  # no retry can fix it
                    raise
                url = (
                    f"{self._transport.base_url}/api/v3/runs/{path_segment(self._run_id, 'run_id')}"
                )
                if _give_up(self._reach, exc, url):
                    raise
                error: BaseException = exc
                retry_after = None
            except APIStatusError as exc:  # retry only the transient statuses
                self._reach.answered()
                if lagging_not_found(exc.status_code, exc.response.headers):
                    # a run the read replica has not seen yet: a bounded wait, then NotFoundError
                    now = AsyncBackend.monotonic()
                    if not self._not_found.allows_retry(now):
                        raise
                    delay = min(backoff.next_delay(), self._not_found.left(now))
                    await _sleep_within(self._abort, delay, backoff, exc)
                    continue
                if classify_status(exc.status_code) != "transient":
                    raise
                error = exc
                retry_after = retry_after_seconds(exc.response.headers, now=AsyncBackend.wall())
            delay = backoff.next_delay(retry_after)
            logger.debug(
                "poll %s: %s; retrying in %.2fs", self._run_id, type(error).__name__, delay
            )
            await _sleep_within(self._abort, delay, backoff, error)


async def retrieve_run(transport: AsyncTransport, run_id: str) -> Run:
    """``GET /api/v3/runs/{id}`` as a ``Run``, with offloaded payload and output downloaded."""
    response = await transport.request("GET", f"/api/v3/runs/{path_segment(run_id, 'run_id')}")
    return await run_from_body(transport, decode_json(response))


async def run_from_body(transport: AsyncTransport, body: Any) -> Run:
    """A REST run body (retrieve, reschedule) as a ``Run``, offloaded payload and output
    downloaded."""
    payload = body.get("payload") if isinstance(body, dict) else None
    output = body.get("output") if isinstance(body, dict) else None
    if isinstance(body, dict):
        if url := body.get("payloadPresignedUrl"):
            payload = await _download(transport, str(url))
        if url := body.get("outputPresignedUrl"):
            output = await _download(transport, str(url))
    return run_from_retrieve(body, payload=payload, output=output)


async def _download(transport: AsyncTransport, url: str) -> Any:
    response = await transport.download(url)
    return decode_downloaded_packet(response.content, response.headers.get("content-type"))


def _give_up(reach: Reachability, exc: APIConnectionError, url: str) -> bool:
    """Log a failure to reach ``url`` when it is due (see ``_protocol.reachability``); whether
    the subscription gives up (it never reached the server, and its retries are spent)."""
    decision = reach.failed(exc, now=AsyncBackend.monotonic())
    if decision.warn:
        logger.warning(
            "%s: %s; %s",
            public_url(url),
            exc,
            "giving up: the server was never reached" if decision.give_up else "retrying",
        )
    return decision.give_up


def _read_timeout(transport: AsyncTransport) -> float:
    return transport.timeout_limits[1] or 60.0
