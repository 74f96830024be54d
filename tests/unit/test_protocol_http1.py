"""HTTP/1.1 for realtime long-polls (``_protocol.http1``), checked against h11 as the reference.

Responses are generated (interim 1xx, 204/304, odd header spacing, duplicates, bodies framed by
Content-Length, chunked encoding with extensions and trailers, or the connection closing), sent
as bytes cut at random points, and what ``ResponseReader`` makes of them is compared with what an
h11 client makes of the same bytes. ``request_head``'s bytes are read back by an h11 server.
"""

from __future__ import annotations

from dataclasses import dataclass

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trigger_client._protocol.http1 import (
    MAX_HEAD_BYTES,
    Http1ProtocolError,
    Http1Response,
    ResponseReader,
    request_head,
)

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

Fields = list[tuple[bytes, bytes]]

# -- the reference: an h11 client --------------------------------------------------------------


@dataclass
class H11Result:
    status: int
    version: bytes
    headers: Fields
    body: bytes
    reusable: bool  # h11 would start another request/response cycle on this connection


def h11_read(pieces: list[bytes], *, eof: bool) -> H11Result:
    """What an h11 client that sent ``GET /`` reads from ``pieces`` (then EOF if ``eof``), up to
    the end of the response; raises ``h11.ProtocolError`` where h11 refuses the bytes."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.com")]))
    conn.send(h11.EndOfMessage())
    response: h11.Response | None = None
    body = bytearray()
    for piece in [*pieces, b""] if eof else pieces:
        conn.receive_data(piece)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                # Reusable: both sides DONE (not MUST_CLOSE), the server has not closed (h11
                # says DONE at the end of a body read up to EOF), and nothing after the response
                # has arrived (we never pipeline, so that is garbage).
                trailing, closed = conn.trailing_data
                reusable = (
                    conn.our_state is h11.DONE
                    and conn.their_state is h11.DONE
                    and not closed
                    and not trailing
                )
                headers = [(name, value) for name, value in response.headers]
                return H11Result(
                    response.status_code, response.http_version, headers, bytes(body), reusable
                )
            else:  # interim responses are skipped; nothing else can come before the end
                assert isinstance(event, h11.InformationalResponse), event
    raise AssertionError("h11 wants more bytes")


def read(pieces: list[bytes], *, eof: bool) -> Http1Response:
    """``ResponseReader`` fed ``pieces`` (then EOF if ``eof``): the response must be complete
    exactly at the last piece, and the reader then refuses more."""
    reader = ResponseReader()
    response = None
    for index, piece in enumerate(pieces):
        response = reader.feed(piece)
        if response is not None:
            assert index == len(pieces) - 1, "complete before the end of the response"
            assert not eof, "complete before the server closed the connection"
            break
    if response is None:
        assert eof, "incomplete after the whole response"
        response = reader.feed(b"")
        assert response is not None
    assert reader.received == sum(map(len, pieces))
    with pytest.raises(Http1ProtocolError, match="already complete"):
        reader.feed(b"more")
    with pytest.raises(Http1ProtocolError, match="already complete"):
        reader.feed(b"")
    return response


def read_all(data: bytes) -> Http1Response | None:
    """Feed ``data`` whole, then EOF unless that completed the response."""
    reader = ResponseReader()
    return reader.feed(data) or reader.feed(b"")


def fails(data: bytes | list[bytes], match: str = "") -> Http1ProtocolError:
    """Feeding ``data`` (a piece or pieces, then EOF) raises ``Http1ProtocolError``."""
    reader = ResponseReader()
    with pytest.raises(Http1ProtocolError, match=match) as error:
        for piece in [data] if isinstance(data, bytes) else data:
            assert reader.feed(piece) is None
        reader.feed(b"")
    return error.value


def without(headers: Fields, *names: bytes) -> Fields:
    return [(name, value) for name, value in headers if name not in names]


# -- generated responses ----------------------------------------------------------------------

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FRAMING_NAMES = {b"content-length", b"transfer-encoding", b"connection"}

tokens = st.text(TOKEN_CHARS, min_size=1, max_size=10).map(str.encode)
ows = st.sampled_from([b"", b"", b" ", b"  ", b"\t", b" \t "])
vchars = st.binary(min_size=1, max_size=6).map(  # visible ASCII and obs-text, no CTLs
    lambda raw: bytes(0x21 + b % 0x5E if b < 0x80 else b for b in raw)
)
# A field value: visible runs with single or odd whitespace between, nothing around.
values = st.lists(st.tuples(st.sampled_from([b" ", b"\t", b"  \t"]), vchars), max_size=4).map(
    lambda parts: b"".join(space + run for space, run in parts).lstrip(b" \t")
)
names = st.one_of(
    st.sampled_from([b"X-Dup", b"x-dup", b"Set-Cookie", b"Content-Type"]),  # duplicates
    tokens.filter(lambda name: name.lower() not in FRAMING_NAMES),
)


@dataclass
class Field:
    name: bytes
    value: bytes
    before: bytes = b""  # whitespace around the value
    after: bytes = b""

    def line(self) -> bytes:
        return self.name + b":" + self.before + self.value + self.after + b"\r\n"

    def parsed(self) -> tuple[bytes, bytes]:
        return (self.name.lower(), self.value)


fields = st.lists(st.builds(Field, names, values, ows, ows), max_size=5)
reasons = st.one_of(  # None: no reason phrase, not even its space
    st.none(),
    st.binary(max_size=12).map(
        lambda raw: bytes(b if b >= 0x20 and b != 0x7F else 0x20 for b in raw)
    ),
)


@dataclass
class Model:
    version: bytes
    interim: list[tuple[int, bytes | None, list[Field]]]
    status: int
    reason: bytes | None
    headers: list[Field]  # the framing headers (Content-Length, ...) among random ones
    framing: str  # "length", "chunked", "close", or "none" (204 and 304)
    body: bytes
    chunks: list[bytes]  # the chunk lines and data, for chunked
    trailing: bytes  # garbage after the response

    def serialize(self) -> bytes:
        out = bytearray()
        for status, reason, interim_headers in self.interim:
            out += self.status_line(status, reason)
            out += b"".join(field.line() for field in interim_headers) + b"\r\n"
        out += self.status_line(self.status, self.reason)
        out += b"".join(field.line() for field in self.headers) + b"\r\n"
        out += b"".join(self.chunks) if self.framing == "chunked" else self.body
        return bytes(out)

    def status_line(self, status: int, reason: bytes | None) -> bytes:
        line = b"HTTP/" + self.version + b" %d" % status
        return line + (b"" if reason is None else b" " + reason) + b"\r\n"

    def keep_alive(self) -> bool:
        """RFC 9112 9.3: HTTP/1.1 persists unless ``close``; HTTP/1.0 only with ``keep-alive``
        (which h11 does not do); never when the body ends with the connection."""
        connection = [
            field.value.lower() for field in self.headers if field.name.lower() == b"connection"
        ]
        options = {option.strip(b" \t") for value in connection for option in value.split(b",")}
        if self.framing == "close" or self.trailing or b"close" in options:
            return False
        return self.version == b"1.1" or b"keep-alive" in options


@st.composite
def chunked_body(draw: st.DrawFn, body: bytes) -> list[bytes]:
    """``body`` cut into chunks with random size spellings and extensions, a last chunk, trailers."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=5))) if body else []
    bounds = [0, *[cut for cut in cuts if cut < len(body)], len(body)] if body else [0]
    extensions = st.sampled_from([b"", b"", b";a", b";a=b", b';name="x; y"', b";a;b=c", b";x=1 "])
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        size = draw(st.sampled_from(["%x", "%X", "0%x", "00%X"])) % (end - start)
        out.append(
            size.encode() + draw(extensions) + draw(ows) + b"\r\n" + body[start:end] + b"\r\n"
        )
    last = draw(st.sampled_from([b"0", b"000"])) + draw(extensions) + draw(ows) + b"\r\n"
    trailers = draw(st.lists(st.builds(Field, names, values, ows, ows), max_size=2))
    return [*out, last, *(field.line() for field in trailers), b"\r\n"]


