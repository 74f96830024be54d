"""Row -> Run and REST body -> Run: status map, field transform, error objects."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from trigger_client import APIResponseValidationError, Run, RunStatus, SerializedError
from trigger_client._generated.models import (
    RunShapeRow,
    TaskRunError,
    TaskRunErrorType,
    TaskRunStatus,
)
from trigger_client._protocol.electric_values import parse_row
from trigger_client._protocol.runs import (
    INTERNAL_ERROR_CODES,
    STATUS_MAP,
    is_finished,
    public_status,
    run_from_retrieve,
    run_from_row,
    serialized_error,
    shape_row,
)
from trigger_client._run_helpers import FINISHED_STATUSES
from trigger_client.testing._statuses import FINAL_STATUSES, INTERNAL_STATUSES, api_status

# The realtime electric-schema of the TaskRun projection (Electric backend).
SCHEMA: dict[str, dict[str, Any]] = {
    "id": {"type": "text", "pk_index": 0, "not_null": True},
    "taskIdentifier": {"type": "text", "not_null": True},
    "createdAt": {"type": "timestamp", "not_null": True},
    "updatedAt": {"type": "timestamp", "not_null": True},
    "startedAt": {"type": "timestamp"},
    "delayUntil": {"type": "timestamp"},
    "queuedAt": {"type": "timestamp"},
    "expiredAt": {"type": "timestamp"},
    "completedAt": {"type": "timestamp"},
    "friendlyId": {"type": "text", "not_null": True},
    "number": {"type": "int4", "not_null": True},
    "isTest": {"type": "bool", "not_null": True},
    "status": {"type": "TaskRunStatus", "not_null": True},
    "usageDurationMs": {"type": "int4", "not_null": True},
    "costInCents": {"type": "float8", "not_null": True},
    "baseCostInCents": {"type": "float8", "not_null": True},
    "ttl": {"type": "text"},
    "payload": {"type": "text", "not_null": True},
    "payloadType": {"type": "text", "not_null": True},
    "metadata": {"type": "text"},
    "metadataType": {"type": "text", "not_null": True},
    "output": {"type": "text"},
    "outputType": {"type": "text", "not_null": True},
    "runTags": {"type": "text", "dims": 1},
    "error": {"type": "jsonb"},
    "realtimeStreams": {"type": "text", "dims": 1, "not_null": True},
}


def wire_row(**overrides: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "id": "cm9x0abc000008l5s2k1d3f7q",
        "taskIdentifier": "my-task",
        "createdAt": "2026-06-06 10:00:00.123",
        "updatedAt": "2026-06-06 10:00:05.5",
        "startedAt": "2026-06-06 10:00:01",
        "delayUntil": None,
        "queuedAt": "2026-06-06 10:00:00.2",
        "expiredAt": None,
        "completedAt": "2026-06-06 10:00:05.456",
        "friendlyId": "run_cm9x0abc000008l5s2k1d3f7q",
        "number": "7",
        "isTest": "f",
        "status": "COMPLETED_SUCCESSFULLY",
        "usageDurationMs": "4000",
        "costInCents": "0.55",
        "baseCostInCents": "0",
        "ttl": "10m",
        "payload": '{"a":1}',
        "payloadType": "application/json",
        "metadata": None,
        "metadataType": "application/json",
        "output": '"done"',
        "outputType": "application/json",
        "runTags": '{user_1,"a b"}',
        "error": None,
        "realtimeStreams": "{}",
    }
    row.update(overrides)
    return row


def parsed_row(**overrides: str | None) -> dict[str, Any]:
    return parse_row(wire_row(**overrides), SCHEMA)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# -- statuses ------------------------------------------------------------------------------------


# The status table is checked against sources other than itself: the official SDK's own function,
# the emulator's server-side tables, and properties any correct table has.

_OFFICIAL_RUN_STREAM = (
    Path(__file__).resolve().parents[1]
    / "interop/node_modules/@trigger.dev/core/dist/commonjs/v3/apiClient/runStream.js"
)


def _official_status_table() -> dict[str, str]:
    """3.3.17's ``apiStatusFromRunStatus``, read from its source: ``case`` labels -> ``return``."""
    source = _OFFICIAL_RUN_STREAM.read_text(encoding="utf-8")
    body = source.split("function apiStatusFromRunStatus(status) {", 1)[1].split("default:", 1)[0]
    table: dict[str, str] = {}
    labels: list[str] = []
    for kind, value in re.findall(r'(case|return) "([A-Z_]+)"', body):
        if kind == "case":
            labels.append(value)
        else:
            table.update(dict.fromkeys(labels, value))
            labels = []
    return table


