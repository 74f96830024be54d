"""Realtime streams: runs.subscribe_to_stream and subscription.with_streams() against the emulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from trigger_client import (
    AsyncTriggerClient,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    RunStatus,
    RunUpdate,
    StreamChunk,
    SubscriptionTimeout,
    TriggerError,
)
from trigger_client._backends import AsyncBackend
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)


def client_for(emulator: TriggerEmulator, token: str | None = None) -> AsyncTriggerClient:
    return AsyncTriggerClient(
        base_url=emulator.base_url,
        access_token=token or emulator.secret_key,
        retry_policy=FAST,
    )


def stream_requests(emulator: TriggerEmulator, run_id: str) -> list[Any]:
    return [r for r in emulator.requests if r.path.startswith(f"/realtime/v1/streams/{run_id}/")]


async def test_subscribe_to_stream_decodes_chunks_and_ends_with_the_stream(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    chunks: list[Any] = ["Hel", {"token": "lo"}, 3, [1, "x"], None, True]
    ids = [emulator.append_stream(run_id, "answer", c) for c in chunks]
    emulator.streams.write(run_id, "answer", "not json\n")  # a line that is not JSON: its text
    emulator.end_stream(run_id, "answer")
    async with client_for(emulator) as client:
        stream = client.runs.subscribe_to_stream(run_id, "answer")
        got = [chunk async for chunk in stream]
    assert got == [*chunks, "not json"]
    assert stream.closed
    assert stream.last_event_id == emulator.streams.entries(run_id, "answer")[-1][0]
    assert stream.last_event_id != ids[-1]
    # start_after: only what follows that chunk
    async with client_for(emulator) as client:
        rest = [
            c async for c in client.runs.subscribe_to_stream(run_id, "answer", start_after=ids[3])
        ]
    assert rest == [None, True, "not json"]


async def test_resumes_after_drops_without_losing_or_repeating_a_chunk(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    for i in range(6):
        emulator.append_stream(run_id, "s", i)
    emulator.end_stream(run_id, "s")
    emulator.inject(f"/realtime/v1/streams/{run_id}/s", faults.drop_stream(after_events=2), times=2)
    async with client_for(emulator) as client:
        got = [c async for c in client.runs.subscribe_to_stream(run_id, "s")]
    assert got == [0, 1, 2, 3, 4, 5]
    entries = emulator.streams.entries(run_id, "s")
    sent = [r.headers.get("last-event-id") for r in stream_requests(emulator, run_id)]
    assert sent == [None, entries[1][0], entries[3][0]]


async def test_timeout_is_the_servers_inactivity_timeout(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "only")
    async with client_for(emulator) as client:
        start = AsyncBackend.monotonic()
        got = [c async for c in client.runs.subscribe_to_stream(run_id, "s", timeout=1)]
        took = AsyncBackend.monotonic() - start
    assert got == ["only"]
    assert 1.0 <= took < 4.0
    assert stream_requests(emulator, run_id)[0].headers["timeout-seconds"] == "1"
    with pytest.raises(InvalidArgumentError, match="between 1 and 600"):
        client.runs.subscribe_to_stream(run_id, "s", timeout=0.5)
    with pytest.raises(InvalidArgumentError, match="stream_key must not be empty"):
        client.runs.subscribe_to_stream(run_id, "")


async def test_errors_are_typed(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    other = emulator.create_run("chat")
    async with client_for(emulator) as client:
        with pytest.raises(NotFoundError):
            async for _ in client.runs.subscribe_to_stream("run_doesnotexist", "s"):
                pass
    async with client_for(emulator, "tr_dev_notakey1234567890") as client:
        with pytest.raises(AuthenticationError):
            async for _ in client.runs.subscribe_to_stream(run_id, "s"):
                pass
    token = emulator.create_token([f"read:runs:{other}"])
    async with client_for(emulator, token) as client:
        with pytest.raises(PermissionDeniedError):
            async for _ in client.runs.subscribe_to_stream(run_id, "s"):
                pass
    # transient failures back off and are bounded: 10 attempts, then the last error
    emulator.inject(f"/realtime/v1/streams/{run_id}/*", faults.status(503), times=None)
    async with client_for(emulator) as client:
        with pytest.raises(TriggerError):
            async for _ in client.runs.subscribe_to_stream(run_id, "s"):
                pass
    assert len([r for r in stream_requests(emulator, run_id) if r.status == 503]) == 10


async def test_a_public_token_with_the_runs_scope_reads_its_stream(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    emulator.append_stream(run_id, "s", "hi")
    emulator.end_stream(run_id, "s")
    async with client_for(emulator, emulator.create_token([f"read:runs:{run_id}"])) as client:
        assert [c async for c in client.runs.subscribe_to_stream(run_id, "s")] == ["hi"]


async def test_with_streams_yields_run_updates_and_chunks_in_order(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat", {"q": "hi"})
    steps: list[Any] = [
        "dequeue",
        "start",
        ("stream", {"key": "answer", "chunks": ["Hel", "lo"], "end": False}),
        ("stream", {"key": "logs", "chunks": [{"line": 1}]}),
        ("stream", {"key": "answer", "chunks": ["!"]}),
        "complete",
    ]
    async with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        parts: list[RunUpdate | StreamChunk] = []
        playback = None
        async with subscription.with_streams() as stream_parts:
            async for part in stream_parts:
                parts.append(part)
                if playback is None:
                    playback = emulator.start_play(run_id, steps, interval=0.15)
        assert playback is not None
        playback.wait()
        assert stream_parts.streams == ["answer", "logs"]
    chunks = [(p.stream, p.chunk) for p in parts if isinstance(p, StreamChunk)]
    assert chunks == [("answer", "Hel"), ("answer", "lo"), ("logs", {"line": 1}), ("answer", "!")]
    updates = [p.run for p in parts if isinstance(p, RunUpdate)]
    assert updates[0].status == RunStatus.QUEUED
    assert updates[-1].status == RunStatus.COMPLETED
    # each chunk comes after the update that announced its stream, and carries that run
    for index, part in enumerate(parts):
        if isinstance(part, StreamChunk):
            announced = [
                p.run
                for p in parts[:index]
                if isinstance(p, RunUpdate)
                and part.stream in (p.run.metadata or {}).get("$$streams", [])
            ]
            assert announced and part.run == announced[0]
    # every stream was opened exactly once
    paths = [r.path for r in stream_requests(emulator, run_id)]
    assert sorted(paths) == [
        f"/realtime/v1/streams/{run_id}/answer",
        f"/realtime/v1/streams/{run_id}/logs",
    ]


async def test_with_streams_discovers_v2_streams_and_resumes_after_a_drop(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("chat")
    emulator.streams.set_version(run_id, "v2")
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    emulator.inject(f"/realtime/v1/streams/{run_id}/out", faults.drop_stream(after_events=1))
    words = ["a", "b", "c", "d"]
    async with client_for(emulator) as client:
        parts = []
        playback = None
        async for part in client.runs.subscribe_to_run(run_id, timeout=30).with_streams():
            parts.append(part)
            if playback is None:
                step = ("stream", {"key": "out", "chunks": words, "chunk_interval": 0.05})
                playback = emulator.start_play(run_id, [step, "complete"], interval=0.2)
    assert [p.chunk for p in parts if isinstance(p, StreamChunk)] == words
    requests = stream_requests(emulator, run_id)
    assert len(requests) == 2
    # the S2 (v2) format: batches of records, resumed after the last record's seq_num
    assert requests[0].response_headers["x-stream-version"] == "v2"
    assert requests[1].headers["last-event-id"] == "0"


async def test_with_streams_resumes_after_drops_without_losing_or_repeating_a_chunk(
    emulator: TriggerEmulator,
) -> None:
    # with_streams() reads a connection's events in one go (not one event per read), so a drop
    # in the middle of it must still resume right after the last chunk handed over
    run_id = emulator.create_run("chat")
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    for i in range(8):
        emulator.append_stream(run_id, "s", i)
    emulator.end_stream(run_id, "s")
    emulator.play(run_id, ["complete"], interval=0)
    emulator.inject(f"/realtime/v1/streams/{run_id}/s", faults.drop_stream(after_events=3), times=2)
    async with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        parts = [part async for part in subscription.with_streams()]
    assert [p.chunk for p in parts if isinstance(p, StreamChunk)] == list(range(8))
    entries = emulator.streams.entries(run_id, "s")
    sent = [r.headers.get("last-event-id") for r in stream_requests(emulator, run_id)]
    assert sent == [None, entries[2][0], entries[5][0]]


async def test_subscribe_to_stream_reads_v2_batches(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.streams.set_version(run_id, "v2")
    chunks: list[Any] = [{"type": "text-delta", "delta": "Hi"}, "plain", 3]
    for chunk in chunks:  # written at once: one batch event of three records
        emulator.append_stream(run_id, "out", chunk)
    emulator.end_stream(run_id, "out")
    async with client_for(emulator) as client:
        stream = client.runs.subscribe_to_stream(run_id, "out")
        assert [c async for c in stream] == chunks
        assert stream.last_event_id == "2"
        rest = client.runs.subscribe_to_stream(run_id, "out", start_after="0")
        assert [c async for c in rest] == chunks[1:]


async def test_with_streams_ends_at_the_subscription_timeout(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("chat")
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    emulator.append_stream(run_id, "s", "x")  # never ended, the run never finishes
    async with client_for(emulator) as client:
        parts = []
        start = time.monotonic()
        with pytest.raises(SubscriptionTimeout) as info:
            async for part in client.runs.subscribe_to_run(run_id, timeout=1.5).with_streams():
                parts.append(part)
        took = time.monotonic() - start
    assert 1.5 <= took < 5
    assert info.value.last_run is not None and info.value.last_run.id == run_id
    assert [p.chunk for p in parts if isinstance(p, StreamChunk)] == ["x"]


async def test_with_streams_is_only_for_one_run(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(TriggerError, match="subscribe_to_run"):
            client.runs.subscribe_to_runs_with_tag("x").with_streams()
