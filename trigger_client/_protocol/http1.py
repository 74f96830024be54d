"""HTTP/1.1 for realtime long-polls, the pure part: the request bytes and a response reader.

The realtime feed sends one GET at a time on a kept-alive connection and reads the whole answer
(a JSON array) before sending the next, so this is all it needs of HTTP/1.1: a request head, and a
reader for one response (status line, headers, then a body framed by ``Content-Length``, by
``Transfer-Encoding: chunked``, or by the server closing the connection), skipping interim 1xx
responses. Malformed input raises ``Http1ProtocolError``; the I/O layer feeds bytes in and maps
errors. Tested against h11 as the reference (``tests/unit/test_protocol_http1.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "MAX_HEAD_BYTES",
    "Http1ProtocolError",
    "Http1Response",
    "ResponseReader",
    "request_head",
]

#: Bytes a response head (status line and headers) may take; more is a protocol error.
MAX_HEAD_BYTES = 64 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TEXT = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")  # a field value: no control bytes but HTAB
_TARGET = re.compile(rb"[\x21-\x7e]+")
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?")
_CONTENT_LENGTH = re.compile(rb"[0-9]{1,20}")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})[ \t]*(?:;[^\r\n]*)?")
_OBS_FOLD = re.compile(rb"\r\n[ \t]+")  # a header line continued on the next (obsolete)


class Http1ProtocolError(Exception):
    """The server's bytes are not a valid HTTP/1.1 response."""


