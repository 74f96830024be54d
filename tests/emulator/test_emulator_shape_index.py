"""The Electric backend's shape index: a commit reaches only the shapes it can change.

``ElectricShapes`` indexes its current shapes by run id, batch id and tag; these tests check the
indexed commit path against the brute force one (every change offered to every shape) on random
shapes and changes, and that a change costs per candidate shape, not per shape.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterator
from typing import Any

import pytest

from trigger_client.testing import TriggerEmulator, _shapes
from trigger_client.testing._columns import projected_columns
from trigger_client.testing._shapes import ElectricShapes, FeedFilter, ShapeDefinition
from trigger_client.testing._state import Transaction

TAGS = ["a", "b", "c", "d", "user:1"]


@pytest.fixture
def offline() -> Iterator[TriggerEmulator]:
    """An emulator that is not serving: commits still run the shape logs synchronously."""
    emulator = TriggerEmulator(backend="electric")
    yield emulator
    emulator.stop()


def brute_force(shapes: ElectricShapes, tx: Transaction) -> dict[str, list[dict[str, Any]]]:
    """What every current shape gets from ``tx`` when offered every change (the old way)."""
    changes = [c for c in tx.changes if c.table == "TaskRun"]
    expected: dict[str, list[dict[str, Any]]] = {}
    for handle in shapes.current.values():
        definition = shapes.by_handle[handle].definition
        messages = []
        for index, change in enumerate(changes):
            message = _shapes._change_message(definition, change.old, change.new)
            if message is None:
                continue
            message["headers"].update(
                {"txids": [tx.xid], "lsn": str(tx.lsn), "op_position": index * 2}
            )
            messages.append(message)
        if messages:
            messages[-1]["headers"]["last"] = True
            expected[handle] = messages
    return expected


class Checker:
    """Wraps the shape log's commit listener and compares each commit with the brute force."""

    def __init__(self, emu: TriggerEmulator) -> None:
        self.shapes = emu.electric
        listeners = emu.store._listeners
        self.original = listeners[0]
        assert self.original == self.shapes._on_commit
        listeners[0] = self.listener
        self.commits = 0
        self.messages = 0

    def listener(self, tx: Transaction) -> list[Hashable]:
        shapes = self.shapes
        before = {handle: len(shape.entries) for handle, shape in shapes.by_handle.items()}
        expected = brute_force(shapes, tx)
        touched = list(self.original(tx))
        got = {
            handle: shape.entries[before[handle] :]
            for handle, shape in shapes.by_handle.items()
            if len(shape.entries) > before[handle]
        }
        assert got == expected
        assert sorted(map(str, touched)) == sorted(str(("shape", h)) for h in expected)
        for handle, messages in got.items():
            offsets = shapes.by_handle[handle].offsets[-len(messages) :]
            assert offsets == [(tx.lsn, m["headers"]["op_position"]) for m in messages]
        self.commits += 1
        self.messages += sum(map(len, got.values()))
        return touched


def random_tags(rng: random.Random) -> list[str]:
    return rng.sample(TAGS, rng.randint(0, 3))


