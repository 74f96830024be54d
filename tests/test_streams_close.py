"""close()/aclose() from elsewhere ends a stream (and with_streams) waiting for chunks at once."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from trigger_client import AsyncTriggerClient, ClientClosedError, TriggerClient
from trigger_client.testing import TriggerEmulator


def test_sync_close_from_another_thread_ends_the_stream(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "first")
    with TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key) as client:
        stream = client.runs.subscribe_to_stream(run_id, "s", timeout=60)
        assert next(stream) == "first"
        result: dict[str, object] = {}

        def iterate() -> None:
            started = time.monotonic()
            result["rest"] = list(stream)
            result["took"] = time.monotonic() - started

        thread = threading.Thread(target=iterate)
        thread.start()
        time.sleep(0.3)  # the reader is now waiting for a chunk the server holds back
        stream.close()
        thread.join(5)
    assert not thread.is_alive()
    assert result["rest"] == []
    assert 0.25 <= result["took"] < 3  # type: ignore[operator]


def test_sync_close_ends_with_streams(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    emulator.append_stream(run_id, "s", "first")
    with TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key) as client:
        parts = client.runs.subscribe_to_run(run_id, timeout=60).with_streams()
        got = [next(parts), next(parts)]
        assert [type(p).__name__ for p in got] == ["RunUpdate", "StreamChunk"]
        timer = threading.Timer(0.3, parts.close)
        started = time.monotonic()
        timer.start()
        rest = list(parts)
        took = time.monotonic() - started
    assert rest == []
    assert 0.25 <= took < 3


@pytest.mark.anyio
async def test_async_aclose_from_another_task_ends_the_stream(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "first")
    async with AsyncTriggerClient(
        base_url=emulator.base_url, access_token=emulator.secret_key
    ) as client:
        stream = client.runs.subscribe_to_stream(run_id, "s", timeout=60)
        assert await stream.__anext__() == "first"

        async def close_soon() -> None:
            await anyio.sleep(0.3)
            await stream.aclose()

        started = time.monotonic()
        async with anyio.create_task_group() as group:
            group.start_soon(close_soon)
            rest = [c async for c in stream]
        took = time.monotonic() - started
    assert rest == []
    assert 0.25 <= took < 3


def test_closing_the_client_from_another_thread_ends_the_stream_with_client_closed(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "first")
    client = TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)
    stream = client.runs.subscribe_to_stream(run_id, "s", timeout=60)
    assert next(stream) == "first"
    timer = threading.Timer(0.3, client.close)
    started = time.monotonic()
    timer.start()
    with pytest.raises(ClientClosedError):
        next(stream)
    took = time.monotonic() - started
    assert 0.25 <= took < 3  # at the close, not at the server's 60 s inactivity timeout
    assert stream.closed


@pytest.mark.anyio
async def test_closing_the_async_client_from_another_task_ends_the_stream_with_client_closed(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "first")
    client = AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)
    stream = client.runs.subscribe_to_stream(run_id, "s", timeout=60)
    assert await stream.__anext__() == "first"
    took = 0.0
    async with anyio.create_task_group() as tg:

        async def close_soon() -> None:
            await anyio.sleep(0.3)
            await client.aclose()

        tg.start_soon(close_soon)
        started = time.monotonic()
        with pytest.raises(ClientClosedError):
            await stream.__anext__()
        took = time.monotonic() - started
    assert 0.25 <= took < 3
    assert stream.closed
