# Generated from tests/_async/test_runs_api.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The runs API against the emulator over real loopback HTTP: tag and batch feeds, list (with
pagination), retrieve, cancel, replay, reschedule and wait."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import attrs
import httpx
import pytest

from tests.parity.js_form import js_run, py_run
from trigger_client import (
    APIStatusError,
    BadRequestError,
    InternalServerError,
    ListRunItem,
    NotFoundError,
    Run,
    RunPage,
    RunStatus,
    RunWaitTimeout,
    SubscriptionTimeout,
    TriggerClient,
)
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio


def client_for(emulator: TriggerEmulator, **options: object) -> TriggerClient:
    token = options.pop("access_token", emulator.secret_key)
    return TriggerClient(
        base_url=emulator.base_url,
        access_token=token,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def list_requests(emulator: TriggerEmulator, task: str) -> list[dict[str, str]]:
    return [
        r.query
        for r in emulator.requests
        if r.path == "/api/v1/runs" and r.query.get("filter[taskIdentifier]") == task
    ]


# -- tag and batch feeds ---------------------------------------------------------------------------


def test_a_tag_feed_over_100_runs_yields_each_change_exactly_once(
    emulator: TriggerEmulator,
) -> None:
    task, tag = unique("tag-feed"), unique("tag")
    run_ids = [emulator.create_run(task, {"i": i}, tags=[tag, "other"]) for i in range(100)]
    emulator.create_run(task, {"untagged": True}, tags=["other"])
    seen: list[Run] = []
    late: str | None = None
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_runs_with_tag(tag, timeout=60)
        for run in subscription:
            seen.append(run)
            ids = {r.id for r in seen}
            if late is None and ids >= set(run_ids):
                # the current state of every run has arrived: now change them all, and tag a
                # new run while the feed is open
                for run_id in run_ids:
                    emulator.play(run_id, "success", interval=0, output={"id": run_id})
                late = emulator.create_run(task, {"late": True}, tags=[tag])
                emulator.play(late, "failure", interval=0)
            latest = {r.id: r for r in seen}
            if late is not None and all(
                rid in latest and latest[rid].is_finished for rid in [*run_ids, late]
            ):
                break
        assert not subscription.closed  # it never ends on its own: we left the loop
        subscription.close()
    assert late is not None
    assert {r.id for r in seen} == {*run_ids, late}
    # each change once: no (run, version) pair twice, and each run's versions only move forward
    versions = Counter((r.id, r.updated_at, r.status) for r in seen)
    assert max(versions.values()) == 1
    for run_id in [*run_ids, late]:
        mine = [r for r in seen if r.id == run_id]
        assert [r.updated_at for r in mine] == sorted({r.updated_at for r in mine})
    assert all(next(r for r in seen if r.id == rid).status == RunStatus.QUEUED for rid in run_ids)
    finals = {r.id: r for r in seen}
    assert all(finals[rid].status == RunStatus.COMPLETED for rid in run_ids)
    assert all(finals[rid].output == {"id": rid} for rid in run_ids)
    assert finals[late].status == RunStatus.FAILED and finals[late].payload == {"late": True}
    assert all(tag in r.tags for r in seen)


def test_a_tag_feed_never_ends_on_its_own(emulator: TriggerEmulator) -> None:
    task, tag = unique("tag-end"), unique("tag")
    run_ids = [emulator.create_run(task, {"i": i}, tags=[tag]) for i in range(3)]
    for run_id in run_ids:
        emulator.play(run_id, "success", interval=0)
    seen: list[Run] = []
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_runs_with_tag([tag], timeout=1.5)
        with pytest.raises(SubscriptionTimeout) as info:
            for run in subscription:
                seen.append(run)
    assert sorted(r.id for r in seen) == sorted(run_ids)
    assert all(r.status == RunStatus.COMPLETED for r in seen)
    assert info.value.last_run is not None and info.value.last_run.id in run_ids


def test_a_tag_feed_with_several_tags_needs_all_of_them(emulator: TriggerEmulator) -> None:
    task, a, b = unique("tags"), unique("a"), unique("b")
    both = emulator.create_run(task, {}, tags=[a, b])
    emulator.create_run(task, {}, tags=[a])
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_runs_with_tag([a, b], timeout=1.0)
        seen = []
        with pytest.raises(SubscriptionTimeout):
            for run in subscription:
                seen.append(run.id)
    assert seen == [both]


def test_created_at_bounds_the_look_back_window(emulator: TriggerEmulator) -> None:
    task, tag = unique("window"), unique("tag")
    fresh = emulator.create_run(task, {}, tags=[tag])
    old = emulator.create_run(task, {}, tags=[tag])
    ancient = emulator.create_run(task, {}, tags=[tag])
    now_ms = emulator.get_run(fresh)["createdAt"]
    emulator.update_run(old, createdAt=now_ms - 2 * 3_600_000)
    emulator.update_run(ancient, createdAt=now_ms - 3 * 86_400_000)

    def ids(created_at: str | None) -> set[str]:
        seen: set[str] = set()
        with client_for(emulator) as client:
            feed = client.runs.subscribe_to_runs_with_tag(tag, created_at=created_at, timeout=1.0)
            with pytest.raises(SubscriptionTimeout):
                for run in feed:
                    seen.add(run.id)
        return seen

    assert ids("1h") == {fresh}
    assert ids("3h") == {fresh, old}
    assert ids(None) == {fresh, old}  # the server's default window is 24 hours
    assert ids("30d") == {fresh, old}  # capped by the server at 24 hours
    requests = [r for r in emulator.requests if r.path == "/realtime/v1/runs"]
    assert {r.query.get("createdAt") for r in requests if r.query.get("tags") == tag} == {
        "1h",
        "3h",
        None,
        "30d",
    }


def test_tag_feed_arguments_are_checked(emulator: TriggerEmulator) -> None:
    with client_for(emulator) as client:
        for bad in ([], "", ["a,b"], ["ok", ""]):
            with pytest.raises(ValueError):
                client.runs.subscribe_to_runs_with_tag(bad)


def test_a_batch_feed_follows_every_run_of_the_batch(emulator: TriggerEmulator) -> None:
    task = unique("batch-feed")
    batch_id, run_ids = emulator.create_batch(task, [{"n": n} for n in range(5)])
    emulator.create_run(task, {"not": "in the batch"})
    seen: list[Run] = []
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_batch(batch_id, timeout=30)
        playing = False
        for run in subscription:
            seen.append(run)
            if not playing and {r.id for r in seen} == set(run_ids):
                playing = True
                for run_id in run_ids:
                    emulator.play(run_id, "success", interval=0, output=run_id)
            latest = {r.id: r for r in seen}
            if playing and all(latest[rid].is_finished for rid in run_ids):
                break
        subscription.close()
    assert {r.id for r in seen} == set(run_ids)
    assert max(Counter((r.id, r.updated_at) for r in seen).values()) == 1
    assert {r.id: r.output for r in seen if r.is_finished} == {rid: rid for rid in run_ids}


def test_a_batch_feed_never_ends_on_its_own(emulator: TriggerEmulator) -> None:
    batch_id, run_ids = emulator.create_batch(unique("batch-end"), [1, 2])
    for run_id in run_ids:
        emulator.play(run_id, "failure", interval=0)
    seen = []
    with client_for(emulator) as client:
        with pytest.raises(SubscriptionTimeout):
            for run in client.runs.subscribe_to_batch(batch_id, timeout=1.5):
                seen.append(run.id)
    assert sorted(seen) == sorted(run_ids)


# -- list --------------------------------------------------------------------------------------


def test_list_iterates_over_every_page_newest_first(emulator: TriggerEmulator) -> None:
    task = unique("list")
    run_ids = [emulator.create_run(task, {"i": i}) for i in range(7)]
    with client_for(emulator) as client:
        runs = [run for run in client.runs.list(task_identifier=task, page_size=3)]
    assert all(isinstance(run, ListRunItem) for run in runs)
    assert [run.id for run in runs] == run_ids[::-1]
    assert all(run.task_identifier == task and run.status == RunStatus.QUEUED for run in runs)
    queries = list_requests(emulator, task)
    assert [q.get("page[after]") for q in queries] == [None, runs[2].id, runs[5].id]
    assert {q["page[size]"] for q in queries} == {"3"}


def test_list_has_no_hidden_cap(emulator: TriggerEmulator) -> None:
    task = unique("list-many")
    for i in range(130):
        emulator.create_run(task, {"i": i})
    with client_for(emulator) as client:
        runs = [run for run in client.runs.list(task_identifier=task)]
    assert len(runs) == len({run.id for run in runs}) == 130
    queries = list_requests(emulator, task)
    assert len(queries) == 6  # the server's default page size is 25
    assert all("page[size]" not in q for q in queries)


def test_list_fetches_pages_only_as_needed(emulator: TriggerEmulator) -> None:
    task = unique("list-lazy")
    for i in range(10):
        emulator.create_run(task, {"i": i})
    with client_for(emulator) as client:
        listing = client.runs.list(task_identifier=task, page_size=4)
        assert list_requests(emulator, task) == []  # nothing is fetched before iterating
        for _ in listing:
            break
        assert len(list_requests(emulator, task)) == 1
        again = [run.id for run in listing]  # each iteration starts again
        assert len(again) == 10
        assert len(list_requests(emulator, task)) == 4


def test_list_pages(emulator: TriggerEmulator) -> None:
    task = unique("list-pages")
    run_ids = [emulator.create_run(task, {"i": i}) for i in range(7)]
    with client_for(emulator) as client:
        pages = [page for page in client.runs.list(task_identifier=task, page_size=3).pages()]
        assert [len(page) for page in pages] == [3, 3, 1]
        assert [page.has_next for page in pages] == [True, True, False]
        assert [page.has_previous for page in pages] == [False, True, True]
        assert pages[0].next_cursor == pages[0].data[-1].id
        assert [run.id for page in pages for run in page.data] == run_ids[::-1]
        # resume from a kept cursor
        rest = client.runs.list(task_identifier=task, page_size=3).pages(after=pages[0].next_cursor)
        assert [len(page) for page in rest] == [3, 1]


def test_list_page_one_page_at_a_time(emulator: TriggerEmulator) -> None:
    task = unique("list-page")
    run_ids = [emulator.create_run(task, {"i": i}) for i in range(5)][::-1]
    with client_for(emulator) as client:
        first = client.runs.list_page(task_identifier=task, page_size=2)
        assert isinstance(first, RunPage)
        assert [r.id for r in first.data] == run_ids[:2] and first.has_next
        second = client.runs.list_page(task_identifier=task, page_size=2, after=first.next_cursor)
        assert [r.id for r in second.data] == run_ids[2:4]
        assert second.previous_cursor is not None
        back = client.runs.list_page(
            task_identifier=task, page_size=2, before=second.previous_cursor
        )
        assert [r.id for r in back.data] == run_ids[:2]
        with pytest.raises(ValueError):
            client.runs.list_page(after="run_a", before="run_b")


def test_list_filters(emulator: TriggerEmulator) -> None:
    task, other, tag = unique("filters"), unique("filters-other"), unique("tag")
    done = emulator.create_run(task, {}, tags=[tag])
    emulator.play(done, "success", interval=0)
    failed = emulator.create_run(task, {}, tags=["x"])
    emulator.play(failed, "failure", interval=0)
    queued = emulator.create_run(task, {}, is_test=True)
    elsewhere = emulator.create_run(other, {}, tags=[tag])
    old = emulator.create_run(task, {})
    created = emulator.get_run(old)["createdAt"]
    emulator.update_run(old, createdAt=created - 3 * 3_600_000)
    batch_id, batch_runs = emulator.create_batch(task, [{}, {}])

    with client_for(emulator) as client:

        def ids(**filters: object) -> set[str]:
            return {run.id for run in client.runs.list(**filters)}  # type: ignore[arg-type]

        assert ids(task_identifier=task, status="COMPLETED") == {done}
        assert ids(task_identifier=task, status=[RunStatus.COMPLETED, RunStatus.FAILED]) == {
            done,
            failed,
        }
        assert ids(tag=tag) == {done, elsewhere}
        assert ids(task_identifier=[task, other], tag=[tag]) == {done, elsewhere}
        assert ids(task_identifier=task, is_test=True) == {queued}
        assert queued not in ids(task_identifier=task, is_test=False)
        assert ids(batch=batch_id) == set(batch_runs)
        assert old not in ids(task_identifier=task, period="1h")
        assert old in ids(task_identifier=task, period="4h")
        cutoff = datetime.fromtimestamp((created - 3_600_000) / 1000, tz=UTC)
        assert ids(task_identifier=task, created_before=cutoff) == {old}
        assert old not in ids(task_identifier=task, created_after=cutoff)
        assert ids(task_identifier=task, version="20250101.1") == {done, failed}
    query = [r.query for r in emulator.requests if r.query.get("filter[status]")][-1]
    assert query["filter[status]"] == "COMPLETED,FAILED"


def test_list_arguments_are_checked(emulator: TriggerEmulator) -> None:
    with client_for(emulator) as client:
        with pytest.raises(ValueError):
            client.runs.list(page_size=0)
        with pytest.raises(ValueError):
            client.runs.list(page_size=101)
        with pytest.raises(ValueError):
            client.runs.list(period="1d", created_after=datetime.now(UTC))
        with pytest.raises(ValueError):
            client.runs.list(status="COMPLETED,FAILED")
        with pytest.raises(ValueError):
            client.runs.list(tag=[])
        with pytest.raises(TypeError):
            client.runs.list(created_after="yesterday")  # type: ignore[arg-type]


# -- retrieve, cancel, replay, reschedule -----------------------------------------------------------


@pytest.mark.parametrize("lifecycle", ["success", "failure", "cancel", "delayed"])
def test_retrieve_keeps_every_field_of_the_response(
    emulator: TriggerEmulator, lifecycle: str
) -> None:
    """Every field of the ``GET /api/v3/runs/{id}`` body that ``Run`` has is in the retrieved run
    with the same value, and the run has no value the body lacks (``number`` and
    ``realtime_streams`` aside: the REST body has neither; a run's v2 streams are listed only in
    its realtime shape row)."""
    options = {"delay": "1h"} if lifecycle == "delayed" else {}
    run_id = emulator.create_run(
        unique("fields"), {"n": 1}, tags=["b", "a"], metadata={"progress": 0.5}, ttl="10m",
        idempotency_key=unique("key"), **options,
    )  # fmt: skip
    if lifecycle != "delayed":
        emulator.play(run_id, lifecycle, interval=0, output={"r": [1, 2]})
    with httpx.Client(base_url=emulator.base_url) as http:
        response = http.get(
            f"/api/v3/runs/{run_id}", headers={"authorization": f"Bearer {emulator.secret_key}"}
        )
    body = response.json()
    with client_for(emulator) as client:
        run = client.runs.retrieve(run_id)
    assert "realtimeStreams" not in body
    assert run.realtime_streams == []
    names = {f.metadata.get("json", f.name) for f in attrs.fields(Run)} - {"number"}
    theirs = js_run({k: v for k, v in body.items() if k in names})
    assert py_run(run, drop=frozenset({"number", "realtime_streams"})) == theirs


def test_retrieve_resolves_an_offloaded_payload(emulator: TriggerEmulator) -> None:
    payload = {"blob": "y" * 600_000}
    run_id = emulator.create_run(unique("big"), payload)
    assert emulator.get_run(run_id)["payloadType"] == "application/store"
    with client_for(emulator) as client:
        run = client.runs.retrieve(run_id)
    assert run.payload == payload


def test_cancel(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("cancel"), {})
    with client_for(emulator) as client:
        result = client.runs.cancel(run_id)
        assert result.id == run_id
        assert (client.runs.retrieve(run_id)).status == RunStatus.CANCELED
        assert (client.runs.cancel(run_id)).id == run_id  # again: nothing changes
        with pytest.raises(NotFoundError):
            client.runs.cancel("run_doesnotexist")


def test_cancel_is_retried_and_replay_is_not(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("retries"), {"n": 1})
    with client_for(emulator) as client:
        emulator.inject(f"/api/v2/runs/{run_id}/cancel", faults.status(503), times=1)
        assert (client.runs.cancel(run_id)).id == run_id
        emulator.inject(f"/api/v1/runs/{run_id}/replay", faults.status(503), times=1)
        with pytest.raises(InternalServerError):
            client.runs.replay(run_id)
    cancels = [r for r in emulator.requests if r.path == f"/api/v2/runs/{run_id}/cancel"]
    replays = [r for r in emulator.requests if r.path == f"/api/v1/runs/{run_id}/replay"]
    assert [r.status for r in cancels] == [503, 200]
    assert [r.status for r in replays] == [503]


def test_replay_makes_a_new_run_with_the_same_payload(emulator: TriggerEmulator) -> None:
    task = unique("replay")
    run_id = emulator.create_run(task, {"n": [1, 2]}, tags=["a"])
    emulator.play(run_id, "failure", interval=0)
    with client_for(emulator) as client:
        result = client.runs.replay(run_id)
        assert result.id != run_id
        replayed = client.runs.retrieve(result.id)
    assert replayed.task_identifier == task
    assert replayed.payload == {"n": [1, 2]}
    assert replayed.tags == ["a"]
    assert replayed.status == RunStatus.QUEUED


def test_replay_needs_a_secret_key(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("replay-jwt"), {})
    token = emulator.create_token([f"read:runs:{run_id}", f"write:runs:{run_id}"])
    with client_for(emulator) as client:
        with pytest.raises(APIStatusError) as info:
            client.runs.replay(run_id, access_token=token)
        assert info.value.status_code in (401, 403)
        # a public token with write access may cancel
        assert (client.runs.cancel(run_id, access_token=token)).id == run_id


def test_reschedule(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("reschedule"), {"n": 1}, delay="1h")
    with client_for(emulator) as client:
        before = client.runs.retrieve(run_id)
        assert before.status == RunStatus.DELAYED and before.delayed_until is not None
        later = client.runs.reschedule(run_id, delay=timedelta(hours=3))
        assert later.id == run_id and later.status == RunStatus.DELAYED
        assert later.delayed_until is not None
        moved = later.delayed_until - before.delayed_until
        assert timedelta(hours=1, minutes=59) < moved < timedelta(hours=2, minutes=1)
        assert later.payload == {"n": 1}
        when = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
        at = client.runs.reschedule(run_id, delay=when)
        assert at.delayed_until == when
        assert (client.runs.reschedule(run_id, delay="10m")).delayed_until is not None
        with pytest.raises(BadRequestError):
            client.runs.reschedule(run_id, delay="soon")
        with pytest.raises(ValueError):
            client.runs.reschedule(run_id, delay=timedelta(0))
        started = emulator.create_run(unique("reschedule"), {})
        with pytest.raises(BadRequestError, match="not delayed"):  # a 400, as the server
            client.runs.reschedule(started, delay="1h")
    bodies = [r for r in emulator.requests if r.path == f"/api/v1/runs/{run_id}/reschedule"]
    assert len(bodies) == 4


# -- wait --------------------------------------------------------------------------------------


@pytest.mark.parametrize("poll", [False, True])
def test_wait_returns_the_finished_run(emulator: TriggerEmulator, poll: bool) -> None:
    run_id = emulator.create_run(unique("wait"), {"n": 1})
    with client_for(emulator) as client:
        playback = emulator.start_play(run_id, "success", interval=0.1, output={"ok": 1})
        run = client.runs.wait(run_id, timeout=30, poll=poll, poll_interval=0.05)
        playback.wait()
    assert run.status == RunStatus.COMPLETED and run.output == {"ok": 1}
    paths = {r.path for r in emulator.requests if run_id in r.path}
    assert (f"/api/v3/runs/{run_id}" in paths) is poll
    assert (f"/realtime/v1/runs/{run_id}" in paths) is not poll


def test_wait_returns_failed_runs_too(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("wait-fail"), {})
    emulator.play(run_id, "crash", interval=0)
    with client_for(emulator) as client:
        run = client.runs.wait(run_id, timeout=30)
    assert run.status == RunStatus.CRASHED and run.is_failed


def test_wait_timeout_carries_the_last_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("wait-timeout"), {})
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    with client_for(emulator) as client:
        with pytest.raises(RunWaitTimeout) as info:
            client.runs.wait(run_id, timeout=0.8)
    assert info.value.last_run is not None
    assert info.value.last_run.status == RunStatus.EXECUTING
