"""The pure rules read from the server: retry safety, the lagging-404 window, request keys,
branches, and the list status filter with its fallback."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from trigger_client._protocol.listing import status_filter, without_unknown_companions
from trigger_client._protocol.server_rules import (
    NotFoundWindow,
    env_branch,
    lagging_not_found,
    new_request_idempotency_key,
    rejected_before_route,
    should_retry_flag,
)

STATUSES = st.sampled_from(
    ["QUEUED", "EXECUTING", "WAITING_FOR_DEPLOY", "FROZEN", "COMPLETED", "FAILED", "DEQUEUED"]
)


def test_request_keys_are_distinct_version_4_uuids() -> None:
    keys = {new_request_idempotency_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(uuid.UUID(key).version == 4 and str(uuid.UUID(key)) == key for key in keys)


@given(st.integers(100, 599), st.sampled_from([None, "true", "false", " TRUE ", "maybe"]))
@example(429, None)
@example(429, "true")
@example(429, " False ")
@example(429, "maybe")
@example(430, None)
@example(428, "true")
def test_only_a_429_not_refused_by_the_header_is_safe_to_resend(
    status: int, flag: str | None
) -> None:
    headers = {} if flag is None else {"X-Should-Retry": flag}
    expected = status == 429 and (flag is None or flag.strip().lower() != "false")
    assert rejected_before_route(status, headers) is expected


@given(st.integers(100, 599), st.sampled_from([None, "true", "false", "True", "1"]))
@example(404, "true")
@example(404, " TRUE ")
@example(404, "false")
@example(404, None)
@example(405, "true")
@example(403, "true")
def test_a_lagging_404_is_exactly_a_404_marked_retryable(status: int, flag: str | None) -> None:
    headers = {} if flag is None else {"x-should-retry": flag}
    expected = status == 404 and flag is not None and flag.strip().lower() == "true"
    assert lagging_not_found(status, headers) is expected


@given(
    st.floats(0.0, 30.0),
    st.lists(st.floats(0.0, 5.0), min_size=1, max_size=30),
    st.floats(0.0, 1000.0),
)
def test_the_not_found_window_is_bounded_from_the_first_404(
    seconds: float, gaps: list[float], start: float
) -> None:
    window = NotFoundWindow(seconds)
    now = start
    first: float | None = None
    for gap in gaps:
        now += gap
        first = now if first is None else first
        allowed = window.allows_retry(now)
        assert allowed is (now - first < seconds)
        assert 0.0 <= window.left(now) <= seconds
    window.reset()
    assert window.left(now) == 0.0
    assert window.allows_retry(now + 100) is (seconds > 0)


def test_env_branch_follows_the_official_order() -> None:
    assert env_branch({}) is None
    assert env_branch({"TRIGGER_DEV_BRANCH": "dev-x", "VERCEL_GIT_COMMIT_REF": "v"}) == "v"
    assert env_branch({"TRIGGER_PREVIEW_BRANCH": "p", "VERCEL_GIT_COMMIT_REF": "v"}) == "p"
    assert env_branch({"VERCEL_GIT_COMMIT_REF": "", "TRIGGER_DEV_BRANCH": "d"}) is None
    assert env_branch({"TRIGGER_DEV_BRANCH": ""}) is None
    assert env_branch({"TRIGGER_DEV_BRANCH": "default"}) is None
    assert env_branch({"TRIGGER_DEV_BRANCH": "feature-x"}) == "feature-x"
    assert env_branch({"TRIGGER_DEV_BRANCH": "feature-x", "TRIGGER_PREVIEW_BRANCH": ""}) is None


@pytest.mark.parametrize(
    ("headers", "flag"),
    [
        (None, None),
        ({}, None),
        ({"x-should-retry": "true"}, True),
        ({"X-Should-Retry": " FALSE "}, False),
        ({"x-should-retry": "1"}, None),
        ({"content-type": "text/plain"}, None),
    ],
)
def test_the_should_retry_flag(headers: dict[str, str] | None, flag: bool | None) -> None:
    assert should_retry_flag(headers) is flag


def test_the_window_left_is_what_remains_from_the_first_404() -> None:
    window = NotFoundWindow(5.0)
    assert window.left(1000.0) == 0.0  # not started
    assert window.allows_retry(1000.0)
    assert window.left(1000.0) == 5.0
    assert window.allows_retry(1003.0)
    assert window.left(1003.0) == 2.0
    assert not window.allows_retry(1005.0)
    assert window.left(1005.0) == 0.0
    assert window.left(1010.0) == 0.0


@given(st.lists(STATUSES, min_size=1, max_size=6))
def test_the_status_filter_keeps_every_status_and_adds_companions_once(
    statuses: list[str],
) -> None:
    sent = status_filter(",".join(statuses)).split(",")
    assert len(sent) == len(set(sent))
    assert set(statuses) <= set(sent)
    assert ("DEQUEUED" in sent) == ("EXECUTING" in statuses or "DEQUEUED" in statuses)
    assert ("PENDING_VERSION" in sent) == ("WAITING_FOR_DEPLOY" in statuses)
    # an older server's refusal of the companions gives back what the caller asked for
    refusal = {"details": [{"message": "Invalid status values: DEQUEUED, PENDING_VERSION"}]}
    narrowed = without_unknown_companions((("filter[status]", ",".join(sent)),), refusal)
    asked = [s for s in dict.fromkeys(statuses) if s not in ("DEQUEUED", "PENDING_VERSION")]
    if asked:
        assert narrowed == (("filter[status]", ",".join(asked)),)
    else:
        assert narrowed is None


def test_other_refusals_are_not_narrowed() -> None:
    params = (("filter[status]", "EXECUTING,DEQUEUED"), ("page[size]", "5"))
    assert without_unknown_companions(params, {"error": "Query Error"}) is None
    assert without_unknown_companions(params, "Invalid status values: NOPE") is None
    assert without_unknown_companions(params, "Invalid status values: DEQUEUED") == (
        ("filter[status]", "EXECUTING"),
        ("page[size]", "5"),
    )
