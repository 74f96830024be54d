"""Fault injection and the request log, as ASGI middleware around the whole emulator.

A rule matches requests by path (a glob such as ``/realtime/v1/runs/*`` or a compiled regex),
optionally by method and by query parameters, lets ``skip`` matches through, then applies its
action to the next ``times`` matches (``None`` = forever). Every request is recorded with a
monotonic timestamp, so tests can check backoff and spot tight loops.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DroppedConnection",
    "FaultAction",
    "FaultRule",
    "Faults",
    "RequestLog",
    "RequestRecord",
    "delay",
    "drop_connection",
    "missing_header",
    "must_refetch",
    "non_array_body",
    "slow_body",
    "stale_handle",
    "status",
    "token_fingerprint",
]

# Passed on to the realtime routes (in the scope), which apply them; the stream kinds are built by
# ``trigger_client.testing._streams``.
REALTIME_KINDS = frozenset({"stale_handle", "must_refetch", "drop_stream", "slow_stream"})


@dataclass(frozen=True)
class FaultAction:
    """What to do to a matching request. Build one with the functions of this module."""

    kind: str
    status: int | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    header_names: tuple[str, ...] = ()
    without_handle: bool = False
    rotate: bool | None = None  # must_refetch: None = rotate unless without_handle
    after_bytes: int | None = None


_DEFAULT_BODIES: dict[int, tuple[bytes, str]] = {
    409: (b'[{"headers":{"control":"must-refetch"}}]', "application/json"),
    429: (b'{"error":"Too many concurrent requests"}', "application/json"),
    500: (b'{"error":"Internal Server Error"}', "application/json"),
    502: (b'{"error":"Bad Gateway"}', "application/json"),
    503: (b"Network error occurred", "text/plain"),
}


def status(
    code: int,
    *,
    body: Any = None,
    retry_after: float | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> FaultAction:
    """Answer with ``code`` (e.g. 409, 429, 500, 503) without reaching the route.

    ``body``: bytes/str sent as is, anything else as JSON; the default is what the real service
    sends for that status. ``retry_after`` adds a ``Retry-After`` header (seconds or a date).
    """
    content_type = "application/json"
    if body is None:
        raw, content_type = _DEFAULT_BODIES.get(code, (b'{"error":"Injected fault"}', content_type))
    elif isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw, content_type = body.encode(), "text/plain"
    else:
        raw = json.dumps(body, separators=(",", ":")).encode()
    extra = dict(headers or {})
    if retry_after is not None:
        extra["retry-after"] = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
    return FaultAction("status", status=code, body=raw, content_type=content_type, headers=extra)


def drop_connection(after_bytes: int | None = None) -> FaultAction:
    """Send the real status and headers, part of the body (half by default), then close."""
    return FaultAction("drop_connection", after_bytes=after_bytes)


def delay(seconds: float) -> FaultAction:
    """Hold the request for ``seconds``, then answer it normally (a slow response)."""
    return FaultAction("delay", seconds=seconds)


def slow_body(seconds: float) -> FaultAction:
    """Send the headers at once and the body ``seconds`` later."""
    return FaultAction("slow_body", seconds=seconds)


def stale_handle() -> FaultAction:
    """Realtime: answer with a cached 200 that carries an expired shape handle."""
    return FaultAction("stale_handle")


def non_array_body(body: Any = None) -> FaultAction:
    """Answer normally but replace the body (default: a JSON object, not an array)."""
    raw = b'{"message":"not an array"}' if body is None else _to_bytes(body)
    return FaultAction("non_array_body", body=raw)


def missing_header(*names: str) -> FaultAction:
    """Answer normally but without these response headers (e.g. ``electric-offset``)."""
    return FaultAction("missing_header", header_names=tuple(n.lower() for n in names))


def must_refetch(*, without_handle: bool = False, rotate: bool | None = None) -> FaultAction:
    """Realtime: answer 409 must-refetch, rotating the shape first (Electric) if ``rotate``.

    * ``must_refetch()``: the shape rotates; the 409 carries the new ``electric-handle``.
    * ``must_refetch(without_handle=True)``: a bare 409 (no ``electric-handle``) while the shape
      lives on, as a proxy or a cache may send; the resync gets the same handle again.
    * ``must_refetch(without_handle=True, rotate=True)``: the shape rotates **and** the 409 lacks
      the new handle: the client resyncs with ``offset=-1`` and discovers the new handle there;
      the old handle is expired (a later request with it gets a 409 with the new one).
    * ``must_refetch(rotate=False)``: a 409 naming the current handle, without a rotation.

    ``rotate`` defaults to ``not without_handle``. The native backend has no shapes: it answers
    409 without a handle whatever the options.
    """
    if rotate is None:
        rotate = not without_handle
    return FaultAction("must_refetch", without_handle=without_handle, rotate=rotate)


def _to_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":")).encode()


PathPattern = str | re.Pattern[str]


@dataclass
class FaultRule:
    """A rule: which requests, what to do, how many times."""

    path: PathPattern
    action: FaultAction
    times: int | None = 1
    method: str | None = None
    query: Mapping[str, str] | None = None
    skip: int = 0
    hits: int = 0

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if isinstance(self.path, re.Pattern):
            if not self.path.search(path):
                return False
        elif not fnmatch.fnmatchcase(path, self.path):
            return False
        if self.query is not None:
            return all(query.get(k) == v for k, v in self.query.items())
        return True

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The fault rules of one emulator (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(
        self,
        path: PathPattern,
        action: FaultAction,
        *,
        times: int | None = 1,
        method: str | None = None,
        query: Mapping[str, str] | None = None,
        skip: int = 0,
    ) -> FaultRule:
        """Apply ``action`` to the next ``times`` requests matching ``path`` (after ``skip``)."""
        rule = FaultRule(path, action, times=times, method=method, query=query, skip=skip)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str, query: Mapping[str, str]) -> FaultAction | None:
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, query):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.hits += 1
                return rule.action
        return None


def token_fingerprint(token: str) -> str:
    """A short non-secret fingerprint of a token, as the request log shows it."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass
