"""The one cattrs converter: wire JSON <-> the generated attrs models.

Wire names are camelCase and come from each field's ``metadata["json"]``; Python names are
snake_case. Datetimes are read from ISO-8601 (``Z`` or an offset) and from the realtime row's naive
Postgres text (``2024-10-09 12:34:56.789``, which means UTC), and are always aware UTC datetimes.
Unknown keys are ignored (``strict=True`` forbids them, for contract tests). Unstructuring omits
fields that hold their default, so request bodies never send unset options.

cattrs is imported, and each converter built, on first use (``get_converter``): the realtime path
builds runs without it, so a process that only subscribes never loads it. cattrs builds the hook of
each model class the first time that class is (un)structured.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._exceptions import APIResponseValidationError
from ._open_enum import OpenStrEnum

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "format_datetime",
    "get_converter",
    "make_converter",
    "parse_datetime",
    "structure",
    "unstructure",
]

T = TypeVar("T")


def parse_datetime(value: object, _: object = None) -> datetime:
    """An aware UTC datetime from ISO-8601 text, Postgres timestamp text, or a datetime."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an ISO-8601 timestamp: {value[:64]!r}") from None
    else:
        raise TypeError(f"expected a timestamp string, got {type(value).__name__}")
    if parsed.tzinfo is None:  # Postgres `timestamp` text: UTC without a zone
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """``2024-10-09T12:34:56.789Z``: the form JavaScript's ``Date.toISOString()`` writes."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _strict_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _strict_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _strict_float(value: object, _: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _open_enum(value: object, cls: type[OpenStrEnum]) -> OpenStrEnum:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return cls.from_server(value)


def _renames(cls: type) -> dict[str, Any]:
    from cattrs.gen import override

    return {
        a.name: override(rename=a.metadata["json"])
        for a in attrs.fields(cls)
        if "json" in a.metadata
    }


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """A converter for the generated models; ``strict=True`` rejects unknown keys."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

    conv = cattrs.Converter(forbid_extra_keys=strict)
    conv.register_structure_hook(datetime, parse_datetime)
    # JSON scalars are taken as they are: no str(None) == "None", no int("1"), no float(True)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(OpenStrEnum, _open_enum)
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(OpenStrEnum, lambda member: member.value)
    conv.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=strict, **_renames(cls)
        ),
    )
    conv.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(
            cls, conv, _cattrs_omit_if_default=True, **_renames(cls)
        ),
    )
    return conv


_converters: dict[bool, cattrs.Converter] = {}
_converters_lock = threading.Lock()


def get_converter(*, strict: bool = False) -> cattrs.Converter:
    """The shared converter (``strict=True``: the one rejecting unknown keys), made on first use."""
    conv = _converters.get(strict)
    if conv is None:
        with _converters_lock:  # threads racing the first use get the same converter
            conv = _converters.get(strict)
            if conv is None:
                conv = _converters[strict] = make_converter(strict=strict)
    return conv


@cache
def _wire_names() -> dict[str, str]:
    """snake_case attribute name -> camelCase wire name, over every generated model (both modules)."""
    from ._generated import models, rest_models

    names: dict[str, str] = {}
    for module in (models, rest_models):
        for obj in vars(module).values():
            if isinstance(obj, type) and attrs.has(obj):
                for a in attrs.fields(obj):
                    names[a.name] = a.metadata.get("json", a.name)
    return names


_PATH_SEGMENT = re.compile(r"(?<=[.$])([a-z_][a-z0-9_]*)")


def _to_wire_path(message: str) -> str:
    names = _wire_names()
    return _PATH_SEGMENT.sub(lambda m: names.get(m.group(1), m.group(1)), message)


def structure(
    data: Any, cls: type[T], *, strict: bool = False, what: str | None = None, response: Any = None
) -> T:
    """Structure wire data into ``cls``; failures raise ``APIResponseValidationError``.

    The error message names the offending wire field (``$.createdAt``), not the Python attribute.
    """
    import cattrs

    conv = get_converter(strict=strict)
    try:
        return conv.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            problems = [_to_wire_path(p) for p in cattrs.transform_error(exc)]
        else:
            problems = [str(exc)]
        label = what or cls.__name__
        raise APIResponseValidationError(
            f"invalid {label} in the API response: " + "; ".join(problems),
            response=response,
            body=data,
        ) from exc


def unstructure(obj: Any) -> Any:
    """Wire JSON (camelCase keys, ISO ``Z`` datetimes) for a model; default-valued fields omitted."""
    return get_converter().unstructure(obj)