def test_status_map_is_the_official_sdk_table_plus_the_newer_statuses() -> None:
    if not _OFFICIAL_RUN_STREAM.is_file():
        pytest.skip("the official SDK is not installed (make setup)")
    official = _official_status_table()
    assert len(official) == 15
    newer = set(STATUS_MAP) - set(official)
    assert newer == {"PENDING_VERSION", "DEQUEUED"}
    assert {raw: STATUS_MAP[raw] for raw in official} == official


@pytest.mark.parametrize("raw", INTERNAL_STATUSES)
def test_realtime_status_is_what_retrieve_shows_to_the_seed_sdk(raw: str) -> None:
    # The emulator's legacy REST table (the server's apiStatusFromRunStatus for clients without the
    # current API version), read through run_from_retrieve, covers the newer statuses too.
    body = {**RETRIEVE_BODY, "status": api_status(raw, current=False)}
    assert public_status(raw) is run_from_retrieve(body, payload=None, output=None).status


def test_status_map_properties() -> None:
    assert {member.value for member in TaskRunStatus} == set(STATUS_MAP) == set(INTERNAL_STATUSES)
    assert {RunStatus(public) for public in STATUS_MAP.values()} == set(RunStatus)
    for raw, public in STATUS_MAP.items():
        assert RunStatus(public).is_known
        if raw in RunStatus.__members__:  # a name both enums have means the same thing
            assert public == raw
        assert (raw in FINAL_STATUSES) == (public in FINISHED_STATUSES), raw


@pytest.mark.parametrize(("raw", "public"), sorted(STATUS_MAP.items()))
def test_public_status(raw: str, public: str) -> None:
    status = public_status(raw)
    assert status is RunStatus(public)
    assert public_status(TaskRunStatus(raw)) is status


def test_unknown_status_is_an_open_value_not_an_error() -> None:
    status = public_status("PAUSED_FOREVER_AND_EVER")
    assert isinstance(status, RunStatus)
    assert status == "PAUSED_FOREVER_AND_EVER" and not status.is_known
    assert type(status.value) is str
    # a TaskRunStatus pseudo-member maps to a RunStatus whose value is a plain str
    mapped = public_status(TaskRunStatus("BRAND_NEW_INTERNAL"))
    assert mapped == "BRAND_NEW_INTERNAL" and type(mapped.value) is str


def test_public_names_map_to_themselves() -> None:
    for member in RunStatus:
        assert public_status(member.value) is member


# -- shape_row and run_from_row ---------------------------------------------------------------------


def test_run_from_row_field_by_field() -> None:
    row = shape_row(parsed_row())
    run = run_from_row(row, payload={"a": 1}, output="done", metadata={"m": True})
    assert run == Run(
        id="run_cm9x0abc000008l5s2k1d3f7q",
        task_identifier="my-task",
        payload={"a": 1},
        output="done",
        created_at=utc(2026, 6, 6, 10, 0, 0, 123000),
        updated_at=utc(2026, 6, 6, 10, 0, 5, 500000),
        number=7,
        status=RunStatus.COMPLETED,
        duration_ms=4000,
        cost_in_cents=0.55,
        base_cost_in_cents=0.0,
        tags=["user_1", "a b"],
        is_test=False,
        idempotency_key=None,
        expired_at=None,
        ttl="10m",
        finished_at=utc(2026, 6, 6, 10, 0, 5, 456000),
        started_at=utc(2026, 6, 6, 10, 0, 1),
        delayed_until=None,
        queued_at=utc(2026, 6, 6, 10, 0, 0, 200000),
        metadata={"m": True},
        error=None,
    )
    assert run.is_finished and run.is_success and is_finished(run)
    assert isinstance(run.cost_in_cents, float) and isinstance(run.base_cost_in_cents, float)


