"""Realtime streams: what a task streams while it runs (LLM tokens, log lines), per run and key.

Modelled on the v1 (Redis) backend of the real service, trigger.dev commit b082e44:

* Writing (the task side). ``POST /realtime/v1/streams/{runId}/{target}/{streamId}`` ingests a
  body; every piece of it read is one stream entry (``XADD``), ``redisRealtimeStreams.server.ts``
  lines 309-360. The 3.3.17 task SDK sends each chunk as ``JSON.stringify(chunk) + "\\n"``
  (``metadataStream.js``) and announces the key in the run's metadata ``$$streams``.
  ``PUT`` on the same path pushes the key to the run's ``realtimeStreams`` column and answers 202
  ``{"version": ...}`` (``realtime.v1.streams.$runId.$target.$streamId.ts`` lines 69-114).
  ``POST .../{streamId}/append`` stores one part as ``JSON.stringify(part) + "\\n"``
  (``...$streamId.append.ts`` lines 71-113, ``redisRealtimeStreams.server.ts`` lines 382-402).
  Both refuse a completed run with 400.
* Reading. ``GET /realtime/v1/streams/{runId}/{streamId}`` (``realtime.v1.streams.$runId.$streamId.ts``):
  the same authorization as reading the run (any of the run, its task, its tags, its batch;
  lines 44-57), ``Timeout-Seconds`` validated (400 unless 1-600, lines 61-76), then Server-Sent
  Events from the entry after ``Last-Event-ID`` (or the first). The body is split into lines
  across entries and each non-empty line is one event ``id: <entry id>\\ndata: <line>`` carrying
  the id of the entry that completed it (``redisRealtimeStreams.server.ts`` lines 226-285); a
  ``: ping`` comment every 10 s of silence (lines 80-96). The response ends (cleanly) when no new
  entry came for ``Timeout-Seconds`` (default: the inactivity timeout, 15 s; lines 98-197). An
  unknown key is not an error: it is an empty stream that ends after the inactivity timeout.
  Each event is written on its own, one HTTP chunk per event, as the real server writes them: its
  SSE transform enqueues one string per event (lines 274-287) and Remix's node adapter
  (``@remix-run/node`` ``writeReadableStreamToWritable``, ``apps/webapp/server.ts`` uses
  ``@remix-run/express`` 2.17.5) calls ``write`` then ``flush`` for each enqueued chunk. Not
  modelled: the webapp's ``compression()`` middleware (``apps/webapp/server.ts`` lines 111-113),
  which can gzip text responses for clients that accept it (flushed per event by that adapter).

v2 runs (``realtimeStreamsVersion`` v2: S2 on the real service; ``RunStreams.set_version``)
announce their streams in the ``realtimeStreams`` column, and are served as S2 serves them
(``s2realtimeStreams.server.ts`` lines 523-542 and 671-719): ``X-Stream-Version: v2``, ``batch``
events of records ``{"body", "seq_num", "timestamp"}`` whose body is ``{"data", "id"}`` (line
228), resumed from the position after ``Last-Event-ID``'s leading digits. The ingest route with
``X-Stream-Version: v2`` answers 500 (the S2 backend ingests nothing from the server).

Emulator addition: :meth:`RunStreams.end` marks a stream finished so its readers' responses end
as soon as they have sent every entry (the real service can only wait for the inactivity timeout).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._auth import AuthError, authenticate
from ._clock import Clock
from ._faults import DroppedConnection, FaultAction
from ._packets import encode_packet
from ._state import Store

__all__ = [
    "DEFAULT_INACTIVITY_S",
    "RunStreams",
    "drop_stream",
    "slow_stream",
    "stream_routes",
]

#: The real service's default inactivity timeout (``REALTIME_STREAMS_INACTIVITY_TIMEOUT_MS``).
DEFAULT_INACTIVITY_S = 15.0
PING_INTERVAL_S = 10.0
STREAM_FAULT_KINDS = frozenset({"drop_stream", "slow_stream"})


def drop_stream(after_events: int = 1) -> FaultAction:
    """Streams: send ``after_events`` events of the SSE response, then cut the connection."""
    return FaultAction("drop_stream", after_bytes=after_events)


def slow_stream(seconds: float) -> FaultAction:
    """Streams: wait ``seconds`` before sending each event of the SSE response."""
    return FaultAction("slow_stream", seconds=seconds)


@dataclass
class _Stream:
    entries: list[tuple[tuple[int, int], str]] = field(default_factory=list)
    ended: bool = False


def _parse_id(value: str) -> tuple[int, int] | None:
    ms, _, seq = value.partition("-")
    if not ms.isdigit() or (seq and not seq.isdigit()):
        return None
    return int(ms), int(seq or 0)


def _format_id(entry_id: tuple[int, int]) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


class RunStreams:
    """Every run's streams (thread-safe): entries are written from any thread, read on the loop."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._versions: dict[str, str] = {}
        self._last_id = (0, 0)
        self.inactivity_timeout: float = DEFAULT_INACTIVITY_S
        """Seconds without a new entry after which a response without ``Timeout-Seconds`` ends."""
        self.ping_interval: float = PING_INTERVAL_S

    # -- writing ------------------------------------------------------------------------------
    def _internal(self, run_id: str) -> str:
        internal = self._store.run_internal_id(run_id)
        if internal is None:
            raise KeyError(f"unknown run {run_id!r}")
        return internal

    def version(self, run_id: str) -> str:
        """``"v1"`` (``$$streams`` metadata) or ``"v2"`` (``realtimeStreams`` column)."""
        return self._versions.get(self._internal(run_id), "v1")

    def set_version(self, run_id: str, version: str) -> None:
        if version not in ("v1", "v2"):
            raise ValueError("version must be 'v1' or 'v2'")
        self._versions[self._internal(run_id)] = version

    def write(self, run_id: str, key: str, data: str) -> str:
        """Store one raw entry (as the ingest route does) and wake its readers; returns its id."""
        if not key:
            raise ValueError("a stream key must not be empty")
        internal = self._internal(run_id)
        with self._lock:
            now = self._clock.now_ms()
            ms, seq = self._last_id
            entry_id = (now, 0) if now > ms else (ms, seq + 1)
            self._last_id = entry_id
            stream = self._streams.setdefault((internal, key), _Stream())
            stream.entries.append((entry_id, data))
        self._store.notifier.notify([("stream", internal, key)])
        return _format_id(entry_id)

    def append(self, run_id: str, key: str, chunk: Any) -> str:
        """Write ``chunk`` as the task SDK does (v1: ``JSON.stringify(chunk) + "\\n"``; v2: the S2
        record body ``{"data": chunk, "id": part id}``), announcing the stream on the run first
        if it is new; returns the entry id (v1: the SSE event id)."""
        self.announce(run_id, key)
        if self.version(run_id) == "v2":
            return self.write(run_id, key, _record_body(chunk))
        return self.write(run_id, key, json.dumps(chunk, separators=(",", ":")) + "\n")

    def end(self, run_id: str, key: str) -> None:
        """Mark the stream finished: its readers' responses end once they have sent every entry."""
        internal = self._internal(run_id)
        with self._lock:
            self._streams.setdefault((internal, key), _Stream()).ended = True
        self._store.notifier.notify([("stream", internal, key)])

    def announce(self, run_id: str, key: str) -> None:
        """List ``key`` on the run as the task side does: in metadata ``$$streams`` (v1) or the
        ``realtimeStreams`` column (v2). Does nothing when it is listed already."""
        internal = self._internal(run_id)
        version = self._versions.get(internal, "v1")
        with self._store.transaction() as tx:
            row = self._store.runs[internal]
            if version == "v2":
                streams = list(row.get("realtimeStreams") or [])
                if key not in streams:
                    tx.update_run(internal, {"realtimeStreams": [*streams, key]})
                return
            metadata: dict[str, Any] = {}
            if row.get("metadata"):
                if row.get("metadataType") != "application/json":
                    raise ValueError("the emulator lists v1 streams in JSON metadata only")
                loaded = json.loads(row["metadata"])
                metadata = loaded if isinstance(loaded, dict) else {}
            listed = metadata.get("$$streams")
            listed = list(listed) if isinstance(listed, list) else []
            if key in listed:
                return
            metadata["$$streams"] = [*listed, key]
            metadata["$$streamsVersion"] = "v1"
            packet = encode_packet(metadata, "application/json")
            tx.update_run(
                internal,
                {
                    "metadata": packet.data,
                    "metadataType": packet.data_type,
                    "metadataVersion": int(row.get("metadataVersion") or 0) + 1,
                },
            )

    def push_column(self, run_id: str, key: str) -> None:
        """``runStore.pushRealtimeStream``: add ``key`` to the ``realtimeStreams`` column."""
        internal = self._internal(run_id)
        with self._store.transaction() as tx:
            streams = list(self._store.runs[internal].get("realtimeStreams") or [])
            if key not in streams:
                tx.update_run(internal, {"realtimeStreams": [*streams, key]})

    # -- reading ------------------------------------------------------------------------------
    def entries(self, run_id: str, key: str) -> list[tuple[str, str]]:
        """Every ``(id, data)`` entry of a stream so far."""
        internal = self._internal(run_id)
        with self._lock:
            stream = self._streams.get((internal, key))
            if stream is None:
                return []
            if self._versions.get(internal, "v1") == "v2":
                return [(str(n), d) for n, (_, d) in enumerate(stream.entries)]
            return [(_format_id(i), d) for i, d in stream.entries]

    def _from(self, internal: str, key: str, start: int) -> tuple[list[str], bool]:
        """v2: the entries from position ``start`` on, and whether the stream has ended."""
        with self._lock:
            stream = self._streams.get((internal, key))
            if stream is None:
                return [], False
            return [d for _, d in stream.entries[start:]], stream.ended

    def _after(
        self, internal: str, key: str, after: tuple[int, int]
    ) -> tuple[list[tuple[tuple[int, int], str]], bool]:
        with self._lock:
            stream = self._streams.get((internal, key))
            if stream is None:
                return [], False
            return [e for e in stream.entries if e[0] > after], stream.ended


