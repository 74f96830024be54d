"""Concurrent subscriptions each long-poll over a connection of their own (async only: the blocking
client's concurrency is threads, covered by the fan-out benchmark and the chaos suite)."""

from __future__ import annotations

import anyio
import pytest

from tests._relay import relay_to
from trigger_client import AsyncTriggerClient, ClientClosedError, RunStatus
from trigger_client.testing import TriggerEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_sockets")]


async def test_concurrent_subscriptions_each_hold_one_connection(emulator: TriggerEmulator) -> None:
    run_ids = [emulator.create_run("report", {"n": i}) for i in range(3)]
    finals: dict[str, RunStatus] = {}
    with relay_to(emulator.base_url) as relay:
        async with AsyncTriggerClient(
            base_url=relay.url, access_token=emulator.secret_key
        ) as client:

            async def follow(run_id: str) -> None:
                async for run in client.runs.subscribe_to_run(run_id, timeout=30):
                    finals[run_id] = run.status

            async with anyio.create_task_group() as tg:
                for run_id in run_ids:
                    tg.start_soon(follow, run_id)
                await anyio.sleep(0.5)  # all three are holding a live long-poll now
                playbacks = [emulator.start_play(r, "success", interval=0.3) for r in run_ids]
            for playback in playbacks:
                playback.wait()
        assert finals == dict.fromkeys(run_ids, RunStatus.COMPLETED)
        assert relay.connections == 3


async def test_closing_the_client_ends_a_long_poll_in_flight(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    client = AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)
    failures: list[BaseException] = []

    async def follow() -> None:
        try:
            async for _ in client.runs.subscribe_to_run(run_id, timeout=30):
                pass
        except ClientClosedError as exc:
            failures.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(follow)
            await anyio.sleep(0.5)  # the subscription is holding a live long-poll
            await client.aclose()
    assert len(failures) == 1 and "its client was closed" in str(failures[0])