@pytest.mark.parametrize("seed", range(6))
def test_indexed_commits_match_the_brute_force(offline: TriggerEmulator, seed: int) -> None:
    emu, rng = offline, random.Random(seed)
    other = emu.add_environment()
    batch_a, runs_a = emu.create_batch("t", [1, 2, 3])
    batch_b, runs_b = emu.create_batch("t", [4, 5])
    runs = [*runs_a, *runs_b]
    runs += [emu.create_run("t", tags=random_tags(rng)) for _ in range(12)]
    runs += [emu.create_run("t", tags=random_tags(rng), environment=other) for _ in range(3)]
    internal = {r: emu.store.run_internal_id(r) or "" for r in runs}
    batches = [emu.store.batch(b)["id"] for b in (batch_a, batch_b)]  # type: ignore[index]
    env = emu.environment_id
    all_columns = projected_columns([])
    narrow = projected_columns(["payload", "metadata", "output", "runTags"])
    created = [emu.get_run(r)["createdAt"] for r in runs]
    filters = [FeedFilter("run", env, run_id=internal[r]) for r in rng.sample(runs, 10)]
    filters += [FeedFilter("batch", env, batch_id=b) for b in batches]
    filters += [FeedFilter("batch", other.id, batch_id=batches[0])]
    filters += [FeedFilter("tags", env, tags=(t,)) for t in TAGS]
    filters += [FeedFilter("tags", env, tags=("a", "b")), FeedFilter("tags", env, tags=("c", "a"))]
    filters += [FeedFilter("tags", env), FeedFilter("tags", other.id)]
    filters += [FeedFilter("tags", env, tags=("a",), created_after_ms=sorted(created)[8])]
    filters += [FeedFilter("tags", env, created_after_ms=sorted(created)[10])]
    checker = Checker(emu)
    for filt in filters:
        for columns in (all_columns, narrow):
            emu.electric.get_or_create(ShapeDefinition(filt, columns))
    for step in range(120):
        run_id = rng.choice(runs)
        roll = rng.random()
        if roll < 0.25:
            emu.update_run(run_id, run_tags=random_tags(rng))
        elif roll < 0.35:
            emu.update_run(run_id, batch_id=rng.choice([*batches, None]))
        elif roll < 0.45:
            emu.update_run(run_id, metadata={"step": step})  # a column the narrow shapes skip
        elif roll < 0.55:
            runs.append(emu.create_run("t", tags=random_tags(rng)))
        elif roll < 0.75:
            with emu.store.transaction() as tx:  # several changes in one transaction
                for rid in rng.sample(runs, 4):
                    key = emu.store.run_internal_id(rid) or ""
                    tx.update_run(key, {"runTags": random_tags(rng), "status": "DEQUEUED"})
                    tx.update_run(key, {"batchId": rng.choice([*batches, None])})
        elif roll < 0.85:
            emu.rotate_shapes(run_id, recreate=rng.random() < 0.7)
        else:
            emu.update_run(run_id, status=rng.choice(["EXECUTING", "PENDING", "DEQUEUED"]))
    assert checker.commits > 80 and checker.messages > 100
    # Expired shapes got nothing after their rotation; the index holds exactly the current shapes.
    shapes = emu.electric
    indexed = [
        h
        for index in (shapes._by_run, shapes._by_batch, shapes._by_tag)
        for slot in index.values()
        for h in slot
    ]
    indexed += list(shapes._unindexed)
    assert sorted(indexed) == sorted(shapes.current.values())


def test_a_change_is_offered_only_to_its_candidate_shapes(
    offline: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = offline
    columns = projected_columns([])
    runs = [emu.create_run("t", tags=[f"user:{i}"]) for i in range(500)]
    for run_id in runs:
        filt = FeedFilter("run", emu.environment_id, run_id=emu.store.run_internal_id(run_id))
        emu.electric.get_or_create(ShapeDefinition(filt, columns))
    tag_feed = FeedFilter("tags", emu.environment_id, tags=("user:7",))
    emu.electric.get_or_create(ShapeDefinition(tag_feed, columns))
    offered: list[ShapeDefinition] = []
    original = _shapes._change_message

    def counting(definition: ShapeDefinition, old: Any, new: Any) -> Any:
        offered.append(definition)
        return original(definition, old, new)

    monkeypatch.setattr(_shapes, "_change_message", counting)
    emu.dequeue(runs[3])
    assert [d.filter.kind for d in offered] == ["run"]
    offered.clear()
    emu.dequeue(runs[7])  # its own shape and the tag feed
    assert sorted(d.filter.kind for d in offered) == ["run", "tags"]
    offered.clear()
    emu.add_tags(runs[9], ["user:7"])  # enters the tag feed
    assert sorted(d.filter.kind for d in offered) == ["run", "tags"]
    offered.clear()
    emu.update_run(runs[9], run_tags=["user:9"])  # leaves it: the old row finds the feed
    assert sorted(d.filter.kind for d in offered) == ["run", "tags"]
    tag_shape = emu.electric.by_handle[emu.electric.current[ShapeDefinition(tag_feed, columns)]]
    assert [m["headers"]["operation"] for m in tag_shape.entries] == ["update", "insert", "delete"]
    # A round of one change per run: one offer per run, not one per run and shape.
    offered.clear()
    for run_id in runs:
        emu.start_attempt(run_id)
    assert len(offered) == len(runs) + 1  # + the tag feed's run


def test_a_run_shape_snapshot_looks_the_run_up(offline: TriggerEmulator) -> None:
    emu = offline
    run_id = emu.create_run("t", {"x": 1})
    internal = emu.store.run_internal_id(run_id)
    columns = projected_columns([])
    shape = emu.electric.get_or_create(
        ShapeDefinition(FeedFilter("run", emu.environment_id, run_id=internal), columns)
    )
    assert [m["value"]["id"] for m in shape.chunks[0] if "key" in m] == [internal]
    missing = emu.electric.get_or_create(
        ShapeDefinition(FeedFilter("run", emu.environment_id, run_id="nope"), columns)
    )
    assert [m for m in missing.chunks[0] if "key" in m] == []
