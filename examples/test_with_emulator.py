"""Testing your own code with the emulator: the `trigger_emulator` pytest fixture.

`pip install 'trigger-client[testing]'` registers a pytest plugin with a `trigger_emulator`
fixture: a local Trigger.dev API, fresh for each test, on 127.0.0.1 (no network, no account).
Create runs in it, play them through a lifecycle, inject faults, and point your code at
`trigger_emulator.base_url` with `trigger_emulator.secret_key`.

    pytest examples/test_with_emulator.py

The top half of this file stands for your application code; the bottom half is its tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trigger_client import AsyncTriggerClient, RunWaitTimeout, TriggerClient
from trigger_client.testing import TriggerEmulator, faults

# -- your code ------------------------------------------------------------------------------------


class ReportFailed(Exception):
    """The report could not be generated."""


def start_report(client: TriggerClient, quarter: str) -> str:
    """Trigger the `generate-report` task; the new run's id."""
    handle = client.tasks.trigger("generate-report", {"quarter": quarter}, tags=[f"q:{quarter}"])
    return handle.id


def wait_for_report(client: TriggerClient, run_id: str, *, timeout: float = 300) -> str:
    """Wait for a `generate-report` run to finish; the URL of the report it produced."""
    run = client.runs.wait(run_id, timeout=timeout)
    if not run.is_success:
        reason = run.error.message if run.error else str(run.status)
        raise ReportFailed(f"report run {run.id} ended {run.status}: {reason}")
    if not isinstance(run.output, dict) or "url" not in run.output:
        raise ReportFailed(f"report run {run.id} completed without a url: {run.output!r}")
    return str(run.output["url"])


async def progress_of(client: AsyncTriggerClient, run_id: str) -> list[float]:
    """Every progress value the task reported in its metadata, in order (for a progress bar)."""
    seen: list[float] = []
    async for run in client.runs.subscribe_to_run(run_id, timeout=60):
        progress = run.metadata.get("progress") if isinstance(run.metadata, dict) else None
        if isinstance(progress, int | float) and (not seen or seen[-1] != progress):
            seen.append(float(progress))
    return seen


# -- your tests -----------------------------------------------------------------------------------


@pytest.fixture
def client(trigger_emulator: TriggerEmulator) -> Iterator[TriggerClient]:
    """Your code's client, pointed at the emulator."""
    with TriggerClient(
        base_url=trigger_emulator.base_url, access_token=trigger_emulator.secret_key
    ) as client:
        yield client


def test_returns_the_report_url(trigger_emulator: TriggerEmulator, client: TriggerClient) -> None:
    run_id = trigger_emulator.create_run("generate-report", {"quarter": "2026-Q3"})
    # Play the run in the background: dequeued, started, completed with this output.
    trigger_emulator.start_play(
        run_id, "success", interval=0.05, output={"url": "https://example.com/q3.pdf"}
    )
    assert wait_for_report(client, run_id, timeout=10) == "https://example.com/q3.pdf"


@pytest.mark.trigger_emulator(auto_play="success", auto_play_interval=0.05)
def test_start_report_triggers_the_task(
    trigger_emulator: TriggerEmulator, client: TriggerClient
) -> None:
    # With auto_play, every run triggered over HTTP plays the "success" lifecycle by itself.
    run_id = start_report(client, "2026-Q3")
    run = client.runs.wait(run_id, timeout=10)
    assert run.is_success
    assert run.task_identifier == "generate-report"
    assert run.payload == {"quarter": "2026-Q3"}
    assert run.tags == ["q:2026-Q3"]


def test_a_failed_run_raises(trigger_emulator: TriggerEmulator, client: TriggerClient) -> None:
    run_id = trigger_emulator.create_run("generate-report", {"quarter": "2026-Q3"})
    # A failed attempt, a retry, then a final failure with this error.
    trigger_emulator.start_play(
        run_id, "retry_then_fail", interval=0.05, error=RuntimeError("no sales data")
    )
    with pytest.raises(ReportFailed, match="no sales data"):
        wait_for_report(client, run_id, timeout=10)


def test_a_stuck_run_times_out(trigger_emulator: TriggerEmulator, client: TriggerClient) -> None:
    run_id = trigger_emulator.create_run("generate-report", {"quarter": "2026-Q3"})  # stays queued
    with pytest.raises(RunWaitTimeout) as info:
        wait_for_report(client, run_id, timeout=0.5)
    assert info.value.last_run is not None and info.value.last_run.is_queued


def test_survives_a_server_error(trigger_emulator: TriggerEmulator, client: TriggerClient) -> None:
    run_id = trigger_emulator.create_run("generate-report", {"quarter": "2026-Q3"})
    trigger_emulator.play(run_id, "success", interval=0, output={"url": "https://example.com/r"})
    # The realtime endpoint fails once with a 503: the SDK backs off and retries by itself.
    trigger_emulator.inject("/realtime/v1/runs/*", faults.status(503), times=1)
    assert wait_for_report(client, run_id, timeout=10) == "https://example.com/r"


@pytest.mark.anyio
async def test_progress_with_the_async_client(trigger_emulator: TriggerEmulator) -> None:
    run_id = trigger_emulator.create_run("generate-report", {"quarter": "2026-Q3"})
    # Metadata progress 0.25, 0.5, 0.75, 1.0, then completed.
    trigger_emulator.start_play(run_id, "metadata_progress", interval=0.05)
    async with AsyncTriggerClient(
        base_url=trigger_emulator.base_url, access_token=trigger_emulator.secret_key
    ) as client:
        seen = await progress_of(client, run_id)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


@pytest.fixture
def anyio_backend() -> str:
    """Run the async test on asyncio (anyio's pytest plugin can also run it on trio)."""
    return "asyncio"
