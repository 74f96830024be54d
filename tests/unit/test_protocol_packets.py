"""Packets: parsePacket semantics, offloaded references, downloads and encoding."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import APIResponseValidationError
from trigger_client._protocol.packets import (
    StoreReference,
    decode_downloaded_packet,
    decode_packet,
    encode_packet,
    media_type,
)
from trigger_client._protocol.superjson import deserialize

D = datetime(2024, 10, 9, 12, 34, 56, 789000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "data_type", "expected"),
    [
        (None, "application/json", None),
        ("", "application/json", None),
        ("", "text/plain", None),
        (None, None, None),
        ('{"a": [1, 2.5, null]}', "application/json", {"a": [1, 2.5, None]}),
        ("null", "application/json", None),
        ('"s"', "application/json", "s"),
        ("123456789012345678901234567890", "application/json", 123456789012345678901234567890),
        ('{"a":1}', "Application/JSON; charset=utf-8", {"a": 1}),
        ('{"json":{"a":1}}', "application/super+json", {"a": 1}),
        (
            '{"json":{"at":"2024-10-09T12:34:56.789Z","n":"9007199254740993"},'
            '"meta":{"values":{"at":["Date"],"n":["bigint"]},"v":1}}',
            "application/super+json",
            {"at": D, "n": 9007199254740993},
        ),
        ("hello world", "text/plain", "hello world"),
        ("{not json", "text/plain", "{not json"),
        ("<b>x</b>", "text/html", "<b>x</b>"),
        ('{"a":1}', None, '{"a":1}'),
        ('{"a":1}', "", '{"a":1}'),
        ("run_1/payload.json", "application/store", StoreReference(path="run_1/payload.json")),
    ],
)
def test_decode_packet(data: str | None, data_type: str | None, expected: Any) -> None:
    assert decode_packet(data, data_type) == expected


@pytest.mark.parametrize(
    ("data", "data_type"),
    [
        ("{", "application/json"),
        ("NaN", "application/json"),
        ("[Infinity]", "application/json"),
        ("  ", "application/json"),
        ("{", "application/super+json"),
        ("[1]", "application/super+json"),
        ('{"meta":{}}', "application/super+json"),
        ('{"json":1,"meta":{"values":["Date"]}}', "application/super+json"),
    ],
)
def test_decode_packet_errors(data: str, data_type: str) -> None:
    with pytest.raises(APIResponseValidationError):
        decode_packet(data, data_type)


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"big": [1, 2, 3]}', "application/json", {"big": [1, 2, 3]}),
        (b'{"a": 1}', None, {"a": 1}),  # the official SDK defaults to JSON
        (b'{"a": 1}', "application/json; charset=utf-8", {"a": 1}),
        ('{"é": "ü"}'.encode("latin-1"), "application/json; charset=latin-1", {"é": "ü"}),
        ('{"é": 1}'.encode(), "application/json; charset=nonsense", {"é": 1}),
        (b'{"json":[1],"meta":{"values":["set"],"v":1}}', "application/super+json", {1}),
        (b"plain text", "text/plain", "plain text"),
        (b"", "application/json", None),
        (b"\xff\xfe", "text/plain", "\ufffd\ufffd"),
        (b"<x/>", "application/xml", "<x/>"),
    ],
)
def test_decode_downloaded_packet(content: bytes, content_type: str | None, expected: Any) -> None:
    assert decode_downloaded_packet(content, content_type) == expected


def test_downloaded_packet_cannot_be_another_reference() -> None:
    with pytest.raises(APIResponseValidationError):
        decode_downloaded_packet(b"x/y.json", "application/store")


def test_media_type() -> None:
    assert media_type(None) == "" and media_type("") == ""
    assert media_type(" Application/Super+JSON ; v=1") == "application/super+json"


# -- encode_packet -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "data", "data_type"),
    [
        ("hello", "hello", "text/plain"),
        (
            {"a": [1, 2.5, None, True], "é": "ü"},
            '{"a":[1,2.5,null,true],"é":"ü"}',
            "application/json",
        ),
        (None, "null", "application/json"),
        ((1, 2), "[1,2]", "application/json"),
        (42, "42", "application/json"),
        (2**53 - 1, "9007199254740991", "application/json"),
        (
            {"at": D},
            '{"json":{"at":"2024-10-09T12:34:56.789Z"},"meta":{"values":{"at":["Date"]},"v":1}}',
            "application/super+json",
        ),
        (
            2**64,
            '{"json":"18446744073709551616","meta":{"values":["bigint"],"v":1}}',
            "application/super+json",
        ),
        ({1: "a"}, '{"json":[[1,"a"]],"meta":{"values":["map"],"v":1}}', "application/super+json"),
        (
            b"\x01",
            '{"json":[1],"meta":{"values":[["custom","buffer"]],"v":1}}',
            "application/super+json",
        ),
        (
            [math.nan],
            '{"json":["NaN"],"meta":{"values":{"0":["number"]},"v":1}}',
            "application/super+json",
        ),
    ],
)
def test_encode_packet(value: Any, data: str, data_type: str) -> None:
    assert encode_packet(value) == (data, data_type)


def test_encode_packet_rejects_unsupported_values() -> None:
    with pytest.raises(TypeError):
        encode_packet(object())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values | st.sets(st.integers()) | st.dictionaries(st.integers(), st.text()))
def test_encode_then_decode_round_trips(value: Any) -> None:
    data, data_type = encode_packet(value)
    if value == "":
        assert decode_packet(data, data_type) is None  # an empty packet has no value
    else:
        assert decode_packet(data, data_type) == value


@given(json_values)
def test_super_json_only_when_needed(value: Any) -> None:
    data, data_type = encode_packet(value)
    if isinstance(value, str):
        assert data_type == "text/plain"
    elif data_type == "application/json":
        assert json.loads(data) == value
    else:
        assert data_type == "application/super+json"
        assert "meta" in json.loads(data)
        assert deserialize(json.loads(data)) == value


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_outcome(text: str, data_type: str) -> tuple[str, Any]:
    try:
        return "ok", decode_packet(text, data_type)
    except APIResponseValidationError as exc:
        return "error", str(exc)


def _reference_outcome(text: str) -> tuple[str, Any]:
    """decode_packet for JSON as it was: ``json.loads`` with the constants rejected."""
    if not text:
        return "ok", None
    try:
        return "ok", json.loads(text, parse_constant=_reject)
    except (ValueError, RecursionError) as exc:
        return "error", f"the application/json packet is not valid JSON: {exc}"


json_like = st.one_of(
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.builds(
        lambda ws1, doc, ws2, tail: ws1 + doc + ws2 + tail,
        st.sampled_from(["", " ", "\n\t", "\ufeff"]),
        st.sampled_from(['{"a":1}', "[1,2]", '"s"', "3", "NaN", "-Infinity", "[", "{}", "nul"]),
        st.sampled_from(["", " ", "\r\n"]),
        st.sampled_from(["", "x", ",", "1"]),
    ),
    st.text(max_size=12),
)


@given(json_like, st.sampled_from(["application/json", "application/JSON"]))
def test_json_packets_decode_as_json_loads_does(text: str, data_type: str) -> None:
    # The decoder skips json.loads' per-call setup; values and error messages are unchanged.
    assert _json_outcome(text, data_type) == _reference_outcome(text)


def test_deeply_nested_json_is_a_validation_error() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert _json_outcome(text, "application/json") == _reference_outcome(text)
    assert _json_outcome(text, "application/json")[0] == "error"
