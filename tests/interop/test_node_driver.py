"""Self-checks of the interop harness that need no server: the official SDK's own superjson
handling through sdk_driver.mjs, and the JSON tagging node_sdk.py relies on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from .node_sdk import NodeSDK, NodeSDKError, decode_tagged

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not NodeSDK.available(), reason="needs node and `npm ci` in tests/interop"),
]

# Nothing listens here: these commands make no HTTP request.
SDK = NodeSDK("http://127.0.0.1:9", "tr_dev_not_a_real_key")

SUPERJSON = json.dumps(
    {
        "json": {
            "d": "2024-01-02T03:04:05.678Z",
            "b": "12345678901234567890",
            "s": [1, "x"],
            "m": [["k", 1]],
            "u": None,
            "n": "NaN",
            "i": "-Infinity",
            "r": "/ab+c/gi",
            "e": {"name": "TypeError", "message": "boom"},
            "url": "https://example.com/a?b=1",
            "buf": [1, 2, 255],
            "plain": {"$date": "not a tag"},
            "nested": [{"when": "2020-01-01T00:00:00.000Z"}],
        },
        "meta": {
            "values": {
                "d": ["Date"],
                "b": ["bigint"],
                "s": ["set"],
                "m": ["map"],
                "u": ["undefined"],
                "n": ["number"],
                "i": ["number"],
                "r": ["regexp"],
                "e": ["Error"],
                "url": ["URL"],
                "buf": [["custom", "buffer"]],
                "nested.0.when": ["Date"],
            }
        },
    }
)

EXPECTED: dict[str, Any] = {
    "d": {"$date": "2024-01-02T03:04:05.678Z"},
    "b": {"$bigint": "12345678901234567890"},
    "s": {"$set": [1, "x"]},
    "m": {"$map": [["k", 1]]},
    "u": {"$undefined": True},
    "n": {"$number": "NaN"},
    "i": {"$number": "-Infinity"},
    "r": {"$regexp": "/ab+c/gi"},
    "e": {"$error": {"name": "TypeError", "message": "boom"}},
    "url": {"$url": "https://example.com/a?b=1"},
    "buf": {"$bytes": [1, 2, 255]},
    "plain": {"$object": {"$date": "not a tag"}},
    "nested": [{"when": {"$date": "2020-01-01T00:00:00.000Z"}}],
}


def test_parse_packet_tags_every_superjson_type() -> None:
    assert SDK.parse_packet(SUPERJSON, "application/super+json") == EXPECTED


def test_parse_packet_plain_types() -> None:
    assert SDK.parse_packet('{"a":[1,2.5,null]}', "application/json") == {"a": [1, 2.5, None]}
    assert SDK.parse_packet("hello", "text/plain") == "hello"
    assert SDK.parse_packet("", "application/json") == {"$undefined": True}


def test_stringify_then_parse_round_trips() -> None:
    packet = SDK.stringify_packet(EXPECTED)
    assert packet["dataType"] == "application/super+json"
    assert SDK.parse_packet(packet["data"], packet["dataType"]) == EXPECTED


def test_decode_tagged() -> None:
    value = decode_tagged(EXPECTED)
    assert value["d"] == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert value["b"] == 12345678901234567890
    assert value["s"] == [1, "x"]
    assert value["m"] == [("k", 1)]
    assert value["u"] is None
    assert value["i"] == float("-inf")
    assert value["buf"] == b"\x01\x02\xff"
    assert value["plain"] == {"$date": "not a tag"}


def test_usage_error_is_reported() -> None:
    result = SDK.run("no-such-command", timeout=30)
    assert result.exit_code == 2, result.describe()
    assert result.error is not None and result.error["name"] == "UsageError"
    with pytest.raises(NodeSDKError):
        result.raise_for_error()
