"""Closing a client ends every subscription in flight on it at once, whether it waits on a
long-poll, a poll interval or a backoff sleep: with ``ClientClosedError`` (never a bare
RuntimeError); any call after ``close()`` raises it before sending anything."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from trigger_client import (
    AsyncTriggerClient,
    ClientClosedError,
    RetryPolicy,
    TriggerClient,
    TriggerError,
)
from trigger_client.testing import TriggerEmulator, faults


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[TriggerEmulator]:
    """Live requests are held 20 s, like the real service: only an abort ends them early."""
    with TriggerEmulator(long_poll_ms=20_000) as emu:
        yield emu


def _realtime(emu: TriggerEmulator, run_id: str) -> Callable[[Any], Any]:
    emu.faults.clear()
    return lambda c: c.runs.subscribe_to_run(run_id, timeout=60)


def _poll(emu: TriggerEmulator, run_id: str) -> Callable[[Any], Any]:
    emu.faults.clear()
    return lambda c: c.runs.subscribe_to_run(run_id, feed="poll", poll_interval=30, timeout=60)


def _backoff(emu: TriggerEmulator, run_id: str) -> Callable[[Any], Any]:
    """Every request after the two that deliver the run answered 503 with Retry-After: 30."""
    emu.faults.clear()
    emu.inject(
        f"/realtime/v1/runs/{run_id}", faults.status(503, retry_after=30), times=None, skip=2
    )
    return lambda c: c.runs.subscribe_to_run(run_id, timeout=60)


WAITS = {"long-poll": _realtime, "poll interval": _poll, "backoff sleep": _backoff}


def _settle(emu: TriggerEmulator, run_id: str, before: int, wait: str) -> None:
    """Wait until the subscription waits: its next request sent (held by the server, or answered
    503 and now in its backoff sleep), or, polling, its interval begun."""
    if wait != "poll interval":
        path = f"/realtime/v1/runs/{run_id}"
        already = len([r for r in emu.requests[:before] if r.path == path])
        emu.wait_for_requests(path, count=already + 1, timeout=10)
    time.sleep(0.3)


@pytest.mark.parametrize("wait", sorted(WAITS))
def test_sync_close_from_another_thread_ends_the_subscription_at_once(
    slow_emulator: TriggerEmulator, wait: str
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    make = WAITS[wait](emu, run_id)
    client = TriggerClient(
        base_url=emu.base_url, access_token=emu.secret_key, retry_policy=RetryPolicy()
    )
    subscription = make(client)
    first = next(subscription)
    outcome: dict[str, Any] = {}

    def iterate() -> None:
        try:
            outcome["rest"] = list(subscription)
        except BaseException as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    before = len(emu.requests)
    worker = threading.Thread(target=iterate)
    worker.start()
    _settle(emu, run_id, before, wait)
    closed_at = time.monotonic()
    client.close()
    worker.join(10)
    emu.faults.clear()
    assert not worker.is_alive(), f"close() did not end the {wait}"
    assert outcome["ended"] - closed_at < 2.0
    error = outcome.get("error")
    assert isinstance(error, ClientClosedError), outcome
    assert isinstance(error, TriggerError) and error.last_run == first
    assert subscription.closed


@pytest.mark.parametrize("wait", sorted(WAITS))
def test_async_aclose_from_another_task_ends_the_subscription_at_once(
    slow_emulator: TriggerEmulator, anyio_backend: str, wait: str
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    make = WAITS[wait](emu, run_id)

    async def main() -> tuple[float, BaseException | None]:
        client = AsyncTriggerClient(base_url=emu.base_url, access_token=emu.secret_key)
        subscription = make(client)
        await subscription.__anext__()
        error: BaseException | None = None
        ended = 0.0

        async def iterate() -> None:
            nonlocal error, ended
            try:
                async for _ in subscription:
                    pass
            except ClientClosedError as exc:
                error = exc
            ended = anyio.current_time()

        before = len(emu.requests)
        async with anyio.create_task_group() as tg:
            tg.start_soon(iterate)
            await anyio.to_thread.run_sync(_settle, emu, run_id, before, wait)
            started = anyio.current_time()
            await client.aclose()
        return ended - started, error

    elapsed, error = anyio.run(main, backend=anyio_backend)
    emu.faults.clear()
    assert elapsed < 2.0
    assert isinstance(error, ClientClosedError)


def test_every_call_after_close_raises_client_closed_before_any_request(
    slow_emulator: TriggerEmulator,
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    client = TriggerClient(base_url=emu.base_url, access_token=emu.secret_key)
    assert client.runs.retrieve(run_id).id == run_id
    copy = client.with_options(max_retries=0)
    client.close()
    before = len(emu.requests)
    for call in (
        lambda: client.runs.retrieve(run_id),
        lambda: copy.runs.retrieve(run_id),
        lambda: client.runs.retrieve(run_id, access_token=emu.secret_key),
        lambda: next(client.runs.subscribe_to_run(run_id)),
        lambda: next(client.runs.subscribe_to_run(run_id, feed="poll")),
        lambda: client.runs.wait(run_id),
        lambda: client.tasks.trigger("close", {}),
        lambda: client.auth.create_public_token(scopes={"read": {"runs": [run_id]}}),
    ):
        with pytest.raises(ClientClosedError):
            call()
    assert len(emu.requests) == before


def test_closing_a_copy_leaves_its_parent_open(slow_emulator: TriggerEmulator) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        client.with_options(max_retries=0).close()
        assert client.runs.retrieve(run_id).id == run_id
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        assert next(subscription).id == run_id
        subscription.close()


def test_sync_close_from_another_thread_ends_a_rest_call_in_flight(
    slow_emulator: TriggerEmulator,
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    emu.faults.clear()
    emu.inject(f"/api/v3/runs/{run_id}", faults.delay(20), times=None)
    client = TriggerClient(base_url=emu.base_url, access_token=emu.secret_key)
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            client.runs.retrieve(run_id)
        except BaseException as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    worker = threading.Thread(target=call)
    worker.start()
    emu.wait_for_requests(f"/api/v3/runs/{run_id}", count=1, timeout=10)
    time.sleep(0.3)  # the request is held by the server
    closed_at = time.monotonic()
    client.close()
    worker.join(10)
    emu.faults.clear()
    assert not worker.is_alive()
    assert outcome["ended"] - closed_at < 2.0
    assert isinstance(outcome.get("error"), ClientClosedError), outcome


def test_async_aclose_from_another_task_ends_a_rest_call_in_flight(
    slow_emulator: TriggerEmulator, anyio_backend: str
) -> None:
    emu = slow_emulator
    run_id = emu.create_run("close")
    emu.faults.clear()
    emu.inject(f"/api/v3/runs/{run_id}", faults.delay(20), times=None)

    async def main() -> tuple[float, BaseException | None]:
        client = AsyncTriggerClient(base_url=emu.base_url, access_token=emu.secret_key)
        error: BaseException | None = None
        ended = 0.0

        async def call() -> None:
            nonlocal error, ended
            try:
                await client.runs.retrieve(run_id)
            except ClientClosedError as exc:
                error = exc
            ended = anyio.current_time()

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.to_thread.run_sync(
                lambda: emu.wait_for_requests(f"/api/v3/runs/{run_id}", count=1, timeout=10)
            )
            await anyio.sleep(0.3)
            started = anyio.current_time()
            await client.aclose()
        return ended - started, error

    elapsed, error = anyio.run(main, backend=anyio_backend)
    emu.faults.clear()
    assert elapsed < 2.0
    assert isinstance(error, ClientClosedError)
