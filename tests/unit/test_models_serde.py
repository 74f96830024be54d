"""The generated models and the cattrs converter: statuses, dates, unknown values, round trips."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import APIResponseValidationError, Run, RunStatus, SerializedError
from trigger_client._generated import rest_models
from trigger_client._serde import format_datetime, parse_datetime, structure, unstructure

SEED_STATUSES = [
    "WAITING_FOR_DEPLOY",
    "QUEUED",
    "EXECUTING",
    "REATTEMPTING",
    "FROZEN",
    "COMPLETED",
    "CANCELED",
    "FAILED",
    "CRASHED",
    "INTERRUPTED",
    "SYSTEM_FAILURE",
    "DELAYED",
    "EXPIRED",
    "TIMED_OUT",
]

SEED_FIELDS = [
    "id",
    "task_identifier",
    "payload",
    "output",
    "created_at",
    "updated_at",
    "number",
    "status",
    "duration_ms",
    "cost_in_cents",
    "base_cost_in_cents",
    "tags",
    "idempotency_key",
    "expired_at",
    "ttl",
    "finished_at",
    "started_at",
    "delayed_until",
    "queued_at",
    "metadata",
    "error",
    "is_test",
]
SEED_REQUIRED = {
    "id",
    "task_identifier",
    "payload",
    "created_at",
    "updated_at",
    "number",
    "status",
    "duration_ms",
    "cost_in_cents",
    "base_cost_in_cents",
    "tags",
    "is_test",
}


def wire_run(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "run_1234",
        "taskIdentifier": "email-sequence",
        "payload": {"to": "a@example.com"},
        "createdAt": "2024-10-09T12:34:56.789Z",
        "updatedAt": "2024-10-09T12:35:00.000Z",
        "number": 7,
        "status": "EXECUTING",
        "durationMs": 1200,
        "costInCents": 0.55,
        "baseCostInCents": 0.25,
        "tags": ["user:1"],
        "isTest": False,
    }
    body.update(overrides)
    return body


#: Beyond the seed: the realtimeStreams column, for v2 stream discovery (issue 15).
ADDED_FIELDS = ["realtime_streams"]


def test_run_has_exactly_the_seed_fields_with_the_seed_optionality() -> None:
    fields = attrs.fields(Run)
    assert sorted(f.name for f in fields) == sorted(SEED_FIELDS + ADDED_FIELDS)
    required = {f.name for f in fields if f.default is attrs.NOTHING}
    assert required == SEED_REQUIRED


def test_run_is_frozen_keyword_only_and_compares_by_value() -> None:
    run = structure(wire_run(), Run)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        run.status = RunStatus.COMPLETED  # type: ignore[misc]
    with pytest.raises(TypeError):
        Run("run_1")  # type: ignore[call-arg, misc]
    assert structure(wire_run(), Run) == run


@pytest.mark.parametrize("status", SEED_STATUSES)
def test_every_seed_status_round_trips(status: str) -> None:
    run = structure(wire_run(status=status), Run)
    assert run.status is RunStatus(status)
    assert run.status.is_known
    assert unstructure(run)["status"] == status


def test_run_status_has_the_seed_values() -> None:
    assert [m.value for m in RunStatus] == SEED_STATUSES


def test_unknown_status_becomes_an_open_value_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="trigger_client"):
        first = structure(wire_run(status="HIBERNATING_SERDE_TEST"), Run)
        second = structure(wire_run(status="HIBERNATING_SERDE_TEST"), Run)
    assert isinstance(first.status, RunStatus)
    assert first.status == "HIBERNATING_SERDE_TEST"
    assert first.status is second.status
    assert not first.status.is_known
    assert not first.is_finished
    assert "HIBERNATING_SERDE_TEST" not in [m.value for m in RunStatus]
    assert len([r for r in caplog.records if "HIBERNATING_SERDE_TEST" in r.getMessage()]) == 1
    with pytest.raises(ValueError):
        RunStatus(3)  # type: ignore[arg-type]


def test_unknown_fields_are_ignored_and_strict_mode_rejects_them() -> None:
    run = structure(wire_run(someFutureField={"x": 1}, region="eu"), Run)
    assert run.id == "run_1234"
    with pytest.raises(APIResponseValidationError, match="someFutureField"):
        structure(wire_run(someFutureField=1), Run, strict=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-09T12:34:56.789Z", datetime(2024, 10, 9, 12, 34, 56, 789000, UTC)),
        ("2024-10-09T12:34:56Z", datetime(2024, 10, 9, 12, 34, 56, tzinfo=UTC)),
        ("2024-10-09T14:34:56.5+02:00", datetime(2024, 10, 9, 12, 34, 56, 500000, UTC)),
        ("2024-10-09T12:34:56+0000", datetime(2024, 10, 9, 12, 34, 56, tzinfo=UTC)),
        ("2024-10-09 12:34:56.789", datetime(2024, 10, 9, 12, 34, 56, 789000, UTC)),
        ("2024-10-09 12:34:56.5", datetime(2024, 10, 9, 12, 34, 56, 500000, UTC)),
        ("2024-10-09 12:34:56", datetime(2024, 10, 9, 12, 34, 56, tzinfo=UTC)),
        ("2024-10-09T12:34:56.123", datetime(2024, 10, 9, 12, 34, 56, 123000, UTC)),
        ("2024-10-09T12:34:56.123456789Z", datetime(2024, 10, 9, 12, 34, 56, 123456, UTC)),
    ],
)
def test_every_date_form_becomes_an_aware_utc_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    run = structure(wire_run(createdAt=text, finishedAt=text), Run)
    assert run.created_at == expected and run.finished_at == expected
    assert parse_datetime(format_datetime(parsed)) == expected.replace(
        microsecond=expected.microsecond // 1000 * 1000
    )


def test_datetimes_are_written_like_javascript() -> None:
    value = datetime(2024, 10, 9, 12, 34, 56, 789000, UTC)
    assert format_datetime(value) == "2024-10-09T12:34:56.789Z"
    assert format_datetime(value.astimezone(timezone(timedelta(hours=5)))) == (
        "2024-10-09T12:34:56.789Z"
    )


def test_a_bad_field_names_the_wire_field() -> None:
    with pytest.raises(APIResponseValidationError) as info:
        structure(wire_run(createdAt="yesterday", costInCents="a lot"), Run)
    message = str(info.value)
    assert "$.createdAt" in message and "$.costInCents" in message
    assert "created_at" not in message
    with pytest.raises(APIResponseValidationError, match=r"\$\.error\.message"):
        structure(wire_run(error={"name": "Error"}), Run)


def test_json_scalars_are_not_coerced() -> None:
    with pytest.raises(APIResponseValidationError, match=r"\$\.id"):
        structure(wire_run(id=None), Run)
    with pytest.raises(APIResponseValidationError, match=r"\$\.number"):
        structure(wire_run(number="7"), Run)
    with pytest.raises(APIResponseValidationError, match=r"\$\.isTest"):
        structure(wire_run(isTest="false"), Run)
    assert structure(wire_run(costInCents=1), Run).cost_in_cents == 1.0
    assert structure(wire_run(number=7.0), Run).number == 7


def test_missing_required_field_is_a_typed_error() -> None:
    body = wire_run()
    del body["taskIdentifier"]
    with pytest.raises(APIResponseValidationError, match=r"\$\.taskIdentifier"):
        structure(body, Run)


def test_request_bodies_omit_unset_fields() -> None:
    request = rest_models.TriggerTaskRequest(
        payload={"x": 1},
        options=rest_models.TriggerTaskOptions(idempotency_key="k1", tags=["a"]),
    )
    assert unstructure(request) == {
        "payload": {"x": 1},
        "options": {"idempotencyKey": "k1", "tags": ["a"]},
    }


def test_nested_error_and_metadata() -> None:
    run = structure(
        wire_run(
            error={"message": "boom", "name": "Error", "stackTrace": "at x"}, metadata={"p": 1}
        ),
        Run,
    )
    assert run.error == SerializedError(message="boom", name="Error", stack_trace="at x")
    assert run.metadata == {"p": 1}
    assert unstructure(run)["error"] == {"message": "boom", "name": "Error", "stackTrace": "at x"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
utc_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
optional_dt = st.none() | utc_datetimes

runs = st.builds(
    Run,
    id=st.text(min_size=1, max_size=12),
    task_identifier=st.text(min_size=1, max_size=12),
    payload=json_values,
    output=json_values,
    created_at=utc_datetimes,
    updated_at=utc_datetimes,
    number=st.integers(min_value=0, max_value=2**31),
    status=st.sampled_from(list(RunStatus)),
    duration_ms=st.integers(min_value=0, max_value=2**31),
    cost_in_cents=st.floats(min_value=0, max_value=1e6),
    base_cost_in_cents=st.floats(min_value=0, max_value=1e6),
    tags=st.lists(st.text(max_size=6), max_size=3),
    idempotency_key=st.none() | st.text(max_size=8),
    expired_at=optional_dt,
    ttl=st.none() | st.sampled_from(["10m", "1h"]),
    finished_at=optional_dt,
    started_at=optional_dt,
    delayed_until=optional_dt,
    queued_at=optional_dt,
    metadata=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    error=st.none()
    | st.builds(
        SerializedError,
        message=st.text(max_size=10),
        name=st.none() | st.text(max_size=6),
        stack_trace=st.none() | st.text(max_size=6),
    ),
    is_test=st.booleans(),
)


@given(runs)
def test_structure_unstructure_round_trip(run: Run) -> None:
    assert structure(unstructure(run), Run) == run
    assert structure(unstructure(run), Run, strict=True) == run


def test_an_unknown_status_built_locally_is_not_logged_as_from_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="trigger_client"):
        local = RunStatus("LOCAL_ONLY_STATUS_TEST")
        again = RunStatus("LOCAL_ONLY_STATUS_TEST")
    assert local is again and not local.is_known
    assert not [r for r in caplog.records if "LOCAL_ONLY_STATUS_TEST" in r.getMessage()]
    # the same value later sent by the server is news: logged once
    with caplog.at_level(logging.WARNING, logger="trigger_client"):
        run = structure(wire_run(status="LOCAL_ONLY_STATUS_TEST"), Run)
        structure(wire_run(status="LOCAL_ONLY_STATUS_TEST"), Run)
    assert run.status is local
    logged = [r for r in caplog.records if "LOCAL_ONLY_STATUS_TEST" in r.getMessage()]
    assert len(logged) == 1 and "from the server" in logged[0].getMessage()
