"""Listing runs, the pure part (trigger_client/_protocol/listing.py): the query of
``GET /api/v1/runs`` in the official SDK 3.3.17's order, cursors, and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from trigger_client import APIResponseValidationError, RunStatus
from trigger_client._protocol.listing import (
    MAX_PAGE_SIZE,
    RunFilters,
    RunPage,
    list_runs_params,
    parse_run_page,
    with_cursor,
)


def test_every_filter_in_the_official_order() -> None:
    params = list_runs_params(
        RunFilters(
            status=[RunStatus.COMPLETED, "FAILED"],
            task_identifier=["a", "b"],
            version="20250101.1",
            tag=("x", "y"),
            batch="batch_1",
            is_test=False,
            created_after=datetime(2020, 1, 1, tzinfo=UTC),
            created_before=datetime(2100, 1, 1, 0, 0, 0, 999, tzinfo=UTC),
            page_size=MAX_PAGE_SIZE,
        )
    )
    assert params == (
        ("filter[status]", "COMPLETED,FAILED"),
        ("filter[taskIdentifier]", "a,b"),
        ("filter[version]", "20250101.1"),
        ("filter[tag]", "x,y"),
        ("filter[isTest]", "false"),
        ("filter[createdAt][from]", "1577836800000"),
        ("filter[createdAt][to]", "4102444800000"),
        ("filter[batch]", "batch_1"),
        ("page[size]", "100"),
    )


def test_single_values_and_the_period() -> None:
    assert list_runs_params({}) == ()
    filters = RunFilters(status="QUEUED", is_test=True, period="7d", page_size=1)
    assert list_runs_params(filters) == (
        ("filter[status]", "QUEUED"),
        ("filter[isTest]", "true"),
        ("filter[createdAt][period]", "7d"),
        ("page[size]", "1"),
    )


def test_created_bounds_are_epoch_milliseconds() -> None:
    naive = list_runs_params(RunFilters(created_after=datetime(2024, 1, 2, 3, 4, 5, 678900)))
    assert naive == (("filter[createdAt][from]", "1704164645678"),)  # naive: UTC, floored
    plus_two = timezone(timedelta(hours=2))
    aware = list_runs_params(
        RunFilters(created_before=datetime(2024, 1, 2, 5, 4, 5, tzinfo=plus_two))
    )
    assert aware == (("filter[createdAt][to]", "1704164645000"),)
    before_epoch = list_runs_params(
        RunFilters(created_after=datetime(1969, 12, 31, 23, 59, 59, 999500))
    )
    assert before_epoch == (("filter[createdAt][from]", "-1"),)


@pytest.mark.parametrize(
    ("filters", "error", "message"),
    [
        (
            {"status": []},
            ValueError,
            r"^status must be non-empty strings without commas, not \[\]$",
        ),
        ({"status": "A,B"}, ValueError, "^status must be non-empty strings without commas"),
        ({"tag": ["a", ""]}, ValueError, "^tag must be non-empty strings without commas"),
        ({"tag": ["a", 1]}, ValueError, "^tag must be non-empty strings without commas"),
        ({"task_identifier": ""}, ValueError, "^task_identifier must be non-empty strings"),
        ({"version": ["1,2"]}, ValueError, "^version must be non-empty strings without commas"),
        ({"is_test": 1}, TypeError, "^is_test must be a bool$"),
        (
            {"period": "1h", "created_after": datetime(2020, 1, 1)},
            ValueError,
            "^pass either period or created_after/created_before, not both$",
        ),
        (
            {"period": "1h", "created_before": datetime(2020, 1, 1)},
            ValueError,
            "^pass either period or created_after/created_before, not both$",
        ),
        ({"period": " "}, ValueError, '^period must be a duration such as "7d" or "1h", not'),
        ({"period": 7}, ValueError, '^period must be a duration such as "7d" or "1h", not 7$'),
        ({"created_after": "2020"}, TypeError, "^created_after must be a datetime, not str$"),
        ({"created_before": 1}, TypeError, "^created_before must be a datetime, not int$"),
        ({"batch": ""}, ValueError, "^batch must be a batch id such as batch_1234, not ''$"),
        ({"batch": 3}, ValueError, "^batch must be a batch id such as batch_1234, not 3$"),
        ({"page_size": True}, TypeError, "^page_size must be an int$"),
        ({"page_size": 2.0}, TypeError, "^page_size must be an int$"),
        ({"page_size": 0}, ValueError, "^page_size must be between 1 and 100, not 0$"),
        ({"page_size": 101}, ValueError, "^page_size must be between 1 and 100, not 101$"),
        (
            {"statuses": "QUEUED"},
            TypeError,
            "^unknown run list filter 'statuses'; the filters are status, task_identifier, "
            "version, tag, batch, is_test, created_after, created_before, period, page_size$",
        ),
    ],
)
def test_bad_filters_are_clear_errors(
    filters: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        list_runs_params(filters)  # type: ignore[arg-type]


def test_with_cursor() -> None:
    base = (("filter[tag]", "a"),)
    assert with_cursor(base, after=None, before=None) == base
    assert with_cursor(base, after="run_2", before=None) == (*base, ("page[after]", "run_2"))
    assert with_cursor((), after=None, before="run_1") == (("page[before]", "run_1"),)
    with pytest.raises(ValueError, match="^pass either after or before, not both$"):
        with_cursor(base, after="a", before="b")
    with pytest.raises(ValueError, match="^page\\[after\\] cursor must be a run id, not ''$"):
        with_cursor(base, after="", before=None)
    with pytest.raises(ValueError, match="^page\\[before\\] cursor must be a run id, not 5$"):
        with_cursor(base, after=None, before=5)  # type: ignore[arg-type]


def _item(run_id: str, status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "id": run_id,
        "status": status,
        "taskIdentifier": "t",
        "createdAt": "2024-01-02T03:04:05.678Z",
        "updatedAt": "2024-01-02T03:04:06.000Z",
        "isTest": False,
        "tags": ["a"],
        "costInCents": 0,
        "baseCostInCents": 0,
        "durationMs": 0,
        "env": {"id": "env_1", "name": "dev"},
        "depth": 0,
        "isQueued": False,
        "isExecuting": False,
        "isCompleted": True,
        "isFailed": False,
        "isSuccess": True,
        "isCancelled": False,
    }


def test_parse_run_page() -> None:
    page = parse_run_page(
        {"data": [_item("run_2"), _item("run_1")], "pagination": {"next": "run_1"}}
    )
    assert isinstance(page, RunPage)
    assert [run.id for run in page.data] == ["run_2", "run_1"]
    assert page.next_cursor == "run_1" and page.has_next
    assert page.previous_cursor is None and not page.has_previous
    assert len(page) == 2
    first = parse_run_page({"data": [], "pagination": {"previous": "run_9", "next": ""}})
    assert first.next_cursor is None and not first.has_next
    assert first.previous_cursor == "run_9" and first.has_previous
    assert len(first) == 0
    assert parse_run_page({"data": []}) == RunPage(data=[])


@pytest.mark.parametrize(
    ("current", "seed"),
    [("PENDING_VERSION", "WAITING_FOR_DEPLOY"), ("DEQUEUED", "EXECUTING"), ("WAITING", "FROZEN")],
)
def test_statuses_of_the_current_api_get_the_seed_names(current: str, seed: str) -> None:
    page = parse_run_page({"data": [_item("run_1", current)], "pagination": {}})
    assert page.data[0].status == seed


@pytest.mark.parametrize("body", [None, [], {"data": {}}, {"pagination": {}}, {"data": "x"}])
def test_a_malformed_page_is_a_validation_error(body: Any) -> None:
    with pytest.raises(
        APIResponseValidationError,
        match=r"invalid run list in the API response: expected \{data: \[...\], pagination",
    ):
        parse_run_page(body)


def test_a_naive_created_bound_is_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        params = list_runs_params(RunFilters(created_after=datetime(2024, 1, 2, 3, 4, 5)))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert params == (("filter[createdAt][from]", "1704164645000"),)


def test_a_malformed_page_error_is_whole_and_carries_the_body() -> None:
    with pytest.raises(APIResponseValidationError) as info:
        parse_run_page({"items": []})
    assert str(info.value) == (
        "invalid run list in the API response: expected {data: [...], pagination: {...}}"
    )
    assert info.value.body == {"items": []}


@pytest.mark.parametrize("item", [3, "run_1", None, {"id": "run_1"}])
def test_a_malformed_run_in_a_page_is_a_validation_error_naming_the_list(item: Any) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        parse_run_page({"data": [item]})
    assert str(info.value).startswith("invalid run list in the API response: ")