class Http1Response:
    """A complete response: status, headers (names lower-cased, in order), body, and whether the
    connection may carry another request."""

    __slots__ = ("body", "headers", "keep_alive", "status")

    def __init__(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, keep_alive: bool
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive


def request_head(method: bytes, target: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The request line and headers of a request without a body."""
    return request_line(method, target) + header_block(headers)


def request_line(method: bytes, target: bytes) -> bytes:
    """``METHOD target HTTP/1.1`` and its CRLF."""
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"invalid method {method!r}")
    if not _TARGET.fullmatch(target):
        raise ValueError("invalid request target")
    return method + b" " + target + b" HTTP/1.1\r\n"


def header_block(headers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The header lines and the blank line that ends the head (the same headers give the same
    bytes: callers sending them again may keep this)."""
    for name, value in headers:  # (the value is left out of the error: it may be a secret)
        if not _TOKEN.fullmatch(name) or not _TEXT.fullmatch(value) or value.strip(b" \t") != value:
            raise ValueError(f"invalid header {name!r}")
    return b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n"


# Reader states
_HEAD, _LENGTH, _CHUNK_HEAD, _CHUNK_DATA, _TRAILERS, _UNTIL_CLOSE, _DONE = range(7)


class ResponseReader:
    """Reads one response to a GET from bytes as they arrive.

    ``feed(data)`` returns the ``Http1Response`` once it is complete, else None; ``feed(b"")``
    means the server closed the connection. ``received`` counts the bytes fed so far (zero means
    the server sent nothing at all: a kept-alive connection it had closed).
    """

    __slots__ = (
        "_body",
        "_buffer",
        "_headers",
        "_keep_alive",
        "_left",
        "_state",
        "_status",
        "received",
    )

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._state = _HEAD
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._keep_alive = True
        self._left = 0
        self._body: list[bytes] = []
        self.received = 0

    def feed(self, data: bytes) -> Http1Response | None:
        if self._state == _DONE:
            raise Http1ProtocolError("the response is already complete")
        if not data:
            return self._eof()
        self.received += len(data)
        self._buffer += data
        return self._advance()

    def _eof(self) -> Http1Response | None:
        if self._state == _UNTIL_CLOSE:
            self._body.append(bytes(self._buffer))
            self._buffer.clear()
            return self._complete()
        if self._state == _HEAD and not self.received:
            raise Http1ProtocolError("Server disconnected without sending a response.")
        raise Http1ProtocolError("peer closed connection without sending complete message body")

    def _advance(self) -> Http1Response | None:
        buffer = self._buffer
        while True:
            state = self._state
            if state == _HEAD:
                end = _find(buffer, b"\r\n\r\n", "the response head is too large")
                if end < 0:
                    return None
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                self._read_head(head)
            elif state == _LENGTH:
                if len(buffer) < self._left:
                    return None
                self._body.append(bytes(buffer[: self._left]))
                del buffer[: self._left]
                return self._complete()
            elif state == _CHUNK_HEAD:
                end = _find(buffer, b"\r\n", "a chunk header is too large")
                if end < 0:
                    return None
                match = _CHUNK_SIZE.fullmatch(buffer, 0, end)
                if match is None:
                    raise Http1ProtocolError("malformed chunk header")
                self._left = int(match.group(1), 16)
                del buffer[: end + 2]
                self._state = _CHUNK_DATA if self._left else _TRAILERS
            elif state == _CHUNK_DATA:
                if len(buffer) < self._left + 2:
                    return None
                if buffer[self._left : self._left + 2] != b"\r\n":
                    raise Http1ProtocolError("a chunk does not end with CRLF")
                self._body.append(bytes(buffer[: self._left]))
                del buffer[: self._left + 2]
                self._state = _CHUNK_HEAD
            elif state == _TRAILERS:  # trailer fields (checked, then dropped) and a blank line
                if buffer.startswith(b"\r\n"):
                    del buffer[:2]
                    return self._complete()
                end = _find(buffer, b"\r\n\r\n", "the trailers are too large")
                if end < 0:
                    return None
                _fields(bytes(buffer[:end]))
                del buffer[: end + 4]
                return self._complete()
            else:  # _UNTIL_CLOSE: everything up to the end of the connection
                self._body.append(bytes(buffer))
                buffer.clear()
                return None

    def _read_head(self, head: bytes) -> None:
        status_line, _, fields = head.partition(b"\r\n")
        match = _STATUS_LINE.fullmatch(status_line)
        if match is None:
            raise Http1ProtocolError(f"malformed status line {status_line[:80]!r}")
        status = int(match.group(2))
        headers = _fields(fields)
        if status < 200:
            if status == 101:
                raise Http1ProtocolError("unexpected 101 Switching Protocols")
            return  # an interim response: the real one follows
        tokens = _tokens(headers, b"connection")
        if match.group(1) == b"0":  # HTTP/1.0: persistent only if the server says so
            keep_alive = b"keep-alive" in tokens and b"close" not in tokens
        else:
            keep_alive = b"close" not in tokens
        encodings = _tokens(headers, b"transfer-encoding")
        lengths = set(_tokens(headers, b"content-length"))
        self._status, self._headers, self._keep_alive = status, headers, keep_alive
        if status in (204, 304):
            self._left = 0
            self._state = _LENGTH
        elif encodings:
            # We send no TE header, so chunked (once) is the only coding a server may use.
            if encodings != [b"chunked"]:
                raise Http1ProtocolError("unsupported transfer-encoding")
            self._state = _CHUNK_HEAD
        elif lengths:
            length = lengths.pop()
            if lengths or not _CONTENT_LENGTH.fullmatch(length):
                raise Http1ProtocolError("malformed content-length")
            self._left = int(length)
            self._state = _LENGTH
        else:
            self._keep_alive = False
            self._state = _UNTIL_CLOSE

    def _complete(self) -> Http1Response:
        self._state = _DONE
        # Bytes after the response (we never pipeline) make the connection unusable.
        keep_alive = self._keep_alive and not self._buffer
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        return Http1Response(self._status, self._headers, body, keep_alive)


def _find(buffer: bytearray, end: bytes, too_large: str) -> int:
    """Where ``end`` is in ``buffer`` (-1: not yet). What it ends may take, with it, at most
    MAX_HEAD_BYTES, whatever pieces the bytes come in: more raises ``too_large``."""
    index = buffer.find(end, 0, MAX_HEAD_BYTES)
    if index < 0 and len(buffer) >= MAX_HEAD_BYTES:
        raise Http1ProtocolError(too_large)
    return index


def _fields(block: bytes) -> list[tuple[bytes, bytes]]:
    """Header (or trailer) lines as (lower-cased name, value); a line folded onto the next (an
    obsolete form) reads as one, the fold a space."""
    fields: list[tuple[bytes, bytes]] = []
    for line in _OBS_FOLD.sub(b" ", block).split(b"\r\n") if block else ():
        name, colon, value = line.partition(b":")
        value = value.strip(b" \t")
        if not colon or not _TOKEN.fullmatch(name) or not _TEXT.fullmatch(value):
            raise Http1ProtocolError(f"malformed header line {line[:80]!r}")
        fields.append((name.lower(), value))
    return fields


def _tokens(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    """The comma-separated, lower-cased values of every ``name`` header, in order."""
    return [t.strip(b" \t") for n, v in headers if n == name for t in v.lower().split(b",")]
