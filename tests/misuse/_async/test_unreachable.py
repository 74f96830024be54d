"""A wrong API URL is not silent: a subscription that never reached the server gives up like a
REST call, one that did keeps retrying until its deadline, and failures are logged at WARNING."""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import pytest

from trigger_client import APIConnectionError, AsyncTriggerClient, RetryPolicy, SubscriptionTimeout
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(initial_delay=0.05, max_delay=0.1)
SECRET = "tr_dev_unreachableSECRETkey0123456789"


@pytest.fixture
def closed_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "trigger_client"
    ]


async def _drain(subscription: Any) -> None:
    async with subscription:
        async for _ in subscription:
            pass


@pytest.mark.parametrize("transport", ["realtime", "poll", "tags"])
@pytest.mark.parametrize("max_retries", [0, 2])
async def test_a_subscription_that_never_reached_the_server_gives_up_like_a_rest_call(
    closed_url: str,
    caplog: pytest.LogCaptureFixture,
    transport: str,
    max_retries: int,
) -> None:
    async with AsyncTriggerClient(
        base_url=closed_url, access_token=SECRET, retry_policy=FAST, max_retries=max_retries
    ) as client:
        if transport == "tags":
            subscription = client.runs.subscribe_to_runs_with_tag("t")
        else:
            subscription = client.runs.subscribe_to_run(
                "run_1",
                feed=transport,
                poll_interval=0.1,  # type: ignore[arg-type]
            )
        started = time.monotonic()
        with caplog.at_level(logging.DEBUG, logger="trigger_client"):
            with pytest.raises(APIConnectionError) as caught:
                await _drain(subscription)  # no timeout: it must end on its own
        elapsed = time.monotonic() - started
        with pytest.raises(APIConnectionError):  # a REST call ends the same way
            await client.runs.retrieve("run_1")
    assert not isinstance(caught.value, SubscriptionTimeout)
    assert elapsed < 5  # max_retries backoffs of at most 0.1 s each, plus the connects
    logged = warnings_of(caplog)
    assert len(logged) == 1  # the first failure; the next ones are within the minute
    assert closed_url in logged[0] and ("giving up" in logged[0]) == (max_retries == 0)
    assert "SECRET" not in "".join(logged)


async def test_a_subscription_that_reached_the_server_retries_until_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = TriggerEmulator(long_poll_ms=300).start()
    try:
        run_id = emulator.create_run("unreachable")
        async with AsyncTriggerClient(
            base_url=emulator.base_url,
            access_token=emulator.secret_key,
            retry_policy=FAST,
            max_retries=0,
        ) as client:
            subscription = client.runs.subscribe_to_run(run_id, timeout=2.5)
            seen = []
            with caplog.at_level(logging.DEBUG, logger="trigger_client"):
                with pytest.raises(SubscriptionTimeout) as caught:
                    async with subscription:
                        async for run in subscription:
                            seen.append(run.id)
                            started = time.monotonic()
                            emulator.stop()  # the server goes away after the first answer
    finally:
        emulator.stop()
    assert seen == [run_id]
    assert time.monotonic() - started > 1.5  # kept retrying well past max_retries=0
    logged = warnings_of(caplog)
    assert len(logged) == 1 and emulator.base_url in logged[0] and "retrying" in logged[0]
    assert emulator.secret_key not in "".join(caplog.messages)
    assert "did not finish in time (last status: QUEUED)" in str(caught.value)


async def test_a_dropped_connection_is_not_an_unreachable_server(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("unreachable")
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.drop_connection(), times=4)
    async with AsyncTriggerClient(
        base_url=emulator.base_url,
        access_token=emulator.secret_key,
        retry_policy=FAST,
        max_retries=1,
    ) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=20)
        async with subscription:
            async for run in subscription:
                assert run.id == run_id
                break
