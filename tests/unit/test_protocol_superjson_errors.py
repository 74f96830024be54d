"""superjson documents that cannot be read: each is an APIResponseValidationError whose whole
message says what is wrong and which carries the document (mutation testing found the texts
unchecked), and the error annotation's defaults."""

from __future__ import annotations

from typing import Any

import pytest

from trigger_client import APIResponseValidationError
from trigger_client._protocol.superjson import SuperjsonError, deserialize


def doc(json_value: Any, annotation: Any, path: str = "x") -> dict[str, Any]:
    return {"json": {path: json_value}, "meta": {"values": {path: annotation}, "v": 1}}


CASES: list[tuple[Any, str]] = [
    (doc(1, ["set"]), "a set is not an array: 1"),
    (doc([1], ["map"]), "a map is not an array of [key, value] pairs: [1]"),
    (doc(3, ["Error"]), "an Error is not an object: 3"),
    (doc(3, ["URL"]), "a URL is not a string: 3"),
    (doc(3, [["custom", "buffer"]]), "a buffer is not an array of bytes: 3"),
    (doc([300], [["custom", "buffer"]]), "a buffer is not an array of bytes: [300]"),
    (doc(3, [["typed-array", "Int8Array"]]), "a Int8Array is not an array: 3"),
    (doc("x", ["bigint"]), "invalid bigint 'x'"),
    (doc("x", ["number"]), "invalid number 'x'"),
    (doc("x", ["regexp"]), "invalid regexp 'x'"),
    (doc("/", ["regexp"]), "invalid regexp '/'"),
    (doc(1, ["set"], path="a.b"), "path 'a.b' does not exist in the JSON"),
    (
        {"json": {"x": 1}, "meta": {"values": {"x.y": ["set"]}, "v": 1}},
        "path 'x.y' does not lead into an array or object",
    ),
    (
        {"json": {"x": 1}, "meta": {"values": {"x": ["set"]}, "v": 1}, "extra": 1},
        "a set is not an array: 1",
    ),
    ({"json": 1, "meta": 3}, '"meta" is not an object'),
    ({"json": 1, "meta": {"v": "1"}}, '"meta.v" is not a number'),
]


@pytest.mark.parametrize(("document", "reason"), CASES, ids=[r for _, r in CASES])
def test_a_malformed_document_says_why(document: Any, reason: str) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        deserialize(document)
    assert str(info.value) == f"malformed superjson document: {reason}"
    assert info.value.body == document


def test_error_annotation_defaults() -> None:
    value = deserialize(doc({}, ["Error"]))
    assert value == {"x": SuperjsonError(name="Error", message="", cause=None)}
    value = deserialize(doc({"name": 1, "message": 2}, ["Error"]))
    assert value["x"].name == "1" and value["x"].message == "2"


def test_typed_arrays() -> None:
    assert deserialize(doc(["1", "2"], [["typed-array", "BigInt64Array"]])) == {"x": [1, 2]}
    assert deserialize(doc([1, "NaN"], [["typed-array", "Float64Array"]]))["x"][0] == 1
    assert deserialize(doc([1, 2], [["typed-array", "Int8Array"]])) == {"x": [1, 2]}
    assert deserialize(doc("0x1f", ["bigint"])) == {"x": 31}
    assert deserialize(doc("0B11", ["bigint"])) == {"x": 3}
    assert deserialize(doc("0o17", ["bigint"])) == {"x": 15}
