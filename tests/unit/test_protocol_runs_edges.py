"""Rows to runs at their edges: the whole messages and bodies of invalid rows, the direct path taken
by a row with every optional column set, the timestamp cache, the signal search window and the JSON
text of an unusual error (written from mutation survivors)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.test_protocol_runs_direct import assert_same_run, base_row
from trigger_client import APIResponseValidationError
from trigger_client._protocol import runs
from trigger_client._protocol.runs import (
    checked_row,
    run_from_retrieve,
    run_from_row,
    serialized_error,
    shape_row,
)


@pytest.fixture(autouse=True)
def _no_cached_timestamps() -> Iterator[None]:
    """Every test parses its timestamps (the cache may hold them from an earlier test)."""
    runs._WHEN.clear()
    yield
    runs._WHEN.clear()


def test_invalid_required_strings_are_named_with_the_row_as_body() -> None:
    row = {**base_row(), "id": None, "status": 3}
    with pytest.raises(APIResponseValidationError) as info:
        shape_row(row)
    assert info.value.message == (
        "invalid realtime run row in the API response: $.id must be a string, got None;"
        " $.status must be a string, got 3"
    )
    assert info.value.body == row


def test_a_value_cattrs_refuses_names_the_row_and_the_field() -> None:
    row = {**base_row(), "number": "x"}
    with pytest.raises(APIResponseValidationError) as info:
        shape_row(row)
    assert info.value.message == (
        "invalid realtime run row in the API response: invalid value for type, expected int"
        " @ $.number"
    )


def test_a_retrieve_body_with_a_bad_string_is_named_as_a_run() -> None:
    with pytest.raises(APIResponseValidationError) as info:
        run_from_retrieve(
            {"id": 1, "taskIdentifier": "t", "status": "QUEUED"}, payload=None, output=None
        )
    assert info.value.message == "invalid run in the API response: $.id must be a string, got 1"


def test_a_row_without_updated_at_says_the_column_must_not_be_skipped() -> None:
    row = base_row()
    del row["updatedAt"]
    with pytest.raises(APIResponseValidationError) as info:
        run_from_row(shape_row(row), payload=None, output=None, metadata=None)
    assert info.value.message == (
        "invalid realtime run row in the API response: $.updatedAt is missing"
        " (the updatedAt column must not be skipped)"
    )


def full_row() -> dict[str, Any]:
    return {
        **base_row(),
        "delayUntil": "2026-06-06 09:00:00.5",
        "expiredAt": "2026-06-06T13:00:00.123456+02:00",
        "completedAt": "2026-06-06 10:00:09.999999",
        "isTest": True,
        "realtimeStreams": ["logs", "progress"],
    }


def test_a_row_with_every_optional_column_takes_the_direct_path() -> None:
    row = full_row()
    checked = checked_row(row)
    assert checked is not None
    assert checked.delayed_until == datetime(2026, 6, 6, 9, 0, 0, 500000, tzinfo=UTC)
    assert checked.expired_at == datetime(2026, 6, 6, 11, 0, 0, 123000, tzinfo=UTC)
    assert checked.finished_at == datetime(2026, 6, 6, 10, 0, 9, 999000, tzinfo=UTC)
    for when in (checked.created_at, checked.updated_at, checked.started_at, checked.expired_at):
        assert when is not None and when.tzinfo is UTC
    assert checked.is_test is True
    assert checked.realtime_streams == ["logs", "progress"]
    assert_same_run(row, direct_expected=True)


def test_fresh_timestamps_take_the_direct_path() -> None:
    # timestamps no earlier row used (not cached): parsed, in both forms, zoned or not
    row = {
        **base_row(),
        "createdAt": "2031-01-02 03:04:05.678912",
        "updatedAt": "2031-01-02T05:04:05.678912+02:00",
    }
    checked = checked_row(row)
    assert checked is not None
    assert checked.created_at == datetime(2031, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert checked.updated_at == checked.created_at
    assert checked.created_at.tzinfo is UTC and checked.updated_at.tzinfo is UTC
    assert_same_run(row, direct_expected=True)


def test_the_timestamp_cache_shares_results_and_stays_bounded() -> None:
    text = "2032-02-02 02:02:02.5"
    assert runs._when(text) is runs._when(text)
    for second in range(runs._WHEN_SIZE + 10):
        runs._when(f"2033-01-01T00:00:00.{second:06d}")
        assert len(runs._WHEN) <= runs._WHEN_SIZE


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (93, "trigger.dev internal error (TASK_PROCESS_SIGTERM)"),  # ends at character 100
        (94, "trigger.dev internal error (TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE)"),
    ],
)
def test_a_signal_counts_only_within_the_first_100_characters(prefix: int, expected: str) -> None:
    error = {
        "type": "INTERNAL_ERROR",
        "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
        "message": "x" * prefix + "SIGTERM",
    }
    result = serialized_error(error)
    assert result is not None and result.message == expected


def test_an_error_of_an_unknown_type_is_its_json_text_with_other_values_as_text() -> None:
    result = serialized_error({"type": "BRAND_NEW", "at": datetime(2026, 1, 1), "n": "é"})
    assert result is not None
    assert result.message == '{"type":"BRAND_NEW","at":"2026-01-01 00:00:00","n":"é"}'


@pytest.mark.parametrize(
    ("name", "message", "expected_name"),
    [
        ("TriggerApiError", "Deadlock detected: a waits on b", "Concurrency Deadlock Error"),
        ("Error", "Deadlock detected: a waits on b", "Error"),
        ("TriggerApiError", "Not found", "TriggerApiError"),
    ],
)
def test_only_a_trigger_api_deadlock_is_a_concurrency_deadlock_error(
    name: str, message: str, expected_name: str
) -> None:
    error = {"type": "BUILT_IN_ERROR", "name": name, "message": message, "stackTrace": "at x"}
    result = serialized_error(error)
    assert result is not None
    assert (result.name, result.message) == (expected_name, message)