class RequestRecord:
    """One request the emulator received."""

    time: float  # time.monotonic() when it arrived
    wall_time: float
    method: str
    path: str  # percent-decoded, as the routes see it
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; the bearer token replaced by a fingerprint
    status: int | None = None  # None while in flight (or if the connection dropped first)
    fault: str | None = None
    duration: float | None = None
    token_fingerprint: str | None = None
    # The response's raw header list as sent (after any fault); decoded on demand.
    raw_response_headers: Sequence[tuple[bytes, bytes]] = field(default=(), repr=False)
    #: The path as it was sent, percent-encoding intact (``path`` is decoded).
    raw_path: str = ""

    @property
    def response_headers(self) -> dict[str, str]:
        """The response headers sent (lower-case names; repeated ones joined with ``, ``).

        Empty while in flight. What uvicorn adds itself (``date``, ``server``) is not included.
        """
        headers: dict[str, str] = {}
        for raw_name, raw_value in self.raw_response_headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    @property
    def live(self) -> bool:
        return self.query.get("live") == "true"

    @property
    def done(self) -> bool:
        return self.duration is not None


class RequestLog:
    """Every request, in arrival order (thread-safe); the oldest are dropped past ``limit``."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Condition()
        self._records: list[RequestRecord] = []
        self._limit = limit

    def start(self, scope: Scope) -> RequestRecord:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))
        headers: dict[str, str] = {}
        fingerprint = None
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name == "authorization":
                token = value[7:] if value.startswith("Bearer ") else value
                fingerprint = token_fingerprint(token) if token else None
                value = f"Bearer [redacted:{fingerprint}]" if token else value
            headers[name] = value
        record = RequestRecord(
            time=time.monotonic(),
            wall_time=time.time(),
            method=scope.get("method", "GET"),
            path=scope.get("path", ""),
            raw_path=(scope.get("raw_path") or b"").decode("latin-1"),
            query=query,
            headers=headers,
            token_fingerprint=fingerprint,
        )
        with self._lock:
            self._records.append(record)
            if len(self._records) > self._limit:
                del self._records[: len(self._records) - self._limit]
            self._lock.notify_all()
        return record

    def finish(self, record: RequestRecord) -> None:
        with self._lock:
            record.duration = time.monotonic() - record.time
            self._lock.notify_all()

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def wait_for(
        self, predicate: Callable[[list[RequestRecord]], bool], timeout: float
    ) -> list[RequestRecord]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self._records):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the expected requests did not arrive in time")
                self._lock.wait(remaining)
            return list(self._records)


class DroppedConnection(Exception):
    """Raised inside the server to make it close a connection mid-body (not an error)."""


def _header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class FaultMiddleware:
    """Records every request and applies the first matching fault rule."""

    def __init__(self, app: ASGIApp, faults: Faults, log: RequestLog) -> None:
        self.app = app
        self.faults = faults
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = self.log.start(scope)
        action = self.faults.take(record.method, record.path, record.query)
        record.fault = action.kind if action else None

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                record.raw_response_headers = tuple(message.get("headers", ()))
            await send(message)

        try:
            if action is None:
                await self.app(scope, receive, recording_send)
            else:
                await self._apply(action, scope, receive, recording_send)
        finally:
            self.log.finish(record)

    async def _apply(self, action: FaultAction, scope: Scope, receive: Receive, send: Send) -> None:
        kind = action.kind
        if kind == "status":
            headers = [(b"content-type", action.content_type.encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in action.headers.items()]
            body = action.body or b""
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": action.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if kind == "delay":
            await asyncio.sleep(action.seconds)
            await self.app(scope, receive, send)
            return
        if kind in REALTIME_KINDS:
            if scope.get("path", "").startswith("/realtime/"):
                scope = dict(scope)
                scope["trigger_emulator.fault"] = action
                await self.app(scope, receive, send)
                return
            await self._apply(status(409), scope, receive, send)
            return
        if kind == "missing_header":

            async def stripping_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = dict(message)
                    message["headers"] = [
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k.decode("latin-1").lower() not in action.header_names
                    ]
                await send(message)

            await self.app(scope, receive, stripping_send)
            return
        # The remaining faults rewrite a complete response: capture it first.
        start, body = await self._capture(scope, receive)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if kind == "non_array_body":
            body = action.body or b""
        headers.append((b"content-length", str(len(body)).encode()))
        start = {**start, "headers": headers}
        if kind == "slow_body":
            await send(start)
            await asyncio.sleep(action.seconds)
            await send({"type": "http.response.body", "body": body})
            return
        if kind == "drop_connection":
            cut = action.after_bytes if action.after_bytes is not None else len(body) // 2
            await send(start)
            await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
            raise DroppedConnection("fault injection: connection dropped mid-body")
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _capture(self, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return start, b"".join(chunks)
