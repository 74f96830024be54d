"""Stream chaos: random chunks, written before or while reading, in the v1 (Redis) or v2 (S2) format,
under random drops, slow events and transient statuses; every seed must yield exactly the chunks written, in order (none lost, none
repeated), resuming each time after the last chunk received.

    .venv/bin/python -m pytest tests/chaos/test_stream_chaos.py          # 300 seeds per test
    TRIGGER_CHAOS_SEED=17 .venv/bin/python -m pytest tests/chaos/test_stream_chaos.py
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from trigger_client import AsyncTriggerClient, RetryPolicy, StreamChunk, TriggerClient
from trigger_client.testing import FaultAction, TriggerEmulator, faults

from .scenario import selected_seeds

SEEDS = selected_seeds()
POLICY = RetryPolicy(initial_delay=0.001, max_delay=0.01)
CONCURRENCY = 40


@dataclass
class StreamSeed:
    seed: int
    chunks: list[Any]
    live: bool  # written while the reader reads, not before
    v2: bool = False  # the S2 format: batches of records, positions as ids
    actions: list[FaultAction] = field(default_factory=list)
    run_id: str = ""


def _chunk(rng: random.Random) -> Any:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randrange(-1000, 1000)
    if kind == 1:
        return "".join(rng.choice('ab c\n"\\é🙂') for _ in range(rng.randrange(0, 8)))
    if kind == 2:
        return {"i": rng.randrange(100), "t": rng.choice(["x", "", "y z"])}
    if kind == 3:
        return [rng.random(), None, True]
    if kind == 4:
        return None
    return rng.choice(["NaN", "not json", "1e3", "[1, 2]"])


def make_seed(seed: int) -> StreamSeed:
    rng = random.Random(seed)
    chunks = [_chunk(rng) for _ in range(rng.randrange(1, 40))]
    spec = StreamSeed(seed, chunks, live=rng.random() < 0.4, v2=rng.random() < 0.3)
    for _ in range(rng.randrange(0, 6)):
        pick = rng.random()
        if pick < 0.6:
            spec.actions.append(faults.drop_stream(after_events=rng.randrange(0, len(chunks) + 1)))
        elif pick < 0.8:
            spec.actions.append(faults.status(rng.choice([500, 502, 503, 429])))
        else:
            spec.actions.append(faults.slow_stream(0.002))
    return spec


def prepare(emu: TriggerEmulator, spec: StreamSeed) -> threading.Thread | None:
    spec.run_id = emu.create_run("chaos-stream")
    if spec.v2:
        emu.streams.set_version(spec.run_id, "v2")
    emu.append_stream(spec.run_id, "s", "announce")  # the first entry, read past at once
    for action in spec.actions:
        emu.inject(f"/realtime/v1/streams/{spec.run_id}/s", action)
    if not spec.live:
        for chunk in spec.chunks:
            emu.append_stream(spec.run_id, "s", chunk)
        emu.end_stream(spec.run_id, "s")
        return None

    def write() -> None:
        rng = random.Random(spec.seed + 1)
        for chunk in spec.chunks:
            time.sleep(rng.random() * 0.003)
            emu.append_stream(spec.run_id, "s", chunk)
        emu.end_stream(spec.run_id, "s")

    return threading.Thread(target=write, daemon=True)


def check(emu: TriggerEmulator, spec: StreamSeed, got: list[Any]) -> str | None:
    if got[:1] != ["announce"]:
        return f"seed {spec.seed}: first chunk {got[:1]}"
    if got[1:] != spec.chunks:
        return f"seed {spec.seed}: got {got[1:]!r}, wrote {spec.chunks!r}"
    ids = [entry_id for entry_id, _ in emu.streams.entries(spec.run_id, "s")]
    resumed = [
        r.headers.get("last-event-id")
        for r in emu.requests
        if r.path == f"/realtime/v1/streams/{spec.run_id}/s"
    ]
    # None until a chunk arrived (a failure before the first chunk resends none), then ids of
    # chunks the stream holds, never going back
    if resumed[0] is not None or any(i is not None and i not in ids for i in resumed):
        return f"seed {spec.seed}: bad Last-Event-ID sequence {resumed}"
    positions = [-1 if i is None else ids.index(i) for i in resumed]
    if positions != sorted(positions):
        return f"seed {spec.seed}: Last-Event-ID went back {resumed}"
    if len(resumed) > len(spec.actions) + 1:
        return f"seed {spec.seed}: {len(resumed)} requests for {len(spec.actions)} faults"
    return None


@pytest.fixture(scope="module")
def stream_emu() -> TriggerEmulator:
    with TriggerEmulator(long_poll_ms=500) as emu:
        emu.streams.inactivity_timeout = 10  # only end_stream ends a response
        yield emu  # type: ignore[misc]


async def _run_seeds_async(
    stream_emu: TriggerEmulator,
    read: Callable[[AsyncTriggerClient, StreamSeed], Awaitable[list[Any]]],
    *,
    play: bool,
) -> None:
    """Every seed read by ``read`` on one client, CONCURRENCY at a time; each checked."""
    specs = [make_seed(seed) for seed in SEEDS]
    problems: list[str] = []
    limiter = anyio.Semaphore(CONCURRENCY)
    async with AsyncTriggerClient(
        base_url=stream_emu.base_url, access_token=stream_emu.secret_key, retry_policy=POLICY
    ) as client:

        async def one(spec: StreamSeed) -> None:
            async with limiter:
                writer = prepare(stream_emu, spec)
                if play:
                    stream_emu.play(spec.run_id, ["dequeue", "start", "complete"], interval=0)
                if writer is not None:
                    writer.start()
                with anyio.fail_after(30):
                    got = await read(client, spec)
                problem = check(stream_emu, spec, got)
                if problem:
                    problems.append(problem)

        async with anyio.create_task_group() as group:
            for spec in specs:
                group.start_soon(one, spec)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.anyio
async def test_stream_chaos_async(stream_emu: TriggerEmulator) -> None:
    async def read(client: AsyncTriggerClient, spec: StreamSeed) -> list[Any]:
        return [chunk async for chunk in client.runs.subscribe_to_stream(spec.run_id, "s")]

    await _run_seeds_async(stream_emu, read, play=False)


@pytest.mark.anyio
async def test_stream_chaos_with_streams_async(stream_emu: TriggerEmulator) -> None:
    """The same seeds through ``with_streams()``, whose reader takes a connection's events in one
    go rather than one per read: still no chunk lost or repeated across the drops."""

    async def read(client: AsyncTriggerClient, spec: StreamSeed) -> list[Any]:
        subscription = client.runs.subscribe_to_run(spec.run_id)
        return [
            part.chunk
            async for part in subscription.with_streams()
            if isinstance(part, StreamChunk)
        ]

    await _run_seeds_async(stream_emu, read, play=True)


def test_stream_chaos_sync(stream_emu: TriggerEmulator) -> None:
    specs = [make_seed(seed) for seed in SEEDS]
    problems: list[str] = []
    lock = threading.Lock()
    pending = list(reversed(specs))
    with TriggerClient(
        base_url=stream_emu.base_url, access_token=stream_emu.secret_key, retry_policy=POLICY
    ) as client:

        def worker() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    spec = pending.pop()
                writer = prepare(stream_emu, spec)
                if writer is not None:
                    writer.start()
                got = list(client.runs.subscribe_to_stream(spec.run_id, "s"))
                problem = check(stream_emu, spec, got)
                if problem:
                    with lock:
                        problems.append(problem)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not problems, "\n".join(problems[:10])
