"""The control API: run creation, engine transitions, usage and cost, lifecycles, batches."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from trigger_client.testing import (
    LIFECYCLES,
    InvalidTransition,
    ManualClock,
    Packet,
    Step,
    TriggerEmulator,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def off(clock: ManualClock) -> TriggerEmulator:
    # Not started: the control API works without the server.
    return TriggerEmulator(clock=clock)


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def test_create_run_row_defaults(off: TriggerEmulator, clock: ManualClock) -> None:
    run_id = off.create_run("my-task", {"a": 1}, tags=["x", "y"], idempotency_key="k")
    row = off.get_run(run_id)
    assert re.fullmatch(r"run_c[a-z0-9]{24}", run_id)
    assert row["friendlyId"] == run_id and row["id"] == run_id[4:]
    assert row["status"] == "PENDING"
    now = ms(clock.now())
    assert row["createdAt"] == row["updatedAt"] == row["queuedAt"] == now
    assert row["startedAt"] is None and row["completedAt"] is None
    assert row["payload"] == '{"a":1}' and row["payloadType"] == "application/json"
    assert row["runTags"] == ["x", "y"]
    assert row["number"] == 1 and off.get_run(off.create_run("my-task"))["number"] == 2
    assert row["ttl"] == "10m"  # development environments default to a 10 minute TTL
    assert row["idempotencyKey"] == "k"
    assert row["usageDurationMs"] == 0 and row["costInCents"] == 0
    assert off.secret_key.startswith("tr_dev_")


def test_success_moves_timestamps_usage_and_cost(off: TriggerEmulator, clock: ManualClock) -> None:
    run_id = off.create_run("t")
    clock.advance(1)
    off.dequeue(run_id)
    assert off.get_run(run_id)["status"] == "DEQUEUED"
    clock.advance(0.5)
    started = off.start_attempt(run_id)
    assert started["status"] == "EXECUTING"
    assert started["startedAt"] == ms(clock.now())
    assert started["attemptNumber"] == 1
    assert started["baseCostInCents"] == pytest.approx(0.0025)
    clock.advance(2)
    off.set_metadata(run_id, {"progress": 0.5})
    clock.advance(2)
    done = off.complete(run_id, {"result": 42})
    assert done["status"] == "COMPLETED_SUCCESSFULLY"
    assert done["completedAt"] == ms(clock.now())
    assert done["usageDurationMs"] == 4000
    assert done["costInCents"] == pytest.approx(4000 * 0.00000338)
    assert done["output"] == '{"result":42}'
    assert done["metadata"] == '{"progress":0.5}' and done["metadataVersion"] == 1


def test_updated_at_advances_on_every_commit(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    stamps = [off.get_run(run_id)["updatedAt"]]
    for i in range(5):
        stamps.append(off.update_run(run_id, metadata=str(i))["updatedAt"])
    assert stamps == sorted(set(stamps))  # strictly increasing even with a frozen clock


def test_retry_accumulates_usage(off: TriggerEmulator, clock: ManualClock) -> None:
    run_id = off.create_run("t")
    off.start_attempt(run_id)
    clock.advance(1)
    retrying = off.fail_attempt(run_id, "boom")
    assert retrying["status"] == "RETRYING_AFTER_FAILURE"
    assert retrying["usageDurationMs"] == 1000 and retrying["error"] is None
    clock.advance(5)
    again = off.start_attempt(run_id)
    assert again["attemptNumber"] == 2
    clock.advance(1)
    assert off.complete(run_id)["usageDurationMs"] == 2000


@pytest.mark.parametrize(
    ("method", "status", "error_type"),
    [
        ("fail", "COMPLETED_WITH_ERRORS", "BUILT_IN_ERROR"),
        ("cancel", "CANCELED", "STRING_ERROR"),
        ("crash", "CRASHED", "INTERNAL_ERROR"),
        ("system_failure", "SYSTEM_FAILURE", "INTERNAL_ERROR"),
        ("time_out", "TIMED_OUT", "INTERNAL_ERROR"),
        ("interrupt", "INTERRUPTED", "STRING_ERROR"),
    ],
)
def test_final_statuses(off: TriggerEmulator, method: str, status: str, error_type: str) -> None:
    run_id = off.create_run("t")
    off.start_attempt(run_id)
    row = getattr(off, method)(run_id)
    assert row["status"] == status
    assert row["completedAt"] is not None
    assert row["error"]["type"] == error_type


def test_fail_with_exception_and_dict(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    off.start_attempt(run_id)
    try:
        raise ValueError("bad input")
    except ValueError as exc:
        row = off.fail(run_id, exc)
    assert row["error"]["name"] == "ValueError" and row["error"]["message"] == "bad input"
    assert "ValueError" in row["error"]["stackTrace"]
    other = off.create_run("t")
    off.start_attempt(other)
    custom = {"type": "CUSTOM_ERROR", "raw": '{"x":1}'}
    assert off.fail(other, custom)["error"] == custom


def test_expire_delay_enqueue_and_deploy(off: TriggerEmulator, clock: ManualClock) -> None:
    run_id = off.create_run("t", delay="1h")
    row = off.get_run(run_id)
    assert row["status"] == "DELAYED"
    assert row["delayUntil"] == ms(clock.now() + timedelta(hours=1))
    assert row["queuedAt"] is None
    clock.advance(3600)
    queued = off.enqueue(run_id)
    assert queued["status"] == "PENDING" and queued["queuedAt"] == ms(clock.now())
    expired = off.expire(run_id)
    assert expired["status"] == "EXPIRED"
    assert expired["expiredAt"] == expired["completedAt"] == ms(clock.now())
    assert "TTL (10m)" in expired["error"]["raw"]

    waiting = off.create_run("t")
    assert off.wait_for_deploy(waiting)["status"] == "WAITING_FOR_DEPLOY"
    assert off.enqueue(waiting)["status"] == "PENDING"
    off.start_attempt(waiting)
    assert off.freeze(waiting)["status"] == "WAITING_TO_RESUME"
    assert off.resume(waiting)["status"] == "EXECUTING"
    assert off.get_run(waiting)["attemptNumber"] == 1  # resuming is not a new attempt


def test_invalid_transitions_raise(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    with pytest.raises(InvalidTransition):
        off.complete(run_id)  # not executing
    off.start_attempt(run_id)
    off.complete(run_id)
    with pytest.raises(InvalidTransition):
        off.start_attempt(run_id)
    assert off.cancel(run_id) is None  # cancelling a finished run changes nothing
    with pytest.raises(KeyError):
        off.get_run("run_missing")


def test_update_run_is_raw_and_accepts_snake_case(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    when = datetime(2025, 3, 1, 12, 0, 5, 123000, tzinfo=UTC)
    row = off.update_run(run_id, status="PAUSED", started_at=when, costInCents=1.5)
    assert row["status"] == "PAUSED"
    assert row["startedAt"] == ms(when)
    assert row["costInCents"] == 1.5


def test_batches(off: TriggerEmulator) -> None:
    batch_id, run_ids = off.create_batch("t", [1, 2, 3])
    assert batch_id.startswith("batch_") and len(run_ids) == 3
    batch = off.store.batch(batch_id)
    assert batch is not None and batch["runCount"] == 3 and batch["status"] == "PENDING"
    extra = off.create_run("t", batch_id=batch_id)
    for run_id in [*run_ids, extra]:
        off.start_attempt(run_id)
        off.complete(run_id)
    batch = off.store.batch(batch_id)
    assert batch is not None and batch["status"] == "COMPLETED" and batch["runCount"] == 4


def test_packets_offloaded_above_the_limit(off: TriggerEmulator) -> None:
    big = "x" * (512 * 1024)
    run_id = off.create_run("t", {"big": big})
    row = off.get_run(run_id)
    assert row["payloadType"] == "application/store"
    assert row["payload"] == f"{run_id}/payload.json"
    blob = off.store.get_blob(off.environment_id, row["payload"])
    assert blob is not None and blob.content_type == "application/json"
    assert blob.content == ('{"big":"' + big + '"}').encode()
    small = off.create_run("t", "x" * 100, payload_type="text/plain")
    assert off.get_run(small)["payloadType"] == "text/plain"
    raw = off.create_run("t", Packet('{"json":1}', "application/super+json"))
    assert off.get_run(raw)["payload"] == '{"json":1}'


def test_superjson_output(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    off.start_attempt(run_id)
    when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    row = off.complete(run_id, {"at": when, "ids": {1, 2}}, output_type="application/super+json")
    assert row["outputType"] == "application/super+json"
    assert row["output"] == (
        '{"json":{"at":"2024-01-02T03:04:05.678Z","ids":[1,2]},'
        '"meta":{"values":{"at":["Date"],"ids":["set"]},"v":1}}'
    )


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_named_lifecycle_plays(off: TriggerEmulator, name: str) -> None:
    run_id = off.create_run("t")
    off.play(run_id, name, interval=0)
    row = off.get_run(run_id)
    expected = {
        "success": "COMPLETED_SUCCESSFULLY",
        "failure": "COMPLETED_WITH_ERRORS",
        "cancel": "CANCELED",
        "retry": "COMPLETED_SUCCESSFULLY",
        "retry_then_fail": "COMPLETED_WITH_ERRORS",
        "delayed": "COMPLETED_SUCCESSFULLY",
        "metadata_progress": "COMPLETED_SUCCESSFULLY",
        "crash": "CRASHED",
        "system_failure": "SYSTEM_FAILURE",
        "interrupt": "INTERRUPTED",
        "expire": "EXPIRED",
        "timeout": "TIMED_OUT",
        "wait_for_deploy": "COMPLETED_SUCCESSFULLY",
        "frozen": "COMPLETED_SUCCESSFULLY",
    }[name]
    assert row["status"] == expected
    assert row["completedAt"] is not None


def test_play_custom_steps_and_background(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    seen: list[str] = []
    steps: list[Step] = [
        "start",
        ("set_metadata", {"metadata": {"step": 1}}),
        lambda engine, rid: seen.append(str((engine.store.run(rid) or {}).get("status"))),
        ("complete", {"output": "done", "output_type": "text/plain"}),
    ]
    playback = off.play(run_id, steps, interval=0.01, wait=False)
    playback.wait(10)
    assert playback.done and seen == ["EXECUTING"]
    row = off.get_run(run_id)
    assert row["output"] == "done" and row["metadata"] == '{"step":1}'
    with pytest.raises(ValueError, match="unknown lifecycle"):
        off.play(off.create_run("t"), "nope")
    failing = off.start_play(off.create_run("t"), ["complete"], interval=0)
    with pytest.raises(InvalidTransition):
        failing.wait(10)


def test_metadata_progress_lifecycle_writes_each_step(off: TriggerEmulator) -> None:
    run_id = off.create_run("t")
    off.play(run_id, "metadata_progress", interval=0)
    row = off.get_run(run_id)
    assert row["metadataVersion"] == 4
    assert row["metadata"] == '{"progress":1,"step":4}'
