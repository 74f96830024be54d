"""Triggering tasks, the pure part: payload packets, idempotency keys, option bodies, handles.

Everything here follows the official SDK 3.3.17 (``tasks.trigger`` / ``tasks.batchTrigger``):

* **Payloads** (``stringifyIO``): a ``str`` is sent as is with ``text/plain``; any other value is
  sent as superjson text with ``application/super+json`` (``{"json":{"a":1}}``; ``meta`` with
  ``"v":1`` when a value needs annotations, such as a ``datetime`` or a ``set``). The text is
  exactly what ``JSON.stringify`` writes: compact, non-ASCII kept, numbers formatted as JavaScript
  formats them (``1.0`` is ``1``, ``1e-7`` is ``1e-7``, ``1e21`` is ``1e+21``). No payload at all
  (the ``undefined`` of TypeScript) sends no ``payload`` and ``application/json``.
* **Idempotency keys** (``makeIdempotencyKey`` outside a task, ``scope: "global"``): the SHA-256
  hex digest of the key (a list of strings is joined with ``-`` first); a string of exactly 64
  characters is taken as an already hashed key and sent unchanged.
* **Options** are sent in the SDK's key order, leaving out what was not given.

Offloading: 3.3.17 does not offload trigger payloads itself. It sends them inline and the server
stores a payload of 512 KiB or more (its ``TASK_PAYLOAD_OFFLOAD_THRESHOLD``) in its object store (the run then carries an
``application/store`` reference that ``runs.retrieve`` and the subscriptions download).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._exceptions import InvalidArgumentError
from .._generated.rest_models import QueueOptions
from .._serde import format_datetime, unstructure
from . import superjson

__all__ = [
    "BatchHandle",
    "BatchItem",
    "RunHandle",
    "TriggerOptions",
    "batch_items",
    "delay_text",
    "duration_text",
    "encode_payload",
    "idempotency_key",
    "js_number",
    "js_stringify",
    "json_value",
    "merge_options",
    "trigger_item_body",
    "trigger_options_body",
]

TEXT = "text/plain"
JSON = "application/json"
SUPERJSON = "application/super+json"

Duration = str | timedelta
Delay = str | timedelta | datetime


# ---------------------------------------------------------------------------------------------
# public value types


@attrs.frozen(kw_only=True)
class TriggerOptions:
    """Options of one triggered run (the official SDK's ``TriggerOptions``).

    Attributes:
        idempotency_key: a run with the same key (for the same task) is not triggered again while
            the key lives: the existing run is returned. A string or a list of strings (joined with
            ``-``), hashed with SHA-256 as the official SDK does outside a task; a 64-character
            string is sent unchanged (taken as already hashed).
        idempotency_key_ttl: how long the key lives: ``"1h"``, ``"30m"``, ``"2d"`` or a
            ``timedelta`` (server default: 30 days).
        delay: start the run later: a duration (``"1h"``, ``"30m"``, a ``timedelta``) or a
            ``datetime`` (naive means UTC). The run is ``DELAYED`` until then.
        ttl: the run expires if it has not started within this time: ``"10m"``, seconds as an
            ``int``, or a ``timedelta``; ``0`` disables it (development environments default to
            10 minutes).
        tags: up to 10 tags of at most 128 characters, for example ``["user:1234"]``.
        metadata: the run's initial metadata (a JSON object).
        queue: the queue to run in: a name, or ``QueueOptions(name=..., concurrency_limit=...)``.
        concurrency_key: a per-key concurrency scope within the queue.
        max_attempts: attempts before the run fails (overrides the task's retry setting).
        max_duration: the most compute time the run may use: seconds or a ``timedelta``.
        machine: the machine preset, for example ``"small-1x"`` or ``"large-2x"``.
        test: mark the run as a test run.
        lock_to_version: run this deployed version (``"20250208.1"``) instead of the current one.
            Default: the ``TRIGGER_VERSION`` environment variable, as in the official SDK.
    """

    idempotency_key: str | Sequence[str] | None = None
    idempotency_key_ttl: Duration | None = None
    delay: Delay | None = None
    ttl: str | int | timedelta | None = None
    tags: str | Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    queue: str | QueueOptions | None = None
    concurrency_key: str | None = None
    max_attempts: int | None = None
    max_duration: int | timedelta | None = None
    machine: str | None = None
    test: bool | None = None
    lock_to_version: str | None = None


def _check_task(instance: object, attribute: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidArgumentError(f"task must be a task id such as 'my-task', not {value!r}")


@attrs.frozen
class BatchItem:
    """One run of a batch: its payload and options, and (for ``batch_trigger_by_id``) its task.

    ``BatchItem(payload)``, ``BatchItem(payload, TriggerOptions(tags=["a"]))``,
    ``BatchItem(payload, task="my-task")``.
    """

    payload: Any
    options: TriggerOptions | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(TriggerOptions)),
    )
    task: str | None = attrs.field(default=None, kw_only=True, validator=_check_task)


@attrs.frozen(kw_only=True)
class RunHandle:
    """A triggered run: its id and a public access token that can read it.

    Hand ``public_access_token`` to a browser or another untrusted client so that it can subscribe
    to the run (``runs.subscribe_to_run(handle.id, access_token=handle.public_access_token)``). It
    is valid for one hour. It is ``None`` only when the client could not sign one (it holds a
    public access token rather than a secret key, and the server sent none).
    """

    id: str
    public_access_token: str | None = attrs.field(repr=False)
    task_identifier: str
    is_cached: bool = False
    """True when an idempotency key matched an existing run, which is returned instead."""
    idempotency_key: str | None = None
    """The (hashed) idempotency key sent, if any."""


@attrs.frozen(kw_only=True)
class BatchHandle:
    """A triggered batch: its id, its runs, and a public access token that can read them all.

    ``public_access_token`` (one hour, scope ``read:batch:<id>``) opens
    ``runs.subscribe_to_batch(batch_id)`` and each run of the batch; every ``RunHandle`` in
    ``runs`` carries it.
    """

    batch_id: str
    runs: list[RunHandle]
    public_access_token: str | None = attrs.field(repr=False)
    is_cached: bool = False
    idempotency_key: str | None = None


# ---------------------------------------------------------------------------------------------
# payloads


def encode_payload(value: Any) -> tuple[str, str]:
    """``(data, dataType)`` for a payload, byte for byte as 3.3.17's ``stringifyIO`` writes it."""
    if isinstance(value, str):
        return value, TEXT
    return js_stringify(superjson.serialize(value)), SUPERJSON


def js_stringify(value: Any) -> str:
    """``JSON.stringify`` of a JSON value (dict with str keys, list, str, int, float, bool, None):
    compact, non-ASCII characters kept, numbers as JavaScript writes them."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            if index:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def js_number(value: float) -> str:
    """A finite float as JavaScript's ``Number#toString`` writes it (``-0`` is ``0``)."""
    if not math.isfinite(value):
        return "null"  # what JSON.stringify writes; superjson never leaves one here
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)  # the decimal point sits after `point` digits
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        text = digits[0] + ("." + digits[1:] if count > 1 else "")
        text += f"e+{power}" if power >= 0 else f"e-{-power}"
    return sign + text


def json_value(value: Any, what: str) -> Any:
    """``value`` as ``JSON.stringify`` would see it: datetimes become ISO strings, tuples lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{what} keys must be strings, not {type(key).__name__}")
            out[key] = json_value(item, what)
        return out
    if isinstance(value, list | tuple):
        return [json_value(item, what) for item in value]
    raise TypeError(
        f"{what} must be JSON (dict, list, str, number, bool, None, datetime), "
        f"not {type(value).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# idempotency keys


def idempotency_key(key: str | Sequence[str] | None) -> str | None:
    """The key 3.3.17 sends for ``key`` outside a task (``None``/empty: no key)."""
    if key is None or (isinstance(key, str) and not key):
        return None
    if isinstance(key, str):
        if len(key) == 64:
            return key
        material = key
    else:
        parts = list(key)
        if not parts or not all(isinstance(part, str) for part in parts):
            raise TypeError("idempotency_key must be a string or a non-empty list of strings")
        material = "-".join(parts)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# options


_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def duration_text(value: Duration, what: str) -> str:
    """A duration string the server parses: a ``str`` as is, a ``timedelta`` in the largest
    whole unit (``"90m"``, ``"2d"``), rounded up to whole seconds; it must be positive."""
    if isinstance(value, str):
        if not value.strip():
            raise InvalidArgumentError(f"{what} must not be empty")
        return value
    if isinstance(value, timedelta):
        seconds = math.ceil(value.total_seconds())
        if seconds <= 0:
            raise InvalidArgumentError(f"{what} must be positive, not {value!r}")
        for unit, size in _UNITS:
            if seconds % size == 0:
                return f"{seconds // size}{unit}"
    raise TypeError(f'{what} must be a duration such as "1h" or a timedelta, not {value!r}')


def delay_text(value: Delay, what: str = "delay") -> str:
    """A delay: a duration (``"1h"``, a ``timedelta``) or a ``datetime`` as ISO-8601 (UTC)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    return duration_text(value, what)


def _seconds(value: int | timedelta, what: str, *, minimum: int) -> int:
    if isinstance(value, timedelta):
        return _whole(math.ceil(value.total_seconds()), what, minimum=minimum)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be whole seconds (an int) or a timedelta, not {value!r}")
    return _whole(value, what, minimum=minimum)


def _whole(value: int, what: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{what} must be at least {minimum}, not {value}")
    return value


def _tags(tags: str | Sequence[str]) -> list[str]:
    tag_list = [tags] if isinstance(tags, str) else list(tags)
    if not all(isinstance(tag, str) and tag for tag in tag_list):
        raise TypeError("tags must be non-empty strings")
    return tag_list


def _queue(queue: str | QueueOptions) -> dict[str, Any]:
    if isinstance(queue, str):
        if not queue:
            raise InvalidArgumentError("queue must not be empty")
        return {"name": queue}
    if isinstance(queue, QueueOptions):
        body: dict[str, Any] = unstructure(queue)
        return body
    raise TypeError(f"queue must be a name or QueueOptions, not {type(queue).__name__}")


def merge_options(options: TriggerOptions | None, overrides: Mapping[str, Any]) -> TriggerOptions:
    """``options`` (or the defaults) with the keyword options that were given (not None)."""
    if options is not None and not isinstance(options, TriggerOptions):
        raise TypeError(f"options must be a TriggerOptions, not {type(options).__name__}")
    base = options or TriggerOptions()
    given = {name: value for name, value in overrides.items() if value is not None}
    return attrs.evolve(base, **given) if given else base


def trigger_options_body(
    options: TriggerOptions, *, payload_type: str, default_version: str | None
) -> dict[str, Any]:
    """The ``options`` object of a trigger body, keys in the order 3.3.17 writes them."""
    body: dict[str, Any] = {}
    if options.queue is not None:
        body["queue"] = _queue(options.queue)
    if options.concurrency_key is not None:
        body["concurrencyKey"] = options.concurrency_key
    if options.test is not None:
        body["test"] = bool(options.test)
    body["payloadType"] = payload_type
    key = idempotency_key(options.idempotency_key)
    if key is not None:
        body["idempotencyKey"] = key
    if options.idempotency_key_ttl is not None:
        body["idempotencyKeyTTL"] = duration_text(
            options.idempotency_key_ttl, "idempotency_key_ttl"
        )
    if options.delay is not None:
        body["delay"] = delay_text(options.delay)
    if options.ttl is not None:
        ttl = options.ttl
        body["ttl"] = (
            duration_text(ttl, "ttl") if isinstance(ttl, str) else _seconds(ttl, "ttl", minimum=0)
        )
    if options.tags is not None:
        body["tags"] = _tags(options.tags)
    if options.max_attempts is not None:
        body["maxAttempts"] = _whole(options.max_attempts, "max_attempts", minimum=1)
    if options.metadata is not None:
        if not isinstance(options.metadata, Mapping):
            raise TypeError("metadata must be a mapping (a JSON object)")
        body["metadata"] = json_value(options.metadata, "metadata")
    if options.max_duration is not None:
        body["maxDuration"] = _seconds(options.max_duration, "max_duration", minimum=1)
    if options.machine is not None:
        body["machine"] = options.machine
    version = options.lock_to_version or default_version
    if version:
        body["lockToVersion"] = version
    return body


def trigger_item_body(
    payload: Any, options: TriggerOptions, *, default_version: str | None, omit_payload: bool
) -> dict[str, Any]:
    """``{"payload": ..., "options": {...}}``; ``omit_payload`` sends none (``undefined``)."""
    body: dict[str, Any] = {}
    if omit_payload:
        payload_type = JSON
    else:
        body["payload"], payload_type = encode_payload(payload)
    body["options"] = trigger_options_body(
        options, payload_type=payload_type, default_version=default_version
    )
    return body


def batch_items(
    items: Iterable[Any], task_id: str | None, *, default_version: str | None
) -> list[dict[str, Any]]:
    """The ``items`` of a batch body. Each item is a payload or a ``BatchItem``; with ``task_id``
    every item runs that task, without it every item must name its own."""
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, BatchItem):
            payload, options, task = item.payload, item.options, item.task
        else:
            payload, options, task = item, None, None
        if task_id is not None:
            if task is not None and task != task_id:
                raise InvalidArgumentError(
                    f"item {index} names task {task!r} in a batch of {task_id!r}: use "
                    "tasks.batch_trigger_by_id to trigger several tasks in one batch"
                )
            task = task_id
        elif task is None:
            raise InvalidArgumentError(
                f"item {index} has no task: pass BatchItem(payload, task='...')"
            )
        entry: dict[str, Any] = {"task": task}
        entry.update(
            trigger_item_body(
                payload,
                options or TriggerOptions(),
                default_version=default_version,
                omit_payload=False,
            )
        )
        out.append(entry)
    if not out:
        raise InvalidArgumentError("a batch needs at least one item")
    return out
