# Generated from trigger_client/_async/_realtime_senders.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The realtime seam: ``send`` one shape request, get a ``ShapeResponse`` back, two ways.

``AsyncHttpcoreSender`` (when the SDK owns the HTTP stack and no proxy applies): httpcore
connections of the SDK's own, one per long-poll in flight, kept alive and handed back when the
answer is read; no pool to search (a pool re-examines every waiting request when a connection is
released, which grows with the square of the number waiting: ``bench/FINDINGS.md``). httpcore and
h11 frame and parse every byte; respx's httpcore mocker intercepts these requests.

``AsyncHttpxSender``: through an httpx client (yours, or the SDK's when a proxy from the
environment applies), so its transports, limits, proxies, event hooks and mocks see every request.
"""

from __future__ import annotations

import ssl
from collections import deque
from typing import TYPE_CHECKING, Protocol

import httpcore

from .._backends import SyncAbortScope, SyncBackend
from .._exceptions import APIConnectionError, APITimeoutError, of_get_request
from .._protocol.retry import connection_error_message
from .._protocol.shape_http import (
    ACCEPT_ENCODING,
    BaseUrl,
    ContentDecodingError,
    ShapeHttpRequest,
    ShapeResponse,
    decode_content,
)

# Only AsyncHttpxSender uses httpx, and only with an httpx client that exists already: the SDK's
# own connections never load it (their errors make their httpx.Request when it is read).
if TYPE_CHECKING:
    import httpx

__all__ = ["HttpcoreSender", "HttpxSender", "RealtimeSender"]

#: Seconds an idle realtime connection is kept for the next long-poll.
KEEPALIVE_EXPIRY = 30.0

_CLOSED = "Cannot send a request, as the client has been closed."


class RealtimeSender(Protocol):
    """The realtime seam: sends shape requests; any status comes back, network failures raise
    ``APIConnectionError`` / ``APITimeoutError`` (the feed owns retries)."""

    def send(
        self, request: ShapeHttpRequest, abort: SyncAbortScope | None = None
    ) -> ShapeResponse: ...

    def close(self) -> None: ...


class HttpcoreSender:
    """Kept-alive HTTP/1.1 connections (``httpcore.AsyncHTTPConnection``) to one origin, one per
    request in flight.

    A request takes the most recently used idle connection (or opens one) and gives it back when
    its answer is read, so one subscription's long-polls reuse one connection, K concurrent
    subscriptions hold K, and a subscription dropped between two requests holds none. Idle
    connections expire after ``keepalive_expiry`` seconds or when the server closes them; a request
    that fails on a kept-alive connection before its answer is sent once more on another (the GET
    is idempotent). ``aclose`` closes every connection, ending the requests in flight.
    """

    def __init__(
        self,
        base: BaseUrl,
        ssl_context: ssl.SSLContext | None,
        *,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self._origin = httpcore.Origin(
            base.scheme.encode("ascii"), base.host.encode("idna"), base.port
        )
        self._ssl_context = ssl_context if base.scheme == "https" else None
        self._keepalive_expiry = keepalive_expiry
        self._default_headers = [
            (b"host", base.host_header.encode("idna")),
            (b"accept", b"*/*"),
            (b"accept-encoding", ACCEPT_ENCODING),
        ]
        # Most recently used last. deque and set operations are atomic, so the blocking client
        # may share this between threads without a lock.
        self._idle: deque[tuple[httpcore.HTTPConnection, float]] = deque()  # and idle since
        self._busy: set[httpcore.HTTPConnection] = set()
        self._closed = False

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    @property
    def busy_count(self) -> int:
        return len(self._busy)

    def send(self, request: ShapeHttpRequest, abort: SyncAbortScope | None = None) -> ShapeResponse:
        """``GET`` the request's target. ``abort``: the caller's scope, whose abort (which may
        shut a blocking socket down) must not be mistaken for a server closing a connection."""
        origin = self._origin
        core_request = httpcore.Request(
            b"GET",
            httpcore.URL(
                scheme=origin.scheme,
                host=origin.host,
                port=origin.port,
                target=request.target.encode("ascii"),
            ),
            headers=[*self._default_headers, *request.headers],
            extensions={"timeout": dict(request.timeouts)},
        )
        while True:
            connection, reused = self._checkout()
            try:
                try:
                    response = connection.handle_request(core_request)
                    try:
                        content = response.read()
                    finally:
                        response.close()
                except (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError):
                    if reused and not self._closed and not (abort is not None and abort.aborted):
                        # The server had closed the kept-alive connection: once more, on another.
                        self._discard(connection)
                        continue
                    raise
            except httpcore.TimeoutException as exc:
                self._discard(connection)
                raise of_get_request(APITimeoutError(), request.url) from exc
            except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
                self._discard(connection)
                if self._closed:
                    raise RuntimeError(_CLOSED) from exc
                raise of_get_request(
                    APIConnectionError(connection_error_message(exc)), request.url
                ) from exc
            except BaseException:  # cancelled or aborted mid-request: the connection is unusable
                self._discard(connection)
                raise
            self._checkin(connection)
            return _shape_response(response.status, response.headers, content, request.url)

    def _checkout(self) -> tuple[httpcore.HTTPConnection, bool]:
        if self._closed:  # what httpx raises for a closed client: a bug, not a network failure
            raise RuntimeError(_CLOSED)
        while True:
            try:
                connection, _ = self._idle.pop()
            except IndexError:
                break
            # has_expired: the keep-alive expiry passed, or the server closed the connection
            if connection.has_expired() or not connection.is_available():
                SyncBackend.close_quietly(connection)
                continue
            self._busy.add(connection)
            return connection, True
        connection = httpcore.HTTPConnection(
            self._origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=SyncBackend.network_backend(),
        )
        self._busy.add(connection)
        return connection, False

    def _checkin(self, connection: httpcore.HTTPConnection) -> None:
        self._busy.discard(connection)
        if self._closed or not connection.is_available():
            SyncBackend.close_quietly(connection)
            return
        now = SyncBackend.monotonic()
        self._idle.append((connection, now))
        # Close what has been idle too long (the oldest are first; a socket closed by the server
        # is found when taken out).
        while self._idle and now - self._idle[0][1] > self._keepalive_expiry:
            try:
                expired, _ = self._idle.popleft()
            except IndexError:
                break
            SyncBackend.close_quietly(expired)

    def _discard(self, connection: httpcore.HTTPConnection) -> None:
        self._busy.discard(connection)
        SyncBackend.close_quietly(connection)

    def close(self) -> None:
        """Close every connection, idle or in use (a request in flight then fails)."""
        self._closed = True
        while True:
            try:
                connection, _ = self._idle.pop()
            except IndexError:
                break
            SyncBackend.close_quietly(connection)
        for connection in list(self._busy):
            self._discard(connection)


def _shape_response(
    status: int, raw_headers: list[tuple[bytes, bytes]], content: bytes, url: str
) -> ShapeResponse:
    header_list = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
    encoding = None
    for name, value in header_list:
        if name.lower() == "content-encoding":
            encoding = value.strip().lower()
    if encoding is not None:
        try:
            content = decode_content(content, encoding)
        except ContentDecodingError as exc:
            raise of_get_request(APIConnectionError(f"Connection error: {exc}"), url) from None
        header_list = [(n, v) for n, v in header_list if n.lower() != "content-encoding"]
    return ShapeResponse(status, header_list, content, url)


class HttpxSender:
    """Realtime requests sent through an httpx client (never closed here)."""

    def __init__(self, http_client: httpx.Client) -> None:
        self._http_client = http_client

    def send(self, request: ShapeHttpRequest, abort: SyncAbortScope | None = None) -> ShapeResponse:
        import httpx

        timeouts = request.timeouts
        http_request = self._http_client.build_request(
            "GET",
            request.url,
            headers=[
                (name.decode("ascii"), value.decode("ascii")) for name, value in request.headers
            ],
            timeout=httpx.Timeout(
                connect=timeouts.get("connect"),
                read=timeouts.get("read"),
                write=timeouts.get("write"),
                pool=timeouts.get("pool"),
            ),
        )
        try:
            response = self._http_client.send(http_request)
            response.read()
        except httpx.TimeoutException as exc:
            raise APITimeoutError(request=http_request) from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise APIConnectionError(connection_error_message(exc), request=http_request) from exc
        header_list = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name != "content-encoding"  # httpx decoded the body
        ]
        return ShapeResponse(response.status_code, header_list, response.content, request.url)

    def close(self) -> None:
        pass
