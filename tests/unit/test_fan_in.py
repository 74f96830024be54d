"""AsyncFanIn: queued items are taken without a loop pass each, yet the reader stays cancellable."""

from __future__ import annotations

import anyio
import pytest

from trigger_client._fan_in import CHECKPOINT_EVERY, AsyncFanIn, Emit

pytestmark = pytest.mark.anyio

ITEMS = 4 * CHECKPOINT_EVERY + 10


async def test_queued_items_come_in_order_with_a_checkpoint_every_few() -> None:
    fan = AsyncFanIn()
    await fan.open()
    produced = anyio.Event()

    async def producer(emit: Emit) -> None:
        for i in range(ITEMS):
            emit(i)
        produced.set()

    fan.spawn(producer)
    await produced.wait()
    passes = 0
    stop = anyio.Event()

    async def count_passes() -> None:  # one increment per pass of the event loop
        nonlocal passes
        while not stop.is_set():
            passes += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(count_passes)
        await anyio.lowlevel.checkpoint()
        before = passes
        got = [await fan.get(None) for _ in range(ITEMS)]
        during = passes - before
        stop.set()
    await fan.aclose()
    assert got == list(range(ITEMS))
    # one pass per CHECKPOINT_EVERY items (4 here), not one per item (ITEMS)
    assert ITEMS // CHECKPOINT_EVERY - 1 <= during <= ITEMS // CHECKPOINT_EVERY + 1


async def test_a_reader_with_items_queued_is_cancelled_within_a_few_items() -> None:
    fan = AsyncFanIn()
    await fan.open()
    for i in range(ITEMS):
        fan._send.send_nowait(i)
    taken = 0
    with anyio.CancelScope() as scope:
        scope.cancel()
        while True:
            await fan.get(None)
            taken += 1
    await fan.aclose()
    assert scope.cancelled_caught
    assert 0 <= taken < CHECKPOINT_EVERY


async def test_a_deadline_already_past_raises_even_with_items_queued() -> None:
    fan = AsyncFanIn()
    await fan.open()
    fan._send.send_nowait("x")
    with pytest.raises(TimeoutError):
        await fan.get(0)
    assert await fan.get(1.0) == "x"
    await fan.aclose()
