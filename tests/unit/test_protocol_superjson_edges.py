"""superjson at its edges: every error's message and body, path escaping of old and new documents
at every depth, the Date, number, bigint and typed-array revivers' boundaries, and what serialize
writes or refuses (written from mutation survivors)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from trigger_client import APIResponseValidationError, InvalidArgumentError
from trigger_client._protocol.superjson import deserialize, serialize

D = datetime(2024, 1, 1, tzinfo=UTC)
D_TEXT = "2024-01-01T00:00:00.000Z"


def safe_id(value: object) -> str:
    """A test id that pytest takes back as a node id (printable ASCII, no backslash)."""
    return "".join(c if " " <= c <= "~" and c != "\\" else "_" for c in str(value))[:60]


def doc(json_value: Any, annotation: Any, path: str = "x") -> dict[str, Any]:
    return {"json": {path: json_value}, "meta": {"values": {path: annotation}, "v": 1}}


NESTED = {"json": [[[[1]]]], "meta": {"v": 1}}


CASES: list[tuple[Any, str]] = [
    ([1], "not a JSON object"),
    ({"meta": {"v": 1}}, 'no "json" member'),
    ({"json": 1, "meta": {"values": 3, "v": 1}}, "invalid annotation 3"),
    (doc(1, ["number", {}, 1]), "invalid annotation ['number', {}, 1]"),
    (doc(1, []), "invalid annotation []"),
    (doc(1, ["number", [1]]), "annotation children are not an object: [1]"),
    (doc(1, [5]), "invalid annotation type 5"),
    (doc(1, [["custom", "buffer", 1]]), "invalid annotation type ['custom', 'buffer', 1]"),
    (doc(3, ["Date"]), "a Date is not a string: 3"),
    (doc("yesterday", ["Date"]), "invalid Date 'yesterday'"),
    # only a sign and six digits mark an extended year (which stays a string)
    (doc("+123456", ["Date"]), "invalid Date '+123456'"),
    (doc("+x12345-01-01T00:00:00.000Z", ["Date"]), "invalid Date '+x12345-01-01T00:00:00.000Z'"),
    (doc("X275760-09-13T00:00:00.000Z", ["Date"]), "invalid Date 'X275760-09-13T00:00:00.000Z'"),
    (doc(None, ["number"]), "invalid number None"),
    (doc(True, ["number"]), "invalid number True"),
    (doc(True, ["bigint"]), "invalid bigint True"),
    (doc(1, ["set"], path="a\\b"), "invalid escape in path 'a\\\\b'"),
    (
        {"json": {"a": [1]}, "meta": {"values": {"a.5.b": ["set"]}, "v": 1}},
        "path 'a.5.b' has no array index '5'",
    ),
    (
        {"json": {"a": [1]}, "meta": {"values": {"a.1": ["set"]}, "v": 1}},
        "path 'a.1' has no array index '1'",
    ),
    (
        {"json": {"a": [[1]]}, "meta": {"values": {"a.0.x": ["set"]}, "v": 1}},
        "path 'a.0.x' has no array index 'x'",
    ),
    (
        {"json": 1, "meta": {"referentialEqualities": [["a"], {}, 1], "v": 1}},
        "invalid referentialEqualities [['a'], {}, 1]",
    ),
    ({"json": 1, "meta": {"referentialEqualities": 5, "v": 1}}, "invalid referentialEqualities 5"),
]


@pytest.mark.parametrize(("document", "reason"), CASES, ids=safe_id)
def test_a_malformed_document_says_why_and_carries_it(document: Any, reason: str) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        deserialize(document)
    assert str(info.value) == f"malformed superjson document: {reason}"
    assert info.value.body == document


def test_a_document_nested_too_deeply_is_refused_with_its_body() -> None:
    value: Any = 1
    for _ in range(5000):
        value = [value]
    document = {"json": value, "meta": {"values": {"0": ["set"]}, "v": 1}}
    with pytest.raises(APIResponseValidationError) as info:
        deserialize(document)
    assert str(info.value) == "malformed superjson document: nested too deeply"
    assert info.value.body is document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # superjson before 2.2.7 (no "v"): only "\." is an escape, at every depth of the tree
        (
            {
                "json": {"o": {"p": {"a\\b": "1"}}},
                "meta": {
                    "values": {"o": [["class", "C"], {"p": [["class", "D"], {"a\\b": ["bigint"]}]}]}
                },
            },
            {"o": {"p": {"a\\b": 1}}},
        ),
        (
            {
                "json": [{"a\\b": "1"}],
                "meta": {"values": {"0": [["class", "C"], {"a\\b": ["bigint"]}]}},
            },
            [{"a\\b": 1}],
        ),
        # an escaped dot at the very end of a path
        ({"json": {"a.": "1"}, "meta": {"values": {"a\\.": ["bigint"]}, "v": 1}}, {"a.": 1}),
        ({"json": {"a.": "1"}, "meta": {"values": {"a\\.": ["bigint"]}}}, {"a.": 1}),
        ({"json": {"a\\": "1"}, "meta": {"values": {"a\\": ["bigint"]}}}, {"a\\": 1}),
    ],
    ids=safe_id,
)
def test_paths_of_old_and_new_documents(document: dict[str, Any], expected: Any) -> None:
    assert deserialize(document) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00", D),  # no zone: UTC
        ("2024-01-01T02:00:00+02:00", D),  # another zone: the same instant in UTC
        ("2024-01-01T00:00:00.000Z", D),
    ],
    ids=safe_id,
)
def test_dates_are_aware_utc(text: str, expected: datetime) -> None:
    value = deserialize(doc(text, ["Date"]))["x"]
    assert value == expected
    assert value.tzinfo is UTC


def test_an_extended_year_stays_the_iso_string() -> None:
    for text in ("+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z", "+123456Z"):
        assert deserialize(doc(text, ["Date"])) == {"x": text}


def test_revived_numbers_keep_their_types() -> None:
    def revive(items: list[Any], name: str) -> list[Any]:
        return deserialize(doc(items, [["typed-array", name]]))["x"]  # type: ignore[no-any-return]

    big = revive(["1", 2], "BigInt64Array")
    assert big == [1, 2] and [type(item) for item in big] == [int, int]
    floats = revive([1, "NaN"], "Float32Array")
    assert floats[0] == 1.0 and type(floats[0]) is float and floats[1] != floats[1]
    ints = revive([1, "2"], "Int8Array")
    assert ints == [1, 2.0] and [type(item) for item in ints] == [int, float]
    assert deserialize(doc(5, ["bigint"])) == {"x": 5}
    assert (
        deserialize(doc(5, ["number"])) == {"x": 5.0}
        and type(deserialize(doc(5, ["number"]))["x"]) is float
    )


def test_a_typed_array_name_under_another_category_is_the_json_value() -> None:
    assert deserialize(doc({"a": 1}, [["class", "Int8Array"]])) == {"x": {"a": 1}}
    assert deserialize(doc({"a": 1}, [["custom", "Int8Array"]])) == {"x": {"a": 1}}


def test_regexp_flags_come_only_after_the_last_slash() -> None:
    assert deserialize(doc("/is/", ["regexp"]))["x"] == re.compile("is")
    assert deserialize(doc("/a/i", ["regexp"]))["x"] == re.compile("a", re.IGNORECASE)


# -- serialize -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "document"),
    [
        # a key with a backslash: the form superjson before 2.2.7 reads the same (no "v")
        (
            {"a\\b": {"c.d": D}},
            {"json": {"a\\b": {"c.d": D_TEXT}}, "meta": {"values": {"a\\b.c\\.d": ["Date"]}}},
        ),
        # ...unless a key before the last ends with one, which old readers misread: "v": 1
        (
            {"a": {"b\\": {"c": D}}},
            {
                "json": {"a": {"b\\": {"c": D_TEXT}}},
                "meta": {"values": {"a.b\\\\.c": ["Date"]}, "v": 1},
            },
        ),
        (
            {"a\\": {"b": {1: {"c\\": D}}}},
            {
                "json": {"a\\": {"b": [[1, {"c\\": D_TEXT}]]}},
                "meta": {"values": {"a\\\\.b": ["map", {"0.1.c\\\\": ["Date"]}]}, "v": 1},
            },
        ),
        (2**53 - 1, {"json": 2**53 - 1}),
        (-(2**53 - 1), {"json": -(2**53 - 1)}),
        (-(2**53), {"json": str(-(2**53)), "meta": {"values": ["bigint"], "v": 1}}),
        # a "/" in a regular expression is escaped once, not after an escaping backslash
        (re.compile(r"a/b"), {"json": "/a\\/b/", "meta": {"values": ["regexp"], "v": 1}}),
        (re.compile(r"/a"), {"json": "/\\/a/", "meta": {"values": ["regexp"], "v": 1}}),
        (re.compile(r"a\/b"), {"json": "/a\\/b/", "meta": {"values": ["regexp"], "v": 1}}),
        (re.compile(r"a\\/b"), {"json": "/a\\\\\\/b/", "meta": {"values": ["regexp"], "v": 1}}),
        # sets inside sets are not circular
        (
            {frozenset({frozenset({1})})},
            {"json": [[[1]]], "meta": {"values": ["set", {"0": ["set", {"0": ["set"]}]}], "v": 1}},
        ),
    ],
    ids=safe_id,
)
def test_serialize_writes(value: Any, document: dict[str, Any]) -> None:
    assert serialize(value) == document


@pytest.mark.parametrize(
    "value",
    [{"a\\b": {"c.d": D}}, {"a": {"b\\": {"c": D}}}, {"a\\": {"b": {1: {"c\\": D}}}}],
)
def test_keys_with_backslashes_round_trip(value: Any) -> None:
    assert deserialize(serialize(value)) == value


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (object(), TypeError, "cannot serialize a object as superjson"),
        (D.date(), TypeError, "cannot serialize a date as superjson"),
        (re.compile(b"x"), TypeError, "cannot serialize a bytes regular expression as superjson"),
        (
            re.compile("x", re.VERBOSE),
            InvalidArgumentError,
            "JavaScript regular expressions have no VERBOSE flag",
        ),
        (
            {"constructor": D},
            InvalidArgumentError,
            "superjson readers reject the keys __proto__, constructor and prototype on the path"
            " to a value they must restore",
        ),
    ],
    ids=safe_id,
)
def test_serialize_refuses_with_a_message(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        serialize(value)
    assert str(info.value) == message


def test_a_circular_reference_is_refused_with_a_message() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(InvalidArgumentError) as info:
        serialize(cyclic)
    assert str(info.value) == "cannot serialize a circular reference as superjson"
