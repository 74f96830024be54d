# Generated from tests/_async/test_subscribe_to_run.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""runs.subscribe_to_run and runs.retrieve against the emulator, over real loopback HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest

from trigger_client import (
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    RunStatus,
    SubscriptionTimeout,
    TriggerClient,
)
from trigger_client._backends import SyncBackend
from trigger_client.testing import TriggerEmulator

pytestmark = pytest.mark.anyio


def client_for(emulator: TriggerEmulator) -> TriggerClient:
    return TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)


def test_yields_every_state_then_stops_after_the_finished_run(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("email-sequence", {"to": "a@example.com"}, tags=["user:1"])
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        statuses: list[RunStatus] = []
        playback = None
        for run in subscription:
            statuses.append(run.status)
            if playback is None:
                playback = emulator.start_play(run_id, "success", interval=0.3)
        assert playback is not None
        playback.wait()
    # dequeue (DEQUEUED, which the server shows as EXECUTING), start (startedAt set), complete
    assert statuses == [
        RunStatus.QUEUED,
        RunStatus.EXECUTING,
        RunStatus.EXECUTING,
        RunStatus.COMPLETED,
    ]
    assert subscription.closed
    assert subscription.last is not None and subscription.last.is_success
    assert subscription.last.finished_at is not None
    assert subscription.last.payload == {"to": "a@example.com"}
    assert subscription.last.tags == ["user:1"]


def test_yields_the_current_state_first(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    emulator.play(run_id, ["dequeue", "start"], interval=0)
    with client_for(emulator) as client:
        with client.runs.subscribe_to_run(run_id, timeout=30) as subscription:
            for run in subscription:
                assert run.status == RunStatus.EXECUTING
                assert run.started_at is not None
                break


def test_a_run_finished_before_subscribing_yields_once(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    emulator.play(run_id, "failure", interval=0)
    with client_for(emulator) as client:
        runs = [run for run in client.runs.subscribe_to_run(run_id, timeout=30)]
    assert [r.status for r in runs] == [RunStatus.FAILED]
    assert runs[0].is_failed and runs[0].error is not None


def test_timeout_raises_with_the_last_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=1.0)
        seen = []
        with pytest.raises(SubscriptionTimeout) as info:
            for run in subscription:
                seen.append(run)
    assert len(seen) == 1
    assert info.value.last_run == seen[0]
    assert subscription.closed


def test_stop_on_completion_false_keeps_following(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    emulator.play(run_id, "success", interval=0)
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, stop_on_completion=False, timeout=1.0)
        with pytest.raises(SubscriptionTimeout) as info:
            for _ in subscription:
                pass
    assert info.value.last_run is not None
    assert info.value.last_run.status == RunStatus.COMPLETED


def test_skip_columns_leaves_payload_and_output_out(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"big": "x" * 100})
    emulator.play(run_id, "success", interval=0, output={"result": 1})
    with client_for(emulator) as client:
        runs = [
            run
            for run in client.runs.subscribe_to_run(
                run_id, skip_columns=["payload", "output"], timeout=30
            )
        ]
    assert runs[-1].status == RunStatus.COMPLETED
    assert runs[-1].payload is None and runs[-1].output is None


def test_close_is_idempotent_and_ends_iteration(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        first = subscription.__next__()
        assert subscription.last == first
        subscription.close()
        subscription.close()
        assert [run for run in subscription] == []


def test_break_leaves_no_request_in_flight(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with client_for(emulator) as client:
        for _ in client.runs.subscribe_to_run(run_id, timeout=30):
            break
        path = f"/realtime/v1/runs/{run_id}"
        count = len([r for r in emulator.requests if r.path == path])
        SyncBackend.sleep(0.5)  # nothing more is sent, and nothing is left in flight
        mine = [r for r in emulator.requests if r.path == path]
        assert len(mine) == count
        assert all(r.done for r in mine)


def test_the_poll_feed_yields_the_same_final_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(
            run_id, feed="poll", poll_interval=0.05, timeout=30
        )
        playback = None
        statuses = []
        for run in subscription:
            statuses.append(run.status)
            if playback is None:
                playback = emulator.start_play(run_id, "success", interval=0.3)
        retrieved = client.runs.retrieve(run_id)
    assert statuses[0] == RunStatus.QUEUED and statuses[-1] == RunStatus.COMPLETED
    assert RunStatus.EXECUTING in statuses
    assert subscription.last is not None
    assert retrieved.status == RunStatus.COMPLETED
    assert retrieved.finished_at == subscription.last.finished_at


def test_transport_is_a_deprecated_name_of_feed(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    emulator.play(run_id, "success")
    with client_for(emulator) as client:
        with pytest.warns(
            DeprecationWarning, match=r"transport=\.\.\.\) is deprecated: pass feed="
        ):
            subscription = client.runs.subscribe_to_run(run_id, transport="poll", timeout=30)
        runs = [run for run in subscription]
        with pytest.warns(DeprecationWarning), pytest.raises(InvalidArgumentError, match="feed="):
            client.runs.subscribe_to_run(run_id, feed="poll", transport="realtime")
    assert [run.status for run in runs] == [RunStatus.COMPLETED]
    sent = [r.path for r in emulator.requests if run_id in r.path]
    assert sent == [f"/api/v3/runs/{run_id}"]  # polled, not the realtime endpoint


def test_retrieve_returns_a_typed_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1}, tags=["b", "a"])
    with client_for(emulator) as client:
        run = client.runs.retrieve(run_id)
    assert run.id == run_id
    assert run.status == RunStatus.QUEUED
    assert run.payload == {"n": 1}
    assert isinstance(run.created_at, datetime) and run.created_at.tzinfo is not None
    assert sorted(run.tags) == ["a", "b"]


def test_unknown_run_raises_not_found(emulator: TriggerEmulator) -> None:
    with client_for(emulator) as client:
        with pytest.raises(NotFoundError):
            for _ in client.runs.subscribe_to_run("run_doesnotexist", timeout=10):
                pass
        with pytest.raises(NotFoundError):
            client.with_options(max_retries=0).runs.retrieve("run_doesnotexist")


def test_a_bad_key_raises_authentication_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with TriggerClient(base_url=emulator.base_url, access_token="tr_dev_notakey") as client:
        with pytest.raises(AuthenticationError) as info:
            for _ in client.runs.subscribe_to_run(run_id, timeout=10):
                pass
    assert info.value.status_code == 401
    assert "tr_dev_notakey" not in str(info.value)


def test_an_unknown_status_does_not_break_the_subscription(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    emulator.update_run(run_id, status="HIBERNATING")
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        run = subscription.__next__()
        assert run.status == "HIBERNATING" and not run.status.is_known
        assert not run.is_finished
        emulator.update_run(run_id, status="EXECUTING")
        emulator.play(run_id, ["complete"], interval=0)
        final = None
        for run in subscription:
            final = run
        assert final is not None and final.status == RunStatus.COMPLETED
        subscription.close()


def test_offloaded_packets_are_fetched_once_per_version(emulator: TriggerEmulator) -> None:
    big = {"blob": "y" * (512 * 1024)}
    run_id = emulator.create_run("report", big)
    with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        playback = None
        runs = []
        for run in subscription:
            runs.append(run)
            if playback is None:
                playback = emulator.start_play(run_id, "metadata_progress", interval=0.05)
    assert len(runs) >= 4
    assert all(run.payload == big for run in runs)
    presigns = [r for r in emulator.requests if r.path.startswith("/api/v1/packets/")]
    mine = [r for r in presigns if run_id in r.path]
    assert len(mine) == 1, [r.path for r in presigns]
    assert runs[-1].metadata is not None and runs[-1].metadata["progress"] == 1.0
