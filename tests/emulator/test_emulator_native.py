"""The realtime feeds on the native backend: full rows, its own handles and offsets."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx

from trigger_client.testing import TriggerEmulator

from .conftest import Feed, FeedFactory, auth

NATIVE_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}")


def test_run_snapshot_headers_and_values(
    native: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = native.create_run("t", {"a": 1}, tags=["x", "a b"])
    native.start_attempt(run_id)
    native.fail(run_id, {"type": "STRING_ERROR", "raw": "nope"})
    feed: Feed = feed_factory(native, f"/realtime/v1/runs/{run_id}")
    messages = feed.step()
    response = feed.responses[0]
    internal = run_id.removeprefix("run_")
    assert response.headers["electric-handle"] == f"run-{internal}"
    updated_ms = native.get_run(run_id)["updatedAt"]
    assert re.fullmatch(rf"{updated_ms}_\d+", response.headers["electric-offset"])
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == "*"
    assert (
        "electric-up-to-date" not in response.headers and "electric-cursor" not in response.headers
    )
    schema = json.loads(response.headers["electric-schema"])
    assert schema["status"] == {"type": "text"} and schema["runTags"] == {"type": "text", "dims": 1}
    assert schema["isTest"] == {"type": "bool"}  # type and dims only
    insert, up_to_date = messages
    assert insert["headers"] == {"operation": "insert"}
    assert up_to_date == {"headers": {"control": "up-to-date"}}
    value = insert["value"]
    assert NATIVE_TIMESTAMP.fullmatch(value["createdAt"])
    assert value["runTags"] == '{"x","a b"}' and value["isTest"] == "f"
    assert value["error"] == '{"type":"STRING_ERROR","raw":"nope"}'
    assert feed.up_to_date


def test_live_update_sends_the_full_row(native: TriggerEmulator, feed_factory: FeedFactory) -> None:
    native.long_poll_ms = 10_000
    run_id = native.create_run("t")
    feed: Feed = feed_factory(native, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    threading.Timer(0.2, native.start_attempt, (run_id,)).start()
    started = time.monotonic()
    messages = feed.step()
    assert time.monotonic() - started < 5
    update = messages[0]
    assert update["headers"] == {"operation": "update"}
    assert len(update["value"]) == 26 and update["value"]["status"] == "EXECUTING"
    response = feed.responses[-1]
    seq = response.headers["electric-cursor"]
    assert response.headers["electric-offset"] == f"{native.get_run(run_id)['updatedAt']}_{seq}"
    assert "electric-schema" not in response.headers


def test_live_timeout_echoes_the_same_offset(
    native: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = native.create_run("t")
    feed: Feed = feed_factory(native, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    before = feed.offset
    assert feed.step() == [{"headers": {"control": "up-to-date"}}]
    assert feed.offset == before


def test_non_live_with_handle_resnapshots(native: TriggerEmulator) -> None:
    native_client = httpx.Client(base_url=native.base_url, headers=auth(native.secret_key))
    with native_client:
        run_id = native.create_run("t")
        path = f"/realtime/v1/runs/{run_id}"
        first = native_client.get(path, params={"offset": "-1"})
        again = native_client.get(
            path,
            params={
                "offset": first.headers["electric-offset"],
                "handle": first.headers["electric-handle"],
            },
        )
        assert again.json()[0]["headers"]["operation"] == "insert"
        assert "electric-schema" in again.headers


def test_tag_feed_handles_inserts_and_no_deletes(
    native: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    first = native.create_run("t", tags=["n"])
    feed: Feed = feed_factory(native, "/realtime/v1/runs", params={"tags": "n"})
    feed.sync()
    handle = feed.handle or ""
    match = re.fullmatch(r"runs_(\d+)_(\d+)_([0-9a-f]{8})", handle)
    assert match and int(match.group(1)) % 60_000 == 0  # floor bucketed to the minute
    second = native.create_run("t", tags=["n"])
    messages = feed.step()
    assert [(m["headers"]["operation"], m["value"]["friendlyId"]) for m in messages[:-1]] == [
        ("insert", second)
    ]
    native.start_attempt(first)
    messages = feed.step()
    assert messages[0]["headers"]["operation"] == "update" and len(messages[0]["value"]) == 26
    native.update_run(second, runTags=["other"])  # leaves the filter: nothing is sent
    assert feed.step() == [{"headers": {"control": "up-to-date"}}]
    assert feed.handle == handle


def test_batch_feed_handle(native: TriggerEmulator, feed_factory: FeedFactory) -> None:
    batch_id, run_ids = native.create_batch("t", [1, 2])
    feed: Feed = feed_factory(native, f"/realtime/v1/batches/{batch_id}")
    feed.sync()
    batch = native.store.batch(batch_id)
    assert batch is not None
    internal = batch["id"]
    assert re.fullmatch(rf"batch_{internal}_\d+_[0-9a-f]{{8}}", feed.handle or "")
    assert {r["friendlyId"] for r in feed.rows.values()} == set(run_ids)
    other: Feed = feed_factory(native, f"/realtime/v1/batches/{batch_id}")
    other.sync()
    assert other.handle != feed.handle  # minted per connection


def test_native_never_409s(native: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = native.create_run("t")
    feed: Feed = feed_factory(native, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    native.rotate_shapes()
    native.start_attempt(run_id)
    feed.step()
    assert feed.responses[-1].status_code == 200


def test_any_backend_dequeued_rewrite(any_emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = any_emu.create_run("t")
    any_emu.dequeue(run_id)
    feed: Feed = feed_factory(any_emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    assert feed.single()["status"] == "EXECUTING"