def test_run_from_row_native_backend_forms() -> None:
    row = shape_row(
        parsed_row(
            createdAt="2026-06-05T10:05:30.123",
            updatedAt="2026-06-05T10:05:31.000",
            delayUntil="2026-06-05T11:00:00.000",
            expiredAt="2026-06-05T12:00:00.000",
            completedAt=None,
            status="DEQUEUED",
            runTags='{"x","y"}',
            isTest="true",
        )
    )
    run = run_from_row(row, payload=None, output=None, metadata=None)
    assert run.created_at == utc(2026, 6, 5, 10, 5, 30, 123000)
    assert run.delayed_until == utc(2026, 6, 5, 11)
    assert run.expired_at == utc(2026, 6, 5, 12)
    assert run.finished_at is None and run.status is RunStatus.EXECUTING
    assert run.tags == ["x", "y"] and run.is_test is True
    assert not is_finished(run)


def test_null_tags_become_an_empty_list() -> None:
    run = run_from_row(
        shape_row(parsed_row(runTags=None)), payload=None, output=None, metadata=None
    )
    assert run.tags == []


def test_datetimes_are_truncated_to_milliseconds() -> None:
    row = shape_row(parsed_row(createdAt="2026-06-06 10:00:00.123999"))
    run = run_from_row(row, payload=None, output=None, metadata=None)
    assert run.created_at == utc(2026, 6, 6, 10, 0, 0, 123000)


def test_skipped_columns_get_their_defaults() -> None:
    minimal = {
        "id": "cm1",
        "taskIdentifier": "t",
        "createdAt": "2026-06-06 10:00:00",
        "updatedAt": "2026-06-06 10:00:01",
        "friendlyId": "run_cm1",
        "status": "PENDING",
    }
    run = run_from_row(shape_row(minimal), payload=None, output=None, metadata=None)
    assert run.number == 0 and run.duration_ms == 0 and run.cost_in_cents == 0
    assert run.tags == [] and run.is_test is False and run.ttl is None and run.error is None
    assert run.status is RunStatus.QUEUED and run.is_queued


def test_skipped_updated_at_is_an_error() -> None:
    data = parsed_row()
    del data["updatedAt"]
    row = shape_row(data)
    with pytest.raises(APIResponseValidationError, match="updatedAt"):
        run_from_row(row, payload=None, output=None, metadata=None)


@pytest.mark.parametrize(
    ("column", "value"),
    [("createdAt", None), ("createdAt", "not a date"), ("friendlyId", None), ("status", None)],
)
def test_invalid_rows_name_the_column(column: str, value: Any) -> None:
    data = parsed_row()
    data[column] = value
    with pytest.raises(APIResponseValidationError, match=column):
        shape_row(data)


def test_row_error_column_becomes_a_serialized_error() -> None:
    error = '{"type":"BUILT_IN_ERROR","name":"Error","message":"boom","stackTrace":"Error: boom"}'
    run = run_from_row(
        shape_row(parsed_row(error=error, status="COMPLETED_WITH_ERRORS", output=None)),
        payload=None,
        output=None,
        metadata=None,
    )
    assert run.error == SerializedError(name="Error", message="boom", stack_trace="Error: boom")
    assert run.status is RunStatus.FAILED and run.is_failed


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ('"just a string"', "just a string"),
        ("[1,2]", "[1,2]"),
        ('{"message":"no type"}', '{"message":"no type"}'),
        ('{"type":"BUILT_IN_ERROR","message":5}', '{"type":"BUILT_IN_ERROR","message":5}'),
    ],
)
def test_malformed_error_columns_never_fail_the_row(error: str, message: str) -> None:
    row = shape_row(parsed_row(error=error))
    run = run_from_row(row, payload=None, output=None, metadata=None)
    assert run.error == SerializedError(message=message)


