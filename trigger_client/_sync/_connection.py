# Generated from trigger_client/_async/_connection.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""One realtime subscription's own HTTP/1.1 connection: httpcore, without a pool or httpx.

A long-poll sent through an httpx client pays for URL parsing, the auth, redirect and cookie
machinery and the pool's search of every waiting request (which grows with the square of the
number waiting: ``bench/FINDINGS.md``), none of which a GET that is re-sent as soon as it returns
needs. So, when the SDK owns the HTTP stack (no ``http_client`` of yours and no proxy for the API's
URL), each realtime subscription keeps one ``httpcore`` connection for its long-polls, with the
client's TLS context and timeouts. REST calls stay on httpx.
"""

from __future__ import annotations

import ssl
import zlib
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import httpcore
import httpx

from .._backends import SyncBackend
from .._exceptions import APIConnectionError, APITimeoutError

__all__ = ["RealtimeConnection", "ShapeResponse", "direct_origin"]

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


class RealtimeConnection:
    """A kept-alive HTTP/1.1 connection for one subscription's sequential GETs.

    A connection the server closed while it was idle is replaced before the next request; a
    request that fails on a kept-alive connection before any response arrives is sent once more
    on a new one (the GET is idempotent). Other failures raise ``APIConnectionError`` or
    ``APITimeoutError``: the feed owns retries and backoff.
    """

    def __init__(self, origin: httpcore.Origin, ssl_context: ssl.SSLContext | None) -> None:
        self._origin = origin
        self._ssl_context = ssl_context if origin.scheme == b"https" else None
        default_port = 443 if origin.scheme == b"https" else 80
        self._host = (
            origin.host if origin.port == default_port else b"%s:%d" % (origin.host, origin.port)
        )
        self._connection: httpcore.HTTPConnection | None = None
        self._closed = False

    @property
    def origin(self) -> httpcore.Origin:
        return self._origin

    def get(
        self,
        target: str,
        headers: Sequence[tuple[bytes, bytes]],
        *,
        timeouts: Mapping[str, float | None],
    ) -> ShapeResponse | httpx.Response:
        """``GET target``: a 2xx or 409 as a ``ShapeResponse``, any other status as an
        ``httpx.Response`` (for the typed errors)."""
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
            if self._closed:
                raise APIConnectionError("Connection error: the subscription was closed")
            connection = self._connection
            if connection is not None and (
                connection.has_expired() or not connection.is_available()
            ):
                self._discard()
                connection = None
            reused = connection is not None
            if connection is None:
                connection = self._connection = httpcore.HTTPConnection(
                    self._origin,
                    ssl_context=self._ssl_context,
                    network_backend=SyncBackend.realtime_network_backend(),
                )
            try:
                try:
                    response = connection.handle_request(request)
                except (httpcore.RemoteProtocolError, httpcore.NetworkError) as exc:
                    self._discard()
                    if reused and not isinstance(exc, httpcore.ConnectError):
                        continue  # the server closed the kept-alive connection: a new one
                    raise
                try:
                    body = response.read()
                finally:
                    response.close()
            except httpcore.TimeoutException as exc:
                self._discard()
                raise APITimeoutError(request=self._httpx_request(target)) from exc
            except (httpcore.ConnectionNotAvailable, httpcore.UnsupportedProtocol) as exc:
                self._discard()
                raise APIConnectionError(
                    f"Connection error: {type(exc).__name__}", request=self._httpx_request(target)
                ) from exc
            except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
                self._discard()
                raise APIConnectionError(
                    f"Connection error: {type(exc).__name__}", request=self._httpx_request(target)
                ) from exc
            except BaseException:  # cancelled or aborted mid-request: the connection is unusable
                self._discard()
                raise
            return self._response(target, response.status, response.headers, body)

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

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            SyncBackend.close_quietly(connection)

    def close(self) -> None:
        self._closed = True
        self._discard()
