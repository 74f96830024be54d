# Generated from tests/misuse/_async/test_ids.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Ids in URL paths: every call that takes an id sends it as exactly one encoded path segment, or
refuses it with ``InvalidArgumentError`` before any request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trigger_client import (
    InvalidArgumentError,
    NotFoundError,
    RetryPolicy,
    TriggerClient,
    TriggerError,
)
from trigger_client._protocol.paths import MAX_ID_LENGTH
from trigger_client.testing import TriggerEmulator

pytestmark = pytest.mark.anyio

#: call name -> (the call, the path around the id: prefix, suffix)
Call = Callable[[TriggerClient, str], Any]


def _first_of(subscription: Any) -> None:
    with subscription:
        for _ in subscription:
            return


CALLS: dict[str, tuple[Call, str, str]] = {
    "runs.retrieve": (lambda c, i: c.runs.retrieve(i), "/api/v3/runs/", ""),
    "runs.cancel": (lambda c, i: c.runs.cancel(i), "/api/v2/runs/", "/cancel"),
    "runs.replay": (lambda c, i: c.runs.replay(i), "/api/v1/runs/", "/replay"),
    "runs.reschedule": (
        lambda c, i: c.runs.reschedule(i, delay="1h"),
        "/api/v1/runs/",
        "/reschedule",
    ),
    "runs.wait(poll)": (
        lambda c, i: c.runs.wait(i, poll=True, timeout=30),
        "/api/v3/runs/",
        "",
    ),
    "runs.subscribe_to_run": (
        lambda c, i: _first_of(c.runs.subscribe_to_run(i, timeout=30)),
        "/realtime/v1/runs/",
        "",
    ),
    "runs.subscribe_to_run(poll)": (
        lambda c, i: _first_of(c.runs.subscribe_to_run(i, feed="poll", timeout=30)),
        "/api/v3/runs/",
        "",
    ),
    "runs.subscribe_to_batch": (
        lambda c, i: _first_of(c.runs.subscribe_to_batch(i, timeout=30)),
        "/realtime/v1/batches/",
        "",
    ),
    "tasks.trigger": (lambda c, i: c.tasks.trigger(i, {}), "/api/v1/tasks/", "/trigger"),
}

ids = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="./?#%&=+;@: \\", max_size=8),
    st.sampled_from([".", "..", "...", "%2e%2e", "%2F", "run#frag", "run\nx", "a/../b", ""]),
)


def _client(emulator: TriggerEmulator) -> TriggerClient:
    # not_found_seconds=0: an unknown id's 404 (x-should-retry: true) is raised at once, not
    # retried for the server's replica lag (row R-404-LAG)
    return TriggerClient(
        base_url=emulator.base_url,
        access_token=emulator.secret_key,
        max_retries=0,
        retry_policy=RetryPolicy(not_found_seconds=0),
    )


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(run_id=ids)
def test_an_id_is_one_encoded_segment_or_refused_before_any_request(
    emulator_session: TriggerEmulator, call: str, run_id: str
) -> None:
    invoke, prefix, suffix = CALLS[call]
    before = len(emulator_session.requests)
    with _client(emulator_session) as client:
        try:
            invoke(client, run_id)
        except InvalidArgumentError as exc:
            assert len(emulator_session.requests) == before  # refused before any request
            assert ("task_id" if call.startswith("tasks.") else "_id") in str(exc)
            return
        except NotFoundError:
            pass  # the server's answer to an unknown id
    sent = emulator_session.requests[before:]
    assert sent, f"{call}({run_id!r}) neither raised nor sent a request"
    for record in sent:
        assert record.raw_path == prefix + quote(run_id, safe="!*'()") + suffix
        assert unquote(record.raw_path[len(prefix) : len(record.raw_path) - len(suffix)]) == run_id


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "empty"),
        (".", "'.'"),
        ("..", "'..'"),
        ("run\nx", "U+000A"),
        ("run\x00", "U+0000"),
        ("run\x7f", "U+007F"),
        ("run\ud800", "U+D800"),
        ("r" * (MAX_ID_LENGTH + 1), f"at most {MAX_ID_LENGTH}"),
    ],
)
def test_a_bad_id_is_an_invalid_argument_error_naming_the_argument(
    emulator: TriggerEmulator, call: str, bad: str, why: str
) -> None:
    invoke = CALLS[call][0]
    before = len(emulator.requests)
    with _client(emulator) as client:
        with pytest.raises(InvalidArgumentError) as caught:
            invoke(client, bad)
    assert isinstance(caught.value, ValueError)
    assert why in str(caught.value)
    assert ("task_id" if call.startswith("tasks.") else "_id") in str(caught.value)
    assert len(emulator.requests) == before


def test_the_longest_id_is_accepted_and_sent_whole(emulator: TriggerEmulator) -> None:
    run_id = "r" * MAX_ID_LENGTH
    before = len(emulator.requests)
    with _client(emulator) as client:
        with pytest.raises(TriggerError):  # 404: no such run
            client.runs.retrieve(run_id)
    assert [r.raw_path for r in emulator.requests[before:]] == [f"/api/v3/runs/{run_id}"]


@pytest.mark.parametrize(
    ("run_id", "path"),
    [
        ("..", None),
        (".", None),
        ("run#frag", "/api/v2/runs/run%23frag/cancel"),
        ("%2e%2e", "/api/v2/runs/%252e%252e/cancel"),
        ("a/../b", "/api/v2/runs/a%2F..%2Fb/cancel"),
        ("run?x=1", "/api/v2/runs/run%3Fx%3D1/cancel"),
    ],
)
def test_the_issues_cancel_cases_stay_in_their_path(
    emulator: TriggerEmulator, run_id: str, path: str | None
) -> None:
    before = len(emulator.requests)
    with _client(emulator) as client:
        with pytest.raises(TriggerError) as caught:
            client.runs.cancel(run_id)
    sent = [r.raw_path for r in emulator.requests[before:]]
    if path is None:
        assert isinstance(caught.value, InvalidArgumentError)
        assert sent == []
    else:
        assert not isinstance(caught.value, InvalidArgumentError)
        assert sent == [path]