# -- serialized_error ----------------------------------------------------------------------------

# Inputs and outputs of 3.3.17's createJsonErrorObject, generated with the official package.
OFFICIAL_ERROR_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "TypeError",
            "message": "x is not a function",
            "stackTrace": "TypeError: x\n    at foo",
        },
        {
            "name": "TypeError",
            "message": "x is not a function",
            "stackTrace": "TypeError: x\n    at foo",
        },
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1",
            "stackTrace": "killed by SIGTERM",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_SIGTERM)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1",
            "stackTrace": "got SIGSEGV",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_SIGSEGV)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1 (oops)",
            "stackTrace": "SIGKILL",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1",
            "stackTrace": "SIGABRT",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1",
            "stackTrace": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxSIGKILL",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code 1",
            "stackTrace": "SIGKILL",
        },
        {
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code 1",
            "stackTrace": "SIGKILL",
        },
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "UnexpectedExitError",
            "message": "Unexpected exit with code -1",
            "stackTrace": "SIGKILL then SIGTERM",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_SIGTERM)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "Error",
            "message": "ffmpeg was killed with signal SIGKILL",
            "stackTrace": "s",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_OOM_KILLED)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "OutOfMemoryError",
            "message": "MANUAL_OOM_KILL_ERROR",
            "stackTrace": "s",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_OOM_KILLED)"},
    ),
    (
        {
            "type": "BUILT_IN_ERROR",
            "name": "TriggerApiError",
            "message": "Deadlock detected: a",
            "stackTrace": "s",
        },
        # errors.ts:875-888 at b082e44 (3.3.17 passed it through unchanged)
        {"name": "Concurrency Deadlock Error", "message": "Deadlock detected: a", "stackTrace": ""},
    ),
    (
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "Process exited with code 134 after signal SIGABRT.",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"},
    ),
    (
        {"type": "INTERNAL_ERROR", "code": "TASK_RUN_UNCAUGHT_EXCEPTION", "message": "read x"},
        {"message": "trigger.dev internal error (TASK_RUN_UNCAUGHT_EXCEPTION)"},
    ),
    (
        {"type": "INTERNAL_ERROR", "code": "PAYLOAD_TOO_LARGE"},
        {"message": "trigger.dev internal error (PAYLOAD_TOO_LARGE)"},
    ),
    ({"type": "STRING_ERROR", "raw": "boom"}, {"message": "boom"}),
    ({"type": "CUSTOM_ERROR", "raw": '{"foo":1}'}, {"message": '{"foo":1}'}),
    (
        {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"},
        {"message": "trigger.dev internal error (TASK_RUN_CANCELLED)"},
    ),
    (
        {
            "type": "INTERNAL_ERROR",
            "code": "MAX_DURATION_EXCEEDED",
            "message": "m",
            "stackTrace": "s",
        },
        {"message": "trigger.dev internal error (MAX_DURATION_EXCEEDED)"},
    ),
    (
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "exited after signal SIGKILL",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"},
    ),
    (
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "Process exited with code 1 after signal SIGTERM.",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_SIGTERM)"},
    ),
    (
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "Process exited with code 1.",
        },
        {"message": "trigger.dev internal error (TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE)"},
    ),
    (
        {"type": "INTERNAL_ERROR", "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE"},
        {"message": "trigger.dev internal error (TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE)"},
    ),
]


