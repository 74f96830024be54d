"""The realtime HTTP seam's pure parts: the base URL split once, one shape request, one response.

A realtime long-poll is sent either over the SDK's own httpcore connections or through an httpx
client; both take a ``ShapeHttpRequest`` and give back a ``ShapeResponse``. Framing and parsing of
the HTTP bytes is httpcore's and h11's; here are only the URL, the headers and the body's
``content-encoding``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlencode, urlsplit

__all__ = [
    "ACCEPT_ENCODING",
    "BaseUrl",
    "ContentDecodingError",
    "ShapeHttpRequest",
    "ShapeResponse",
    "decode_content",
]

#: What the SDK's own connections accept and can decode (``zlib`` handles both).
ACCEPT_ENCODING = b"gzip, deflate"


class ContentDecodingError(Exception):
    """A body that its ``content-encoding`` does not decode."""


class BaseUrl:
    """The API's base URL split once: scheme, host, port, the ``Host`` header and the path prefix.

    IPv6 literals keep their brackets in the URL and the ``Host`` header (``[::1]:3030``) and lose
    them in ``host`` (what a socket connects to); the port is the scheme's default when absent.
    """

    __slots__ = ("host", "host_header", "path", "port", "scheme", "url")

    def __init__(self, url: str) -> None:
        self.url: str = url.rstrip("/")
        parts = urlsplit(self.url)
        self.scheme: str = parts.scheme.lower()
        if self.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL with a host: {url!r}")
        default_port = 443 if self.scheme == "https" else 80
        port = parts.port  # ValueError when out of range
        self.port: int = port or default_port
        self.host: str = parts.hostname  # lower-cased, without IPv6 brackets
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header: str = shown if self.port == default_port else f"{shown}:{self.port}"
        self.path: str = parts.path

    def target(self, path: str, params: Iterable[tuple[str, str]]) -> str:
        """The request target (path and query, percent-encoded) of ``path`` under this URL.

        ``path`` is encoded already (its ids by ``_protocol.paths.path_segment``); only the base
        URL's own path and the query are encoded here."""
        query = urlencode(list(params), quote_via=quote, safe="")
        return quote(self.path, safe="/%") + path + ("?" + query if query else "")


class ShapeHttpRequest:
    """One realtime ``GET``: the target under ``base``, its headers and its timeouts (the keys of
    httpcore's ``timeout`` extension: ``connect``, ``read``, ``write``, ``pool``)."""

    __slots__ = ("base", "headers", "target", "timeouts")

    def __init__(
        self,
        base: BaseUrl,
        target: str,
        headers: Sequence[tuple[bytes, bytes]],
        timeouts: Mapping[str, float | None],
    ) -> None:
        self.base: BaseUrl = base
        self.target: str = target
        self.headers: Sequence[tuple[bytes, bytes]] = headers
        self.timeouts: Mapping[str, float | None] = timeouts

    @property
    def url(self) -> str:
        return f"{self.base.scheme}://{self.base.host_header}{self.target}"


class ShapeResponse:
    """A realtime answer, whichever way it came: status, headers and the decoded body.

    ``headers`` maps lower-cased names to values (a repeated header's values joined by ``", "``);
    ``header_list`` keeps every header as received, in order.
    """

    __slots__ = ("content", "header_list", "headers", "status_code", "url")

    def __init__(
        self,
        status_code: int,
        header_list: Sequence[tuple[str, str]],
        content: bytes,
        url: str,
    ) -> None:
        self.status_code: int = status_code
        self.header_list: Sequence[tuple[str, str]] = header_list
        headers: dict[str, str] = {}
        for name, value in header_list:
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        self.headers: dict[str, str] = headers
        self.content: bytes = content
        self.url: str = url


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
        raise ContentDecodingError(f"cannot decode a {encoding} body: {exc}") from None
    raise ContentDecodingError(f"unexpected content-encoding {encoding!r}")
