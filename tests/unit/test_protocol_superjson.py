"""superjson documents: every annotation type, path escaping, malformed input, round trips."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import APIResponseValidationError
from trigger_client._protocol.superjson import SuperjsonError, deserialize, serialize

D = datetime(2024, 10, 9, 12, 34, 56, 789000, tzinfo=UTC)

# Written by superjson 2.2.7 (the version @trigger.dev/core 3.3.17 resolves to) from JavaScript
# values, with the SDK's "buffer" custom transformer and a registered class and symbol.
OFFICIAL: dict[str, dict[str, Any]] = {
    "date_root": {"json": "2024-10-09T12:34:56.789Z", "meta": {"values": ["Date"], "v": 1}},
    "date_nested": {
        "json": {"a": {"b": "2024-10-09T12:34:56.789Z"}, "list": [1, "2024-10-09T12:34:56.789Z"]},
        "meta": {
            "values": {"a.b": ["Date"], "list.1": ["Date"]},
            "referentialEqualities": {"a.b": ["list.1"]},
            "v": 1,
        },
    },
    "bigint": {
        "json": {"n": "12345678901234567890", "small": "5"},
        "meta": {"values": {"n": ["bigint"], "small": ["bigint"]}, "v": 1},
    },
    "undefined_": {
        "json": {"u": None, "arr": [None, 1]},
        "meta": {"values": {"u": ["undefined"], "arr.0": ["undefined"]}, "v": 1},
    },
    "set_": {
        "json": {"s": [1, "a", "2024-10-09T12:34:56.789Z"]},
        "meta": {"values": {"s": ["set", {"2": ["Date"]}]}, "v": 1},
    },
    "map_": {
        "json": {"m": [["k", "2024-10-09T12:34:56.789Z"], ["2024-10-09T12:34:56.789Z", ["1"]]]},
        "meta": {
            "values": {
                "m": ["map", {"0.1": ["Date"], "1.0": ["Date"], "1.1": ["set", {"0": ["bigint"]}]}]
            },
            "referentialEqualities": {"m.0.1": ["m.1.0"]},
            "v": 1,
        },
    },
    "map_obj_key": {"json": [[{"a": 1}, "v"]], "meta": {"values": ["map"], "v": 1}},
    "regexp": {
        "json": {"r": "/ab+c/gi", "plain": "/x\\/y/"},
        "meta": {"values": {"r": ["regexp"], "plain": ["regexp"]}, "v": 1},
    },
    "error": {
        "json": {"e": {"name": "TypeError", "message": "boom"}},
        "meta": {"values": {"e": ["Error"]}, "v": 1},
    },
    "error_cause": {
        "json": {"name": "Error", "message": "outer", "cause": "inner"},
        "meta": {"values": ["Error"], "v": 1},
    },
    "url": {"json": {"u": "https://example.com/a?b=1"}, "meta": {"values": {"u": ["URL"]}, "v": 1}},
    "numbers": {
        "json": {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity", "nz": "-0", "ok": 1.5},
        "meta": {
            "values": {"nan": ["number"], "inf": ["number"], "ninf": ["number"], "nz": ["number"]},
            "v": 1,
        },
    },
    "class_": {
        "json": {"p": {"x": 1, "y": "2024-10-09T12:34:56.789Z"}},
        "meta": {"values": {"p": [["class", "Point"], {"y": ["Date"]}]}, "v": 1},
    },
    "symbol": {"json": {"s": "marker"}, "meta": {"values": {"s": [["symbol", "marker"]]}, "v": 1}},
    "buffer": {
        "json": {"b": [0, 1, 255]},
        "meta": {"values": {"b": [["custom", "buffer"]]}, "v": 1},
    },
    "dotted_keys": {
        "json": {
            "a.b": "2024-10-09T12:34:56.789Z",
            "c\\d": {"e.f": "1"},
            "x\\": {"y": "2024-10-09T12:34:56.789Z"},
        },
        "meta": {
            "values": {"a\\.b": ["Date"], "c\\\\d.e\\.f": ["bigint"], "x\\\\.y": ["Date"]},
            "referentialEqualities": {"a\\.b": ["x\\\\.y"]},
            "v": 1,
        },
    },
    "typed": {
        "json": {"t": [1, 2], "f": ["NaN", "-0", 1.5]},
        "meta": {
            "values": {
                "t": [["typed-array", "Uint8Array"]],
                "f": [["typed-array", "Float64Array"]],
            },
            "v": 1,
        },
    },
    "refs": {
        "json": {"a": {"z": 1}, "b": {"z": 1}},
        "meta": {"referentialEqualities": {"a": ["b"]}, "v": 1},
    },
    "cyclic": {
        "json": {"name": "root", "self": None},
        "meta": {"referentialEqualities": [["self"]], "v": 1},
    },
    "nested_map_in_array": {
        "json": [[[1, ["2024-10-09T12:34:56.789Z"]]]],
        "meta": {"values": {"0": ["map", {"0.1.0": ["Date"]}]}, "v": 1},
    },
    "plain": {"json": {"a": [1, "x", None, True], "b": {"c": "d"}}},
}

EXPECTED: dict[str, Any] = {
    "date_root": D,
    "date_nested": {"a": {"b": D}, "list": [1, D]},
    "bigint": {"n": 12345678901234567890, "small": 5},
    "undefined_": {"u": None, "arr": [None, 1]},
    "set_": {"s": {1, "a", D}},
    "map_": {"m": {"k": D, D: {1}}},
    "map_obj_key": [({"a": 1}, "v")],  # an unhashable key: a list of pairs
    "regexp": {"r": re.compile("ab+c", re.IGNORECASE), "plain": re.compile(r"x\/y")},
    "error": {"e": SuperjsonError(name="TypeError", message="boom")},
    "error_cause": SuperjsonError(name="Error", message="outer", cause="inner"),
    "url": {"u": "https://example.com/a?b=1"},
    "class_": {"p": {"x": 1, "y": D}},
    "symbol": {"s": "marker"},
    "buffer": {"b": b"\x00\x01\xff"},
    "dotted_keys": {"a.b": D, "c\\d": {"e.f": 1}, "x\\": {"y": D}},
    "refs": {"a": {"z": 1}, "b": {"z": 1}},
    "cyclic": {"name": "root", "self": None},  # circular references are not restored
    "nested_map_in_array": [{1: [D]}],
    "plain": {"a": [1, "x", None, True], "b": {"c": "d"}},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_official_documents(name: str) -> None:
    assert deserialize(OFFICIAL[name]) == EXPECTED[name]


def test_official_numbers() -> None:
    value = deserialize(OFFICIAL["numbers"])
    assert math.isnan(value["nan"])
    assert value["inf"] == math.inf and value["ninf"] == -math.inf and value["ok"] == 1.5
    assert value["nz"] == 0 and math.copysign(1, value["nz"]) == -1


def test_official_typed_arrays() -> None:
    value = deserialize(OFFICIAL["typed"])
    assert value["t"] == [1, 2]
    assert math.isnan(value["f"][0]) and math.copysign(1, value["f"][1]) == -1
    assert value["f"][2] == 1.5


def test_deserialize_does_not_mutate_its_input() -> None:
    document = json.loads(json.dumps(OFFICIAL["map_"]))
    snapshot = json.dumps(document)
    deserialize(document)
    assert json.dumps(document) == snapshot


def test_types_of_revived_values() -> None:
    value = deserialize(OFFICIAL["date_nested"])
    assert value["a"]["b"].tzinfo is UTC
    assert isinstance(deserialize(OFFICIAL["set_"])["s"], set)
    assert isinstance(deserialize(OFFICIAL["buffer"])["b"], bytes)
    assert isinstance(deserialize(OFFICIAL["regexp"])["r"], re.Pattern)


# -- hand-written documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # superjson before 2.2.7: no "v", only "\." is an escape
        ({"json": {"a.b": "5"}, "meta": {"values": {"a\\.b": ["bigint"]}}}, {"a.b": 5}),
        ({"json": {"c\\d": "5"}, "meta": {"values": {"c\\d": ["bigint"]}}}, {"c\\d": 5}),
        # v1: "\\" is a backslash
        ({"json": {"c\\d": "5"}, "meta": {"values": {"c\\\\d": ["bigint"]}, "v": 1}}, {"c\\d": 5}),
        # the tree form inside map values and set members
        (
            {
                "json": [["k", ["2024-10-09T12:34:56.789Z"]]],
                "meta": {"values": ["map", {"0.1": ["set", {"0": ["Date"]}]}]},
            },
            {"k": {D}},
        ),
        # a map key that is itself annotated
        (
            {
                "json": [["2024-10-09T12:34:56.789Z", 1]],
                "meta": {"values": ["map", {"0.0": ["Date"]}]},
            },
            {D: 1},
        ),
        # a nested record instead of flattened paths is accepted too
        (
            {"json": {"a": {"b": "1"}}, "meta": {"values": {"a": {"b": ["bigint"]}}}},
            {"a": {"b": 1}},
        ),
        # Error with an annotated cause
        (
            {
                "json": {"name": "E", "message": "m", "cause": "2024-10-09T12:34:56.789Z"},
                "meta": {"values": ["Error", {"cause": ["Date"]}]},
            },
            SuperjsonError(name="E", message="m", cause=D),
        ),
        # keys that collide in Python: a list of pairs, a list of members
        (
            {"json": [[1, "a"], ["1", "b"]], "meta": {"values": ["map", {"1.0": ["bigint"]}]}},
            [(1, "a"), (1, "b")],
        ),
        ({"json": [1, "1"], "meta": {"values": ["set", {"1": ["bigint"]}]}}, [1, 1]),
        ({"json": [[1], [1]], "meta": {"values": ["set"]}}, [[1], [1]]),
        # unknown annotation types and custom transformers keep the JSON value
        ({"json": "x", "meta": {"values": ["Temporal.Instant"]}}, "x"),
        ({"json": [1], "meta": {"values": [["custom", "decimal"]]}}, [1]),
        ({"json": {"k": 1}, "meta": {"values": [["class", "Point"]]}}, {"k": 1}),
        # extended years cannot be a datetime: the ISO text is kept
        (
            {"json": "+275760-09-13T00:00:00.000Z", "meta": {"values": ["Date"]}},
            "+275760-09-13T00:00:00.000Z",
        ),
        # an "undefined" annotation on a key the JSON lacks
        ({"json": {}, "meta": {"values": {"u": ["undefined"]}}}, {"u": None}),
        ({"json": "0x1f", "meta": {"values": ["bigint"]}}, 31),
        ({"json": "-12", "meta": {"values": ["bigint"]}}, -12),
        ({"json": "2.5", "meta": {"values": ["number"]}}, 2.5),
        ({"json": {"a": 1}, "meta": {}}, {"a": 1}),
        ({"json": [1], "meta": None}, [1]),
        ({"json": 1, "meta": {"referentialEqualities": [["x"], {"a": ["b"]}]}}, 1),
    ],
)
def test_hand_written_documents(document: dict[str, Any], expected: Any) -> None:
    assert deserialize(document) == expected


def test_regexp_flags() -> None:
    pattern = deserialize({"json": "/a.b$/gimsuy", "meta": {"values": ["regexp"]}})
    assert pattern == re.compile("a.b$", re.IGNORECASE | re.MULTILINE | re.DOTALL)
    # a JavaScript-only pattern that Python cannot compile stays the literal text
    assert deserialize({"json": "/(?<=a+)b{2,1}/", "meta": {"values": ["regexp"]}}) == (
        "/(?<=a+)b{2,1}/"
    )


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "x",
        {},
        {"meta": {}},
        {"json": 1, "meta": "x"},
        {"json": 1, "meta": {"v": "1"}},
        {"json": 1, "meta": {"values": 5}},
        {"json": 1, "meta": {"values": []}},
        {"json": 1, "meta": {"values": ["Date", {"x": ["Date"]}, 3]}},
        {"json": 1, "meta": {"values": ["set", "x"]}},
        {"json": 1, "meta": {"values": [5]}},
        {"json": 1, "meta": {"values": [["custom"]]}},
        {"json": {"a": 1}, "meta": {"values": {"b.c": ["Date"]}}},
        {"json": [1], "meta": {"values": {"3": ["Date"]}}},
        {"json": [1], "meta": {"values": {"x": ["Date"]}}},
        {"json": "x", "meta": {"values": {"a": ["Date"]}}},
        {"json": {"a": 1}, "meta": {"values": {"a.b": ["Date"]}}},
        {"json": {"a\\b": 1}, "meta": {"values": {"a\\b": ["bigint"]}, "v": 1}},
        {"json": 5, "meta": {"values": ["Date"]}},
        {"json": "tomorrow", "meta": {"values": ["Date"]}},
        {"json": "x", "meta": {"values": ["bigint"]}},
        {"json": "x", "meta": {"values": ["number"]}},
        {"json": {}, "meta": {"values": ["set"]}},
        {"json": [[1]], "meta": {"values": ["map"]}},
        {"json": "x", "meta": {"values": ["Error"]}},
        {"json": 1, "meta": {"values": ["URL"]}},
        {"json": "ab", "meta": {"values": ["regexp"]}},
        {"json": [256], "meta": {"values": [["custom", "buffer"]]}},
        {"json": "x", "meta": {"values": [["typed-array", "Uint8Array"]]}},
        {"json": 1, "meta": {"referentialEqualities": 5}},
        {"json": 1, "meta": {"referentialEqualities": {"a": "b"}}},
    ],
)
def test_malformed_documents(document: Any) -> None:
    with pytest.raises(APIResponseValidationError, match="superjson"):
        deserialize(document)


def test_deeply_nested_document_is_an_error_not_a_crash() -> None:
    value: Any = "2024-10-09T12:34:56.789Z"
    tree: Any = ["Date"]
    for _ in range(5000):
        value = [value]
        tree = ["set", {"0": tree}]
    with pytest.raises(APIResponseValidationError, match="deeply"):
        deserialize({"json": value, "meta": {"values": tree}})


# -- serialize -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "document"),
    [
        ({"a": 1, "b": [True, None, "x"]}, {"json": {"a": 1, "b": [True, None, "x"]}}),
        (D, {"json": "2024-10-09T12:34:56.789Z", "meta": {"values": ["Date"], "v": 1}}),
        (
            datetime(2024, 10, 9, 12, 34, 56, 789999),  # naive means UTC; sub-ms truncated
            {"json": "2024-10-09T12:34:56.789Z", "meta": {"values": ["Date"], "v": 1}},
        ),
        (2**53 - 1, {"json": 2**53 - 1}),
        (2**53, {"json": str(2**53), "meta": {"values": ["bigint"], "v": 1}}),
        (-(2**64), {"json": str(-(2**64)), "meta": {"values": ["bigint"], "v": 1}}),
        (
            [math.inf, -math.inf, -0.0, 0.0],
            {
                "json": ["Infinity", "-Infinity", "-0", 0.0],
                "meta": {"values": {"0": ["number"], "1": ["number"], "2": ["number"]}, "v": 1},
            },
        ),
        (b"\x00\xff", {"json": [0, 255], "meta": {"values": [["custom", "buffer"]], "v": 1}}),
        (
            {"s": {D}},
            {
                "json": {"s": ["2024-10-09T12:34:56.789Z"]},
                "meta": {"values": {"s": ["set", {"0": ["Date"]}]}, "v": 1},
            },
        ),
        (
            {"m": {1: {"k": D}}},
            {
                "json": {"m": [[1, {"k": "2024-10-09T12:34:56.789Z"}]]},
                "meta": {"values": {"m": ["map", {"0.1.k": ["Date"]}]}, "v": 1},
            },
        ),
        (
            {"a.b": {"c": D}},
            {
                "json": {"a.b": {"c": "2024-10-09T12:34:56.789Z"}},
                "meta": {"values": {"a\\.b.c": ["Date"]}, "v": 1},
            },
        ),
        # a backslash in a key: the form every superjson reader parses the same way (no "v")
        (
            {"c\\d": 2**60},
            {"json": {"c\\d": str(2**60)}, "meta": {"values": {"c\\d": ["bigint"]}}},
        ),
        # ...unless a key ends with a backslash before another key: only v1 is unambiguous
        (
            {"x\\": {"y": D}},
            {
                "json": {"x\\": {"y": "2024-10-09T12:34:56.789Z"}},
                "meta": {"values": {"x\\\\.y": ["Date"]}, "v": 1},
            },
        ),
        (
            SuperjsonError("TypeError", "boom", cause={"at": D}),
            {
                "json": {
                    "name": "TypeError",
                    "message": "boom",
                    "cause": {"at": "2024-10-09T12:34:56.789Z"},
                },
                "meta": {"values": ["Error", {"cause.at": ["Date"]}], "v": 1},
            },
        ),
        (
            ValueError("bad"),
            {
                "json": {"name": "ValueError", "message": "bad"},
                "meta": {"values": ["Error"], "v": 1},
            },
        ),
        (
            re.compile("a/b", re.IGNORECASE | re.DOTALL),
            {"json": "/a\\/b/is", "meta": {"values": ["regexp"], "v": 1}},
        ),
        (re.compile(""), {"json": "/(?:)/", "meta": {"values": ["regexp"], "v": 1}}),
        ((1, 2), {"json": [1, 2]}),
    ],
)
def test_serialize(value: Any, document: dict[str, Any]) -> None:
    assert serialize(value) == document


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (object(), TypeError),
        (datetime(2024, 1, 1).date(), TypeError),
        (re.compile(b"x"), TypeError),
        (re.compile("x", re.VERBOSE), ValueError),
        ({"constructor": D}, ValueError),
        ({"__proto__": {"a": b""}}, ValueError),
    ],
)
def test_serialize_rejects(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        serialize(value)


def test_serialize_allows_reserved_keys_off_annotated_paths() -> None:
    assert serialize({"constructor": "Bob", "when": D})["meta"]["values"] == {"when": ["Date"]}


def test_serialize_rejects_circular_references_but_not_shared_ones() -> None:
    shared = {"z": D}
    assert deserialize(serialize({"a": shared, "b": shared})) == {"a": shared, "b": shared}
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="circular"):
        serialize(cyclic)


def test_regexp_round_trip() -> None:
    pattern = re.compile(r"^a\d+$", re.MULTILINE)
    assert deserialize(serialize(pattern)) == pattern


# -- round trip property -----------------------------------------------------------------------------

datetimes = st.datetimes(timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
keys = st.text(max_size=6).filter(lambda k: k not in ("__proto__", "constructor", "prototype"))
hashables = (
    st.integers()
    | st.text(max_size=6)
    | datetimes
    | st.binary(max_size=4)
    | st.floats(allow_nan=False)
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | datetimes
    | st.binary(max_size=6)
    | st.builds(SuperjsonError, st.text(max_size=5), st.text(max_size=5))
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(keys, inner, max_size=4)
        | st.frozensets(hashables, max_size=4).map(set)
        | st.dictionaries(hashables, inner, max_size=3)
        | st.builds(SuperjsonError, st.text(max_size=5), st.text(max_size=5), inner)
    ),
    max_leaves=16,
)


@given(values)
def test_round_trip(value: Any) -> None:
    wire = json.loads(json.dumps(serialize(value), allow_nan=False))
    assert deserialize(wire) == value


@given(values)
def test_plain_values_need_no_meta(value: Any) -> None:
    document = serialize(value)
    if "meta" not in document:
        assert json.loads(json.dumps(document["json"])) == value


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda i: st.lists(i) | st.dictionaries(st.text(), i),
    )
)
def test_arbitrary_json_is_its_own_document(value: Any) -> None:
    assert deserialize({"json": value}) == value
