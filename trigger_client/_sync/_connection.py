# Generated from trigger_client/_async/_connection.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Connections of their own for realtime long-polls: no pool, no httpx, no h11.

A long-poll sent through an httpx client pays for URL parsing, the auth, redirect and cookie
machinery, the pool's search of every waiting request (which grows with the square of the number
waiting) and h11's general-purpose HTTP/1.1 state machine; a GET re-sent as soon as its answer is
read needs none of it (``bench/FINDINGS.md``). So, when the SDK owns the HTTP stack (no
``http_client`` of yours and no proxy for the API's URL), realtime long-polls go over connections
of their own, one per request in flight: sockets, TLS and timeouts come from httpcore's network
backends (a lean asyncio stream under asyncio, anyio under trio, plain sockets for the blocking
client), the HTTP/1.1 framing from the pure ``_protocol.http1``. REST calls stay on httpx.
"""

from __future__ import annotations

import ssl
import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import httpcore
import httpx

from .._backends import SyncAbortScope, SyncBackend
from .._exceptions import APIConnectionError, APITimeoutError
from .._protocol.http1 import (
    Http1ProtocolError,
    Http1Response,
    ResponseReader,
    header_block,
    request_line,
)
from .._protocol.retry import connection_error_message

__all__ = ["RealtimeConnections", "ShapeResponse", "decode_content", "direct_origin"]

#: What we accept and can decode (``zlib`` handles both).
ACCEPT_ENCODING = b"gzip, deflate"


class ShapeResponse:
    """A realtime answer the feed reads: status, headers (names lower-cased) and the body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code: int = status_code
        self.headers: dict[str, str] = headers
        self.content: bytes = content


def direct_origin(base_url: str) -> httpcore.Origin | None:
    """The origin to connect to directly, or None when the URL needs httpx (a proxy from the
    environment applies to it, or it is not plain ``http``/``https``)."""
    parts = urlsplit(base_url)
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    proxies = getproxies()
    if (proxies.get(scheme) or proxies.get("all")) and not proxy_bypass(host):
        return None
    return httpcore.Origin(scheme.encode("ascii"), host.encode("idna"), port)


def decode_content(body: bytes, encoding: str | None) -> bytes:
    """The body with its ``content-encoding`` (gzip or deflate) undone."""
    if not encoding or encoding == "identity" or not body:
        return body
    try:
        if encoding == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:  # raw deflate, as some servers send it
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error as exc:
        raise Http1ProtocolError(f"cannot decode a {encoding} body: {exc}") from None
    raise Http1ProtocolError(f"unexpected content-encoding {encoding!r}")


#: Seconds an idle realtime connection is kept for the next long-poll.
KEEPALIVE_EXPIRY = 30.0
#: Bytes asked of the socket per read.
READ_SIZE = 64 * 1024


class _Connection:
    """One open socket (TLS or not) and when it was last given back."""

    __slots__ = ("idle_since", "stream")

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream
        self.idle_since = 0.0


class RealtimeConnections:
    """Kept-alive HTTP/1.1 connections for realtime long-polls, one per request in flight.

    Not a pool to search: a request takes the most recently used idle connection (or opens one)
    and gives it back when its answer is read, so one subscription's long-polls reuse one
    connection, K concurrent subscriptions hold K, and a subscription that is dropped between two
    requests holds none. Idle connections expire after ``KEEPALIVE_EXPIRY`` seconds or when the
    server closes them; a request that gets no byte back on a kept-alive connection is sent once
    more on a new one (the GET is idempotent). Other failures raise ``APIConnectionError`` or
    ``APITimeoutError``: the feed owns retries and backoff.
    """

    def __init__(
        self,
        origin: httpcore.Origin,
        ssl_context: ssl.SSLContext | None,
        *,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self._origin = origin
        self._ssl_context = ssl_context if origin.scheme == b"https" else None
        self._keepalive_expiry = keepalive_expiry
        default_port = 443 if origin.scheme == b"https" else 80
        self._host = (
            origin.host if origin.port == default_port else b"%s:%d" % (origin.host, origin.port)
        )
        # Most recently used last. deque and set operations are atomic, so the blocking client
        # may share this between threads without a lock.
        self._idle: deque[_Connection] = deque()
        self._busy: set[_Connection] = set()
        self._closed = False
        # The encoded header lines, kept for the header list they were made from.
        self._header_block: tuple[Sequence[tuple[bytes, bytes]], bytes] | None = None

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    @property
    def busy_count(self) -> int:
        return len(self._busy)

    def get(
        self,
        target: str,
        headers: Sequence[tuple[bytes, bytes]],
        *,
        timeouts: Mapping[str, float | None],
        abort: SyncAbortScope | None = None,
    ) -> ShapeResponse | httpx.Response:
        """``GET target``: a 2xx or 409 as a ``ShapeResponse``, any other status as an
        ``httpx.Response`` (for the typed errors). ``abort``: the caller's scope, whose abort
        (which shuts a blocking socket down) must not be mistaken for a closed idle connection."""
        cached = self._header_block
        if cached is None or cached[0] is not headers:  # the transport keeps one list per token
            block = header_block(
                [
                    (b"host", self._host),
                    (b"accept", b"*/*"),
                    (b"accept-encoding", ACCEPT_ENCODING),
                    *headers,
                ]
            )
            self._header_block = cached = (headers, block)
        head = request_line(b"GET", target.encode("ascii")) + cached[1]
        read_timeout = timeouts.get("read")
        while True:
            connection, reused = self._checkout(timeouts.get("connect"))
            reader = ResponseReader()
            try:
                try:
                    connection.stream.write(head, timeouts.get("write"))
                    response = None
                    while response is None:
                        response = reader.feed(connection.stream.read(READ_SIZE, read_timeout))
                except (httpcore.NetworkError, Http1ProtocolError):
                    if reused and not reader.received and not (abort is not None and abort.aborted):
                        # The server had closed the kept-alive connection: once more, on a new one.
                        self._discard(connection)
                        continue
                    raise
            except httpcore.TimeoutException as exc:
                self._discard(connection)
                raise APITimeoutError(request=self._httpx_request(target)) from exc
            except (httpcore.NetworkError, Http1ProtocolError) as exc:
                self._discard(connection)
                raise APIConnectionError(
                    f"Connection error: {type(exc).__name__}: {exc}",
                    request=self._httpx_request(target),
                ) from exc
            except BaseException:  # cancelled or aborted mid-request: the connection is unusable
                self._discard(connection)
                raise
            if response.keep_alive:
                self._checkin(connection)
            else:
                self._discard(connection)
            return self._response(target, response)

    def _checkout(self, connect_timeout: float | None) -> tuple[_Connection, bool]:
        if self._closed:  # what httpx raises for a closed client: a bug, not a network failure
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        now = SyncBackend.monotonic()
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                break
            if (
                now - connection.idle_since > self._keepalive_expiry
                or connection.stream.get_extra_info("is_readable")  # closed by the server
            ):
                SyncBackend.close_quietly(connection.stream)
                continue
            self._busy.add(connection)
            return connection, True
        connection = _Connection(self._connect(connect_timeout))
        self._busy.add(connection)
        return connection, False

    def _connect(self, timeout: float | None) -> httpcore.NetworkStream:
        host = self._origin.host.decode("ascii")
        try:
            backend = SyncBackend.realtime_network_backend()
            stream = backend.connect_tcp(host, self._origin.port, timeout=timeout)
        except httpcore.TimeoutException as exc:
            raise APITimeoutError(request=self._httpx_request("/")) from exc
        except (httpcore.NetworkError, OSError) as exc:
            raise APIConnectionError(
                f"Connection error: {type(exc).__name__}: {exc}", request=self._httpx_request("/")
            ) from exc
        if self._ssl_context is None:
            return stream
        try:
            return stream.start_tls(self._ssl_context, server_hostname=host, timeout=timeout)
        except BaseException as exc:
            SyncBackend.close_quietly(stream)
            if isinstance(exc, httpcore.TimeoutException):
                raise APITimeoutError(request=self._httpx_request("/")) from exc
            if isinstance(exc, (httpcore.NetworkError, OSError)):
                raise APIConnectionError(
                    connection_error_message(exc), request=self._httpx_request("/")
                ) from exc
            raise

    def _checkin(self, connection: _Connection) -> None:
        self._busy.discard(connection)
        if self._closed:
            SyncBackend.close_quietly(connection.stream)
            return
        now = connection.idle_since = SyncBackend.monotonic()
        self._idle.append(connection)
        # Close what has been idle too long (the oldest are first).
        while self._idle and now - self._idle[0].idle_since > self._keepalive_expiry:
            try:
                expired = self._idle.popleft()
            except IndexError:
                break
            SyncBackend.close_quietly(expired.stream)

    def _discard(self, connection: _Connection) -> None:
        self._busy.discard(connection)
        SyncBackend.close_quietly(connection.stream)

    def _response(self, target: str, response: Http1Response) -> ShapeResponse | httpx.Response:
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in response.headers
        }
        encoding = headers.pop("content-encoding", None)
        try:
            content = decode_content(response.body, encoding)
        except Http1ProtocolError as exc:
            raise APIConnectionError(
                f"Connection error: {exc}", request=self._httpx_request(target)
            ) from None
        status = response.status
        if 200 <= status < 300 or status == 409:
            return ShapeResponse(status, headers, content)
        return httpx.Response(
            status,
            headers=list(headers.items()),
            content=content,
            request=self._httpx_request(target),
        )

    def _httpx_request(self, target: str) -> httpx.Request:
        origin = self._origin
        return httpx.Request(
            "GET", f"{origin.scheme.decode()}://{self._host.decode('idna')}{target}"
        )

    def close(self) -> None:
        """Close every connection, idle or in use (a request in flight then fails)."""
        self._closed = True
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                break
            SyncBackend.close_quietly(connection.stream)
        for connection in list(self._busy):
            self._discard(connection)
