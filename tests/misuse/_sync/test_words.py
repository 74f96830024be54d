# Generated from tests/misuse/_async/test_words.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Words: an idle run's timeout says the run did not finish and its status, not "Request timed
out"; an error names its status once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from trigger_client import (
    InternalServerError,
    NotFoundError,
    RetryPolicy,
    SubscriptionTimeout,
    TriggerClient,
)
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio


def client_for(emulator: TriggerEmulator, **options: Any) -> TriggerClient:
    return TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key, **options)


@pytest.mark.parametrize("transport", ["realtime", "poll"])
def test_an_idle_runs_timeout_names_the_run_and_its_last_status(
    emulator: TriggerEmulator, transport: Any
) -> None:
    run_id = emulator.create_run("words")
    emulator.start_attempt(run_id)  # EXECUTING, and nothing more happens
    seen: list[str] = []
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(
            run_id, feed=transport, timeout=1.5, poll_interval=0.5
        )
        with pytest.raises(SubscriptionTimeout) as caught:
            for run in subscription:
                seen.append(str(run.status))
    message = str(caught.value)
    assert seen == ["EXECUTING"]
    assert message == (
        f"subscription to {run_id} reached its timeout of 1.5s: {run_id} did not finish in time "
        "(last status: EXECUTING)"
    )
    assert "timed out" not in message.lower() and "error" not in message
    assert caught.value.last_run is not None and caught.value.last_run.id == run_id


def test_a_failing_servers_timeout_names_the_last_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("words")
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.status(503), times=None)
    policy = RetryPolicy(initial_delay=0.05, max_delay=0.1)
    with client_for(emulator, retry_policy=policy) as client:
        with pytest.raises(SubscriptionTimeout) as caught:
            for _ in client.runs.subscribe_to_run(run_id, timeout=1):
                pass
    message = str(caught.value)
    assert message.startswith(f"subscription to {run_id} reached its timeout of 1s before any run")
    assert "(last error: 503: " in message


@pytest.mark.parametrize(
    ("status", "body", "text", "error"),
    [
        (404, b"", "404: Not Found", NotFoundError),
        (500, b"", "500: Internal Server Error", InternalServerError),
        (404, b"404 Not Found", "404 Not Found", NotFoundError),
        (404, b'{"error": "Run not found"}', "404: Run not found", NotFoundError),
    ],
)
def test_an_error_names_its_status_once(
    status: int, body: bytes, text: str, error: type[Exception]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with (
        http,
        TriggerClient(
            base_url="http://api.test", access_token="tr_dev_x", http_client=http, max_retries=0
        ) as client,
    ):
        with pytest.raises(error) as caught:
            client.runs.retrieve("run_1")
    assert str(caught.value) == text