def _record_body(data: Any, part_id: str | None = None) -> str:
    """An S2 record body as the v2 backend writes it (``s2realtimeStreams.server.ts`` line 228)."""
    body = {"data": data, "id": part_id or secrets.token_urlsafe(5)}
    return json.dumps(body, separators=(",", ":"))


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


class _SSEResponse(Response):
    """The SSE body: events after ``after`` until ``inactivity`` seconds pass without one."""

    def __init__(
        self,
        streams: RunStreams,
        internal: str,
        key: str,
        after: tuple[int, int] | None,
        inactivity: float,
        fault: FaultAction | None,
        version: str = "v1",
        start: int = 0,
    ) -> None:
        # No body given to Response: the headers are set here, without a content-length.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache"),
            (b"connection", b"keep-alive"),
        ]
        self._streams = streams
        self._internal = internal
        self._key = key
        self._after = after
        self._inactivity = inactivity
        self._fault = fault
        self._version = version
        self._start = start
        if version == "v2":
            self.raw_headers.append((b"x-stream-version", b"v2"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self._version == "v2":
            await self._serve_v2(receive, send)
            return
        if self._after is None:  # an invalid Last-Event-ID: XREAD fails, the body errors
            raise DroppedConnection("invalid Last-Event-ID")
        loop = asyncio.get_running_loop()
        notifier = self._streams._store.notifier
        keys: list[Hashable] = [("stream", self._internal, self._key)]
        after = self._after
        buffer = ""
        last_id = after
        sent = 0
        last_data = loop.time()
        last_send = last_data
        fault = self._fault
        disconnected = asyncio.ensure_future(_disconnect(receive))
        try:
            while not disconnected.done():
                waiter = notifier.wait(keys)
                entries, ended = self._streams._after(self._internal, self._key, after)
                if entries:
                    notifier.discard(waiter, keys)
                    for entry_id, data in entries:
                        after = entry_id
                        buffer += data
                        *lines, buffer = buffer.split("\n")
                        for line in lines:
                            if not line.strip():
                                continue
                            if fault is not None and fault.kind == "slow_stream":
                                await asyncio.sleep(fault.seconds)
                            if (
                                fault is not None
                                and fault.kind == "drop_stream"
                                and sent >= (fault.after_bytes or 0)
                            ):
                                raise DroppedConnection("fault injection: stream dropped")
                            event = f"id: {_format_id(entry_id)}\ndata: {line}\n\n"
                            await send(
                                {
                                    "type": "http.response.body",
                                    "body": event.encode(),
                                    "more_body": True,
                                }
                            )
                            sent += 1
                        last_id = entry_id
                    last_data = last_send = loop.time()
                    continue
                if ended:
                    notifier.discard(waiter, keys)
                    break
                now = loop.time()
                idle = now - last_data
                if idle >= self._inactivity:
                    notifier.discard(waiter, keys)
                    break
                until_ping = self._streams.ping_interval - (now - last_send)
                timeout = max(0.0, min(self._inactivity - idle, until_ping))
                await asyncio.wait(  # type: ignore[type-var]
                    [waiter, disconnected], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                notifier.discard(waiter, keys)
                if loop.time() - last_send >= self._streams.ping_interval:
                    await send(
                        {"type": "http.response.body", "body": b": ping\n\n", "more_body": True}
                    )
                    last_send = loop.time()
            if disconnected.done():
                return
            if buffer.strip():
                event = f"id: {_format_id(last_id)}\ndata: {buffer.strip()}\n\n"
                await send(
                    {"type": "http.response.body", "body": event.encode(), "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})
        finally:
            disconnected.cancel()

    async def _serve_v2(self, receive: Receive, send: Send) -> None:
        """v2: the records from position ``start`` as S2 ``batch`` events, one per read (every
        record available then), ``seq_num`` the position; the same endings as v1."""
        loop = asyncio.get_running_loop()
        notifier = self._streams._store.notifier
        keys: list[Hashable] = [("stream", self._internal, self._key)]
        position = self._start
        sent = 0
        last_data = loop.time()
        fault = self._fault
        disconnected = asyncio.ensure_future(_disconnect(receive))
        try:
            while not disconnected.done():
                waiter = notifier.wait(keys)
                bodies, ended = self._streams._from(self._internal, self._key, position)
                if bodies:
                    notifier.discard(waiter, keys)
                    if fault is not None and fault.kind == "slow_stream":
                        await asyncio.sleep(fault.seconds)
                    if (
                        fault is not None
                        and fault.kind == "drop_stream"
                        and sent >= (fault.after_bytes or 0)
                    ):
                        raise DroppedConnection("fault injection: stream dropped")
                    now_ms = self._streams._clock.now_ms()
                    records = [
                        {"body": body, "seq_num": position + n, "timestamp": now_ms}
                        for n, body in enumerate(bodies)
                    ]
                    data = json.dumps({"records": records}, separators=(",", ":"))
                    event = f"event: batch\ndata: {data}\n\n"
                    await send(
                        {"type": "http.response.body", "body": event.encode(), "more_body": True}
                    )
                    sent += 1
                    position += len(bodies)
                    last_data = loop.time()
                    continue
                if ended:
                    notifier.discard(waiter, keys)
                    break
                idle = loop.time() - last_data
                if idle >= self._inactivity:
                    notifier.discard(waiter, keys)
                    break
                await asyncio.wait(  # type: ignore[type-var]
                    [waiter, disconnected],
                    timeout=self._inactivity - idle,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                notifier.discard(waiter, keys)
            if disconnected.done():
                return
            await send({"type": "http.response.body", "body": b""})
        finally:
            disconnected.cancel()


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _streams(request: Request) -> RunStreams:
    streams: RunStreams = request.app.state.ctx.engine.streams
    return streams


async def read_stream(request: Request) -> Response:
    """``GET /realtime/v1/streams/{run_id}/{stream_id}``."""
    from ._realtime import json_error, run_resources  # the realtime routes import this module

    ctx = request.app.state.ctx
    if request.method == "OPTIONS":
        return Response(
            status_code=204,
            headers={
                "access-control-allow-origin": "*",
                "access-control-allow-methods": "GET, OPTIONS",
                "access-control-allow-headers": "*",
            },
        )
    try:
        creds = authenticate(
            ctx.store, ctx.clock, request.headers.get("authorization"), allow_jwt=True
        )
        row = ctx.store.find_run(creds.environment.id, request.path_params["run_id"])
        if row is None:
            return json_error(404, {"error": "Not found"})
        batch = ctx.store.batch(row["batchId"]) if row.get("batchId") else None
        creds.require_any("read", run_resources(row, batch["friendlyId"] if batch else None))
    except AuthError as err:
        return json_error(err.status, err.body)
    raw_timeout = request.headers.get("timeout-seconds")
    inactivity = _streams(request).inactivity_timeout
    if raw_timeout:
        # parseInt semantics: leading digits count ("5s" is 5); none at all is NaN.
        digits = raw_timeout.strip()
        sign = -1 if digits.startswith("-") else 1
        digits = digits.lstrip("+-")
        prefix = digits[: len(digits) - len(digits.lstrip("0123456789"))]
        if not prefix:
            return _text(400, "Invalid timeout seconds")
        value = sign * int(prefix)
        if value and value < 1:
            return _text(400, "Timeout seconds must be greater than 0")
        if value > 600:
            return _text(400, "Timeout seconds must be less than 600")
        if value:
            inactivity = float(value)
    last_event_id = request.headers.get("last-event-id") or None
    after = (0, 0) if last_event_id is None else _parse_id(last_event_id)
    # v2 (S2): the leading digits of Last-Event-ID are the last position read; start after it
    # (s2realtimeStreams.server.ts lines 713-719).
    digits = (last_event_id or "").split("-")[0]
    start = int(digits) + 1 if digits.isdigit() else 0
    fault = request.scope.get("trigger_emulator.fault")
    streams = _streams(request)
    return _SSEResponse(
        streams,
        row["id"],
        request.path_params["stream_id"],
        after,
        inactivity,
        fault if isinstance(fault, FaultAction) and fault.kind in STREAM_FAULT_KINDS else None,
        version=streams.version(row["friendlyId"]),
        start=start,
    )


def _target(request: Request) -> tuple[Any, Response | None]:
    """The secret-key credentials and the target run row, or an error response."""
    ctx = request.app.state.ctx
    try:
        creds = authenticate(
            ctx.store, ctx.clock, request.headers.get("authorization"), allow_jwt=False
        )
    except AuthError as err:
        return None, _json(err.status, err.body)
    row = ctx.store.find_run(creds.environment.id, request.path_params["run_id"])
    if row is None:
        return None, _text(404, "Run not found")
    target = request.path_params["target"]
    if target not in ("self", "parent", "root"):
        return None, _text(404, "Not found")
    column = {"self": None, "parent": "parentTaskRunId", "root": "rootTaskRunId"}[target]
    if column is not None:
        parent = row.get(column)
        row = ctx.store.run(parent) if parent else None
        if row is None:
            return None, _text(404, "Target not found")
    return row, None


async def write_stream(request: Request) -> Response:
    """``PUT`` (create) and ``POST`` (ingest) ``/realtime/v1/streams/{run}/{target}/{stream}``."""
    row, error = _target(request)
    if error is not None:
        return error
    streams = _streams(request)
    key = request.path_params["stream_id"]
    if request.method == "PUT":
        if row["completedAt"]:
            return _text(400, "Cannot initialize a realtime stream on a completed run")
        streams.push_column(row["friendlyId"], key)
        return _json(202, {"version": streams.version(row["friendlyId"])})
    if (request.headers.get("x-stream-version") or "v1") != "v1":
        # S2RealtimeStreams.ingestData throws (s2realtimeStreams.server.ts lines 201-209)
        return _text(500, "S2 streams are written to S2 via the client, not from the server")
    async for piece in request.stream():
        if piece:
            streams.write(row["friendlyId"], key, piece.decode("utf-8", "replace"))
    return Response(status_code=200)


async def append_stream(request: Request) -> Response:
    """``POST /realtime/v1/streams/{run}/{target}/{stream}/append``: one part."""
    row, error = _target(request)
    if error is not None:
        return error
    if row["completedAt"]:
        return _text(400, "Cannot append to a realtime stream on a completed run")
    streams = _streams(request)
    key = request.path_params["stream_id"]
    streams.push_column(row["friendlyId"], key)
    part = (await request.body()).decode("utf-8", "replace")
    if streams.version(row["friendlyId"]) == "v2":
        body = _record_body(part, request.headers.get("x-part-id"))
        streams.write(row["friendlyId"], key, body)
    else:
        streams.write(row["friendlyId"], key, json.dumps(part) + "\n")
    return _json(200, {"ok": True})


def stream_routes() -> list[Route]:
    base = "/realtime/v1/streams/{run_id}"
    return [
        Route(base + "/{stream_id}", read_stream, methods=["GET", "OPTIONS"]),
        Route(base + "/{target}/{stream_id}", write_stream, methods=["PUT", "POST"]),
        Route(base + "/{target}/{stream_id}/append", append_stream, methods=["POST"]),
    ]
