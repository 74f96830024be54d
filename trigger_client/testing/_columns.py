"""The ``TaskRun`` projection the realtime feeds send, and Postgres text encoding of its values.

Rows are held as dicts of column name -> Python value: timestamps as epoch milliseconds (int),
``runTags``/``realtimeStreams`` as lists of str, ``error`` as a dict (jsonb), the rest as str, int,
float, bool or None. Two wire dialects exist:

* ``electric``: what Electric sends. Timestamps in Postgres text form
  (``2024-10-09 12:34:56.789``, trailing zeros of the fraction dropped), arrays quoted only where
  needed, jsonb in Postgres' canonical text form, booleans ``true``/``false`` in snapshots and
  ``t``/``f`` in replicated changes.
* ``native``: the native backend's serializer. Timestamps ``YYYY-MM-DDTHH:MM:SS.mmm``, every array
  element quoted, jsonb as compact JSON, booleans ``t``/``f``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._clock import ms_to_datetime

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "RESERVED_COLUMNS",
    "Column",
    "Dialect",
    "electric_schema",
    "encode_row",
    "encode_value",
    "iso_z",
    "jsonb_text",
    "native_schema",
    "pg_array_literal",
    "pg_timestamp",
    "projected_columns",
]

Dialect = Literal["electric", "electric-snapshot", "native"]


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # the electric-schema type
    not_null: bool = False
    dims: int = 0
    empty_array_as_null: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "text", not_null=True),
    Column("taskIdentifier", "text", not_null=True),
    Column("createdAt", "timestamp", not_null=True),
    Column("updatedAt", "timestamp", not_null=True),
    Column("startedAt", "timestamp"),
    Column("delayUntil", "timestamp"),
    Column("queuedAt", "timestamp"),
    Column("expiredAt", "timestamp"),
    Column("completedAt", "timestamp"),
    Column("friendlyId", "text", not_null=True),
    Column("number", "int4", not_null=True),
    Column("isTest", "bool", not_null=True),
    Column("status", "TaskRunStatus", not_null=True),
    Column("usageDurationMs", "int4", not_null=True),
    Column("costInCents", "float8", not_null=True),
    Column("baseCostInCents", "float8", not_null=True),
    Column("ttl", "text"),
    Column("payload", "text", not_null=True),
    Column("payloadType", "text", not_null=True),
    Column("metadata", "text"),
    Column("metadataType", "text", not_null=True),
    Column("output", "text"),
    Column("outputType", "text", not_null=True),
    Column("runTags", "text", dims=1, empty_array_as_null=True),
    Column("error", "jsonb"),
    Column("realtimeStreams", "text", not_null=True, dims=1),
)
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

# Columns that ``skipColumns`` cannot remove.
RESERVED_COLUMNS = frozenset({"id", "taskIdentifier", "friendlyId", "status", "createdAt"})


def projected_columns(skip: Iterable[str] = ()) -> tuple[str, ...]:
    """The column list minus the skippable columns named in ``skip`` (unknown names ignored)."""
    dropped = {s.strip() for s in skip} - RESERVED_COLUMNS
    return tuple(name for name in COLUMN_NAMES if name not in dropped)


def electric_schema(columns: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``electric-schema`` header object Electric sends for these columns."""
    schema: dict[str, dict[str, Any]] = {}
    for name in columns:
        col = _BY_NAME[name]
        entry: dict[str, Any] = {"type": col.pg_type}
        if col.dims:
            entry["dims"] = col.dims
        if col.pg_type == "timestamp":
            entry["precision"] = 3
        if name == "id":
            entry["pk_index"] = 0
        if col.not_null:
            entry["not_null"] = True
        schema[name] = entry
    return schema


def native_schema(columns: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``electric-schema`` the native backend sends: ``type`` and ``dims`` only."""
    schema: dict[str, dict[str, Any]] = {}
    for name in columns:
        col = _BY_NAME[name]
        pg_type = "text" if col.pg_type == "TaskRunStatus" else col.pg_type
        schema[name] = {"type": pg_type, "dims": col.dims} if col.dims else {"type": pg_type}
    return schema


def pg_timestamp(ms: int) -> str:
    """Postgres text of a ``timestamp(3)``: ``2024-10-09 12:34:56.78`` (fraction trimmed)."""
    dt = ms_to_datetime(ms)
    text = dt.strftime("%Y-%m-%d %H:%M:%S")
    frac = ms % 1000
    if frac:
        text += "." + f"{frac:03d}".rstrip("0")
    return text


def iso_z(ms: int) -> str:
    """``Date.toISOString()``: ``2024-10-09T12:34:56.780Z``."""
    dt = ms_to_datetime(ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def _needs_quotes(element: str) -> bool:
    if element == "" or element.upper() == "NULL":
        return True
    return any(ch in '{},"\\' or ch.isspace() for ch in element)


def _quote(element: str) -> str:
    return '"' + element.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pg_array_literal(values: Iterable[str], *, quote_all: bool = False) -> str:
    """A one-dimensional Postgres array literal: ``{a,"b c"}`` (or every element quoted)."""
    parts = [_quote(v) if quote_all or _needs_quotes(v) else v for v in values]
    return "{" + ",".join(parts) + "}"


def _jsonb_canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        # jsonb orders object keys by length, then bytewise.
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: _jsonb_canonical(value[k]) for k in keys}
    if isinstance(value, list | tuple):
        return [_jsonb_canonical(v) for v in value]
    return value


def jsonb_text(value: Any) -> str:
    """Postgres' text output of a jsonb value: canonical key order, ``", "`` and ``": "``."""
    return json.dumps(_jsonb_canonical(value), ensure_ascii=False, separators=(", ", ": "))


def number_text(value: float | int) -> str:
    """A number as JS ``String(n)`` / Postgres float8 output would write it (``0.55``, ``1``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def encode_value(name: str, value: Any, dialect: Dialect) -> str | None:
    """The wire string (or None) of one column value in a dialect."""
    col = _BY_NAME[name]
    if value is None:
        return None
    if col.dims:
        items = [str(v) for v in value]
        if not items and col.empty_array_as_null:
            return None
        return pg_array_literal(items, quote_all=dialect == "native")
    kind = col.pg_type
    if kind == "timestamp":
        return iso_z(int(value))[:-1] if dialect == "native" else pg_timestamp(int(value))
    if kind == "bool":
        if dialect == "electric-snapshot":
            return "true" if value else "false"
        return "t" if value else "f"
    if kind == "jsonb":
        if dialect == "native":
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return jsonb_text(value)
    if kind in ("int4", "float8"):
        return number_text(value)
    return str(value)


def encode_row(
    row: Mapping[str, Any], columns: Iterable[str], dialect: Dialect
) -> dict[str, str | None]:
    """The wire ``value`` object of a row: column -> Postgres text, in projection order."""
    return {name: encode_value(name, row.get(name), dialect) for name in columns}
