"""Electric value parsing: Postgres array literals and every electric-schema column type."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import RealtimeProtocolError
from trigger_client._protocol.electric_values import (
    parse_pg_array,
    parse_row,
    parse_schema_header,
    parse_value,
)


def ident(text: str) -> str:
    return text


# -- parse_pg_array ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("{}", []),
        ("{a}", ["a"]),
        ('{user_1,"a b"}', ["user_1", "a b"]),  # Electric: quoted only when needed
        ('{"user_1","a b"}', ["user_1", "a b"]),  # native backend: every element quoted
        ("{NULL,null,x}", [None, None, "x"]),
        ('{"NULL"}', ["NULL"]),  # a quoted NULL is the string
        (r'{"a\"b","c\\d"}', ['a"b', "c\\d"]),
        ('{""}', [""]),
        ('{"a,b","{c}"}', ["a,b", "{c}"]),
        ("{{1,2},{3,4}}", [["1", "2"], ["3", "4"]]),
        ('{{a,NULL},{"b",c}}', [["a", None], ["b", "c"]]),
        ("{ a , b }", ["a", "b"]),
        ("[0:1]={x,y}", ["x", "y"]),
        ("{é,日本}", ["é", "日本"]),
    ],
)
def test_pg_array_literals(literal: str, expected: list[Any]) -> None:
    assert parse_pg_array(literal, ident) == expected


def test_pg_array_applies_the_element_parser_to_non_null_elements_only() -> None:
    seen: list[str] = []

    def parse(text: str) -> int:
        seen.append(text)
        return int(text)

    assert parse_pg_array("{1,NULL,{2,3}}", parse) == [1, None, [2, 3]]
    assert seen == ["1", "2", "3"]


@pytest.mark.parametrize(
    "literal",
    ["", "a", "{", "{a", '{"a', "{a,}", "{,a}", "{a}}", "{a}x", '{a"b}', "{a\\", "[1:2]{a}"],
)
def test_pg_array_rejects_malformed_literals(literal: str) -> None:
    with pytest.raises(ValueError, match="invalid array literal"):
        parse_pg_array(literal, ident)


def _quote(element: str | None) -> str:
    if element is None:
        return "NULL"
    return '"' + element.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pg_literal(value: Any, *, quote_all: bool) -> str:
    if isinstance(value, list):
        return "{" + ",".join(_pg_literal(item, quote_all=quote_all) for item in value) + "}"
    if value is None:
        return "NULL"
    safe = (
        value
        and value.strip() == value
        and value.upper() != "NULL"
        and not any(ch in value for ch in '{}",\\ \t\n\r\v\f')
    )
    return value if safe and not quote_all else _quote(value)


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
elements = st.none() | texts
# Postgres arrays are rectangular: every element at one depth has the same shape.
pg_arrays: st.SearchStrategy[list[Any]] = st.recursive(
    st.lists(elements, min_size=1, max_size=5),
    lambda inner: st.lists(inner, min_size=1, max_size=3),
    max_leaves=20,
) | st.just([])


@given(pg_arrays, st.booleans())
def test_pg_array_round_trips(value: list[Any], quote_all: bool) -> None:
    assert parse_pg_array(_pg_literal(value, quote_all=quote_all), ident) == value


@given(st.text(max_size=30))
def test_pg_array_never_crashes_unexpectedly(text: str) -> None:
    try:
        parse_pg_array(text, ident)
    except ValueError:
        pass


# -- parse_value ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("42", {"type": "int2"}, 42),
        ("-7", {"type": "int4"}, -7),
        ("9223372036854775807", {"type": "int8"}, 9223372036854775807),
        ("0.55", {"type": "float8"}, 0.55),
        ("1", {"type": "float4"}, 1.0),
        ("Infinity", {"type": "float8"}, math.inf),
        ("-Infinity", {"type": "float8"}, -math.inf),
        ("t", {"type": "bool"}, True),
        ("true", {"type": "bool"}, True),
        ("f", {"type": "bool"}, False),
        ("false", {"type": "bool"}, False),
        ('{"a": [1, null]}', {"type": "jsonb"}, {"a": [1, None]}),
        ('"x"', {"type": "json"}, "x"),
        ("hello", {"type": "text"}, "hello"),
        ("NULL", {"type": "text"}, "NULL"),
        ("2026-06-06 10:00:01.5", {"type": "timestamp"}, "2026-06-06 10:00:01.5"),
        ("COMPLETED_SUCCESSFULLY", {"type": "TaskRunStatus"}, "COMPLETED_SUCCESSFULLY"),
        ("\\x0001", {"type": "bytea"}, "\\x0001"),
        ("12.50", {"type": "numeric"}, "12.50"),
        ("{a,b}", {"type": "text", "dims": 1}, ["a", "b"]),
        ("{1,NULL,3}", {"type": "int4", "dims": 1}, [1, None, 3]),
        ("{{t,f}}", {"type": "bool", "dims": 2}, [[True, False]]),
        ("{1.5,NaN,Infinity}", {"type": "float8", "dims": 1}, None),  # checked below
        ('{"{\\"a\\":1}"}', {"type": "jsonb", "dims": 1}, [{"a": 1}]),
        ("{a}", {"type": "text", "dims": 0}, "{a}"),
        ("raw", None, "raw"),
        (None, {"type": "text"}, None),
        (None, {"type": "text", "dims": 1}, None),
    ],
)
def test_parse_value(value: str | None, schema: dict[str, Any] | None, expected: Any) -> None:
    result = parse_value(value, schema)
    if value == "{1.5,NaN,Infinity}":
        assert result[0] == 1.5 and math.isnan(result[1]) and result[2] == math.inf
    else:
        assert result == expected
        assert type(result) is type(expected)


def test_parse_value_nan() -> None:
    assert math.isnan(parse_value("NaN", {"type": "float8"}))


def test_not_null_column_arriving_as_null_is_a_protocol_error() -> None:
    with pytest.raises(RealtimeProtocolError, match="NOT NULL"):
        parse_value(None, {"type": "text", "not_null": True})
    # ...but a null array element of a NOT NULL column is fine
    assert parse_value("{NULL}", {"type": "text", "dims": 1, "not_null": True}) == [None]


@pytest.mark.parametrize(
    ("value", "schema"),
    [
        ("x", {"type": "int4"}),
        ("1.5", {"type": "int8"}),
        ("abc", {"type": "float8"}),
        ("{", {"type": "jsonb"}),
        ("{a", {"type": "text", "dims": 1}),
        ("{x}", {"type": "int4", "dims": 1}),
    ],
)
def test_unparseable_values_are_protocol_errors(value: str, schema: dict[str, Any]) -> None:
    with pytest.raises(RealtimeProtocolError, match="cannot parse"):
        parse_value(value, schema)


def test_parse_row_parses_known_columns_and_keeps_the_rest() -> None:
    schema: dict[str, dict[str, Any]] = {
        "number": {"type": "int4"},
        "isTest": {"type": "bool"},
        "runTags": {"type": "text", "dims": 1},
        "error": {"type": "jsonb"},
    }
    row = parse_row(
        {"number": "3", "isTest": "f", "runTags": None, "error": "null", "extra": "x"}, schema
    )
    assert row == {"number": 3, "isTest": False, "runTags": None, "error": None, "extra": "x"}


def test_parse_row_names_the_column_in_errors() -> None:
    with pytest.raises(RealtimeProtocolError, match="'number'"):
        parse_row({"number": "three"}, {"number": {"type": "int4"}})


# -- parse_schema_header -------------------------------------------------------------------------


def test_schema_header() -> None:
    text = '{"id":{"type":"text","pk_index":0,"not_null":true},"runTags":{"type":"text","dims":1}}'
    assert parse_schema_header(text) == {
        "id": {"type": "text", "pk_index": 0, "not_null": True},
        "runTags": {"type": "text", "dims": 1},
    }


@pytest.mark.parametrize("text", ["", "{", "[]", '{"a": 1}', "null"])
def test_bad_schema_header(text: str) -> None:
    with pytest.raises(RealtimeProtocolError, match="electric-schema"):
        parse_schema_header(text)
