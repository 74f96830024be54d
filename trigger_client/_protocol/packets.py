"""Run packets (payload, output, metadata): ``(data, dataType)`` text <-> Python values.

Decoding follows the official SDK's ``parsePacket``: no data (``None`` or ``""``) -> ``None``;
``application/json`` -> ``json.loads``; ``application/super+json`` -> superjson (``superjson``
module); ``text/plain`` -> the string; ``application/store`` -> ``StoreReference`` (the packet was
offloaded and must be downloaded, then decoded with ``decode_downloaded_packet``); any other type
-> the raw string. The type is matched case-insensitively and without parameters (``; charset=``).
Invalid JSON raises ``APIResponseValidationError``. JSON numbers keep Python's precision (an
integer beyond 2**53 stays exact, where JavaScript would round it).

Encoding follows the official SDK's ``stringifyIO`` in what the receiving task sees: a ``str`` is
``text/plain``; a value that plain JSON can carry is ``application/json``; a value that needs
superjson (``datetime``, ``set``, ``bytes``, ``int`` beyond 2**53, non-finite floats, a ``dict``
with non-``str`` keys, ...) is ``application/super+json``. (The TypeScript SDK writes
``application/super+json`` for every non-string value; a task decodes both forms to the same value.)
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from .._exceptions import APIResponseValidationError
from .._model import Record
from . import superjson

__all__ = [
    "StoreReference",
    "decode_downloaded_packet",
    "decode_packet",
    "encode_packet",
    "media_type",
]

JSON = "application/json"
SUPERJSON = "application/super+json"
TEXT = "text/plain"
STORE = "application/store"


# A ``Record`` (``_model.py``), not an attrs class: a subscription loads this module, and attrs
# would build the class at import (issue 18, cold start).
class StoreReference(Record):
    """An offloaded (``application/store``) packet: fetch ``path`` through the packets API."""

    __slots__ = ("path",)
    __match_args__ = ("path",)

    path: str

    def __init__(self, path: str) -> None:
        object.__setattr__(self, "path", path)


def media_type(data_type: str | None) -> str:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``; ``None`` -> ``""``."""
    if not data_type:
        return ""
    return data_type.split(";", 1)[0].strip().lower()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every packet (``json.loads`` with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_JSON_WHITESPACE = frozenset(" \t\n\r")


def _decode_json(data: str) -> Any:
    """``json.loads(data, parse_constant=_reject_constant)``, with the same errors."""
    if data.startswith("\ufeff"):  # what json.loads checks before decoding
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
    if data[:1] not in _JSON_WHITESPACE:
        # What JSONDecoder.decode does between its two whitespace skips, without the skips; a
        # document followed by anything goes through decode (trailing whitespace, "Extra data").
        value, end = _DECODER.raw_decode(data)
        if end == len(data):
            return value
    return _DECODER.decode(data)


def _loads(data: str, data_type: str) -> Any:
    try:
        return _decode_json(data)
    except (ValueError, RecursionError) as exc:
        raise APIResponseValidationError(
            f"the {data_type} packet is not valid JSON: {exc}", body=data[:1000]
        ) from None


def decode_packet(data: str | None, data_type: str | None) -> Any | StoreReference:
    """The value of a packet, or a ``StoreReference`` for an offloaded one."""
    if not data:
        return None
    if data_type == JSON:  # the usual type, already in its normal form
        return _loads(data, JSON)
    kind = media_type(data_type)
    if kind == JSON:
        return _loads(data, JSON)
    if kind == SUPERJSON:
        document = _loads(data, SUPERJSON)
        if not isinstance(document, dict):
            raise APIResponseValidationError(
                "the application/super+json packet is not a JSON object", body=data[:1000]
            )
        return superjson.deserialize(document)
    if kind == TEXT:
        return data
    if kind == STORE:
        return StoreReference(path=data)
    return data


def decode_downloaded_packet(content: bytes, content_type: str | None) -> Any:
    """The value of a downloaded offloaded packet; the content type defaults to JSON."""
    kind = media_type(content_type) or JSON
    if kind == STORE:
        raise APIResponseValidationError(
            "a downloaded packet cannot itself be an application/store reference"
        )
    text = content.decode(_charset(content_type), errors="replace")
    return decode_packet(text, kind)


def _charset(content_type: str | None) -> str:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                return codecs.lookup(charset).name
            except LookupError:
                break
    return "utf-8"


def encode_packet(value: Any) -> tuple[str, str]:
    """``(data, dataType)`` for a payload; see the module docstring for the type chosen."""
    if isinstance(value, str):
        return value, TEXT
    document = superjson.serialize(value)
    if "meta" not in document:
        return _dumps(document["json"]), JSON
    return _dumps(document), SUPERJSON


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
