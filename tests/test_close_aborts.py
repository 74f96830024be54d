"""close()/aclose() from elsewhere, and task cancellation, abort an in-flight long-poll at once."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from trigger_client import AsyncTriggerClient, TriggerClient
from trigger_client.testing import TriggerEmulator


@pytest.fixture(scope="module")
def slow_emulator() -> TriggerEmulator:
    """Live requests are held 20 s, like the real service: only an abort ends them early."""
    with TriggerEmulator(long_poll_ms=20_000) as emu:
        yield emu  # type: ignore[misc]


def _wait_until_live(emu: TriggerEmulator, run_id: str) -> None:
    emu.wait_for_requests(f"/realtime/v1/runs/{run_id}", live=True, count=1, timeout=10)
    time.sleep(0.1)  # the request is now held by the server


def test_sync_close_from_another_thread_aborts_the_long_poll(
    slow_emulator: TriggerEmulator,
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("t", {"n": 1})
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=60)
        first = next(subscription)
        assert first.id == run_id
        result: dict[str, object] = {}

        def iterate() -> None:
            started = time.monotonic()
            result["rest"] = list(subscription)
            result["elapsed"] = time.monotonic() - started

        worker = threading.Thread(target=iterate)
        worker.start()
        _wait_until_live(emu, run_id)
        closed_at = time.monotonic()
        subscription.close()
        worker.join(5)
        assert not worker.is_alive(), "close() did not abort the blocked long-poll"
        assert result["rest"] == []
        assert time.monotonic() - closed_at < 2.0
        assert subscription.closed


def test_async_aclose_from_another_task_aborts_the_long_poll(
    slow_emulator: TriggerEmulator, anyio_backend: str
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("t", {"n": 1})

    async def main() -> float:
        async with AsyncTriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as c:
            subscription = c.runs.subscribe_to_run(run_id, timeout=60)
            await subscription.__anext__()
            rest: list[object] = []

            async def iterate() -> None:
                async for run in subscription:
                    rest.append(run)

            async with anyio.create_task_group() as tg:
                tg.start_soon(iterate)
                await anyio.to_thread.run_sync(_wait_until_live, emu, run_id)
                started = anyio.current_time()
                await subscription.aclose()
            assert rest == []
            return anyio.current_time() - started

    assert anyio.run(main, backend=anyio_backend) < 2.0


def test_cancelling_the_task_aborts_the_long_poll(
    slow_emulator: TriggerEmulator, anyio_backend: str
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("t", {"n": 1})

    async def main() -> float:
        async with AsyncTriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as c:
            seen = []
            started = 0.0
            with anyio.move_on_after(1.0) as scope:
                started = anyio.current_time()
                async for run in c.runs.subscribe_to_run(run_id, timeout=60):
                    seen.append(run)
            assert scope.cancelled_caught
            assert len(seen) == 1
            return anyio.current_time() - started

    assert anyio.run(main, backend=anyio_backend) < 3.0


def test_a_wall_clock_jump_forces_a_catch_up_request(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the machine slept (the wall clock jumped ahead of the monotonic clock), the next
    request is a non-live catch-up, then live requests resume."""
    from trigger_client._backends import SyncBackend

    run_id = emulator.create_run("t", {"n": 1})
    path = f"/realtime/v1/runs/{run_id}"
    with TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        next(subscription)
        emulator.play(run_id, ["dequeue"], interval=0)
        next(subscription)  # a live request delivered the change
        before = len(emulator.requests)
        real_wall = time.time
        monkeypatch.setattr(SyncBackend, "wall", staticmethod(lambda: real_wall() + 3600))
        emulator.play(run_id, ["start"], interval=0)
        next(subscription)
        subscription.close()
    after = [r for r in emulator.requests[before:] if r.path == path]
    assert after and not after[0].live, "the first request after the jump must be a catch-up"


def test_closing_one_subscription_leaves_the_others_long_poll_alone(
    slow_emulator: TriggerEmulator,
) -> None:
    """Two subscriptions long-poll at once from two threads; closing one shuts its own socket
    only: the other's long-poll stays in flight and delivers the next change, with no new
    connection and no retry."""
    from tests._relay import relay_to

    emu = slow_emulator
    run_a, run_b = emu.create_run("t", {"n": 1}), emu.create_run("t", {"n": 2})
    with relay_to(emu.base_url) as relay:
        with TriggerClient(base_url=relay.url, access_token=emu.secret_key) as client:
            sub_a = client.runs.subscribe_to_run(run_a, timeout=60)
            sub_b = client.runs.subscribe_to_run(run_b, timeout=60)
            next(sub_a)
            next(sub_b)
            got_b: list[object] = []
            rest_a: dict[str, object] = {}
            worker_a = threading.Thread(target=lambda: rest_a.update(rest=list(sub_a)))
            worker_b = threading.Thread(target=lambda: got_b.append(next(sub_b)))
            worker_a.start()
            worker_b.start()
            _wait_until_live(emu, run_a)
            _wait_until_live(emu, run_b)
            connections_before = relay.connections
            requests_before = len(relay.realtime_requests())
            sub_a.close()
            worker_a.join(5)
            assert not worker_a.is_alive() and rest_a["rest"] == []
            emu.play(run_b, ["dequeue"], interval=0)
            worker_b.join(10)
            assert not worker_b.is_alive(), "the other subscription's long-poll was disturbed"
            assert len(got_b) == 1
            # b's change came over the long-poll already in flight: nothing new was opened or sent
            assert relay.connections == connections_before == 2
            assert len(relay.realtime_requests()) == requests_before
            sub_b.close()
