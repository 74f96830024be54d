"""The official TypeScript SDK (@trigger.dev/sdk 3.3.17) against our emulator.

If the official SDK rejects or misreads anything the emulator sends, the emulator is wrong.
Each scenario drives a run through a lifecycle while ``runs.subscribeToRun`` (or the tag and
batch feeds) consumes it, on both realtime backends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from trigger_client.testing import TriggerEmulator

from .node_sdk import NodeSDK

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not NodeSDK.available(),
        reason="the official TypeScript SDK is not installed: run `make setup` (needs node and npm)",
    ),
]

BACKENDS = ["electric", "native"]


@pytest.fixture(params=BACKENDS)
def emu(request: pytest.FixtureRequest) -> Iterator[TriggerEmulator]:
    with TriggerEmulator(backend=request.param, long_poll_ms=1000) as emulator:
        yield emulator


@pytest.fixture
def electric() -> Iterator[TriggerEmulator]:
    with TriggerEmulator(long_poll_ms=1000) as emulator:
        yield emulator


def sdk(emu: TriggerEmulator, token: str | None = None) -> NodeSDK:
    return NodeSDK(emu.base_url, token or emu.secret_key, max_attempts=1)


def statuses(runs: list[dict[str, Any]]) -> list[str]:
    """Statuses in order, consecutive repeats collapsed."""
    out: list[str] = []
    for run in runs:
        if not out or out[-1] != run["status"]:
            out.append(run["status"])
    return out


def subscribe_while(
    emu: TriggerEmulator, run_id: str, lifecycle: str, **play: Any
) -> list[dict[str, Any]]:
    """Subscribe with the official SDK, play a lifecycle, return what the SDK yielded."""
    with sdk(emu).start_subscribe_run(run_id, timeout=30) as sub:
        assert sub.wait_ready(20), sub.events
        # steps far enough apart that a loaded machine cannot merge two changes into one response
        emu.play(run_id, lifecycle, interval=play.pop("interval", 0.3), **play)
        result = sub.wait()
    assert result.ok, result.describe()
    assert result.done is not None and result.done["reason"] == "finished", result.describe()
    return result.runs


def test_success(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("hello-world", {"name": "Ada"}, tags=["user:1"])
    runs = subscribe_while(emu, run_id, "success", output={"greeting": "Hi Ada"})
    assert statuses(runs) == ["QUEUED", "EXECUTING", "COMPLETED"]
    last = runs[-1]
    row = emu.get_run(run_id)
    assert last["id"] == run_id and last["taskIdentifier"] == "hello-world"
    assert last["payload"] == {"name": "Ada"} and last["output"] == {"greeting": "Hi Ada"}
    assert last["tags"] == ["user:1"] and last["number"] == 1 and last["isTest"] is False
    assert last["finishedAt"] == _iso(row["completedAt"])
    assert last["startedAt"] == _iso(row["startedAt"])
    assert last["createdAt"] == _iso(row["createdAt"]) and last["updatedAt"] == _iso(
        row["updatedAt"]
    )
    assert last["durationMs"] == row["usageDurationMs"] > 0
    assert last["costInCents"] == pytest.approx(row["costInCents"])
    assert last["baseCostInCents"] == pytest.approx(0.0025)
    assert "error" not in last and "idempotencyKey" not in last


def test_failure_with_error(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    runs = subscribe_while(emu, run_id, "failure", error="Something broke")
    assert statuses(runs)[-1] == "FAILED"
    error = runs[-1]["error"]
    assert error["message"] == "Something broke" and error["name"] == "Error"
    assert error["stackTrace"].startswith("Error: Something broke")
    assert "output" not in runs[-1]


def test_cancel(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    runs = subscribe_while(emu, run_id, "cancel")
    assert statuses(runs) == ["QUEUED", "EXECUTING", "CANCELED"]
    assert runs[-1]["error"] == {"message": "Task run was cancelled by user"}


def test_retry_after_failure(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    runs = subscribe_while(emu, run_id, "retry", output=1)
    assert statuses(runs) == ["QUEUED", "EXECUTING", "REATTEMPTING", "EXECUTING", "COMPLETED"]
    assert runs[-1]["output"] == 1


def test_delayed_start(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t", delay=60)
    runs = subscribe_while(emu, run_id, "delayed")
    assert statuses(runs) == ["DELAYED", "QUEUED", "EXECUTING", "COMPLETED"]
    first = runs[0]
    assert first["delayedUntil"] == _iso(emu.get_run(run_id)["delayUntil"])
    assert "queuedAt" not in first and "queuedAt" in runs[-1]


def test_metadata_progress(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t", metadata={"progress": 0})
    runs = subscribe_while(emu, run_id, "metadata_progress", interval=0.2)
    progress = [run["metadata"]["progress"] for run in runs if "metadata" in run]
    assert progress[0] == 0 and progress[-1] == 1
    assert progress == sorted(progress) and len(set(progress)) >= 3
    assert runs[-1]["status"] == "COMPLETED"


def test_superjson_output(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t", {"x": 1}, payload_type="application/super+json")
    output = {
        "at": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "ids": {1, 2},
        "big": 2**64,
        "nan": float("nan"),
        "nested": [{"when": datetime(2020, 1, 1, tzinfo=UTC)}],
    }
    runs = subscribe_while(
        emu, run_id, "success", output=output, output_type="application/super+json"
    )
    last = runs[-1]
    assert last["payload"] == {"x": 1}
    assert last["output"] == {
        "at": {"$date": "2024-01-02T03:04:05.678Z"},
        "ids": {"$set": [1, 2]},
        "big": {"$bigint": str(2**64)},
        "nan": {"$number": "NaN"},
        "nested": [{"when": {"$date": "2020-01-01T00:00:00.000Z"}}],
    }


def test_offloaded_output(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    big = {"blob": "z" * (200 * 1024)}
    runs = subscribe_while(emu, run_id, "success", output=big)
    assert emu.get_run(run_id)["outputType"] == "application/store"
    assert runs[-1]["output"] == big
    assert emu.wait_for_requests("/api/v1/packets/*", timeout=1)


def test_offloaded_payload(emu: TriggerEmulator) -> None:
    payload = {"text": "p" * (512 * 1024)}
    run_id = emu.create_run("t", payload)
    runs = subscribe_while(emu, run_id, "success")
    assert all(run["payload"] == payload for run in runs)


def test_run_finished_before_subscribing(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    emu.play(run_id, "success", interval=0, output="done", output_type="text/plain")
    result = sdk(emu).subscribe_run(run_id, timeout=20)
    assert result.ok and result.done is not None and result.done["reason"] == "finished"
    assert [run["status"] for run in result.runs] == ["COMPLETED"]
    assert result.runs[0]["output"] == "done"


def test_tag_feed(emu: TriggerEmulator) -> None:
    tagged = [emu.create_run("t", tags=["org:7", "user:1"]), emu.create_run("u", tags=["org:7"])]
    other = emu.create_run("t", tags=["org:8"])
    with sdk(emu).start_subscribe_tag("org:7", timeout=30) as sub:
        assert sub.wait_ready(20)
        late = emu.create_run("t", tags=["org:7"])
        for run_id in [*tagged, late]:
            emu.play(run_id, "success", interval=0.05)
        emu.play(other, "success", interval=0)

        def all_completed(_: object) -> bool:
            done = {r["id"] for r in sub.runs if r["status"] == "COMPLETED"}
            return done >= {*tagged, late}

        assert sub.wait_for(all_completed, timeout=20) is not None, sub.events
        result = sub.kill()
    seen = {run["id"] for run in result.runs}
    assert seen == {*tagged, late} and other not in seen


def test_batch(emu: TriggerEmulator) -> None:
    batch_id, run_ids = emu.create_batch("t", [{"n": 1}, {"n": 2}])
    emu.create_run("t")  # not in the batch
    with sdk(emu).start_subscribe_batch(batch_id, timeout=30) as sub:
        assert sub.wait_ready(20)
        emu.play(run_ids[0], "success", interval=0.05, output="a", output_type="text/plain")
        emu.play(run_ids[1], "failure", interval=0.05)

        def finished(_: object) -> bool:
            final = {r["id"]: r["status"] for r in sub.runs}
            return final.get(run_ids[0]) == "COMPLETED" and final.get(run_ids[1]) == "FAILED"

        assert sub.wait_for(finished, timeout=20) is not None, sub.events
        result = sub.kill()
    assert {run["id"] for run in result.runs} == set(run_ids)
    assert {run["payload"]["n"] for run in result.runs} == {1, 2}


def test_rotation_refetch_with_official_client(electric: TriggerEmulator) -> None:
    run_id = electric.create_run("t")
    with sdk(electric).start_subscribe_run(run_id, timeout=30, trace_requests=True) as sub:
        assert sub.wait_ready(20)
        electric.start_attempt(run_id)
        sub.wait_for(lambda e: e.get("event") == "run" and e["run"]["status"] == "EXECUTING", 10)
        electric.rotate_shapes(run_id)
        electric.complete(run_id, {"after": "rotation"})
        result = sub.wait()
    assert result.ok and result.runs[-1]["output"] == {"after": "rotation"}
    assert any(r.get("status") == 409 for r in result.responses)


# -- tokens from the official auth.createPublicToken --------------------------------------------


def test_official_tokens_by_scope(electric: TriggerEmulator) -> None:
    official = sdk(electric)
    run_a = electric.create_run("task-a", tags=["user:1"])
    run_b = electric.create_run("task-b")
    batch_id, (in_batch,) = electric.create_batch("task-a", [1])
    token_a = official.create_token({"read": {"runs": [run_a]}})
    tag_token = official.create_token({"read": {"tags": "user:1"}})
    batch_token = official.create_token({"read": {"batch": batch_id}})
    expired = official.create_token({"read": {"runs": True}}, int(time.time()) - 10)
    nothing = official.create_token()

    def status(token: str, path: str, **params: str) -> int:
        headers = {"Authorization": f"Bearer {token}", "x-trigger-electric-version": "1.0.0-beta.1"}
        params["offset"] = "-1"
        response = httpx.get(f"{electric.base_url}{path}", headers=headers, params=params)
        return response.status_code

    assert status(token_a, f"/realtime/v1/runs/{run_a}") == 200
    assert status(token_a, f"/api/v3/runs/{run_a}") == 200
    assert status(token_a, f"/realtime/v1/runs/{run_b}") == 403
    assert status(tag_token, f"/realtime/v1/runs/{run_a}") == 200
    assert status(tag_token, "/realtime/v1/runs", tags="user:1") == 200
    assert status(tag_token, "/realtime/v1/runs") == 403  # unfiltered: needs read:tags
    assert status(tag_token, f"/realtime/v1/runs/{run_b}") == 403
    assert status(batch_token, f"/realtime/v1/batches/{batch_id}") == 200
    assert status(batch_token, f"/realtime/v1/runs/{in_batch}") == 200
    assert status(batch_token, f"/realtime/v1/runs/{run_a}") == 403
    assert status(expired, f"/realtime/v1/runs/{run_a}") == 401
    assert status(nothing, f"/realtime/v1/runs/{run_a}") == 403

    # And through the official SDK's own subscription with those tokens.
    electric.play(run_a, "success", interval=0)
    accepted = sdk(electric, token_a).subscribe_run(run_a, timeout=20)
    assert accepted.ok and accepted.runs[-1]["status"] == "COMPLETED"
    refused = sdk(electric, token_a).subscribe_run(run_b, timeout=20)
    assert refused.fetch_error is not None and refused.fetch_error["status"] == 403
    assert refused.runs == []


# -- REST through the official SDK ----------------------------------------------------------------


def test_trigger_and_subscribe_with_the_handle_token(emu: TriggerEmulator) -> None:
    handle = sdk(emu).trigger(
        "my-task", {"at": {"$date": "2024-01-01T00:00:00.000Z"}}, {"tags": ["t1"]}
    )
    run_id = handle["id"]
    row = emu.get_run(run_id)
    assert row["payloadType"] == "application/super+json" and row["runTags"] == ["t1"]
    with sdk(emu, handle["publicAccessToken"]).start_subscribe_run(run_id, timeout=30) as sub:
        assert sub.wait_ready(20)
        emu.play(run_id, "success", interval=0.1, output={"ok": True})
        result = sub.wait()
    assert result.ok and result.runs[-1]["status"] == "COMPLETED"
    assert result.runs[-1]["payload"] == {"at": {"$date": "2024-01-01T00:00:00.000Z"}}


def test_batch_trigger_handle_token_reads_the_batch(emu: TriggerEmulator) -> None:
    handle = sdk(emu).batch_trigger("my-task", [{"payload": 1}, {"payload": 2}])
    batch_id = handle["batchId"]
    run_ids = [run["id"] for run in handle["runs"]]
    for run_id in run_ids:
        emu.play(run_id, "success", interval=0)
    result = sdk(emu, handle["publicAccessToken"]).subscribe_batch(batch_id, max=2, timeout=20)
    assert result.ok, result.describe()
    assert {run["id"] for run in result.runs} == set(run_ids)


def test_rest_calls(electric: TriggerEmulator) -> None:
    official = sdk(electric)
    run_id = electric.create_run("t", {"p": 1}, tags=["b", "a"], metadata={"m": 1})
    electric.dequeue(run_id)
    retrieved = official.retrieve(run_id)
    assert retrieved["status"] == "EXECUTING" and retrieved["tags"] == ["a", "b"]
    assert retrieved["payload"] == {"p": 1} and retrieved["metadata"] == {"m": 1}
    electric.start_attempt(run_id)
    electric.complete(run_id, {"big": "q" * (150 * 1024)})
    assert official.retrieve(run_id)["output"] == {"big": "q" * (150 * 1024)}
    final_status = {
        "failure": "FAILED",
        "cancel": "CANCELED",
        "expire": "EXPIRED",
        "timeout": "TIMED_OUT",
        "crash": "CRASHED",
        "delayed": "COMPLETED",
    }
    for lifecycle, status in final_status.items():
        other = electric.create_run("t")
        electric.play(other, lifecycle, interval=0)
        assert official.retrieve(other)["status"] == status, lifecycle
    listed = official.list_runs({"status": ["COMPLETED"]})
    assert run_id in {run["id"] for run in listed}
    pending = electric.create_run("t")
    assert official.cancel(pending) == {"id": pending}
    replayed = official.replay(run_id)["id"]
    assert electric.get_run(replayed)["payload"] == '{"p":1}'


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


# -- packets as the TypeScript SDK writes them ----------------------------------------------------


def test_superjson_is_written_as_the_sdk_writes_it() -> None:
    from trigger_client.testing import UNDEFINED, superjson_stringify

    official = NodeSDK("http://127.0.0.1:9", "tr_dev_unused")
    cases: list[tuple[Any, Any]] = [
        ({"a": 1, "b": [1, 2], "s": "x"}, {"a": 1, "b": [1, 2], "s": "x"}),
        (
            {"at": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)},
            {"at": {"$date": "2024-01-02T03:04:05.678Z"}},
        ),
        ({"ids": {1, 2}}, {"ids": {"$set": [1, 2]}}),
        ({"m": {1: "one"}}, {"m": {"$map": [[1, "one"]]}}),
        ({"big": 2**70}, {"big": {"$bigint": str(2**70)}}),
        (
            {"n": float("inf"), "u": UNDEFINED},
            {"n": {"$number": "Infinity"}, "u": {"$undefined": True}},
        ),
        (
            [datetime(2020, 1, 1, tzinfo=UTC), {"a.b": {2}}],
            [{"$date": "2020-01-01T00:00:00.000Z"}, {"a.b": {"$set": [2]}}],
        ),
        (datetime(1970, 1, 1, tzinfo=UTC), {"$date": "1970-01-01T00:00:00.000Z"}),
        ({"raw": b"\x00\xff"}, {"raw": {"$bytes": [0, 255]}}),
    ]
    for value, tagged in cases:
        ours = superjson_stringify(value)
        assert official.stringify_packet(tagged)["data"] == ours, (value, ours)
        assert official.parse_packet(ours, "application/super+json") == tagged
