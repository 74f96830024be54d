"""``TriggerEmulator``: the emulator served by uvicorn on 127.0.0.1 in a background thread."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from ._app import build_app
from ._auth import sign_public_token
from ._clock import Clock, as_clock, datetime_to_ms
from ._context import Backend, Context
from ._faults import (
    DroppedConnection,
    FaultAction,
    FaultRule,
    Faults,
    PathPattern,
    RequestLog,
    RequestRecord,
)
from ._lifecycle import Engine, Playback, Step, parse_duration_ms, play_steps
from ._ratelimit import RateLimit, RateLimiter
from ._shapes import ElectricShape, ElectricShapes, NativeFeeds
from ._state import Environment, Row, Store
from ._streams import RunStreams

__all__ = ["TriggerEmulator"]

_SNAKE_TO_COLUMN = {
    "task_identifier": "taskIdentifier",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "started_at": "startedAt",
    "delay_until": "delayUntil",
    "queued_at": "queuedAt",
    "expired_at": "expiredAt",
    "completed_at": "completedAt",
    "friendly_id": "friendlyId",
    "is_test": "isTest",
    "usage_duration_ms": "usageDurationMs",
    "cost_in_cents": "costInCents",
    "base_cost_in_cents": "baseCostInCents",
    "payload_type": "payloadType",
    "metadata_type": "metadataType",
    "output_type": "outputType",
    "run_tags": "runTags",
    "realtime_streams": "realtimeStreams",
    "batch_id": "batchId",
    "idempotency_key": "idempotencyKey",
    "attempt_number": "attemptNumber",
    "task_version": "taskVersion",
}
_TIMESTAMP_COLUMNS = {
    "createdAt",
    "updatedAt",
    "startedAt",
    "delayUntil",
    "queuedAt",
    "expiredAt",
    "completedAt",
}


class _DropFilter(logging.Filter):
    """Keeps uvicorn from logging the injected dropped connections as errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


_drop_filter = _DropFilter()
logging.getLogger("uvicorn.error").addFilter(_drop_filter)