@pytest.mark.parametrize(("error", "expected"), OFFICIAL_ERROR_CASES)
def test_serialized_error_matches_the_official_sdk(
    error: dict[str, Any], expected: dict[str, Any]
) -> None:
    wanted = SerializedError(
        message=expected["message"],
        name=expected.get("name"),
        stack_trace=expected.get("stackTrace"),
    )
    assert serialized_error(error) == wanted
    # the same through the typed TaskRunError of a structured row
    row = shape_row({**parsed_row(), "error": error})
    assert row.error is not None and serialized_error(row.error) == wanted


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {"type": "INTERNAL_ERROR", "code": "SOME_FUTURE_CODE", "message": "m"},
            '{"type":"INTERNAL_ERROR","code":"SOME_FUTURE_CODE","message":"m"}',
        ),
        ({"type": "INTERNAL_ERROR"}, '{"type":"INTERNAL_ERROR"}'),
        (
            {"type": "NEW_ERROR_KIND", "detail": {"x": "é"}},
            '{"type":"NEW_ERROR_KIND","detail":{"x":"é"}}',
        ),
        ({"type": "BUILT_IN_ERROR", "name": "E"}, '{"type":"BUILT_IN_ERROR","name":"E"}'),
        ({"type": "STRING_ERROR"}, '{"type":"STRING_ERROR"}'),
    ],
)
def test_unknown_error_shapes_pass_through_as_raw_json(error: dict[str, Any], message: str) -> None:
    assert serialized_error(error) == SerializedError(message=message)


def test_unknown_type_from_a_typed_error_keeps_its_known_fields() -> None:
    error = TaskRunError(type=TaskRunErrorType("ANOTHER_KIND"), message="m", code="C")
    assert serialized_error(error) == SerializedError(
        message='{"type":"ANOTHER_KIND","message":"m","code":"C"}'
    )


def test_built_in_error_without_stack_is_accepted() -> None:
    assert serialized_error({"type": "BUILT_IN_ERROR", "name": "E", "message": "m"}) == (
        SerializedError(name="E", message="m")
    )


def test_no_error() -> None:
    assert serialized_error(None) is None


def test_every_known_internal_code_has_the_internal_message() -> None:
    assert len(INTERNAL_ERROR_CODES) == 38  # TaskRunInternalError at b082e44
    for code in INTERNAL_ERROR_CODES - {"TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE"}:
        assert serialized_error({"type": "INTERNAL_ERROR", "code": code, "message": "SIGKILL"}) == (
            SerializedError(message=f"trigger.dev internal error ({code})")
        )


# -- is_finished ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(RunStatus))
def test_is_finished_by_status(status: RunStatus) -> None:
    run = run_from_row(
        shape_row(parsed_row(completedAt=None, status="PENDING")),
        payload=None,
        output=None,
        metadata=None,
    )
    run = Run(**{**_fields(run), "status": status})
    finished = status.value in {
        "COMPLETED",
        "CANCELED",
        "FAILED",
        "CRASHED",
        "INTERRUPTED",
        "SYSTEM_FAILURE",
        "EXPIRED",
        "TIMED_OUT",
    }
    assert is_finished(run) is finished


def test_is_finished_by_finished_at_even_with_a_running_status() -> None:
    run = run_from_row(
        shape_row(parsed_row(status="EXECUTING")), payload=None, output=None, metadata=None
    )
    assert run.finished_at is not None and is_finished(run)
    assert not is_finished(Run(**{**_fields(run), "finished_at": None}))


def test_unknown_status_is_not_finished() -> None:
    run = run_from_row(
        shape_row(parsed_row(status="SOMETHING_NEW", completedAt=None)),
        payload=None,
        output=None,
        metadata=None,
    )
    assert run.status == "SOMETHING_NEW" and not is_finished(run)


def _fields(run: Run) -> dict[str, Any]:
    return attrs.asdict(run, recurse=False)


# -- run_from_retrieve ---------------------------------------------------------------------------

