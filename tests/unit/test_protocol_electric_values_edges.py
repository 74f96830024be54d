"""Electric values at their edges: the exact errors of malformed array literals, unquoted escapes,
the whitespace Postgres trims, and the row a column error carries (written from mutation survivors).
"""

from __future__ import annotations

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


def safe_id(value: object) -> str:
    """A test id that pytest takes back as a node id (printable ASCII, no backslash)."""
    return "".join(c if " " <= c <= "~" and c != "\\" else "_" for c in str(value))[:60]


def ident(text: str) -> str:
    return text


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("", "expected '{' at position 0"),
        ("x{a}", "expected '{' at position 0"),
        ("{a,}", "empty element at position 3"),
        ("{,a}", "empty element at position 1"),
        ("{a, }", "empty element at position 4"),
        ("{ a", "unterminated array at position 3"),
        ("{a,b", "unterminated array at position 4"),
        ("{{a},", "unterminated array at position 5"),
        (r"{a\}", "unterminated array at position 4"),  # the brace is escaped: still open
        (r"{a\\", "unterminated array at position 4"),
        ('{"a', "unterminated quoted element at position 3"),
        (r"{a\ ", "unterminated array at position 4"),
        ("{a\\", "dangling backslash at position 2"),
        ('{"a\\', "dangling backslash at position 3"),
        ('{a"b}', "unexpected '\"' at position 2"),
        ("{a{b}", "unexpected '{' at position 2"),
        ('{"a"b}', "unexpected 'b' at position 4"),
        ("{a}}", "trailing characters at position 3"),
        ("{a} x", "trailing characters at position 4"),
        ("[1:2]{a}", "dimension decoration without '=' at position 0"),
        ("xa}", "expected '{' at position 0"),
        ('{"a\\b', "unterminated quoted element at position 5"),  # an escape at the very end
        ("{" + "a" * 100 + ",", "unterminated array at position 102"),  # the text cut at 80
    ],
    ids=safe_id,
)
def test_malformed_array_literal_errors_name_the_reason_and_position(
    literal: str, reason: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parse_pg_array(literal, ident)
    assert str(caught.value) == f"invalid array literal ({reason}): {literal[:80]!r}"


def test_a_malformed_array_column_is_a_protocol_error_naming_the_reason() -> None:
    with pytest.raises(RealtimeProtocolError) as caught:
        parse_value("{a,}", {"type": "text", "dims": 1})
    assert caught.value.message == (
        "cannot parse '{a,}' as text: invalid array literal (empty element at position 3): '{a,}'"
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r"{a\,b}", ["a,b"]),
        (r"{a\bc, d}", ["abc", "d"]),
        (r"{\NULL,NULL}", ["NULL", None]),  # an escaped NULL is the string
        (r"{\N\U\L\L}", ["NULL"]),
        (r"{\"a\{\}}", ['"a{}']),
        (r"{a\\b}", ["a\\b"]),
        # letters that are not separators, first and later in an element, off the fast path
        ("{X, Y}", ["X", "Y"]),
        ("{aXb, c}", ["aXb", "c"]),
        ('{"a",X}', ["a", "X"]),
        ('{"a",b\\c}', ["a", "bc"]),
        # Postgres trims only its own whitespace (space, \t, \n, \r, \v, \f) around an element
        ("{ \xa0b\xa0 ,c}", ["\xa0b\xa0", "c"]),
        ("{\u2003b\u2003,c }", ["\u2003b\u2003", "c"]),
        ("{ \t\n\r\v\fb\f\v\r\n\t ,c}", ["b", "c"]),
        # ...but not escaped blanks, at either end, nor blanks inside the element
        ("{a\\ ,b}", ["a ", "b"]),
        ("{ \\ a , b\\\t }", [" a", "b\t"]),
        ("{a \\  b  ,c}", ["a   b", "c"]),
        ("{\\ }", [" "]),
        # empty arrays, also with whitespace and nested
        ("{ }", []),
        ("{{},{ }}", [[], []]),
        # an "=" inside the array is not the end of the dimension decoration
        ('[0:0]={"a=b"}', ["a=b"]),
        ("[0:1]={a=b,c}", ["a=b", "c"]),
        # the flat fast path and the full parser agree
        ("{a,b,NULL}", ["a", "b", None]),
        ("{a,b,NULL }", ["a", "b", None]),
    ],
    ids=safe_id,
)
def test_pg_array_unquoted_escapes_and_whitespace(literal: str, expected: list[Any]) -> None:
    assert parse_pg_array(literal, ident) == expected


def _escape_all(element: str | None) -> str:
    """An element written unquoted with every character backslash-escaped (quoted if it must be)."""
    if element is None:
        return "NULL"
    if not element or element[0] in " \t\n\r\v\f" or element[-1] in " \t\n\r\v\f":
        # an empty element must be quoted; unquoted edge whitespace is trimmed even when escaped
        return '"' + element.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "".join("\\" + char for char in element)


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "{" + ",".join(_literal(item) for item in value) + "}"
    return _escape_all(value)


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
pg_arrays: st.SearchStrategy[list[Any]] = st.recursive(
    st.lists(st.none() | texts, min_size=1, max_size=5),
    lambda inner: st.lists(inner, min_size=1, max_size=3),
    max_leaves=20,
)


@given(pg_arrays)
def test_pg_array_round_trips_with_unquoted_escapes(value: list[Any]) -> None:
    assert parse_pg_array(_literal(value), ident) == value


def test_dims_zero_is_not_an_array_in_a_row() -> None:
    schema = parse_schema_header('{"tags":{"type":"text","dims":0},"n":{"type":"int4","dims":0}}')
    assert parse_row({"tags": "{a}", "n": "7"}, schema) == {"tags": "{a}", "n": 7}
    assert parse_row({"tags": "{a}"}, {"tags": {"type": "text", "dims": 0}}) == {"tags": "{a}"}


def test_a_column_error_names_the_column_and_carries_the_row() -> None:
    value = {"id": "run_1", "number": "three", "isTest": "f"}
    schema = parse_schema_header('{"id":{"type":"text"},"number":{"type":"int4"}}')
    with pytest.raises(RealtimeProtocolError) as caught:
        parse_row(value, schema)
    assert caught.value.message == (
        "realtime column 'number': cannot parse 'three' as int4: "
        "invalid literal for int() with base 10: 'three'"
    )
    assert caught.value.body == value
    assert caught.value.body is not value  # a copy: the caller's row is not kept


def test_a_not_null_column_error_carries_the_row() -> None:
    value = {"id": None, "n": "1"}
    with pytest.raises(RealtimeProtocolError) as caught:
        parse_row(value, {"id": {"type": "text", "not_null": True}})
    assert caught.value.message == "realtime column 'id': a NOT NULL column arrived as null"
    assert caught.value.body == value


def test_an_unparseable_value_is_quoted_up_to_80_characters() -> None:
    value = "x" * 100
    with pytest.raises(RealtimeProtocolError) as caught:
        parse_value(value, {"type": "int8"})
    assert caught.value.message == (
        f"cannot parse {value[:80]!r} as int8: invalid literal for int() with base 10: {value!r}"
    )
