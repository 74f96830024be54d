# Generated from trigger_client/_async/_connection.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""One realtime subscription's own HTTP/1.1 connection: httpcore, without a pool or httpx.

A long-poll sent through an httpx client pays for URL parsing, the auth, redirect and cookie
machinery and the pool's search of every waiting request (which grows with the square of the
number waiting: ``bench/FINDINGS.md``), none of which a GET that is re-sent as soon as it returns
needs. So, when the SDK owns the HTTP stack (no ``http_client`` of yours and no proxy for the API's
URL), realtime long-polls go over ``httpcore`` connections of their own, one per request in
flight, with the client's TLS context and timeouts. REST calls stay on httpx.
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

__all__ = ["RealtimeConnections", "ShapeResponse", "decode_content", "direct_origin"]

#: What we accept and can decode (``zlib`` handles both).
ACCEPT_ENCODING = b"gzip, deflate"


class ShapeResponse:
    """A realtime answer the feed reads: status, headers (names lower-cased) and the body."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content


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
        raise httpcore.RemoteProtocolError(f"cannot decode a {encoding} body: {exc}") from None
    raise httpcore.RemoteProtocolError(f"unexpected content-encoding {encoding!r}")


#: Seconds an idle realtime connection is kept for the next long-poll.
KEEPALIVE_EXPIRY = 30.0


class RealtimeConnections:
    """Kept-alive HTTP/1.1 connections for realtime long-polls, one per request in flight.

    Not a pool to search: a request takes the most recently used idle connection (or opens one)
    and gives it back when its answer is read, so one subscription's long-polls reuse one
    connection, K concurrent subscriptions hold K, and a subscription that is dropped between two
    requests holds none. Idle connections expire after ``KEEPALIVE_EXPIRY`` seconds or when the
    server closes them; a request that fails on a kept-alive connection before any answer is sent
    once more on a new one (the GET is idempotent). Other failures raise ``APIConnectionError``
    or ``APITimeoutError``: the feed owns retries and backoff.
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
        # (connection, when it became idle), most recent last. deque and set operations are
        # atomic, so the blocking client may share this between threads without a lock.
        self._idle: deque[tuple[httpcore.HTTPConnection, float]] = deque()
        self._busy: set[httpcore.HTTPConnection] = set()
        self._closed = False

    @property
    def origin(self) -> httpcore.Origin:
        return self._origin

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
        request = httpcore.Request(
            b"GET",
            httpcore.URL(
                scheme=self._origin.scheme,
                host=self._origin.host,
                port=self._origin.port,
                target=target.encode("ascii"),
            ),
            headers=[
                (b"host", self._host),
                (b"accept", b"*/*"),
                (b"accept-encoding", ACCEPT_ENCODING),
                *headers,
            ],
            extensions={"timeout": dict(timeouts)},
        )
        while True:
            connection, reused = self._checkout()
            try:
                try:
                    response = connection.handle_request(request)
                except (httpcore.RemoteProtocolError, httpcore.NetworkError) as exc:
                    if (
                        reused
                        and not isinstance(exc, httpcore.ConnectError)
                        and not (abort is not None and abort.aborted)
                    ):
                        self._discard(connection)
                        continue  # the server closed the kept-alive connection: a new one
                    raise
                try:
                    body = response.read()
                finally:
                    response.close()
            except httpcore.TimeoutException as exc:
                self._discard(connection)
                raise APITimeoutError(request=self._httpx_request(target)) from exc
            except (
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
            ) as exc:
                self._discard(connection)
                raise APIConnectionError(
                    f"Connection error: {type(exc).__name__}", request=self._httpx_request(target)
                ) from exc
            except BaseException:  # cancelled or aborted mid-request: the connection is unusable
                self._discard(connection)
                raise
            self._checkin(connection)
            return self._response(target, response.status, response.headers, body)

    def _checkout(self) -> tuple[httpcore.HTTPConnection, bool]:
        if self._closed:  # what httpx raises for a closed client: a bug, not a network failure
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        while True:
            try:
                connection, _ = self._idle.pop()
            except IndexError:
                break
            if connection.has_expired() or not connection.is_available():
                SyncBackend.close_quietly(connection)
                continue
            self._busy.add(connection)
            return connection, True
        connection = httpcore.HTTPConnection(
            self._origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=SyncBackend.realtime_network_backend(),
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
        # Close what has been idle too long (the oldest are first).
        while self._idle and now - self._idle[0][1] > self._keepalive_expiry:
            try:
                expired, _ = self._idle.popleft()
            except IndexError:
                break
            SyncBackend.close_quietly(expired)

    def _discard(self, connection: httpcore.HTTPConnection) -> None:
        self._busy.discard(connection)
        SyncBackend.close_quietly(connection)

    def _response(
        self, target: str, status: int, raw: Sequence[tuple[bytes, bytes]], body: bytes
    ) -> ShapeResponse | httpx.Response:
        # h11 lower-cases header names.
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        encoding = headers.pop("content-encoding", None)
        try:
            content = decode_content(body, encoding)
        except httpcore.RemoteProtocolError as exc:
            raise APIConnectionError(
                f"Connection error: {exc}", request=self._httpx_request(target)
            ) from None
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
                connection, _ = self._idle.pop()
            except IndexError:
                break
            SyncBackend.close_quietly(connection)
        for connection in list(self._busy):
            self._discard(connection)
