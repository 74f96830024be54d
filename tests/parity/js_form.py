"""One JSON form for runs from the official TypeScript SDK and from ours, to compare them.

The node driver prints a run as ``JSON.stringify`` would, with user data (payload, output,
metadata) tagged (``{"$date": ...}``, ``{"$set": [...]}``, ... see tests/interop/README.md). Both
sides are brought to a canonical form here: keys whose value is null/undefined are dropped, sets
and maps are sorted, a BigInt is an int, a URL or Symbol is its string.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from trigger_client import Run
from trigger_client._protocol.superjson import SuperjsonError
from trigger_client._serde import format_datetime

#: Fields our Run has that the official 3.3.17 SDK does not yield (a deliberate difference:
#: protocol-trigger.md preface, decision 2).
NOT_IN_OFFICIAL = frozenset({"ttl", "realtime_streams"})


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _plain_dict(items: list[tuple[Any, Any]]) -> Any:
    if all(isinstance(k, str) for k, _ in items):
        return {k: v for k, v in items if v is not None}
    return {"$map": sorted(([k, v] for k, v in items), key=_sort_key)}


def canonical_from_js(value: Any) -> Any:
    """Canonical form of the node driver's tagged JSON."""
    if isinstance(value, list):
        return [canonical_from_js(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$date":
            return {"$date": inner}
        if tag == "$bigint":
            return int(inner)
        if tag == "$undefined":
            return None
        if tag == "$set":
            return {"$set": sorted((canonical_from_js(v) for v in inner), key=_sort_key)}
        if tag == "$map":
            return _plain_dict([(canonical_from_js(k), canonical_from_js(v)) for k, v in inner])
        if tag == "$number":
            return {"$number": inner}
        if tag in ("$url", "$symbol"):
            return inner
        if tag == "$regexp":
            return {"$regexp": inner}
        if tag == "$error":
            return {"$error": {"name": inner.get("name"), "message": inner.get("message")}}
        if tag == "$bytes":
            return {"$bytes": list(inner)}
        if tag == "$object":
            return canonical_from_js_object(inner)
    return canonical_from_js_object(value)


def canonical_from_js_object(value: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: canonical_from_js(v) for k, v in value.items()}
    return {k: v for k, v in out.items() if v is not None}


def canonical_from_python(value: Any) -> Any:
    """Canonical form of a decoded Python packet value."""
    if isinstance(value, datetime):
        return {"$date": format_datetime(value)}
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$number": "NaN"}
        if math.isinf(value):
            return {"$number": "Infinity" if value > 0 else "-Infinity"}
        if value == 0 and math.copysign(1, value) < 0:
            return {"$number": "-0"}
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, set | frozenset):
        return {"$set": sorted((canonical_from_python(v) for v in value), key=_sort_key)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            out = {k: canonical_from_python(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not None}
        return _plain_dict(
            [(canonical_from_python(k), canonical_from_python(v)) for k, v in value.items()]
        )
    if isinstance(value, list | tuple):
        return [canonical_from_python(v) for v in value]
    if isinstance(value, re.Pattern):
        flags = "".join(
            f for f, bit in (("i", re.I), ("m", re.M), ("s", re.S)) if value.flags & bit
        )
        return {"$regexp": f"/{value.pattern}/{flags}"}
    if isinstance(value, SuperjsonError):
        return {"$error": {"name": value.name, "message": value.message}}
    if isinstance(value, bytes | bytearray):
        return {"$bytes": list(value)}
    raise TypeError(f"no canonical form for {type(value).__name__}")


def js_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical form of a run yielded by the official SDK (as the driver printed it)."""
    out: dict[str, Any] = {}
    for key, value in run.items():
        if key in ("payload", "output", "metadata"):
            value = canonical_from_js(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is not None:
            out[key] = value
    return out


def py_run(run: Run, *, drop: frozenset[str] = NOT_IN_OFFICIAL) -> dict[str, Any]:
    """Canonical form of one of our runs, with the official SDK's camelCase names."""
    out: dict[str, Any] = {}
    for field in attrs.fields(Run):
        if field.name in drop:
            continue
        name = field.metadata.get("json", field.name)
        value = getattr(run, field.name)
        if field.name in ("payload", "output", "metadata"):
            value = canonical_from_python(value)
        elif isinstance(value, datetime):
            value = format_datetime(value)
        elif field.name == "status":
            value = str(value)
        elif field.name == "error" and value is not None:
            value = {
                k: v
                for k, v in (
                    ("message", value.message),
                    ("name", value.name),
                    ("stackTrace", value.stack_trace),
                )
                if v is not None
            }
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, list):
            value = list(value)
        if value is not None:
            out[name] = value
    return out
