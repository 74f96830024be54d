"""An async client belongs to the event loop it first ran on: from another loop every call raises
``EventLoopError`` at once, before any request (it used to hang or raise a bare RuntimeError)."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio

from trigger_client import AsyncTriggerClient, EventLoopError, TriggerError
from trigger_client.testing import TriggerEmulator

Runner = Callable[[Callable[[], Awaitable[Any]]], Any]


def run_asyncio(fn: Callable[[], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        return await fn()

    return asyncio.run(main())


def run_trio(fn: Callable[[], Awaitable[Any]]) -> Any:
    return trio.run(fn)


RUNNERS = {"asyncio": run_asyncio, "trio": run_trio}


async def _first(subscription: Any) -> Any:
    async with subscription:
        async for run in subscription:
            return run


def calls(client: AsyncTriggerClient, run_id: str, token: str) -> dict[str, Callable[[], Any]]:
    return {
        "retrieve": lambda: client.runs.retrieve(run_id),
        "retrieve(access_token=)": lambda: client.runs.retrieve(run_id, access_token=token),
        "cancel": lambda: client.runs.cancel(run_id),
        "subscribe_to_run": lambda: _first(client.runs.subscribe_to_run(run_id, timeout=30)),
        "subscribe_to_run(poll)": lambda: _first(
            client.runs.subscribe_to_run(run_id, feed="poll", timeout=30)
        ),
        "subscribe_to_runs_with_tag": lambda: _first(
            client.runs.subscribe_to_runs_with_tag("loops", timeout=30)
        ),
        "wait": lambda: client.runs.wait(run_id, timeout=30),
        "list_page": lambda: client.runs.list_page(),
        "trigger": lambda: client.tasks.trigger("loops", {}),
        "create_public_token": lambda: client.auth.create_public_token(
            scopes={"read": {"runs": [run_id]}}
        ),
        "with_options().retrieve": lambda: client.with_options(max_retries=0).runs.retrieve(run_id),
    }


@pytest.mark.parametrize(
    ("first", "second"),
    [("asyncio", "asyncio"), ("trio", "trio"), ("asyncio", "trio"), ("trio", "asyncio")],
)
def test_a_client_used_from_a_second_event_loop_raises_at_once(
    emulator: TriggerEmulator, first: str, second: str
) -> None:
    run_id = emulator.create_run("loops", tags=["loops"])
    emulator.play(run_id, "success", interval=0)
    client = AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)

    async def use_it() -> None:
        assert (await client.runs.retrieve(run_id)).id == run_id
        assert (await _first(client.runs.subscribe_to_run(run_id, timeout=30))).id == run_id
        await client.aclose()  # its sockets belong to this loop: close them while it runs

    RUNNERS[first](use_it)
    for name, call in calls(client, run_id, emulator.secret_key).items():
        before = len(emulator.requests)
        started = time.monotonic()
        with pytest.raises(EventLoopError) as caught:
            RUNNERS[second](call)
        assert time.monotonic() - started < 5, name  # at once: not after a long-poll
        assert isinstance(caught.value, TriggerError) and isinstance(caught.value, RuntimeError)
        assert "one client per event loop" in str(caught.value), name
        assert len(emulator.requests) == before, name  # nothing was sent


@pytest.mark.parametrize("runner", sorted(RUNNERS))
def test_a_client_made_and_used_inside_each_loop_works_every_time(
    emulator: TriggerEmulator, runner: str
) -> None:
    run_id = emulator.create_run("loops")
    emulator.play(run_id, "success", interval=0)

    async def use_a_fresh_client() -> str:
        async with AsyncTriggerClient(
            base_url=emulator.base_url, access_token=emulator.secret_key
        ) as client:
            run = await client.runs.wait(run_id, timeout=30)
            return str(run.status)

    for _ in range(3):
        assert RUNNERS[runner](use_a_fresh_client) == "COMPLETED"


def test_many_tasks_of_one_loop_share_a_client(emulator: TriggerEmulator) -> None:
    run_ids = [emulator.create_run("loops") for _ in range(20)]
    client = AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)

    async def main() -> list[str]:
        async with client:
            runs = await asyncio.gather(*(client.runs.retrieve(r) for r in run_ids))
            return [r.id for r in runs]

    assert asyncio.run(main()) == run_ids


def test_the_issues_case_asyncio_run_twice_without_closing(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = emulator.create_run("loops")
    emulator.play(run_id, "success", interval=0)
    clients = [AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)]

    async def follow() -> str:
        return str((await clients[0].runs.wait(run_id, timeout=3)).status)

    async def retrieve() -> str:
        return str((await clients[0].runs.retrieve(run_id)).status)

    assert asyncio.run(follow()) == "COMPLETED"
    for second in (follow, retrieve):
        before = len(emulator.requests)
        started = time.monotonic()
        with pytest.raises(EventLoopError):
            asyncio.run(second())
        assert time.monotonic() - started < 2
        assert len(emulator.requests) == before
    # The first loop closed with the client's idle connections open: nothing can close them from
    # another loop, so their sockets are left to the collector (a ResourceWarning, ignored here).
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        clients.clear()
        gc.collect()
