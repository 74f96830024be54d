"""Electric column values: Postgres text (or null) -> Python, driven by the ``electric-schema`` header.

Types follow the Electric client's default parsers: ``int2``/``int4``/``int8`` -> ``int``;
``float4``/``float8`` -> ``float`` (``NaN``, ``Infinity``, ``-Infinity`` included); ``bool`` -> ``True``
iff the text is ``t`` or ``true``; ``json``/``jsonb`` -> ``json.loads``; a column with ``dims`` > 0 ->
a (nested) ``list`` from the Postgres array literal, each element parsed by the column's type;
every other type (``text``, ``timestamp``, enum type names, ...) stays a ``str``. ``null`` -> ``None``,
unless the schema says ``not_null`` (then ``RealtimeProtocolError``). A column that the schema does not
describe keeps its raw value.

Unlike the Electric client 1.0.0-beta.1 that the official SDK 3.3.17 bundles, a quoted ``"NULL"``
array element and a text value ``NULL`` stay strings (that client turned both into null; later
clients fixed it). ``not_null`` applies to the column value, not to array elements.

Speed: ``parse_schema_header`` compiles the schema once into a plan (which columns need parsing,
with which parser; which must not be null), carried by the schema it returns, so that a row costs a
dict copy plus the work on its non-text columns. A flat array of plain elements (``{a,b}``) is split
without the character-level parser. Any anomaly sends the row back through the column-by-column
path, so errors are the same as without the plan (the first bad column in row order is named).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .._exceptions import RealtimeProtocolError

__all__ = ["parse_pg_array", "parse_row", "parse_schema_header", "parse_value"]

_INT_TYPES = frozenset({"int2", "int4", "int8"})
_FLOAT_TYPES = frozenset({"float4", "float8"})
_JSON_TYPES = frozenset({"json", "jsonb"})
_ARRAY_WHITESPACE = " \t\n\r\v\f"
# Anything that needs the full array parser: quotes, escapes, nesting, whitespace, empty elements.
_NOT_FLAT = re.compile(r'["\\{}\s]|,,|^,|,$')


def parse_pg_array(text: str, parse_element: Callable[[str], Any]) -> list[Any]:
    """Parse a Postgres array literal such as ``{a,"b c",NULL,{1,2}}``.

    Elements may be quoted (``"..."`` with backslash escapes) or unquoted (surrounding whitespace
    trimmed; backslash escapes allowed). An unquoted ``NULL`` (any case) is ``None``; a quoted
    ``"NULL"`` is the string. Nested braces give nested lists. Every non-null element is passed
    through ``parse_element``. A leading dimension decoration (``[0:1]=``) is skipped. Malformed text
    raises ``ValueError``.
    """
    if text == "{}":
        return []
    if text[:1] == "{" and text[-1:] == "}":
        inner = text[1:-1]
        if inner and not _NOT_FLAT.search(inner):  # flat and plain: {a,b,NULL}
            items = inner.split(",")
            if "NULL" in inner.upper():  # upper() maps character by character
                return [None if item.upper() == "NULL" else parse_element(item) for item in items]
            if parse_element is _parse_text:
                return items
            return [parse_element(item) for item in items]
    pos = 0
    length = len(text)

    def fail(reason: str) -> ValueError:
        return ValueError(f"invalid array literal ({reason} at position {pos}): {text[:80]!r}")

    def skip_space() -> None:
        nonlocal pos
        while pos < length and text[pos] in _ARRAY_WHITESPACE:
            pos += 1

    def parse_level() -> list[Any]:
        # text[pos] is "{"
        nonlocal pos
        pos += 1
        items: list[Any] = []
        skip_space()
        if pos < length and text[pos] == "}":
            pos += 1
            return items
        while True:
            skip_space()
            if pos >= length:
                raise fail("unterminated array")
            char = text[pos]
            if char == "{":
                items.append(parse_level())
            elif char == '"':
                pos += 1
                chunk: list[str] = []
                while True:
                    if pos >= length:
                        raise fail("unterminated quoted element")
                    char = text[pos]
                    if char == "\\":
                        if pos + 1 >= length:
                            raise fail("dangling backslash")
                        chunk.append(text[pos + 1])
                        pos += 2
                    elif char == '"':
                        pos += 1
                        break
                    else:
                        chunk.append(char)
                        pos += 1
                items.append(parse_element("".join(chunk)))
            elif char in ",}":
                raise fail("empty element")
            else:
                chunk = []
                escaped = False
                # Postgres trims the blanks after an unquoted element, but not escaped ones: the
                # element ends at its last escaped or non-blank character (the leading blanks
                # were skipped above).
                end = 0
                while pos < length:
                    char = text[pos]
                    if char == "\\":
                        if pos + 1 >= length:
                            raise fail("dangling backslash")
                        chunk.append(text[pos + 1])
                        escaped = True
                        end = len(chunk)
                        pos += 2
                        continue
                    if char in ",}":
                        break
                    if char in '{"':
                        raise fail(f"unexpected {char!r}")
                    chunk.append(char)
                    if char not in _ARRAY_WHITESPACE:
                        end = len(chunk)
                    pos += 1
                raw = "".join(chunk[:end])
                if not escaped and raw.upper() == "NULL":
                    items.append(None)
                else:
                    items.append(parse_element(raw))
            skip_space()
            if pos >= length:
                raise fail("unterminated array")
            if text[pos] == ",":
                pos += 1
                continue
            if text[pos] == "}":
                pos += 1
                return items
            raise fail(f"unexpected {text[pos]!r}")

    skip_space()
    if pos < length and text[pos] == "[":  # dimension decoration: [1:2][1:3]={...}
        equals = text.find("=", pos)
        if equals < 0:
            raise fail("dimension decoration without '='")
        pos = equals + 1
        skip_space()
    if pos >= length or text[pos] != "{":
        raise fail("expected '{'")
    result = parse_level()
    skip_space()
    if pos != length:
        raise fail("trailing characters")
    return result


def _parse_int(text: str) -> int:
    return int(text.strip())


def _parse_float(text: str) -> float:
    return float(text.strip())


def _parse_bool(text: str) -> bool:
    return text in ("t", "true")


def _parse_json(text: str) -> Any:
    return json.loads(text)


def _parse_text(text: str) -> str:
    return text


def _element_parser(type_name: object) -> Callable[[str], Any]:
    if type_name in _INT_TYPES:
        return _parse_int
    if type_name in _FLOAT_TYPES:
        return _parse_float
    if type_name == "bool":
        return _parse_bool
    if type_name in _JSON_TYPES:
        return _parse_json
    return _parse_text


def parse_value(value: str | None, column_schema: Mapping[str, Any] | None) -> Any:
    """One column value parsed by its ``electric-schema`` entry (``None`` schema: kept as is)."""
    if column_schema is None:
        return value
    raw: object = value
    if raw is None:
        if column_schema.get("not_null"):
            raise RealtimeProtocolError("a NOT NULL column arrived as null")
        return None
    if not isinstance(raw, str):  # not Electric's wire form; leave it alone
        return raw
    value = raw
    parser = _element_parser(column_schema.get("type"))
    dims = column_schema.get("dims")
    try:
        if isinstance(dims, int) and not isinstance(dims, bool) and dims > 0:
            return parse_pg_array(value, parser)
        return parser(value)
    except (ValueError, RecursionError) as exc:
        type_name = column_schema.get("type")
        raise RealtimeProtocolError(f"cannot parse {value[:80]!r} as {type_name}: {exc}") from None


class _Plan(NamedTuple):
    """What ``parse_row`` does with a schema's columns, decided once per schema."""

    #: (column, parser of its text, NOT NULL) for every column whose text is not kept as is.
    conversions: tuple[tuple[str, Callable[[str], Any], bool], ...]
    #: NOT NULL columns whose text is kept as is (only their nulls need a look).
    required: tuple[str, ...]


