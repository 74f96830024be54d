"""The realtime feeds on the Electric backend: the shape protocol, exactly."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import httpx
import pytest

from trigger_client.testing import ManualClock, TriggerEmulator

from .conftest import Feed, FeedFactory, auth

PG_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})?")
HANDLE = re.compile(r"\d+-\d{16}")


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as executor:
        yield executor


def later(seconds: float, fn: Callable[..., object], *args: object) -> threading.Timer:
    timer = threading.Timer(seconds, fn, args)
    timer.start()
    return timer


def test_snapshot_then_catch_up(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = emu.create_run("my-task", {"a": 1}, tags=["t1", "a b"])
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    messages = feed.step()
    first = feed.responses[0]
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert HANDLE.fullmatch(first.headers["electric-handle"])
    assert first.headers["electric-offset"] == "0_0"
    assert "electric-up-to-date" not in first.headers and "electric-cursor" not in first.headers
    assert first.headers["cache-control"].startswith("public, max-age=604800")
    schema = json.loads(first.headers["electric-schema"])
    assert schema["number"] == {"type": "int4", "not_null": True}
    assert schema["isTest"] == {"type": "bool", "not_null": True}
    assert schema["costInCents"]["type"] == "float8"
    assert schema["runTags"] == {"type": "text", "dims": 1}
    assert schema["error"] == {"type": "jsonb"}
    assert schema["status"]["type"] == "TaskRunStatus"
    assert schema["createdAt"]["type"] == "timestamp"
    insert, end = messages
    assert end["headers"]["control"] == "snapshot-end"
    internal = run_id.removeprefix("run_")
    assert insert["key"] == f'"public"."TaskRun"/"{internal}"'
    assert insert["headers"] == {"operation": "insert", "relation": ["public", "TaskRun"]}
    value = insert["value"]
    assert list(value) == list(schema)
    assert value["id"] == internal and value["friendlyId"] == run_id
    assert PG_TIMESTAMP.fullmatch(value["createdAt"]) and value["startedAt"] is None
    assert value["isTest"] == "false"  # snapshot rows: true/false
    assert value["number"] == "1" and value["costInCents"] == "0"
    assert value["runTags"] == '{t1,"a b"}' and value["realtimeStreams"] == "{}"
    assert value["payload"] == '{"a":1}' and value["status"] == "PENDING"

    messages = feed.step()
    second = feed.responses[1]
    assert messages == [
        {"headers": {"control": "up-to-date", "global_last_seen_lsn": str(emu.store.lsn)}}
    ]
    assert second.headers["electric-offset"] == "0_inf"
    assert second.headers["electric-up-to-date"] == ""
    assert "electric-schema" in second.headers
    assert second.headers["electric-handle"] == first.headers["electric-handle"]


def test_live_update_is_partial_and_wakes_at_once(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    emu.long_poll_ms = 10_000
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    later(0.2, emu.start_attempt, run_id)
    started = time.monotonic()
    messages = feed.step()
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 5  # answered when the change committed, not at the 10 s timeout
    response = feed.responses[-1]
    assert "electric-schema" not in response.headers
    assert response.headers["electric-cursor"].isdigit()
    assert response.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=5"
    update, up_to_date = messages
    assert set(update["value"]) == {"id", "updatedAt", "startedAt", "status", "baseCostInCents"}
    assert update["value"]["status"] == "EXECUTING"
    headers = update["headers"]
    assert headers["operation"] == "update" and headers["last"] is True
    assert headers["lsn"] == str(emu.store.lsn) and headers["op_position"] == 0
    assert isinstance(headers["txids"][0], int)
    assert response.headers["electric-offset"] == f"{emu.store.lsn}_0"
    assert up_to_date["headers"]["control"] == "up-to-date"
    emu.update_run(run_id, isTest=True)
    messages = feed.step()  # pending change: answered immediately
    assert messages[0]["value"]["isTest"] == "t"  # replicated changes: t/f


def test_live_timeout_echoes_offset(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    offset = feed.offset
    started = time.monotonic()
    messages = feed.step()
    assert 0.4 < time.monotonic() - started < 5
    response = feed.responses[-1]
    assert messages == [
        {"headers": {"control": "up-to-date", "global_last_seen_lsn": str(emu.store.lsn)}}
    ]
    assert response.headers["electric-offset"] == offset
    assert response.headers["electric-has-data"] == "false"
    assert response.headers["electric-up-to-date"] == ""
    assert "electric-cursor" in response.headers


def test_cursor_algorithm(emu: TriggerEmulator, client: httpx.Client) -> None:
    emu.long_poll_ms = 20_000
    run_id = emu.create_run("t")
    path = f"/realtime/v1/runs/{run_id}"
    handle = client.get(path, params={"offset": "-1"}).headers["electric-handle"]
    emu.start_attempt(run_id)  # pending change: the live request answers at once
    live = {"offset": "0_inf", "handle": handle, "live": "true"}
    cursor = int(client.get(path, params={**live, "cursor": ""}).headers["electric-cursor"])
    epoch = 1728432000
    expected = math.ceil((time.time() - epoch) / 20) * 20
    assert cursor % 20 == 0 and abs(cursor - expected) <= 20
    ahead = cursor + 1000
    bumped = int(client.get(path, params={**live, "cursor": str(ahead)}).headers["electric-cursor"])
    assert ahead < bumped <= ahead + 3600


def test_tag_feed_inserts_updates_and_deletes(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    keep = emu.create_run("t", tags=["a", "b"])
    emu.create_run("t", tags=["a"])  # lacks b: never in the feed
    feed: Feed = feed_factory(emu, "/realtime/v1/runs", params={"tags": "a,b"})
    feed.sync()
    assert [r["friendlyId"] for r in feed.rows.values()] == [keep]
    joining = emu.create_run("t", tags=["b"])
    emu.add_tags(joining, ["a"])
    messages = feed.step()
    ops = [
        (m["headers"]["operation"], m["value"].get("friendlyId")) for m in messages if "key" in m
    ]
    assert ops == [("insert", joining)]
    emu.update_run(keep, runTags=["a"])  # leaves the filter
    messages = feed.step()
    assert messages[0]["headers"]["operation"] == "delete"
    assert messages[0]["value"] == {"id": keep.removeprefix("run_")}
    assert {r["friendlyId"] for r in feed.rows.values()} == {joining}


@pytest.mark.parametrize("backend", ["electric", "native"])
def test_tag_feed_created_at_window(backend: Literal["electric", "native"]) -> None:
    clock = ManualClock()
    with TriggerEmulator(clock=clock, backend=backend) as emu:
        old = emu.create_run("t", tags=["w"])
        clock.advance(2 * 3600)
        new = emu.create_run("t", tags=["w"])

        def ids(created_at: str | None) -> set[str]:
            params = {"tags": "w", "offset": "-1"}
            if created_at is not None:
                params["createdAt"] = created_at
            response = httpx.get(
                f"{emu.base_url}/realtime/v1/runs", params=params, headers=auth(emu.secret_key)
            )
            return {m["value"]["friendlyId"] for m in response.json() if "key" in m}

        assert ids("1h") == {new}
        assert ids("3h") == ids("2h1m") == ids(None) == {old, new}
        clock.advance(23 * 3600)
        assert ids("1w") == {new}  # clamped to the 24 h maximum age
        # An unparseable window: Electric gets no time filter at all; native the maximum age.
        assert ids("5ms") == ({old, new} if backend == "electric" else {new})


def test_tag_validation(emu: TriggerEmulator, client: httpx.Client) -> None:
    for bad in ("a,,b", "a,", 'a"b', "a\\b"):
        response = client.get("/realtime/v1/runs", params={"tags": bad, "offset": "-1"})
        assert response.status_code == 400, bad
        assert response.json()["error"] == "Query Error"
    assert (
        client.get("/realtime/v1/runs", params={"tags": "it's", "offset": "-1"}).status_code == 200
    )


def test_batch_feed(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    batch_id, run_ids = emu.create_batch("t", [1, 2])
    emu.create_run("t")  # not in the batch
    feed: Feed = feed_factory(emu, f"/realtime/v1/batches/{batch_id}")
    feed.sync()
    assert {r["friendlyId"] for r in feed.rows.values()} == set(run_ids)
    extra = emu.create_run("t", batch_id=batch_id)
    emu.start_attempt(run_ids[0])
    seen: set[str] = set()
    while len(seen) < 2:
        for message in feed.step():
            if "key" in message:
                seen.add(message["key"])
    assert {r["friendlyId"] for r in feed.rows.values()} == {*run_ids, extra}


def test_skip_columns(
    emu: TriggerEmulator, feed_factory: FeedFactory, client: httpx.Client
) -> None:
    run_id = emu.create_run("t", {"secret": True})
    path = f"/realtime/v1/runs/{run_id}"
    feed: Feed = feed_factory(emu, path, params={"skipColumns": "payload,output,status,id,unknown"})
    feed.sync()
    assert feed.schema is not None and "payload" not in feed.schema and "output" not in feed.schema
    row = feed.single()
    assert "payload" not in row and "status" in row and "id" in row  # reserved columns stay
    emu.start_attempt(run_id)
    emu.complete(run_id, {"big": "result"})
    feed.step()
    assert "output" not in feed.single()
    plain = client.get(path, params={"offset": "-1"}).headers["electric-handle"]
    assert plain != feed.handle  # a different column list is a different shape


def test_rotation_gives_409_to_waiting_and_later_requests(
    emu: TriggerEmulator, feed_factory: FeedFactory, pool: ThreadPoolExecutor
) -> None:
    emu.long_poll_ms = 10_000
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    old = feed.handle
    waiting = pool.submit(feed.request)
    emu.wait_for_requests(f"/realtime/v1/runs/{run_id}", live=True)
    time.sleep(0.1)
    started = time.monotonic()
    rotated = emu.rotate_shapes(run_id)
    response = waiting.result(5)
    assert time.monotonic() - started < 2
    assert rotated == [old]
    assert response.status_code == 409
    assert response.json() == [{"headers": {"control": "must-refetch"}}]
    assert response.headers["content-type"].startswith("application/json")
    new = response.headers["electric-handle"]
    assert new != old and HANDLE.fullmatch(new)
    assert response.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert "electric-offset" not in response.headers
    # A later request with the old handle is 409 too; then a refetch works on the new handle.
    stale = feed.http.get(feed.path, params={"offset": "0_inf", "handle": old})
    assert stale.status_code == 409 and stale.headers["electric-handle"] == new
    feed.step()  # applies the 409
    assert feed.offset == "-1" and feed.handle == new
    feed.sync()
    assert feed.single()["friendlyId"] == run_id


def test_rotation_without_new_handle(
    emu: TriggerEmulator, feed_factory: FeedFactory, pool: ThreadPoolExecutor
) -> None:
    emu.long_poll_ms = 10_000
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    waiting = pool.submit(feed.request)
    emu.wait_for_requests(f"/realtime/v1/runs/{run_id}", live=True)
    time.sleep(0.1)
    emu.rotate_shapes(recreate=False)
    response = waiting.result(5)
    assert response.status_code == 409 and "electric-handle" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=1, must-revalidate"
    unknown = feed.http.get(feed.path, params={"offset": "0_inf", "handle": "123-456"})
    assert unknown.status_code == 409 and "electric-handle" in unknown.headers


def test_legacy_clients_get_legacy_header_names(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    headers = {"Authorization": f"Bearer {emu.secret_key}"}
    url = f"{emu.base_url}/realtime/v1/runs/{run_id}"
    with httpx.Client(headers=headers) as legacy:
        first = legacy.get(url, params={"offset": "-1"})
        assert "electric-handle" not in first.headers and "electric-offset" not in first.headers
        shape_id = first.headers["electric-shape-id"]
        assert first.headers["electric-chunk-last-offset"] == "0_0"
        second = legacy.get(url, params={"offset": "0_0", "shape_id": shape_id})
        assert second.status_code == 200
        assert second.headers["electric-chunk-last-offset"] == "0_inf"


def test_dequeued_is_rewritten_for_legacy_api_versions(
    emu: TriggerEmulator, client: httpx.Client
) -> None:
    run_id = emu.create_run("t")
    emu.dequeue(run_id)
    path = f"/realtime/v1/runs/{run_id}"
    legacy = client.get(path, params={"offset": "-1"}).json()
    assert legacy[0]["value"]["status"] == "EXECUTING"
    current = client.get(
        path, params={"offset": "-1"}, headers={"x-trigger-api-version": "2025-07-16"}
    ).json()
    assert current[0]["value"]["status"] == "DEQUEUED"


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"offset": ["can't be blank"]}),
        ({"offset": "banana"}, {"offset": ["has invalid format"]}),
        ({"offset": "1_2_3"}, {"offset": ["has invalid format"]}),
        ({"offset": "-1", "live": "true"}, {"live": ["can't be true when offset == -1"]}),
        ({"offset": "0_0"}, {"handle": ["can't be blank when offset != -1"]}),
    ],
)
def test_invalid_shape_requests(
    emu: TriggerEmulator, client: httpx.Client, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    run_id = emu.create_run("t")
    response = client.get(f"/realtime/v1/runs/{run_id}", params=params)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid request", "errors": errors}


def test_out_of_bounds_offset(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    path = f"/realtime/v1/runs/{run_id}"
    handle = client.get(path, params={"offset": "-1"}).headers["electric-handle"]
    started = time.monotonic()
    response = client.get(path, params={"offset": "999999999_0", "handle": handle})
    assert response.status_code == 400
    assert response.json()["errors"] == {"offset": ["out of bounds for this shape"]}
    assert time.monotonic() - started >= 0.2  # waited half the long-poll time first


def test_offset_now(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    response = client.get(f"/realtime/v1/runs/{run_id}", params={"offset": "now"})
    assert response.status_code == 200
    assert response.json()[-1]["headers"]["control"] == "up-to-date"
    assert response.headers["electric-offset"] == "0_inf"
    assert response.headers["electric-has-data"] == "false"


def test_chunked_snapshot() -> None:
    with TriggerEmulator(snapshot_chunk_rows=2, long_poll_ms=300) as emu:
        runs = [emu.create_run("t", tags=["c"]) for _ in range(5)]
        feed = Feed(emu, "/realtime/v1/runs", params={"tags": "c"})
        with feed:
            offsets = []
            while not feed.up_to_date:
                feed.step()
                offsets.append(feed.offset)
            assert offsets == ["0_0", "0_1", "0_2", "0_inf"]
            assert {r["friendlyId"] for r in feed.rows.values()} == set(runs)
            assert "electric-up-to-date" not in feed.responses[1].headers


def test_shared_shape_replays_log_for_new_clients(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    first: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    first.sync()
    emu.start_attempt(run_id)
    emu.set_metadata(run_id, {"p": 1})
    second: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    second.sync()
    assert second.handle == first.handle
    row = second.single()
    assert row["status"] == "EXECUTING" and row["metadata"] == '{"p":1}'


def test_concurrency_limit_counts_live_requests_only(
    emu: TriggerEmulator, feed_factory: FeedFactory, pool: ThreadPoolExecutor
) -> None:
    emu.long_poll_ms = 3000
    emu.realtime_concurrency_limit = 1
    run_id = emu.create_run("t")
    a: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    b: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    a.sync()
    b.sync()  # non-live requests are not counted
    held = pool.submit(a.request)
    emu.wait_for_requests(f"/realtime/v1/runs/{run_id}", live=True)
    deadline = time.monotonic() + 5
    while emu.live_request_count < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    refused = b.request()
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many concurrent requests"}
    assert "retry-after" not in refused.headers
    emu.start_attempt(run_id)
    assert held.result(5).status_code == 200
    assert b.request().status_code == 200  # the slot is free again


def test_client_disconnect_frees_the_live_slot(emu: TriggerEmulator) -> None:
    emu.long_poll_ms = 10_000
    run_id = emu.create_run("t")
    feed = Feed(emu, f"/realtime/v1/runs/{run_id}")
    with feed:
        feed.sync()
        with pytest.raises(httpx.ReadTimeout):
            feed.http.get(
                feed.path,
                params={"offset": feed.offset, "handle": feed.handle or "", "live": "true"},
                timeout=0.3,
            )
    deadline = time.monotonic() + 5
    while emu.live_request_count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emu.live_request_count == 0


def test_preflight(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("t")
    response = httpx.options(f"{emu.base_url}/realtime/v1/runs/{run_id}")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


def test_stop_answers_held_long_polls(feed_factory: FeedFactory, pool: ThreadPoolExecutor) -> None:
    emu = TriggerEmulator(long_poll_ms=60_000).start()
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}", token=None)
    feed.sync()
    held = pool.submit(feed.request)
    emu.wait_for_requests(f"/realtime/v1/runs/{run_id}", live=True)
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 3
    assert held.result(5).status_code == 200


def test_secret_key_header_on_feed_matches_auth_helper(emu: TriggerEmulator) -> None:
    assert auth("x")["Authorization"] == "Bearer x"
