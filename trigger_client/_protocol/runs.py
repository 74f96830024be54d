"""Raw realtime rows and REST bodies -> ``Run``, as the official SDK 3.3.17 builds its run objects.

Row transform (``run_from_row``): ``id`` <- ``friendlyId``; ``finished_at`` <- ``completedAt``;
``delayed_until`` <- ``delayUntil``; ``duration_ms`` <- ``usageDurationMs``; ``tags`` <- ``runTags``
(null -> ``[]``, server order); ``status`` mapped by ``STATUS_MAP``; ``error`` via
``serialized_error``; ``number``, ``ttl`` and ``idempotency_key`` kept (3.3.17 drops ``ttl``; the seed
lists it). Datetimes are truncated to milliseconds, as JavaScript dates are. Decoded packets are
passed in, because resolving an offloaded packet needs I/O.

Direct path (``checked_row`` then ``CheckedRow.run``): the same conversion in one pass, without
building a ``RunShapeRow``, for the rows that need nothing unusual (every value of the type the
electric parser gives, a declared status, ``updatedAt`` present). Any other row gets ``None``, and
the caller takes the ``shape_row`` path, which gives the exact result or error.

Errors (``serialized_error``): 3.3.17's ``taskRunErrorEnhancer`` then ``createJsonErrorObject``.
An error whose ``type``, ``code`` or required fields 3.3.17 would reject (it fails the stream) is
passed through instead: its message is the raw JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import attrs

from .._exceptions import APIResponseValidationError
from .._generated.models import (
    Run,
    RunShapeRow,
    RunStatus,
    SerializedError,
    TaskRunError,
    TaskRunErrorType,
    TaskRunStatus,
)
from .._run_helpers import FINISHED_STATUSES
from .._serde import structure, unstructure

__all__ = [
    "INTERNAL_ERROR_CODES",
    "STATUS_MAP",
    "CheckedRow",
    "checked_row",
    "is_finished",
    "public_status",
    "run_from_retrieve",
    "run_from_row",
    "serialized_error",
    "shape_row",
]

#: Internal ``TaskRun.status`` -> public ``RunStatus`` (the v3 SDK's table, plus PENDING_VERSION and
#: DEQUEUED, which newer servers use).
STATUS_MAP: Mapping[str, str] = {
    "DELAYED": "DELAYED",
    "WAITING_FOR_DEPLOY": "WAITING_FOR_DEPLOY",
    "PENDING_VERSION": "WAITING_FOR_DEPLOY",
    "PENDING": "QUEUED",
    "DEQUEUED": "EXECUTING",
    "EXECUTING": "EXECUTING",
    "RETRYING_AFTER_FAILURE": "REATTEMPTING",
    "PAUSED": "FROZEN",
    "WAITING_TO_RESUME": "FROZEN",
    "CANCELED": "CANCELED",
    "COMPLETED_SUCCESSFULLY": "COMPLETED",
    "COMPLETED_WITH_ERRORS": "FAILED",
    "INTERRUPTED": "INTERRUPTED",
    "CRASHED": "CRASHED",
    "SYSTEM_FAILURE": "SYSTEM_FAILURE",
    "EXPIRED": "EXPIRED",
    "TIMED_OUT": "TIMED_OUT",
}

#: Public statuses of the current REST API version that the seed names differently.
_REST_STATUS_ALIASES: Mapping[str, str] = {
    "PENDING_VERSION": "WAITING_FOR_DEPLOY",
    "DEQUEUED": "EXECUTING",
    "WAITING": "FROZEN",
}

#: The ``INTERNAL_ERROR`` codes of ``TaskRunInternalError`` (packages/core/src/v3/schemas/
#: common.ts:172-214 at b082e44: 3.3.17's and those added since; row R-ERROR-OBJECT).
INTERNAL_ERROR_CODES = frozenset(
    {
        "COULD_NOT_FIND_EXECUTOR",
        "COULD_NOT_FIND_TASK",
        "COULD_NOT_IMPORT_TASK",
        "CONFIGURED_INCORRECTLY",
        "TASK_ALREADY_RUNNING",
        "TASK_EXECUTION_FAILED",
        "TASK_EXECUTION_ABORTED",
        "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
        "TASK_PROCESS_SIGKILL_TIMEOUT",
        "TASK_PROCESS_SIGSEGV",
        "TASK_PROCESS_SIGTERM",
        "TASK_PROCESS_OOM_KILLED",
        "TASK_PROCESS_MAYBE_OOM_KILLED",
        "TASK_RUN_CANCELLED",
        "TASK_INPUT_ERROR",
        "TASK_OUTPUT_ERROR",
        "HANDLE_ERROR_ERROR",
        "GRACEFUL_EXIT_TIMEOUT",
        "TASK_RUN_HEARTBEAT_TIMEOUT",
        "TASK_RUN_CRASHED",
        "MAX_DURATION_EXCEEDED",
        "DISK_SPACE_EXCEEDED",
        "POD_EVICTED",
        "POD_UNKNOWN_ERROR",
        "OUTDATED_SDK_VERSION",
        "TASK_DID_CONCURRENT_WAIT",
        "RECURSIVE_WAIT_DEADLOCK",
        "TASK_MIDDLEWARE_ERROR",
        "TASK_RUN_UNCAUGHT_EXCEPTION",
        "TASK_HAS_N0_EXECUTION_SNAPSHOT",
        "TASK_DEQUEUED_INVALID_STATE",
        "TASK_DEQUEUED_QUEUE_NOT_FOUND",
        "TASK_RUN_DEQUEUED_MAX_RETRIES",
        "TASK_RUN_STALLED_EXECUTING",
        "TASK_RUN_STALLED_EXECUTING_WITH_WAITPOINTS",
        "BATCH_ITEM_COULD_NOT_TRIGGER",
        "PAYLOAD_TOO_LARGE",
        "UNSPECIFIED_ERROR",
    }
)

_EXITED = "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE"
#: ``findSignalInMessage`` and ``taskRunErrorEnhancer`` (packages/core/src/v3/errors.ts:805-937 at
#: b082e44): a SIGABRT, like a SIGKILL, means the process was likely out of memory.
_SIGNAL_CODES = (
    ("SIGTERM", "TASK_PROCESS_SIGTERM"),
    ("SIGSEGV", "TASK_PROCESS_SIGSEGV"),
    ("SIGKILL", "TASK_PROCESS_MAYBE_OOM_KILLED"),
    ("SIGABRT", "TASK_PROCESS_MAYBE_OOM_KILLED"),
)


def public_status(raw: str) -> RunStatus:
    """The public status for a raw one; an unknown value becomes an open-enum pseudo-member."""
    text = str(raw)  # a TaskRunStatus member is a str subclass; use its plain value
    return RunStatus.from_server(STATUS_MAP.get(text, text))


def is_finished(run: Run) -> bool:
    """Whether the run will not change status again: ``finished_at`` set or a final status."""
    return run.finished_at is not None or run.status in FINISHED_STATUSES


def shape_row(row: Mapping[str, Any]) -> RunShapeRow:
    """Validate a merged realtime row (values already parsed) as a ``RunShapeRow``.

    A malformed ``error`` column never fails the row: anything that is not an object with a string
    ``type`` becomes a ``STRING_ERROR`` whose ``raw`` is the value (or its JSON text).
    """
    data = dict(row)
    _require_strings(data, _ROW_STRINGS, "realtime run row")
    error = data.pop("error", None)
    parsed = structure(data, RunShapeRow, what="realtime run row")
    if error is None:
        return parsed
    return attrs.evolve(parsed, error=_task_run_error(error))


_ROW_STRINGS = ("id", "taskIdentifier", "friendlyId", "status")
_RETRIEVE_STRINGS = ("id", "taskIdentifier", "status")


def _require_strings(data: Mapping[str, Any], names: tuple[str, ...], what: str) -> None:
    """Required text fields must be strings (the converter would turn ``None`` into ``"None"``)."""
    bad = [name for name in names if not isinstance(data.get(name), str)]
    if bad:
        raise APIResponseValidationError(
            f"invalid {what} in the API response: "
            + "; ".join(f"$.{name} must be a string, got {data.get(name)!r:.40}" for name in bad),
            body=dict(data),
        )


def _task_run_error(value: Any) -> TaskRunError:
    if isinstance(value, Mapping) and isinstance(value.get("type"), str):
        fields = {
            name: value.get(wire)
            for name, wire in (
                ("name", "name"),
                ("message", "message"),
                ("stack_trace", "stackTrace"),
                ("raw", "raw"),
                ("code", "code"),
            )
        }
        if all(v is None or isinstance(v, str) for v in fields.values()):
            return TaskRunError(type=TaskRunErrorType(value["type"]), **fields)
    raw = value if isinstance(value, str) else _json_text(value)
    return TaskRunError(type=TaskRunErrorType.STRING_ERROR, raw=raw)


def _json_text(value: Any) -> str:
    """``JSON.stringify``-style text (compact, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def serialized_error(error: TaskRunError | Mapping[str, Any] | None) -> SerializedError | None:
    """The public ``SerializedError`` for a raw run error (``None`` stays ``None``)."""
    if error is None:
        return None
    if isinstance(error, Mapping):
        raw_text = _json_text(dict(error))
        error = _task_run_error(error)
    else:
        raw_text = _json_text(unstructure(error))
    kind = str(error.type)
    if kind == "BUILT_IN_ERROR":
        if error.name is None or error.message is None:
            return SerializedError(message=raw_text)
        code = _enhanced_built_in_code(error.name, error.message, error.stack_trace)
        if code is not None:
            return _internal(code)
        if error.name == "TriggerApiError" and error.message.startswith("Deadlock detected:"):
            return SerializedError(
                message=error.message, name="Concurrency Deadlock Error", stack_trace=""
            )
        return SerializedError(
            message=error.message, name=error.name, stack_trace=error.stack_trace
        )
    if kind in ("STRING_ERROR", "CUSTOM_ERROR"):
        return SerializedError(message=error.raw if error.raw is not None else raw_text)
    if kind == "INTERNAL_ERROR":
        if error.code not in INTERNAL_ERROR_CODES:
            return SerializedError(message=raw_text)
        if error.code == _EXITED:
            return _internal(_signal_code(error.message) or _EXITED)
        return _internal(error.code)
    return SerializedError(message=raw_text)


def _enhanced_built_in_code(name: str, message: str, stack_trace: str | None) -> str | None:
    if name == "UnexpectedExitError" and message.startswith("Unexpected exit with code -1"):
        return _signal_code(stack_trace) or _EXITED
    if name == "Error" and message == "ffmpeg was killed with signal SIGKILL":
        return "TASK_PROCESS_OOM_KILLED"
    if message == "MANUAL_OOM_KILL_ERROR":
        return "TASK_PROCESS_OOM_KILLED"
    return None


def _signal_code(text: str | None) -> str | None:
    """The code for the first signal named in the first 100 characters (SIGTERM, SIGSEGV, SIGKILL
    in that order of precedence)."""
    if not text:
        return None
    head = text[:100]
    for signal, code in _SIGNAL_CODES:
        if signal in head:
            return code
    return None


def _internal(code: str) -> SerializedError:
    return SerializedError(message=f"trigger.dev internal error ({code})")


def _ms(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def run_from_row(row: RunShapeRow, *, payload: Any, output: Any, metadata: Any) -> Run:
    """The ``Run`` for a realtime row, with its packets already decoded.

    ``updatedAt`` is required (3.3.17 fails the stream without it): a row that lacks it, because
    the column was skipped, raises ``APIResponseValidationError``.
    """
    if row.updated_at is None:
        raise APIResponseValidationError(
            "invalid realtime run row in the API response: $.updatedAt is missing"
            " (the updatedAt column must not be skipped)"
        )
    return Run(
        id=row.friendly_id,
        task_identifier=row.task_identifier,
        payload=payload,
        output=output,
        created_at=_required_ms(row.created_at),
        updated_at=_required_ms(row.updated_at),
        number=row.number,
        status=public_status(row.status),
        duration_ms=row.usage_duration_ms,
        cost_in_cents=float(row.cost_in_cents),
        base_cost_in_cents=float(row.base_cost_in_cents),
        tags=list(row.run_tags) if row.run_tags is not None else [],
        is_test=row.is_test,
        idempotency_key=row.idempotency_key,
        expired_at=_ms(row.expired_at),
        ttl=row.ttl,
        finished_at=_ms(row.completed_at),
        started_at=_ms(row.started_at),
        delayed_until=_ms(row.delay_until),
        queued_at=_ms(row.queued_at),
        metadata=metadata,
        error=serialized_error(row.error),
        realtime_streams=list(row.realtime_streams or ()),
    )


def run_from_retrieve(body: Mapping[str, Any], *, payload: Any, output: Any) -> Run:
    """The ``Run`` for a ``GET /api/v3/runs/{id}`` body, with payload and output already resolved.

    The REST body has no ``number`` and no ``queuedAt`` (3.3.17's ``RetrieveRunResponse``), so
    ``number`` is ``0`` and ``queued_at`` is ``None``. ``metadata`` is the body's plain JSON.
    Statuses of the current API version (``PENDING_VERSION``, ``DEQUEUED``, ``WAITING``) are mapped
    to the seed's names.
    """
    if not isinstance(body, Mapping):
        raise APIResponseValidationError(
            "invalid run in the API response: not an object", body=body
        )
    data = dict(body)
    _require_strings(data, _RETRIEVE_STRINGS, "run")
    status = data.get("status")
    if isinstance(status, str):
        data["status"] = _REST_STATUS_ALIASES.get(status, status)
    from .._generated.rest_models import RetrieveRunResponse  # loads with the first REST call

    parsed = structure(data, RetrieveRunResponse, what="run")
    return Run(
        id=parsed.id,
        task_identifier=parsed.task_identifier,
        payload=payload,
        output=output,
        created_at=_required_ms(parsed.created_at),
        updated_at=_required_ms(parsed.updated_at),
        number=0,
        status=parsed.status,
        duration_ms=parsed.duration_ms,
        cost_in_cents=float(parsed.cost_in_cents),
        base_cost_in_cents=float(parsed.base_cost_in_cents),
        tags=list(parsed.tags),
        is_test=parsed.is_test,
        idempotency_key=parsed.idempotency_key,
        expired_at=_ms(parsed.expired_at),
        ttl=parsed.ttl,
        finished_at=_ms(parsed.finished_at),
        started_at=_ms(parsed.started_at),
        delayed_until=_ms(parsed.delayed_until),
        queued_at=None,
        metadata=parsed.metadata,
        error=parsed.error,
    )


def _required_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# -- the direct path -------------------------------------------------------------------------------

#: Every declared internal status -> its public status (unknown ones take the ``shape_row`` path,
#: which makes and logs the open-enum values).
_PUBLIC_STATUS: Mapping[str, RunStatus] = {
    member.value: public_status(member) for member in TaskRunStatus
}

_fromisoformat = datetime.fromisoformat

#: Timestamp text -> its datetime (immutable, so shared): a row's timestamps often repeat each
#: other and the previous version's. Emptied when full.
_WHEN: dict[str, datetime] = {}
_WHEN_SIZE = 4096


def _when(text: Any) -> datetime:
    """``_required_ms(parse_datetime(text))`` for text; ``TypeError``/``ValueError`` (or
    ``OverflowError``) otherwise."""
    when = _WHEN.get(text)
    if when is not None:
        return when
    parsed = _fromisoformat(text)
    if parsed.tzinfo is None:
        when = parsed.replace(tzinfo=UTC, microsecond=parsed.microsecond // 1000 * 1000)
    else:
        parsed = parsed.astimezone(UTC)
        when = parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)
    if len(_WHEN) >= _WHEN_SIZE:
        _WHEN.clear()
    _WHEN[text] = when
    return when


class CheckedRow(NamedTuple):
    """A realtime row converted as ``shape_row`` then ``run_from_row`` would, packets still text."""

    run_id: str
    task_identifier: str
    created_at: datetime
    updated_at: datetime
    number: int
    status: RunStatus
    duration_ms: int
    cost_in_cents: float
    base_cost_in_cents: float
    tags: list[str]
    is_test: bool
    idempotency_key: str | None
    expired_at: datetime | None
    ttl: str | None
    finished_at: datetime | None
    started_at: datetime | None
    delayed_until: datetime | None
    queued_at: datetime | None
    error: SerializedError | None
    payload: str | None
    payload_type: str | None
    output: str | None
    output_type: str | None
    metadata: str | None
    metadata_type: str | None
    realtime_streams: list[str]

    def run(self, *, payload: Any, output: Any, metadata: Any) -> Run:
        """The ``Run``, given the decoded packets (``run_from_row``'s result for the same row)."""
        return Run(
            id=self.run_id,
            task_identifier=self.task_identifier,
            payload=payload,
            output=output,
            created_at=self.created_at,
            updated_at=self.updated_at,
            number=self.number,
            status=self.status,
            duration_ms=self.duration_ms,
            cost_in_cents=self.cost_in_cents,
            base_cost_in_cents=self.base_cost_in_cents,
            tags=self.tags,
            is_test=self.is_test,
            idempotency_key=self.idempotency_key,
            expired_at=self.expired_at,
            ttl=self.ttl,
            finished_at=self.finished_at,
            started_at=self.started_at,
            delayed_until=self.delayed_until,
            queued_at=self.queued_at,
            metadata=metadata,
            error=self.error,
            realtime_streams=self.realtime_streams,
        )


_OPTIONAL_TEXT = (
    "ttl",
    "payload",
    "payloadType",
    "output",
    "outputType",
    "metadata",
    "metadataType",
    "idempotencyKey",
)


def checked_row(row: Mapping[str, Any]) -> CheckedRow | None:
    """The row converted in one pass, or ``None`` when it needs the ``shape_row`` path.

    ``None`` for anything unusual: a value of another type than the electric parser gives (cattrs
    may still accept it, or fails with its own message), an unknown status, a missing or null
    ``updatedAt`` (an error, raised by ``run_from_row`` after the packets are resolved), a tag that
    is not a string. Never raises, and has no side effect that the ``shape_row`` path lacks.
    """
    get = row.get
    run_id = get("friendlyId")
    task_identifier = get("taskIdentifier")
    raw_status = get("status")
    if type(run_id) is not str or type(task_identifier) is not str:
        return None
    if type(raw_status) is not str or type(get("id")) is not str:
        return None
    status = _PUBLIC_STATUS.get(raw_status)
    if status is None:
        return None
    texts = tuple(map(get, _OPTIONAL_TEXT))
    for text in texts:
        if text is not None and type(text) is not str:
            return None
    ttl, payload, payload_type, output, output_type, metadata, metadata_type, idem_key = texts
    number = get("number", 0)
    duration_ms = get("usageDurationMs", 0)
    cost = get("costInCents", 0.0)
    base_cost = get("baseCostInCents", 0.0)
    is_test = get("isTest", False)
    if type(number) is not int or type(duration_ms) is not int:
        return None
    if type(cost) is not float or type(base_cost) is not float:
        return None
    if is_test is not True and is_test is not False:
        return None
    tags = get("runTags")
    if tags is None:
        tags = []
    elif type(tags) is list:
        for tag in tags:
            if type(tag) is not str:
                return None
        tags = list(tags)  # the row may be kept by the shape log: never share its list
    else:
        return None
    streams = get("realtimeStreams")
    if streams is not None:
        if type(streams) is not list:
            return None
        for stream in streams:
            if type(stream) is not str:
                return None
    try:
        created_at = _when(get("createdAt"))
        updated_at = _when(get("updatedAt"))
        started_at = get("startedAt")
        if started_at is not None:
            started_at = _when(started_at)
        delayed_until = get("delayUntil")
        if delayed_until is not None:
            delayed_until = _when(delayed_until)
        queued_at = get("queuedAt")
        if queued_at is not None:
            queued_at = _when(queued_at)
        expired_at = get("expiredAt")
        if expired_at is not None:
            expired_at = _when(expired_at)
        finished_at = get("completedAt")
        if finished_at is not None:
            finished_at = _when(finished_at)
    except (TypeError, ValueError, OverflowError):
        return None
    error = get("error")
    if error is not None:
        error = serialized_error(_task_run_error(error))
    return CheckedRow(
        run_id,
        task_identifier,
        created_at,
        updated_at,
        number,
        status,
        duration_ms,
        cost,
        base_cost,
        tags,
        is_test,
        idem_key,
        expired_at,
        ttl,
        finished_at,
        started_at,
        delayed_until,
        queued_at,
        error,
        payload,
        payload_type,
        output,
        output_type,
        metadata,
        metadata_type,
        list(streams) if streams is not None else [],
    )