class _Server(uvicorn.Server):
    """uvicorn's server, stopping in milliseconds instead of its 0.1 s polling steps."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while not await self.on_tick(0):  # counter 0: refresh the Date header every tick
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0)
            except TimeoutError:
                pass

    def request_exit(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 2)
        state = self.server_state
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()


class TriggerEmulator:
    """A local Trigger.dev API: REST, realtime shapes, auth, packets and fault injection.

    >>> with TriggerEmulator() as emu:
    ...     run_id = emu.create_run("my-task", {"hello": "world"})
    ...     emu.play(run_id, "success", output={"ok": True})

    ``backend`` is ``"electric"`` (partial updates, deletes, 409 rotation) or ``"native"``
    (full rows, no 409). ``long_poll_ms`` is how long a live request is held (20 s like the real
    service; tests use a few hundred ms). ``clock`` drives every timestamp and JWT expiry.
    ``rate_limit`` turns on the REST API rate limiter (``True`` for the real defaults, or a
    :class:`RateLimit`): 429 problem+json with ``x-ratelimit-*`` headers past the limit.
    """

    def __init__(
        self,
        *,
        backend: Backend = "electric",
        long_poll_ms: int = 20_000,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_key: str | None = None,
        clock: Clock | Callable[[], Any] | None = None,
        realtime_concurrency_limit: int | None = 100_000,
        realtime_max_created_at_age: str = "24h",
        snapshot_chunk_rows: int | None = None,
        native_jitter: float = 0.15,
        auto_play: str | Sequence[Step] | None = None,
        auto_play_interval: float = 0.5,
        rate_limit: RateLimit | bool | None = None,
    ) -> None:
        if backend not in ("electric", "native"):
            raise ValueError("backend must be 'electric' or 'native'")
        self.backend: Backend = backend
        self.host = host
        self._requested_port = port
        self.clock: Clock = as_clock(clock)
        self.store: Store = Store(self.clock)
        self.environment: Environment = self.store.add_environment(api_key=secret_key)
        self.engine: Engine = Engine(self.store, lambda: self.environment)
        self.electric: ElectricShapes = ElectricShapes(self.store, chunk_rows=snapshot_chunk_rows)
        self.native: NativeFeeds = NativeFeeds(self.store, jitter_ratio=native_jitter)
        self.faults: Faults = Faults()
        self._request_log = RequestLog()
        max_age = parse_duration_ms(realtime_max_created_at_age)
        if max_age is None:
            raise ValueError(f"invalid realtime_max_created_at_age {realtime_max_created_at_age!r}")
        self._ctx = Context(
            store=self.store,
            clock=self.clock,
            engine=self.engine,
            electric=self.electric,
            native=self.native,
            faults=self.faults,
            requests=self._request_log,
            backend=backend,
            long_poll_ms=long_poll_ms,
            realtime_concurrency_limit=realtime_concurrency_limit,
            realtime_max_created_at_age_ms=max_age,
            presign_secret=secrets.token_bytes(32),
        )
        self.rate_limit = rate_limit
        self.app: ASGIApp = build_app(self._ctx)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: int | None = None
        self._stop_playbacks = threading.Event()
        self._playbacks: list[Playback] = []
        if auto_play is not None:
            lifecycle = auto_play
            self.engine.on_http_trigger = lambda run_id: self._auto_play(
                run_id, lifecycle, auto_play_interval
            )

    # -- server ---------------------------------------------------------------------------------
    @property
    def long_poll_ms(self) -> int:
        return self._ctx.long_poll_ms

    @long_poll_ms.setter
    def long_poll_ms(self, value: int) -> None:
        self._ctx.long_poll_ms = value

    @property
    def realtime_concurrency_limit(self) -> int | None:
        return self._ctx.realtime_concurrency_limit

    @realtime_concurrency_limit.setter
    def realtime_concurrency_limit(self, value: int | None) -> None:
        self._ctx.realtime_concurrency_limit = value

    @property
    def rate_limit(self) -> RateLimit | None:
        """The REST API rate limits in force (None: no limiter). Setting resets the counters."""
        limiter = self._ctx.rate_limiter
        return limiter.limits if limiter is not None else None

    @rate_limit.setter
    def rate_limit(self, value: RateLimit | bool | None) -> None:
        if value is True:
            value = RateLimit()
        if value is None or value is False:
            self._ctx.rate_limiter = None
        else:
            self._ctx.rate_limiter = RateLimiter(value, self.store, self.clock)

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; call start() or use `with`")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``http://[::1]:<port>`` on IPv6): use it as
        ``TRIGGER_API_URL``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def secret_key(self) -> str:
        """The default environment's root secret key (``tr_dev_...``)."""
        return self.environment.api_key

    @property
    def environment_id(self) -> str:
        """The default environment's id: the ``sub`` of its public tokens."""
        return self.environment.id

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> TriggerEmulator:
        """Serve in a daemon thread; returns once the server accepts connections."""
        if self.running:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET  # "::1": IPv6
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
        except BaseException:  # a port taken, or not permitted: no socket left open
            sock.close()
            raise
        sock.listen(4096)
        self._port = sock.getsockname()[1]
        self.store.closing = False
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            http="h11",
            ws="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            limit_concurrency=None,
            backlog=4096,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        self._server = server
        error: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve(server, sock))
            except BaseException as exc:  # reported by start()
                error.append(exc)
            finally:
                self.store.notifier.attach(None)
                sock.close()

        self._thread = threading.Thread(target=run, name=f"trigger-emulator-{self._port}")
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if error or not self._thread.is_alive():
                raise RuntimeError("the emulator failed to start") from (
                    error[0] if error else None
                )
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator did not start in time")
            time.sleep(0.005)
        return self

    async def _serve(self, server: _Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        self.store.notifier.attach(self._loop)
        await server.serve(sockets=[sock])

    def stop(self, timeout: float = 10.0) -> None:
        """Answer held long-polls, stop the server and join its thread."""
        self._stop_playbacks.set()
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.store.closing = True
        self.store.notifier.notify_all()
        server.request_exit()
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = None
        self._thread = None
        self._stop_playbacks = threading.Event()

    def __enter__(self) -> TriggerEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None and self.running else "stopped"
        return f"<TriggerEmulator {self.backend} {where}>"

    # -- environments and tokens ---------------------------------------------------------------
    def add_environment(
        self, *, secret_key: str | None = None, env_type: str = "PRODUCTION", slug: str = "prod"
    ) -> Environment:
        """Another environment (its own secret key and runs)."""
        return self.store.add_environment(api_key=secret_key, env_type=env_type, slug=slug)

    def create_api_key(self) -> str:
        """An additional API key (``tr_<env>_sk_...``) of the default environment: it calls the
        API with full access, but cannot sign public tokens (the server mints them:
        ``/api/v1/auth/public-tokens``)."""
        return self.store.add_api_key(self.environment.id)

    @property
    def replica_lag(self) -> float:
        """Seconds (emulator clock) a new run or batch stays invisible to the routes that read
        the read replica (run and batch retrieve): they answer 404 ``x-should-retry: true``
        meanwhile. 0 (the default) for none."""
        return self._ctx.replica_lag_ms / 1000

    @replica_lag.setter
    def replica_lag(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("replica_lag must be >= 0 seconds")
        self._ctx.replica_lag_ms = round(seconds * 1000)

    def rotate_secret_key(self, new_key: str | None = None) -> str:
        """Give the default environment a new secret key; tokens signed with the old one fail."""
        self.environment = self.store.rotate_key(self.environment.id, new_key)
        return self.environment.api_key

    def create_token(
        self,
        scopes: Iterable[str] | None = None,
        *,
        expires_in: float | timedelta = 900,
        realtime: Mapping[str, Any] | None = None,
        environment: Environment | None = None,
    ) -> str:
        """A public access token (HS256 JWT) with these flattened scopes, as the SDK mints it."""
        env = environment or self.environment
        now_s = self.clock.now_ms() // 1000
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        return sign_public_token(
            env,
            scopes=list(scopes) if scopes is not None else None,
            expires_at_s=now_s + int(seconds),
            issued_at_s=now_s,
            realtime=realtime,
        )

    # -- runs -------------------------------------------------------------------------------------
    def create_run(
        self,
        task_identifier: str,
        payload: Any = None,
        *,
        tags: Iterable[str] | str = (),
        batch_id: str | None = None,
        **options: Any,
    ) -> str:
        """Create a run as ``tasks.trigger`` would (status PENDING); returns its friendly id.

        Options: ``payload_type``, ``metadata``, ``metadata_type``, ``idempotency_key``,
        ``ttl``, ``delay`` (datetime, timedelta, seconds or ``"1h"``: status DELAYED),
        ``is_test``, ``machine``, ``max_attempts``, ``max_duration``, ``queue``, ``version``,
        ``environment``, ``status``.
        """
        return self.engine.create_run(
            task_identifier, payload, tags=tags, batch_id=batch_id, **options
        )

    def create_batch(
        self, task_identifier: str, payloads: Sequence[Any], **options: Any
    ) -> tuple[str, list[str]]:
        """A batch with one run per payload: ``(batch id, [run ids])``."""
        return self.engine.create_batch(task_identifier, payloads, **options)

    def get_run(self, run_id: str) -> Row:
        """A copy of the raw ``TaskRun`` row (column -> Python value; timestamps in epoch ms)."""
        row = self.store.run(run_id)
        if row is None:
            raise KeyError(f"unknown run {run_id!r}")
        return row

    def update_run(self, run_id: str, **columns: Any) -> Row:
        """Raw column changes committed as one change. Names are columns (``startedAt``) or
        their snake_case (``started_at``); datetimes become epoch ms."""
        changes: dict[str, Any] = {}
        for name, value in columns.items():
            column = _SNAKE_TO_COLUMN.get(name, name)
            if column in _TIMESTAMP_COLUMNS and isinstance(value, datetime):
                value = datetime_to_ms(value)
            changes[column] = value
        return self.engine.update(run_id, changes)

    def dequeue(self, run_id: str) -> Row:
        return self.engine.dequeue(run_id)

    def start_attempt(self, run_id: str, *, version: str | None = None) -> Row:
        """Begin an attempt: ``EXECUTING`` (from queued, dequeued, retrying or frozen)."""
        return self.engine.start(run_id, version=version)

    def set_metadata(self, run_id: str, metadata: Any, *, metadata_type: str | None = None) -> Row:
        return self.engine.set_metadata(run_id, metadata, metadata_type=metadata_type)

    def fail_attempt(self, run_id: str, error: Any = "Attempt failed") -> Row:
        """The attempt failed and will be retried: ``RETRYING_AFTER_FAILURE``."""
        return self.engine.fail_attempt(run_id, error)

    def complete(self, run_id: str, output: Any = None, *, output_type: str | None = None) -> Row:
        """Succeed with ``output`` (``output_type`` e.g. ``application/super+json``)."""
        return self.engine.complete(run_id, output, output_type=output_type)

    def fail(self, run_id: str, error: Any = "Task failed") -> Row:
        """Fail for good: ``COMPLETED_WITH_ERRORS`` with an error (message, exception or dict)."""
        return self.engine.fail(run_id, error)

    def cancel(self, run_id: str) -> Row | None:
        return self.engine.cancel(run_id)

    def crash(self, run_id: str, error: Any = None) -> Row:
        return self.engine.crash(run_id, error)

    def system_failure(self, run_id: str, error: Any = None) -> Row:
        return self.engine.system_failure(run_id, error)

    def interrupt(self, run_id: str, error: Any = None) -> Row:
        return self.engine.interrupt(run_id, error)

    def expire(self, run_id: str) -> Row:
        return self.engine.expire(run_id)

    def time_out(self, run_id: str) -> Row:
        return self.engine.time_out(run_id)

    def delay(self, run_id: str, until: datetime | timedelta | float | str) -> Row:
        return self.engine.delay(run_id, until)

    def enqueue(self, run_id: str) -> Row:
        return self.engine.enqueue(run_id)

    def wait_for_deploy(self, run_id: str) -> Row:
        return self.engine.wait_for_deploy(run_id)

    def freeze(self, run_id: str) -> Row:
        return self.engine.freeze(run_id)

    def resume(self, run_id: str) -> Row:
        return self.engine.resume(run_id)

    def add_tags(self, run_id: str, tags: Iterable[str]) -> Row:
        return self.engine.add_tags(run_id, tags)

    def play(
        self,
        run_id: str,
        lifecycle: str | Sequence[Step] = "success",
        *,
        interval: float = 0.05,
        output: Any = None,
        output_type: str | None = None,
        error: Any = None,
        delay: Any = None,
        wait: bool = True,
    ) -> Playback:
        """Play a named lifecycle (see ``LIFECYCLES``) or a list of steps on a run, one step
        every ``interval`` seconds. Blocks until done unless ``wait=False``."""
        playback = self.start_play(
            run_id,
            lifecycle,
            interval=interval,
            output=output,
            output_type=output_type,
            error=error,
            delay=delay,
        )
        if wait:
            playback.wait(timeout=None)
        return playback

    def start_play(
        self,
        run_id: str,
        lifecycle: str | Sequence[Step] = "success",
        *,
        interval: float = 0.05,
        output: Any = None,
        output_type: str | None = None,
        error: Any = None,
        delay: Any = None,
    ) -> Playback:
        """Like :meth:`play` but returns at once; ``.wait()`` on the result."""
        stop = self._stop_playbacks

        def target() -> None:
            play_steps(
                self.engine,
                run_id,
                lifecycle,
                interval=interval,
                output=output,
                output_type=output_type,
                error=error,
                delay=delay,
                stop=stop,
            )

        playback = Playback(target, name=f"trigger-emulator-play-{run_id}")
        self._playbacks = [p for p in self._playbacks if not p.done] + [playback]
        return playback

    def _auto_play(self, run_id: str, lifecycle: str | Sequence[Step], interval: float) -> None:
        self.start_play(run_id, lifecycle, interval=interval)

    # -- realtime streams -----------------------------------------------------------------------
    @property
    def streams(self) -> RunStreams:
        """Every run's realtime streams (``inactivity_timeout``, ``set_version``, ``entries``)."""
        return self.engine.streams

    def append_stream(self, run_id: str, key: str, chunk: Any) -> str:
        """Write ``chunk`` to the run's stream ``key`` as a task does (announcing the stream on
        the run when it is new); returns the chunk's event id."""
        return self.engine.streams.append(run_id, key, chunk)

    def end_stream(self, run_id: str, key: str) -> None:
        """End the stream: readers' responses end once every chunk is sent."""
        self.engine.streams.end(run_id, key)

    # -- realtime control -----------------------------------------------------------------------
    def rotate_shapes(self, run_id: str | None = None, *, recreate: bool = True) -> list[str]:
        """Electric: expire current shapes (those carrying ``run_id``, or all). Waiting and later
        requests with an old handle get 409 must-refetch; returns the expired handles."""
        predicate: Callable[[ElectricShape], bool] | None = None
        if run_id is not None:
            internal = self.store.run_internal_id(run_id)
            row = self.store.run(run_id)

            def predicate(shape: ElectricShape) -> bool:
                filt = shape.definition.filter
                if filt.kind == "run":
                    return filt.run_id == internal
                return row is not None and filt.matches(row)

        return self.electric.rotate(predicate, recreate=recreate)

    # -- faults and the request log -------------------------------------------------------------
    def inject(
        self,
        path: PathPattern,
        action: FaultAction,
        *,
        times: int | None = 1,
        method: str | None = None,
        query: Mapping[str, str] | None = None,
        skip: int = 0,
    ) -> FaultRule:
        """Shortcut for ``emu.faults.add(...)``."""
        return self.faults.add(path, action, times=times, method=method, query=query, skip=skip)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far (a copy), oldest first."""
        return self._request_log.snapshot()

    def clear_requests(self) -> None:
        self._request_log.clear()

    def wait_for_requests(
        self,
        path: PathPattern = "*",
        *,
        count: int = 1,
        live: bool | None = None,
        method: str | None = None,
        timeout: float = 10.0,
    ) -> list[RequestRecord]:
        """Block until ``count`` requests matching ``path`` (glob or regex) have arrived."""
        matcher = FaultRule(path, FaultAction("none"), method=method)

        def matching(records: list[RequestRecord]) -> list[RequestRecord]:
            return [
                r
                for r in records
                if matcher.matches(r.method, r.path, r.query) and (live is None or r.live == live)
            ]

        self._request_log.wait_for(lambda records: len(matching(records)) >= count, timeout)
        return matching(self._request_log.snapshot())

    @property
    def live_request_count(self) -> int:
        """Live long-polls currently held (all environments)."""
        return self._ctx.live_total