RETRIEVE_BODY: dict[str, Any] = {
    "id": "run_cm9x0abc000008l5s2k1d3f7q",
    "status": "COMPLETED",
    "taskIdentifier": "my-task",
    "idempotencyKey": "user-key-only",
    "version": "20260606.1",
    "isQueued": False,
    "isExecuting": False,
    "isWaiting": False,
    "isCompleted": True,
    "isSuccess": True,
    "isFailed": False,
    "isCancelled": False,
    "isTest": False,
    "createdAt": "2026-06-06T10:00:00.000Z",
    "updatedAt": "2026-06-06T10:00:05.000Z",
    "startedAt": "2026-06-06T10:00:01.000Z",
    "finishedAt": "2026-06-06T10:00:05.000Z",
    "ttl": "10m",
    "tags": ["a", "b"],
    "costInCents": 0.0123,
    "baseCostInCents": 0.0025,
    "durationMs": 4000,
    "metadata": {"progress": 1},
    "depth": 0,
    "payload": {"ignored": "the caller passes payload in"},
    "output": {"ignored": True},
    "error": {"message": "m", "name": "Error", "stackTrace": "s"},
    "attemptCount": 1,
    "attempts": [],
    "relatedRuns": {"root": None, "parent": None, "children": []},
    "schedule": None,
}


def test_run_from_retrieve() -> None:
    run = run_from_retrieve(RETRIEVE_BODY, payload={"p": 1}, output="out")
    assert run == Run(
        id="run_cm9x0abc000008l5s2k1d3f7q",
        task_identifier="my-task",
        payload={"p": 1},
        output="out",
        created_at=utc(2026, 6, 6, 10),
        updated_at=utc(2026, 6, 6, 10, 0, 5),
        number=0,
        status=RunStatus.COMPLETED,
        duration_ms=4000,
        cost_in_cents=0.0123,
        base_cost_in_cents=0.0025,
        tags=["a", "b"],
        is_test=False,
        idempotency_key="user-key-only",
        expired_at=None,
        ttl="10m",
        finished_at=utc(2026, 6, 6, 10, 0, 5),
        started_at=utc(2026, 6, 6, 10, 0, 1),
        delayed_until=None,
        queued_at=None,
        metadata={"progress": 1},
        error=SerializedError(message="m", name="Error", stack_trace="s"),
    )


def test_realtime_and_rest_agree_on_the_shared_fields() -> None:
    realtime = run_from_row(
        shape_row(
            parsed_row(
                createdAt="2026-06-06 10:00:00",
                updatedAt="2026-06-06 10:00:05",
                startedAt="2026-06-06 10:00:01",
                completedAt="2026-06-06 10:00:05",
                queuedAt=None,
                number="0",
                costInCents="0.0123",
                baseCostInCents="0.0025",
                runTags="{a,b}",
                friendlyId="run_cm9x0abc000008l5s2k1d3f7q",
            )
        ),
        payload={"p": 1},
        output="out",
        metadata={"progress": 1},
    )
    body = {**RETRIEVE_BODY, "idempotencyKey": None, "error": None}
    assert run_from_retrieve(body, payload={"p": 1}, output="out") == realtime


@pytest.mark.parametrize(
    ("status", "public"),
    [
        ("DEQUEUED", RunStatus.EXECUTING),
        ("PENDING_VERSION", RunStatus.WAITING_FOR_DEPLOY),
        ("WAITING", RunStatus.FROZEN),
        ("QUEUED", RunStatus.QUEUED),
    ],
)
def test_retrieve_maps_current_api_statuses_to_seed_names(status: str, public: RunStatus) -> None:
    run = run_from_retrieve({**RETRIEVE_BODY, "status": status}, payload=None, output=None)
    assert run.status is public


@pytest.mark.parametrize(
    "body",
    [[], "x", None, {**RETRIEVE_BODY, "createdAt": "nope"}, {"id": "run_1"}],
)
def test_retrieve_rejects_bad_bodies(body: Any) -> None:
    with pytest.raises(APIResponseValidationError):
        run_from_retrieve(body, payload=None, output=None)


def test_shape_row_returns_the_generated_model() -> None:
    assert isinstance(shape_row(parsed_row()), RunShapeRow)