def _compile(schema: Mapping[str, Mapping[str, Any]]) -> _Plan:
    conversions: list[tuple[str, Callable[[str], Any], bool]] = []
    required: list[str] = []
    for column, spec in schema.items():
        not_null = bool(spec.get("not_null"))
        parser = _element_parser(spec.get("type"))
        dims = spec.get("dims")
        if isinstance(dims, int) and not isinstance(dims, bool) and dims > 0:
            conversions.append((column, _array_parser(parser), not_null))
        elif parser is not _parse_text:
            conversions.append((column, parser, not_null))
        elif not_null:
            required.append(column)
    return _Plan(tuple(conversions), tuple(required))


def _array_parser(element: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    def parse(text: str) -> list[Any]:
        return parse_pg_array(text, element)

    return parse


class _Schema(dict[str, dict[str, Any]]):
    """A parsed ``electric-schema`` header with its compiled plan (the dict must not change)."""

    __slots__ = ("plan",)

    plan: _Plan


class _RowError(Exception):
    """A row the plan cannot take as it is; the column-by-column path names the problem."""


def parse_row(
    value: Mapping[str, str | None], schema: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """A message's ``value`` with every column parsed; columns absent from ``schema`` kept raw.

    A schema from ``parse_schema_header`` brings its compiled plan; any other mapping is compiled
    on each call (either way, the schema must not change while rows are parsed with it).
    """
    plan = schema.plan if isinstance(schema, _Schema) else _compile(schema)
    row = dict(value)
    try:
        for column, parser, not_null in plan.conversions:
            text = row.get(column)
            if text is None:
                if not_null and column in row:
                    raise _RowError
            elif isinstance(text, str):
                row[column] = parser(text)
        for column in plan.required:
            if row.get(column, "") is None:
                raise _RowError
    except (_RowError, ValueError, RecursionError):
        return _parse_row_by_column(value, schema)  # raises the error of the first bad column
    return row


def _parse_row_by_column(
    value: Mapping[str, str | None], schema: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, text in value.items():
        try:
            row[column] = parse_value(text, schema.get(column))
        except RealtimeProtocolError as exc:
            raise RealtimeProtocolError(
                f"realtime column {column!r}: {exc.message}", body=dict(value)
            ) from None
    return row


@functools.lru_cache(maxsize=64)
def parse_schema_header(text: str) -> dict[str, dict[str, Any]]:
    """The ``electric-schema`` header: a JSON object of column name -> ``{"type": ..., ...}``.

    The result carries its compiled plan for ``parse_row`` and is shared by every shape with the
    same header (thousands of subscriptions hold one schema, not one each): treat it as read-only.
    """
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise RealtimeProtocolError(
            f"the electric-schema header is not valid JSON: {exc}"
        ) from None
    if not isinstance(schema, dict) or not all(isinstance(v, dict) for v in schema.values()):
        raise RealtimeProtocolError(
            "the electric-schema header is not a JSON object of column descriptions"
        )
    parsed = _Schema(schema)
    parsed.plan = _compile(parsed)
    return parsed
