"""Packets: how payload, output and metadata are stored (data text + MIME type).

``application/super+json`` is written the way the TypeScript SDK's superjson 2.2 writes it:
``{"json": <plain JSON>, "meta": {"values": <annotations>, "v": 1}}``. Data of
:data:`OFFLOAD_LIMIT` bytes or more is offloaded: the row keeps the storage path and the type
``application/store``; the content is served through a presigned URL.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from ._clock import datetime_to_ms
from ._columns import iso_z

__all__ = [
    "OFFLOAD_LIMIT",
    "PAYLOAD_OFFLOAD_THRESHOLD",
    "UNDEFINED",
    "Packet",
    "encode_packet",
    "js_json",
    "packet_extension",
    "packet_json_value",
    "superjson_stringify",
]

# OFFLOAD_IO_PACKET_LENGTH_LIMIT in @trigger.dev/core: outputs (offloaded by the task's SDK) of
# this many UTF-8 bytes or more are offloaded to the object store.
OFFLOAD_LIMIT: Final = 128 * 1024
# TASK_PAYLOAD_OFFLOAD_THRESHOLD (apps/webapp/app/env.server.ts:1006 at b082e44): the server
# offloads a triggered payload of this many UTF-8 bytes or more (payloads.server.ts:21-24;
# row R-OFFLOAD).
PAYLOAD_OFFLOAD_THRESHOLD: Final = 512 * 1024

JSON_TYPE: Final = "application/json"
SUPERJSON_TYPE: Final = "application/super+json"
TEXT_TYPE: Final = "text/plain"
STORE_TYPE: Final = "application/store"


class _Undefined:
    """JavaScript ``undefined`` inside a superjson packet."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()


@dataclass(frozen=True)
class Packet:
    """A packet exactly as stored: ``data`` text (None for no data) and its MIME type."""

    data: str | None
    data_type: str = JSON_TYPE


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, Mapping):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_js_numbers(v) for v in value]
    return value


def js_json(value: Any) -> str:
    """``JSON.stringify`` of a JSON-compatible value (compact, non-ASCII kept, ``1.0`` as ``1``)."""
    return json.dumps(
        _js_numbers(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


_MAX_SAFE_INT = 2**53 - 1


def _escape_path_part(part: str) -> str:
    return part.replace("\\", "\\\\").replace(".", "\\.")


def _walk(value: Any) -> tuple[Any, Any]:
    """superjson's walker: returns (plain JSON, annotation tree or None)."""
    if value is UNDEFINED:
        return None, ["undefined"]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value, None
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            return str(value), ["bigint"]
        return value, None
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN", ["number"]
        if math.isinf(value):
            return ("Infinity" if value > 0 else "-Infinity"), ["number"]
        return value, None
    if isinstance(value, datetime):
        return iso_z(datetime_to_ms(value)), ["Date"]
    if isinstance(value, date):
        return iso_z(datetime_to_ms(datetime(value.year, value.month, value.day, tzinfo=UTC))), [
            "Date"
        ]
    if isinstance(value, re.Pattern):
        flags = ""
        if value.flags & re.IGNORECASE:
            flags += "i"
        if value.flags & re.MULTILINE:
            flags += "m"
        if value.flags & re.DOTALL:
            flags += "s"
        return f"/{value.pattern}/{flags}", ["regexp"]
    if isinstance(value, bytes | bytearray):
        return list(value), [["custom", "buffer"]]
    if isinstance(value, set | frozenset):
        return _walk_container(list(value), "set")
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return _finish({}, list(value.items()), None)
    if isinstance(value, Mapping):
        return _walk_container([[k, v] for k, v in value.items()], "map")
    if isinstance(value, list | tuple):
        return _finish([None] * len(value), [(str(i), v) for i, v in enumerate(value)], None)
    raise TypeError(f"cannot encode {type(value).__name__} as superjson")


def _walk_container(items: list[Any], annotation: str) -> tuple[Any, Any]:
    children = [(str(i), v) for i, v in enumerate(items)]
    return _finish([None] * len(items), children, annotation)


def _finish(plain: Any, children: list[tuple[str, Any]], annotation: str | None) -> tuple[Any, Any]:
    inner: dict[str, Any] = {}
    for key, child in children:
        child_plain, child_tree = _walk(child)
        if isinstance(plain, dict):
            plain[key] = child_plain
        else:
            plain[int(key)] = child_plain
        escaped = _escape_path_part(key)
        if isinstance(child_tree, list):
            inner[escaped] = child_tree
        elif isinstance(child_tree, dict):
            for sub, tree in child_tree.items():
                inner[f"{escaped}.{sub}"] = tree
    if annotation is not None:
        return plain, [annotation, inner] if inner else [annotation]
    return plain, inner or None


def superjson_stringify(value: Any) -> str:
    """``superjson.stringify(value)`` for Python values.

    datetime/date -> Date, set -> set, dict with non-str keys -> map, ints beyond 2**53-1 ->
    bigint, NaN/Infinity -> number, bytes -> the SDK's ``buffer`` custom type, a compiled regex ->
    regexp, :data:`UNDEFINED` -> undefined.
    """
    plain, tree = _walk(value)
    out: dict[str, Any] = {"json": plain}
    if tree is not None:
        out["meta"] = {"values": tree, "v": 1}
    return js_json(out)


def encode_packet(value: Any, data_type: str | None = None) -> Packet:
    """A stored packet for a Python value and a MIME type (default ``application/json``).

    A :class:`Packet` is returned as is. ``None`` with the JSON type means "no data".
    """
    if isinstance(value, Packet):
        return value
    data_type = data_type or JSON_TYPE
    if data_type == SUPERJSON_TYPE:
        return Packet(superjson_stringify(value), data_type)
    if value is None:
        return Packet(None, data_type)
    if data_type == JSON_TYPE:
        return Packet(js_json(value), data_type)
    if isinstance(value, bytes):
        return Packet(value.decode(), data_type)
    if isinstance(value, str):
        return Packet(value, data_type)
    return Packet(js_json(value), data_type)


def packet_extension(data_type: str) -> str:
    """The file extension the SDK gives an offloaded packet of this type."""
    if data_type in (JSON_TYPE, SUPERJSON_TYPE):
        return "json"
    return "txt"


def packet_json_value(data: str | None, data_type: str) -> tuple[bool, Any]:
    """REST's ``parsePacketAsJson``: (present, value). superjson gives its plain ``json`` part."""
    if not data:
        return False, None
    if data_type == JSON_TYPE:
        try:
            return True, json.loads(data)
        except ValueError:
            return True, data
    if data_type == SUPERJSON_TYPE:
        try:
            parsed = json.loads(data)
        except ValueError:
            return True, data
        if isinstance(parsed, dict) and "json" in parsed:
            return True, parsed["json"]
        return True, parsed
    return True, data