@st.composite
def models(draw: st.DrawFn) -> Model:
    version = draw(st.sampled_from([b"1.1", b"1.1", b"1.0"]))
    interim = draw(
        st.lists(st.tuples(st.sampled_from([100, 102, 103, 199]), reasons, fields), max_size=2)
    )
    status = draw(st.one_of(st.sampled_from([200, 204, 304]), st.integers(200, 999)))
    framing = (
        "none" if status in (204, 304) else draw(st.sampled_from(["length", "chunked", "close"]))
    )
    body = b"" if framing == "none" else draw(st.binary(max_size=200))
    headers = draw(fields)
    framing_headers = []
    if framing == "length" or (framing == "none" and draw(st.booleans())):
        length = b"%d" % len(body) if framing == "length" else draw(st.sampled_from([b"0", b"42"]))
        # One header, the same twice, or a list of equal values (RFC 9112 6.3 allows these).
        spelled = draw(st.sampled_from([[length], [length, length], [length + b", " + length]]))
        framing_headers += [
            Field(b"Content-Length", value, draw(ows), draw(ows)) for value in spelled
        ]
    if framing == "chunked":
        spelling = draw(st.sampled_from([b"chunked", b"Chunked", b"CHUNKED"]))
        framing_headers.append(Field(b"Transfer-Encoding", spelling, draw(ows), draw(ows)))
        if draw(st.booleans()):  # Transfer-Encoding overrides a Content-Length
            framing_headers.append(Field(b"Content-Length", b"%d" % draw(st.integers(0, 99))))
    options = st.sampled_from([b"close", b"Close", b"keep-alive", b"Keep-Alive", b"upgrade", b"x"])
    for _ in range(draw(st.integers(0, 2))):
        separators = st.sampled_from([b",", b", ", b" ,", b",\t", b", ,"])
        spelled = draw(st.lists(st.tuples(separators, options), min_size=1, max_size=3))
        value = b"".join(sep + option for sep, option in spelled)[len(spelled[0][0]) :]
        framing_headers.append(Field(b"Connection", value, draw(ows), draw(ows)))
    for field in framing_headers:
        headers.insert(draw(st.integers(0, len(headers))), field)
    chunks = draw(chunked_body(body)) if framing == "chunked" else []
    trailing = b"" if framing == "close" else draw(st.sampled_from([b""] * 4 + [b"X", b"HTTP/1.1"]))
    return Model(version, interim, status, draw(reasons), headers, framing, body, chunks, trailing)


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` in non-empty pieces: cut at random points, or a byte at a time."""
    if len(data) > 1 and draw(st.integers(0, 9)) == 0:
        return [data[i : i + 1] for i in range(len(data))]
    points = draw(st.sets(st.integers(1, len(data) - 1), max_size=6)) if len(data) > 1 else set()
    bounds = [0, *sorted(points), len(data)]
    return [data[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


@FUZZ
@given(st.data(), models())
def test_generated_responses_read_as_h11_reads_them(data: st.DataObject, model: Model) -> None:
    response_bytes = model.serialize()
    pieces = data.draw(cut(response_bytes))
    pieces[-1] += model.trailing  # garbage arriving with the end of the response
    eof = model.framing == "close"
    ours = read(pieces, eof=eof)
    reference = h11_read(pieces, eof=eof)

    assert ours.status == reference.status == model.status
    assert ours.body == reference.body == model.body
    assert ours.headers == [field.parsed() for field in model.headers]
    # h11 keeps one of equal Content-Lengths, and spells Transfer-Encoding in lower case.
    framing = (b"content-length", b"transfer-encoding")
    assert without(ours.headers, *framing) == without(reference.headers, *framing)
    assert ours.keep_alive == model.keep_alive()
    # The same as h11, but for HTTP/1.0 keep-alive, which h11 does not do.
    assert reference.reusable == (ours.keep_alive and model.version == b"1.1")


@FUZZ
@given(
    st.data(),
    st.lists(st.tuples(st.sampled_from([100, 102, 103]), fields), max_size=2),
    st.sampled_from([200, 200, 201, 204, 304, 404, 500]),
    fields,
    st.lists(st.binary(min_size=1, max_size=50), max_size=4),  # the body, as Data events
    st.sampled_from(["length", "chunked", "chunked with trailers"]),
    st.booleans(),  # Connection: close
)
def test_responses_that_h11_writes(
    data: st.DataObject,
    interim: list[tuple[int, list[Field]]],
    status: int,
    headers: list[Field],
    parts: list[bytes],
    framing: str,
    close: bool,
) -> None:
    server = h11.Connection(h11.SERVER)
    server.receive_data(b"GET /v1/runs HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert isinstance(server.next_event(), h11.Request)
    assert isinstance(server.next_event(), h11.EndOfMessage)
    out = bytearray()
    for interim_status, interim_headers in interim:
        interim_fields = [(field.name, field.value) for field in interim_headers]
        out += server.send(
            h11.InformationalResponse(status_code=interim_status, headers=interim_fields)
        )
    body = b"" if status in (204, 304) else b"".join(parts)
    head = [(field.name, field.value) for field in headers]
    if framing == "length":
        head.append((b"Content-Length", b"%d" % len(body)))  # else h11 chunks the body
    if close:
        head.append((b"Connection", b"close"))
    out += server.send(h11.Response(status_code=status, headers=head)) or b""
    for part in [] if status in (204, 304) else parts:
        out += server.send(h11.Data(data=part)) or b""
    trailers = []
    if framing == "chunked with trailers" and status not in (204, 304):
        trailers = [(field.name, field.value) for field in data.draw(fields)]
    out += server.send(h11.EndOfMessage(headers=trailers)) or b""

    pieces = data.draw(cut(bytes(out)))
    ours = read(pieces, eof=False)
    reference = h11_read(pieces, eof=False)
    assert (ours.status, ours.headers, ours.body) == (status, reference.headers, body)
    assert ours.keep_alive == reference.reusable == (not close)


# -- examples ----------------------------------------------------------------------------------


def test_a_simple_response() -> None:
    response = read_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
    )
    assert response is not None
    assert (response.status, response.body, response.keep_alive) == (200, b"[]", True)
    assert response.headers == [(b"content-type", b"application/json"), (b"content-length", b"2")]


def test_interim_responses_are_skipped() -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nConnection: close\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"
    )
    response = read([data], eof=False)
    assert (response.status, response.headers, response.body) == (
        200,
        [(b"content-length", b"1")],
        b"x",
    )
    assert response.keep_alive  # an interim response's Connection is not the final one's


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_for_204_and_304_whatever_the_headers(status: int) -> None:
    data = b"HTTP/1.1 %d X\r\nContent-Length: 42\r\nTransfer-Encoding: chunked\r\n\r\n" % status
    response = read([data], eof=False)
    assert (response.status, response.body, response.keep_alive) == (status, b"", True)


def test_a_body_up_to_the_end_of_the_connection() -> None:
    response = read([b"HTTP/1.1 200 OK\r\n\r\nab", b"cd"], eof=True)
    assert (response.body, response.keep_alive) == (b"abcd", False)
    response = read([b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"], eof=True)
    assert (response.body, response.keep_alive) == (b"", False)


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        (b"1.1", None, True),
        (b"1.1", b"keep-alive", True),
        (b"1.1", b"Close", False),
        (b"1.1", b"upgrade, close", False),
        (b"1.0", None, False),
        (b"1.0", b"Keep-Alive", True),
        (b"1.0", b"keep-alive, close", False),  # was kept alive
        (b"1.0", b"close, keep-alive", False),
    ],
)
def test_keep_alive(version: bytes, connection: bytes | None, keep_alive: bool) -> None:
    head = b"HTTP/" + version + b" 200 OK\r\nContent-Length: 0\r\n"
    if connection is not None:
        head += b"Connection: " + connection + b"\r\n"
    assert read([head + b"\r\n"], eof=False).keep_alive is keep_alive


def test_bytes_after_the_response_make_the_connection_unusable() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
    assert read([head + b"ok"], eof=False).keep_alive
    assert not read([head + b"okHTTP/1.1 200 OK\r\n"], eof=False).keep_alive
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    assert read([chunked], eof=False).keep_alive
    assert not read([chunked + b"\r\n"], eof=False).keep_alive


def test_equal_content_lengths_are_one() -> None:
    for head in [b"Content-Length: 2, 2\r\n", b"Content-Length: 2\r\ncontent-length: 2\r\n"]:
        response = read([b"HTTP/1.1 200 OK\r\n" + head + b"\r\nok"], eof=False)
        assert response.body == b"ok"


def test_chunked_overrides_content_length() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    assert read([data], eof=False).body == b"ok"


def test_chunk_extensions_and_trailers_are_dropped() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2 ;a=b\r\nok\r\n"  # whitespace before ';' (BWS, RFC 9112 7.1.1; h11 refuses it)
        b'1;name="x;y"\r\n!\r\n'
        b"0;last\r\nExpires: never\r\nX-Checksum: 1\r\n\r\n"
    )
    response = read([data], eof=False)
    assert (response.body, response.headers) == (b"ok!", [(b"transfer-encoding", b"chunked")])


def test_obsolete_line_folding_reads_as_h11_reads_it() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nX-Folded: one  \r\n  two\r\n\tthree\r\nX-Empty:\r\n next\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    response = read([data], eof=False)
    assert response.headers == h11_read([data], eof=False).headers
    assert response.headers[:2] == [(b"x-folded", b"one   two three"), (b"x-empty", b"next")]


def test_a_head_of_up_to_max_head_bytes() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: "
    exact = head + b"x" * (MAX_HEAD_BYTES - len(head) - 4) + b"\r\n\r\n"
    assert len(exact) == MAX_HEAD_BYTES
    assert read([exact], eof=False).headers[1] == (
        b"x-big",
        b"x" * (MAX_HEAD_BYTES - len(head) - 4),
    )
    assert read([exact[:1000], exact[1000:]], eof=False).status == 200
    larger = exact[:-4] + b"x\r\n\r\n"
    for pieces in ([larger], [larger[:1000], larger[1000:]], [larger[:-3], larger[-3:]]):
        # The same whatever the pieces (a head that came whole was accepted).
        fails(pieces, "the response head is too large")


def test_a_head_that_never_ends_is_too_large() -> None:
    reader = ResponseReader()
    piece = b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 1000
    with pytest.raises(Http1ProtocolError, match="the response head is too large"):
        for _ in range(MAX_HEAD_BYTES // len(piece) + 1):
            assert reader.feed(piece) is None


def test_long_chunk_headers_and_trailers_are_too_large() -> None:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    fails(head + b"1;" + b"x" * MAX_HEAD_BYTES, "a chunk header is too large")
    fails(head + b"0\r\nX: " + b"y" * MAX_HEAD_BYTES, "the trailers are too large")
    long_trailer = head + b"0\r\nX: " + b"y" * 1000 + b"\r\n\r\n"
    assert read([long_trailer], eof=False).body == b""


def test_received_counts_the_bytes_fed() -> None:
    reader = ResponseReader()
    assert reader.feed(b"HTTP/1.1 200 OK\r\n") is None
    assert reader.received == 17
    assert reader.feed(b"Content-Length: 1\r\n\r\n") is None
    response = reader.feed(b"xyz")
    assert response is not None and response.body == b"x" and not response.keep_alive
    assert reader.received == 41


# -- malformed responses -----------------------------------------------------------------------


def test_eof_before_any_byte() -> None:
    error = fails([], "^Server disconnected without sending a response.$")
    assert str(error) == "Server disconnected without sending a response."


@pytest.mark.parametrize(
    "pieces",
    [
        [b"H"],
        [b"HTTP/1.1 200 OK\r\n"],
        [b"HTTP/1.1 100 Continue\r\n\r\n"],
        [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n"],
    ],
)
def test_eof_in_the_middle(pieces: list[bytes]) -> None:
    error = fails(pieces, "peer closed connection without sending complete message body")
    with pytest.raises(h11.RemoteProtocolError):
        h11_read(pieces, eof=True)
    assert "Server disconnected" not in str(error)


OK = b"HTTP/1.1 200 OK\r\n"
CHUNKED = OK + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"HTTP/1.1 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1  200 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 20 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 200OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", "malformed status line"),  # was 99
        (b"HTTP/1.1 200 O\x00K\r\nContent-Length: 0\r\n\r\n", "malformed status line"),
        (b"HTTP/2 200 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.2 200 OK\r\n\r\n", "malformed status line"),
        (b"http/1.1 200 OK\r\n\r\n", "malformed status line"),
        (b"ICY 200 OK\r\n\r\n", "malformed status line"),
        (b"\r\nHTTP/1.1 200 OK\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "malformed status line"),
        (OK + b"No colon\r\n\r\n", "malformed header line"),
        (OK + b": no name\r\n\r\n", "malformed header line"),
        (OK + b"Bad Name: x\r\n\r\n", "malformed header line"),
        (OK + b"Name : x\r\n\r\n", "malformed header line"),
        (OK + b" Folded: at the start\r\nContent-Length: 0\r\n\r\n", "malformed header line"),
        (OK + b"X: a\x00b\r\nContent-Length: 0\r\n\r\n", "malformed header line"),
        # A lone LF or CR: h11 (and others) end the line there; not one header.
        (OK + b"X: a\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n", "malformed header line"),
        (OK + b"X: a\rContent-Length: 0\r\n\r\n", "malformed header line"),
        (OK + b"Content-Length: 0\r\n\nX: y\r\n\r\n", "malformed header line"),
        (CHUNKED + b"zz\r\n", "malformed chunk header"),
        (CHUNKED + b"\r\n", "malformed chunk header"),
        (CHUNKED + b"-1\r\n", "malformed chunk header"),
        (CHUNKED + b"0x5\r\n", "malformed chunk header"),
        (CHUNKED + b" 5\r\n", "malformed chunk header"),
        (CHUNKED + b"5\r5\r\n", "malformed chunk header"),
        (CHUNKED + b"1" * 21 + b"\r\n", "malformed chunk header"),
        (CHUNKED + b"5\r\nhelloXX", "a chunk does not end with CRLF"),
        (CHUNKED + b"5\r\nhello\n0\r\n\r\n", "a chunk does not end with CRLF"),
        (CHUNKED + b"0\r\nno colon\r\n\r\n", "malformed header line"),
        (CHUNKED + b"0\r\n Folded: x\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "unexpected 101"),
        (OK + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "malformed content-length"),
        (OK + b"Content-Length: 5, 6\r\n\r\nhello!", "malformed content-length"),
        (OK + b"Content-Length: 5,\r\n\r\nhello", "malformed content-length"),
        (OK + b"Content-Length: 05\r\nContent-Length: 5\r\n\r\nhello", "malformed content-length"),
        (OK + b"Content-Length: abc\r\n\r\n", "malformed content-length"),
        (OK + b"Content-Length: -1\r\n\r\n", "malformed content-length"),
        (OK + b"Content-Length: +1\r\n\r\nx", "malformed content-length"),
        (OK + b"Content-Length: 1.0\r\n\r\nx", "malformed content-length"),
        (OK + b"Content-Length:\r\n\r\n", "malformed content-length"),
        (OK + b"Content-Length: \xd9\xa1\r\n\r\nx", "malformed content-length"),  # Arabic 1
        (OK + b"Content-Length: " + b"9" * 21 + b"\r\n\r\n", "malformed content-length"),
        (OK + b"Content-Length: " + b"1" * 5000 + b"\r\n\r\n", "malformed content-length"),
        (OK + b"Transfer-Encoding: gzip\r\n\r\n", "unsupported transfer-encoding"),
        (OK + b"Transfer-Encoding: chunked, gzip\r\n\r\n", "unsupported transfer-encoding"),
        (OK + b"Transfer-Encoding: identity\r\n\r\n", "unsupported transfer-encoding"),
        (OK + b"Transfer-Encoding:\r\n\r\n", "unsupported transfer-encoding"),
        (OK + b"Transfer-Encoding: chunked,\r\n\r\n", "unsupported transfer-encoding"),
        # A coding we cannot undo (we send no TE), or chunked twice: not decoded once.
        (CHUNKED[:-2] + b"Transfer-Encoding: chunked\r\n\r\n" + b"0\r\n\r\n", "unsupported"),
        (OK + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", "unsupported"),
        (OK + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "unsupported"),
    ],
)
def test_malformed_responses(data: bytes, match: str) -> None:
    fails(data, match)
    fails([data[i : i + 1] for i in range(len(data))], match)


def test_feeding_after_completion() -> None:
    reader = ResponseReader()
    assert reader.feed(OK + b"Content-Length: 0\r\n\r\n") is not None
    for data in (b"x", b""):
        with pytest.raises(Http1ProtocolError, match="already complete"):
            reader.feed(data)


# -- anything the server sends: a response or Http1ProtocolError, never more --------------------


def read_or_error(pieces: list[bytes]) -> Http1Response | None:
    """``ResponseReader`` on ``pieces`` then EOF, stopping at a response: it or None (refused)."""
    reader = ResponseReader()
    try:
        for piece in [*pieces, b""]:
            response = reader.feed(piece)
            if response is not None:
                return response
    except Http1ProtocolError:
        return None
    raise AssertionError("EOF neither completed the response nor raised")


prefixes = st.sampled_from(
    [b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 100 Continue\r\n\r\n", CHUNKED, OK + b"X:"]
)
garbage = st.binary(max_size=200) | st.lists(
    st.sampled_from([b"\r\n", b"\r", b"\n", b":", b" ", b"0", b"5", b";", b"chunked", b"x"]),
    max_size=40,
).map(b"".join)


@FUZZ
@given(st.data(), prefixes, garbage)
def test_garbage_is_a_protocol_error_or_a_response(
    data: st.DataObject, prefix: bytes, tail: bytes
) -> None:
    raw = prefix + tail
    read_or_error(data.draw(cut(raw)) if raw else [])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A generated response with a byte or two replaced, or a few inserted or removed."""
    model = draw(models())
    raw = bytearray(model.serialize() + model.trailing)
    noise = st.sampled_from(
        [b"\r\n", b"\n", b"\r", b" ", b"\t", b",", b":", b";", b"0", b"\x00", b"x"]
    )
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.sampled_from(range(len(raw) + 1)))  # (integers() favours the ends)
        replaced = draw(st.sampled_from([1, 1, 0, 2]))  # mostly one for one: lengths still hold
        raw[at : at + replaced] = draw(noise | st.binary(min_size=1, max_size=2))
    return bytes(raw)


@settings(FUZZ, max_examples=300)
@given(st.data(), mutated())
def test_what_both_accept_reads_the_same_as_in_h11(data: st.DataObject, raw: bytes) -> None:
    """Where the reader is stricter than h11 (bare LF, control bytes) it refuses; never does it
    read a response h11 reads differently (which would let a response be spliced)."""
    pieces = data.draw(cut(raw)) if raw else []
    ours = read_or_error(pieces)
    try:
        reference = h11_read(pieces, eof=True)
    except h11.ProtocolError:
        return
    if ours is None:
        return
    assert (ours.status, ours.body) == (reference.status, reference.body)
    framing = (b"content-length", b"transfer-encoding")
    assert without(ours.headers, *framing) == without(reference.headers, *framing)
    if ours.keep_alive != reference.reusable:  # only HTTP/1.0 keep-alive, which h11 does not do
        assert ours.keep_alive and reference.version == b"1.0"


# -- request_head --------------------------------------------------------------------------


def h11_request(head: bytes) -> tuple[bytes, bytes, Fields]:
    """What an h11 server reads from ``head``: method, target, headers (names lower-cased)."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(head)
    request = conn.next_event()
    assert isinstance(request, h11.Request), request
    assert isinstance(conn.next_event(), h11.EndOfMessage)  # no body
    assert conn.trailing_data == (b"", False)
    return request.method, request.target, list(request.headers)


def test_request_head() -> None:
    head = request_head(
        b"GET", b"/v1/runs?x=1", [(b"Host", b"api.trigger.dev"), (b"accept", b"*/*")]
    )
    assert head == b"GET /v1/runs?x=1 HTTP/1.1\r\nHost: api.trigger.dev\r\naccept: */*\r\n\r\n"


request_names = tokens.filter(
    lambda name: name.lower() not in {b"host", b"content-length", b"transfer-encoding"}
)


@FUZZ
@given(
    tokens,
    st.binary(min_size=1, max_size=30).map(lambda raw: bytes(0x21 + b % 0x5E for b in raw)),
    st.lists(st.tuples(request_names, values), max_size=6),
)
def test_h11_reads_request_head_back(method: bytes, target: bytes, headers: Fields) -> None:
    headers = [(b"Host", b"example.com"), *headers]
    head = request_head(method, target, headers)
    assert h11_request(head) == (method, target, [(n.lower(), v) for n, v in headers])


@FUZZ
@given(
    st.sampled_from([b"GET", b"G\x00T", b"GET "]),
    st.binary(max_size=8),
    tokens | st.binary(max_size=8),
    values | st.binary(max_size=8) | values.map(lambda value: value + b"\r\nX: y"),
)
def test_request_head_refuses_what_h11_would_read_otherwise(
    method: bytes, target: bytes, name: bytes, value: bytes
) -> None:
    """Any bytes: a ``ValueError``, or a head that an h11 server reads as given."""
    headers = [(b"Host", b"example.com"), (name, value)]
    try:
        head = request_head(method, b"/" + target, headers)
    except ValueError:
        return
    if name.lower() in (b"host", b"content-length", b"transfer-encoding"):
        return  # h11 has rules of its own about these
    assert h11_request(head) == (method, b"/" + target, [(n.lower(), v) for n, v in headers])


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        (b"", b"/", []),
        (b"GE T", b"/", []),
        (b"GET\r\n", b"/", []),
        (b"GET", b"", []),
        (b"GET", b"/a b", []),
        (b"GET", b"/\r\nX-Injected: 1", []),
        (b"GET", b"/\x00", []),
        (b"GET", b"/\t", []),
        (b"GET", b"/\x7f", []),
        (b"GET", b"/caf\xc3\xa9", []),
        (b"GET", b"/", [(b"", b"x")]),
        (b"GET", b"/", [(b"X Y", b"x")]),
        (b"GET", b"/", [(b"X:", b"x")]),
        (b"GET", b"/", [(b"X\r\nY", b"x")]),
        (b"GET", b"/", [(b"X", b"a\r\nX-Injected: 1")]),
        (b"GET", b"/", [(b"X", b"a\nb")]),
        (b"GET", b"/", [(b"X", b"a\rb")]),
        (b"GET", b"/", [(b"X", b"a\x00b")]),
        (b"GET", b"/", [(b"X", b"a\x01b")]),
        (b"GET", b"/", [(b"X", b" a")]),
        (b"GET", b"/", [(b"X", b"a\t")]),
    ],
)
def test_request_head_refuses(method: bytes, target: bytes, headers: Fields) -> None:
    with pytest.raises(ValueError):
        request_head(method, target, headers)


def test_request_head_errors_leave_the_value_out() -> None:
    with pytest.raises(ValueError) as error:
        request_head(b"GET", b"/", [(b"Authorization", b"Bearer tr_secret\r\n")])
    assert "tr_secret" not in str(error.value) and "Authorization" in str(error.value)
