"""``subscription_timeout_message``: how a subscription reached its timeout, in the user's terms."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from trigger_client import APIConnectionError, APITimeoutError, Run, RunStatus
from trigger_client._protocol.wording import subscription_timeout_message

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def run(status: RunStatus, finished_at: datetime | None = None) -> Run:
    return Run(
        id="run_1",
        task_identifier="t",
        payload=None,
        created_at=NOW,
        updated_at=NOW,
        number=1,
        status=status,
        duration_ms=0,
        cost_in_cents=0.0,
        base_cost_in_cents=0.0,
        tags=[],
        is_test=False,
        finished_at=finished_at,
    )


DESCRIBE = "subscribe_to_run('run_1')"


def test_no_run_arrived() -> None:
    assert subscription_timeout_message(DESCRIBE, 30.0, None, None) == (
        "subscribe_to_run('run_1') reached its timeout of 30s before any run arrived"
    )


def test_a_run_that_did_not_finish_names_its_last_status() -> None:
    assert subscription_timeout_message(DESCRIBE, 2.5, run(RunStatus.EXECUTING), None) == (
        "subscribe_to_run('run_1') reached its timeout of 2.5s: run_1 did not finish in time "
        "(last status: EXECUTING)"
    )


@pytest.mark.parametrize(
    ("status", "finished_at"),
    [(RunStatus.COMPLETED, NOW), (RunStatus.CANCELED, None), (RunStatus.EXECUTING, NOW)],
)
def test_a_finished_run_is_named_as_the_last_run_seen(
    status: RunStatus, finished_at: datetime | None
) -> None:
    assert subscription_timeout_message(DESCRIBE, 10, run(status, finished_at), None) == (
        f"subscribe_to_run('run_1') reached its timeout of 10s (the last run seen, run_1, is "
        f"{status})"
    )


def test_another_error_is_named_as_the_last_error() -> None:
    cause = APIConnectionError("Connection error: ConnectError")
    assert subscription_timeout_message(DESCRIBE, 0.25, run(RunStatus.QUEUED), cause) == (
        "subscribe_to_run('run_1') reached its timeout of 0.25s: run_1 did not finish in time "
        "(last status: QUEUED) (last error: Connection error: ConnectError)"
    )
    assert subscription_timeout_message(DESCRIBE, 1, None, ValueError("bad row")) == (
        "subscribe_to_run('run_1') reached its timeout of 1s before any run arrived "
        "(last error: bad row)"
    )


def test_the_long_poll_cut_short_by_the_deadline_is_not_an_error() -> None:
    cut = APITimeoutError(request=httpx.Request("GET", "https://api.test/realtime/v1/runs/run_1"))
    assert subscription_timeout_message(DESCRIBE, 1, None, cut) == (
        "subscribe_to_run('run_1') reached its timeout of 1s before any run arrived"
    )
