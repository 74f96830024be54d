"""superjson 2.x documents (``application/super+json`` packets) <-> Python values.

A document is ``{"json": <plain JSON>, "meta": {"values": <annotations>, "referentialEqualities":
..., "v": 1}}``. Annotations are keyed by dot-joined paths into the JSON (``a.b.0``); a tree
``[type, {relative path: tree}]`` annotates a value and the values inside it (map keys and values are
addressed as ``<row>.0`` and ``<row>.1``, set members by index). Path escaping follows ``meta.v``:
with ``v >= 1`` ``\\.`` is a literal dot and ``\\\\`` a literal backslash; without ``v`` (superjson
before 2.2.7) only ``\\.`` is an escape.

How annotated values become Python values:

===================== ===========================================================================
annotation            Python value
===================== ===========================================================================
``Date``              aware UTC ``datetime`` (a year outside 1..9999 stays the ISO string)
``bigint``            ``int``
``undefined``         ``None``
``set``               ``set``; a ``list`` if a member is unhashable or two members collide
``map``               ``dict``; a ``list`` of ``(key, value)`` tuples if a key is unhashable or
                      two keys collide
``regexp``            ``re.Pattern`` (flags ``i``, ``m``, ``s`` translated; ``g``, ``y``, ``u``,
                      ``d``, ``v`` dropped); the ``/source/flags`` string if Python cannot compile it
``Error``             ``SuperjsonError(name, message, cause)``
``URL``               ``str``
``number``            ``float`` (``NaN``, ``inf``, ``-inf``, ``-0.0``)
``["class", name]``   the plain ``dict`` of its properties
``["symbol", name]``  ``str`` (the symbol's description)
``["custom",          ``bytes``
"buffer"]``
``["typed-array",     ``list`` of ``int`` or ``float``
name]``
anything else         the JSON value unchanged
===================== ===========================================================================

``referentialEqualities`` are validated but not applied: without superjson's ``dedupe`` option
(which the Trigger.dev SDK does not use) every repeated object is already written out in full, so
the result is equal either way; a circular reference stays ``None`` where superjson wrote null.

``serialize`` writes what superjson would write for the equivalent JavaScript value: ``datetime``
(naive means UTC) -> ``Date``; ``int`` beyond +-(2**53 - 1) -> ``bigint``; non-finite floats and
``-0.0`` -> ``number``; ``set``/``frozenset`` -> ``set``; a ``dict`` with a non-``str`` key -> ``map``;
``bytes``/``bytearray`` -> ``["custom", "buffer"]``; ``re.Pattern`` -> ``regexp``; ``SuperjsonError``
and exceptions -> ``Error``; ``list``/``tuple``/``dict``/``str``/``bool``/``None`` as plain JSON.
Other types raise ``TypeError``; circular references raise ``ValueError``. ``meta.v`` is ``1``
unless a path key contains a backslash, when the form old readers parse correctly is chosen.

Malformed documents raise ``APIResponseValidationError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .._exceptions import APIResponseValidationError, InvalidArgumentError
from .._model import Record
from .._serde import format_datetime

__all__ = ["SuperjsonError", "deserialize", "serialize"]

_MAX_SAFE_INTEGER = 2**53 - 1
_FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})
_RE_FLAGS = (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL))
_TYPED_ARRAYS = frozenset(
    {
        "Int8Array",
        "Uint8Array",
        "Uint8ClampedArray",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "Float32Array",
        "Float64Array",
        "BigInt64Array",
        "BigUint64Array",
    }
)
_SPECIAL_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


@attrs.frozen
class SuperjsonError:
    """A JavaScript ``Error`` carried in a superjson packet (superjson keeps no stack)."""

    name: str
    message: str
    cause: Any = None


class _Malformed(Exception):
    """Internal: raised while walking a document, turned into APIResponseValidationError."""


def _malformed(reason: str, document: object = None) -> APIResponseValidationError:
    return APIResponseValidationError(f"malformed superjson document: {reason}", body=document)


# ---------------------------------------------------------------------------------------------
# deserialize


def deserialize(document: Mapping[str, Any]) -> Any:
    """The Python value of a superjson document (see the module docstring for the mapping)."""
    if not isinstance(document, Mapping):
        raise _malformed("not a JSON object", document)
    if "json" not in document:
        raise _malformed('no "json" member', document)
    meta = document.get("meta")
    try:
        value = _copy_json(document["json"])
        if meta is None:
            return value
        if not isinstance(meta, Mapping):
            raise _Malformed('"meta" is not an object')
        version = meta.get("v", 0)
        if isinstance(version, bool) or not isinstance(version, int | float):
            raise _Malformed('"meta.v" is not a number')
        legacy = version < 1
        annotations = meta.get("values")
        if annotations is not None:
            value = _apply(value, annotations, legacy)
        _check_referential_equalities(meta.get("referentialEqualities"))
        return value
    except _Malformed as exc:
        raise _malformed(str(exc), document) from None
    except RecursionError:
        raise _malformed("nested too deeply", document) from None


def _copy_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    return value


def _parse_path(text: str, *, legacy: bool) -> list[str]:
    """Split a superjson path into keys (``legacy``: the escaping of documents without ``v``)."""
    if "\\" not in text:
        return text.split(".")
    segments: list[str] = []
    segment: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        following = text[i + 1] if i + 1 < len(text) else ""
        if char == "\\" and not legacy:
            if following == "\\":
                segment.append("\\")
                i += 2
                continue
            if following != ".":
                raise _Malformed(f"invalid escape in path {text!r}")
        if char == "\\" and following == ".":
            segment.append(".")
            i += 2
            continue
        if char == ".":
            segments.append("".join(segment))
            segment = []
        else:
            segment.append(char)
        i += 1
    segments.append("".join(segment))
    return segments


def _apply(node: Any, tree: Any, legacy: bool) -> Any:
    """Apply an annotation tree (or a record of them) to ``node``, innermost values first."""
    children: Any
    if isinstance(tree, dict):
        kind, children = None, tree
    elif isinstance(tree, list) and 1 <= len(tree) <= 2:
        kind = tree[0]
        children = tree[1] if len(tree) == 2 else None
        if children is not None and not isinstance(children, dict):
            raise _Malformed(f"annotation children are not an object: {children!r:.80}")
    else:
        raise _Malformed(f"invalid annotation {tree!r:.80}")
    if children:
        for key, subtree in children.items():
            path = _parse_path(key, legacy=legacy)
            node = _update(node, path, subtree, legacy)
    if kind is not None:
        node = _untransform(node, kind)
    return node


def _update(node: Any, path: list[str], subtree: Any, legacy: bool) -> Any:
    parent = node
    for key in path[:-1]:
        parent = _child(parent, key, path)
    last = path[-1]
    if isinstance(parent, list):
        index = _index(parent, last, path)
        parent[index] = _apply(parent[index], subtree, legacy)
    elif isinstance(parent, dict):
        parent[last] = _apply(parent.get(last), subtree, legacy)
    else:
        raise _Malformed(f"path {'.'.join(path)!r} does not lead into an array or object")
    return node


def _child(parent: Any, key: str, path: list[str]) -> Any:
    if isinstance(parent, list):
        return parent[_index(parent, key, path)]
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    raise _Malformed(f"path {'.'.join(path)!r} does not exist in the JSON")


def _index(items: list[Any], key: str, path: list[str]) -> int:
    if key.isdigit() and key.isascii() and int(key) < len(items):
        return int(key)
    raise _Malformed(f"path {'.'.join(path)!r} has no array index {key!r}")


def _untransform(value: Any, kind: Any) -> Any:
    if isinstance(kind, str):
        handler = _SIMPLE.get(kind)
        return handler(value) if handler is not None else value
    if isinstance(kind, list) and len(kind) == 2 and all(isinstance(k, str) for k in kind):
        category, name = kind
        if category == "custom" and name == "buffer":
            return _to_buffer(value)
        if category == "typed-array" and name in _TYPED_ARRAYS:
            return _to_typed_array(value, name)
        return value  # class, symbol, unknown custom or typed array: the JSON value itself
    raise _Malformed(f"invalid annotation type {kind!r:.80}")


def _to_date(value: Any) -> Any:
    if not isinstance(value, str):
        raise _Malformed(f"a Date is not a string: {value!r:.80}")
    if len(value) > 7 and value[0] in "+-" and value[1:7].isdigit():
        return value  # an extended year (+275760-...), out of datetime's range
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Malformed(f"invalid Date {value!r:.80}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _to_bigint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if text[:2].lower() in ("0x", "0o", "0b"):
                return int(text, 0)
            return int(text)
        except ValueError:
            pass
    raise _Malformed(f"invalid bigint {value!r:.80}")


def _to_number(value: Any) -> float:
    if isinstance(value, str):
        if value in _SPECIAL_NUMBERS:
            return _SPECIAL_NUMBERS[value]
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise _Malformed(f"invalid number {value!r:.80}")


def _to_regexp(value: Any) -> Any:
    if not isinstance(value, str) or not value.startswith("/") or value.rfind("/") == 0:
        raise _Malformed(f"invalid regexp {value!r:.80}")
    cut = value.rfind("/")
    source, js_flags = value[1:cut], value[cut + 1 :]
    flags = 0
    for letter, flag in _RE_FLAGS:
        if letter in js_flags:
            flags |= flag
    try:
        return re.compile(source, flags)
    except (re.error, OverflowError, RecursionError):
        return value


def _to_set(value: Any) -> set[Any] | list[Any]:
    if not isinstance(value, list):
        raise _Malformed(f"a set is not an array: {value!r:.80}")
    try:
        members = set(value)
    except TypeError:
        return value
    return members if len(members) == len(value) else value


def _to_map(value: Any) -> dict[Any, Any] | list[tuple[Any, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(entry, list) and len(entry) == 2 for entry in value
    ):
        raise _Malformed(f"a map is not an array of [key, value] pairs: {value!r:.80}")
    pairs = [(entry[0], entry[1]) for entry in value]
    try:
        mapping = dict(pairs)
    except TypeError:
        return pairs
    return mapping if len(mapping) == len(pairs) else pairs


def _to_error(value: Any) -> SuperjsonError:
    if not isinstance(value, dict):
        raise _Malformed(f"an Error is not an object: {value!r:.80}")
    name, message = value.get("name", "Error"), value.get("message", "")
    return SuperjsonError(
        name=name if isinstance(name, str) else str(name),
        message=message if isinstance(message, str) else str(message),
        cause=value.get("cause"),
    )


def _to_url(value: Any) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"a URL is not a string: {value!r:.80}")
    return value


def _to_buffer(value: Any) -> bytes:
    if not isinstance(value, list):
        raise _Malformed(f"a buffer is not an array of bytes: {value!r:.80}")
    try:
        return bytes(value)
    except (TypeError, ValueError):
        raise _Malformed(f"a buffer is not an array of bytes: {value!r:.80}") from None


def _to_typed_array(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Malformed(f"a {name} is not an array: {value!r:.80}")
    if name.startswith("Big"):
        return [_to_bigint(item) for item in value]
    return [
        _to_number(item) if isinstance(item, str) or name.startswith("Float") else item
        for item in value
    ]


_SIMPLE: dict[str, Callable[[Any], Any]] = {
    "undefined": lambda _value: None,
    "bigint": _to_bigint,
    "Date": _to_date,
    "regexp": _to_regexp,
    "set": _to_set,
    "map": _to_map,
    "Error": _to_error,
    "URL": _to_url,
    "number": _to_number,
}


def _check_referential_equalities(annotations: Any) -> None:
    def paths(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(p, str) for p in value)

    def record(value: Any) -> bool:
        return isinstance(value, dict) and all(paths(v) for v in value.values())

    if annotations is None or record(annotations):
        return
    if (
        isinstance(annotations, list)
        and 1 <= len(annotations) <= 2
        and paths(annotations[0])
        and (len(annotations) == 1 or record(annotations[1]))
    ):
        return
    raise _Malformed(f"invalid referentialEqualities {annotations!r:.80}")


# ---------------------------------------------------------------------------------------------
# serialize


# _Tree and _Record are ``Record``s (``_model.py``), not attrs classes: a subscription loads this
# module, and attrs would build them at import (issue 18, cold start).
class _Tree(Record):
    """A transformed value: its annotation type and the annotations of values inside it."""

    __slots__ = ("children", "kind")
    __match_args__ = ("kind", "children")

    kind: Any
    children: tuple[tuple[tuple[str, ...], _Tree], ...]

    def __init__(self, kind: Any, children: tuple[tuple[tuple[str, ...], _Tree], ...] = ()) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "children", children)


class _Record(Record):
    """A plain array or object with annotated values somewhere inside it."""

    __slots__ = ("children",)
    __match_args__ = ("children",)

    children: tuple[tuple[tuple[str, ...], _Tree], ...]

    def __init__(self, children: tuple[tuple[tuple[str, ...], _Tree], ...]) -> None:
        object.__setattr__(self, "children", children)


_Annotation = _Tree | _Record | None


def serialize(value: Any) -> dict[str, Any]:
    """The superjson document for ``value`` (see the module docstring)."""
    json_value, annotation = _Serializer().walk(value)
    document: dict[str, Any] = {"json": json_value}
    if annotation is not None:
        document["meta"] = _render_meta(annotation)
    return document


class _Serializer:
    def __init__(self) -> None:
        self._active: set[int] = set()

    def walk(self, value: Any) -> tuple[Any, _Annotation]:
        if value is None or isinstance(value, bool | str):
            return value, None
        if isinstance(value, int):
            if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
                return value, None
            return str(value), _Tree("bigint")
        if isinstance(value, float):
            return _float(value)
        if isinstance(value, datetime):
            return format_datetime(value), _Tree("Date")
        if isinstance(value, bytes | bytearray | memoryview):
            return list(bytes(value)), _Tree(["custom", "buffer"])
        if isinstance(value, re.Pattern):
            return _regexp_literal(value), _Tree("regexp")
        if isinstance(value, SuperjsonError | BaseException):
            return self._error(value)
        if isinstance(value, Mapping):
            if all(isinstance(key, str) for key in value):
                return self._container(value, value.items(), None)
            entries = [[key, item] for key, item in value.items()]
            return self._container(value, enumerate(entries), "map")
        if isinstance(value, list | tuple):
            return self._container(value, enumerate(value), None)
        if isinstance(value, set | frozenset):
            return self._container(value, enumerate(list(value)), "set")
        raise TypeError(f"cannot serialize a {type(value).__name__} as superjson")

    def _container(
        self, origin: object, items: Iterable[tuple[Any, Any]], kind: str | None
    ) -> tuple[Any, _Annotation]:
        if id(origin) in self._active:
            raise InvalidArgumentError("cannot serialize a circular reference as superjson")
        self._active.add(id(origin))
        try:
            out_list: list[Any] = []
            out_dict: dict[str, Any] = {}
            is_object = kind is None and isinstance(origin, Mapping)
            children: list[tuple[tuple[str, ...], _Tree]] = []
            for key, item in items:
                json_item, annotation = self.walk(item)  # a map's [key, value] entry is a list
                if is_object:
                    out_dict[key] = json_item
                else:
                    out_list.append(json_item)
                segment = (str(key),)
                if isinstance(annotation, _Tree):
                    children.append((segment, annotation))
                elif isinstance(annotation, _Record):
                    children.extend((segment + path, tree) for path, tree in annotation.children)
        finally:
            self._active.discard(id(origin))
        json_value = out_dict if is_object else out_list
        if kind is not None:
            return json_value, _Tree(kind, tuple(children))
        return json_value, _Record(tuple(children)) if children else None

    def _error(self, error: SuperjsonError | BaseException) -> tuple[Any, _Annotation]:
        if isinstance(error, SuperjsonError):
            fields: dict[str, Any] = {"name": error.name, "message": error.message}
            if error.cause is not None:
                fields["cause"] = error.cause
        else:
            fields = {"name": type(error).__name__, "message": str(error)}
        json_value, annotation = self._container(fields, fields.items(), None)
        children = annotation.children if isinstance(annotation, _Record) else ()
        return json_value, _Tree("Error", children)


def _float(value: float) -> tuple[Any, _Annotation]:
    if math.isnan(value):
        return "NaN", _Tree("number")
    if math.isinf(value):
        return ("Infinity" if value > 0 else "-Infinity"), _Tree("number")
    if value == 0 and math.copysign(1.0, value) < 0:
        return "-0", _Tree("number")
    return value, None


def _regexp_literal(pattern: re.Pattern[Any]) -> str:
    if not isinstance(pattern.pattern, str):
        raise TypeError("cannot serialize a bytes regular expression as superjson")
    if pattern.flags & re.VERBOSE:
        raise InvalidArgumentError("JavaScript regular expressions have no VERBOSE flag")
    source = pattern.pattern or "(?:)"
    escaped: list[str] = []
    backslash = False
    for char in source:  # a "/" must be escaped inside a /literal/, as RegExp#source does
        if char == "/" and not backslash:
            escaped.append("\\")
        escaped.append(char)
        backslash = char == "\\" and not backslash
    flags = "".join(letter for letter, flag in _RE_FLAGS if pattern.flags & flag)
    return "/" + "".join(escaped) + "/" + flags


def _render_meta(annotation: _Tree | _Record) -> dict[str, Any]:
    paths: list[tuple[str, ...]] = []
    _collect_paths(annotation, paths)
    if any(key in _FORBIDDEN_KEYS for path in paths for key in path):
        raise InvalidArgumentError(
            "superjson readers reject the keys __proto__, constructor and prototype on the path"
            " to a value they must restore"
        )
    has_backslash = any("\\" in key for path in paths for key in path)
    ambiguous_legacy = any(key.endswith("\\") for path in paths for key in path[:-1])
    modern = not has_backslash or ambiguous_legacy
    values = _render(annotation, modern)
    return {"values": values, "v": 1} if modern else {"values": values}


def _collect_paths(annotation: _Tree | _Record, out: list[tuple[str, ...]]) -> None:
    for path, tree in annotation.children:
        out.append(path)
        _collect_paths(tree, out)


def _render(annotation: _Tree | _Record, modern: bool) -> Any:
    children = {_join(path, modern): _render(tree, modern) for path, tree in annotation.children}
    if isinstance(annotation, _Record):
        return children
    return [annotation.kind, children] if children else [annotation.kind]


def _join(path: tuple[str, ...], modern: bool) -> str:
    if modern:
        return ".".join(key.replace("\\", "\\\\").replace(".", "\\.") for key in path)
    return ".".join(key.replace(".", "\\.") for key in path)
