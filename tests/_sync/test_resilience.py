# Generated from tests/_async/test_resilience.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Named past bugs: one test per failure of the official Electric client (protocol-electric.md
section 4) and per pitfall of user-needs.md (E1-E7, N4-N6, N9, H3-H5) that applies to us.

Each test provokes the original failure against the emulator and checks the request log as well
as what the subscription yields. Backoff timings are made exact where it matters by removing the
jitter (``AsyncBackend.random`` patched to 1.0: every delay is its cap). The sync twin is generated
by ``make codegen``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import httpx
import pytest

from trigger_client import (
    APIResponseValidationError,
    BadRequestError,
    NotFoundError,
    RealtimeConnectionLimitError,
    RealtimeProtocolError,
    RetryPolicy,
    Run,
    RunStatus,
    SubscriptionTimeout,
    TriggerClient,
)
from trigger_client._backends import SyncBackend
from trigger_client._config import DEFAULT_LIVE_TIMEOUT, ELECTRIC_VERSION
from trigger_client.testing import RequestRecord, TriggerEmulator, faults

pytestmark = pytest.mark.anyio

#: Backoff caps 0.01, 0.02, 0.04, ... 0.2 s.
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.2)
#: How long the module's emulators hold a live request.
HOLD = 0.3
UP_TO_DATE = {"headers": {"control": "up-to-date"}}
Transport = Literal["realtime", "poll"]


@pytest.fixture(scope="module")
def fast_emulators() -> Iterator[dict[str, TriggerEmulator]]:
    """An Electric and a native emulator holding live requests 0.3 s (the real service: 20 s)."""
    with (
        TriggerEmulator(long_poll_ms=int(HOLD * 1000)) as electric,
        TriggerEmulator(backend="native", long_poll_ms=int(HOLD * 1000)) as native,
    ):
        yield {"electric": electric, "native": native}


@pytest.fixture
def emu(fast_emulators: dict[str, TriggerEmulator]) -> Iterator[TriggerEmulator]:
    electric = fast_emulators["electric"]
    electric.faults.clear()
    yield electric
    electric.faults.clear()


@pytest.fixture
def native(fast_emulators: dict[str, TriggerEmulator]) -> Iterator[TriggerEmulator]:
    emulator = fast_emulators["native"]
    emulator.faults.clear()
    yield emulator
    emulator.faults.clear()


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every backoff delay is exactly its cap (``random()`` always returns 1.0)."""
    monkeypatch.setattr(SyncBackend, "random", staticmethod(lambda: 1.0))


def client_for(emulator: TriggerEmulator, **options: Any) -> TriggerClient:
    options.setdefault("retry_policy", FAST)
    options.setdefault("access_token", emulator.secret_key)
    return TriggerClient(base_url=emulator.base_url, **options)


def realtime_path(run_id: str) -> str:
    return f"/realtime/v1/runs/{run_id}"


def requests_to(emulator: TriggerEmulator, path: str) -> list[RequestRecord]:
    """The SDK's requests to ``path`` (not the test's own, made with plain httpx)."""
    return [
        r
        for r in emulator.requests
        if r.path == path and r.headers.get("user-agent", "").startswith("trigger-client")
    ]


def electric_headers(emulator: TriggerEmulator) -> dict[str, str]:
    return {
        "authorization": f"Bearer {emulator.secret_key}",
        "x-trigger-electric-version": ELECTRIC_VERSION,
    }


def shape_get(emulator: TriggerEmulator, path: str, **params: str) -> httpx.Response:
    """One shape request of our own (it does not disturb the SDK's state)."""
    with httpx.Client(base_url=emulator.base_url, headers=electric_headers(emulator)) as http:
        return http.get(path, params=params)


class Responses:
    """Every response the SDK received (an httpx event hook on an ``http_client`` of ours)."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, str], int, dict[str, str]]] = []

    def hook(self, response: httpx.Response) -> None:
        query = dict(response.request.url.params)
        self.seen.append((query, response.status_code, dict(response.headers)))


def gaps(records: list[RequestRecord]) -> list[float]:
    """Seconds between the arrivals of consecutive requests."""
    return [b.time - a.time for a, b in zip(records, records[1:], strict=False)]


def statuses(runs: list[Run]) -> list[RunStatus]:
    return [run.status for run in runs]


def assert_in_order(runs: list[Run]) -> None:
    """No run older than one already yielded, no run yielded twice in a row."""
    for before, after in zip(runs, runs[1:], strict=False):
        assert after.updated_at >= before.updated_at, (before, after)
        assert after != before


# -- E1: 409 must-refetch ------------------------------------------------------------------------


def test_409_restarts_from_minus_one_with_the_new_handle(emu: TriggerEmulator) -> None:
    """Electric 958cc0c07 "Client handles 409 by restarting stream" (E1, archived-electric-next
    #110 / PR #121): after a 409 the next request is ``offset=-1`` with the 409's new handle, a
    cache-buster and ``expired_handle=<old>``; the old handle is never sent again."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    responses = Responses()
    with httpx.Client(event_hooks={"response": [responses.hook]}) as http:
        with client_for(emu, http_client=http) as client:
            subscription = client.runs.subscribe_to_run(run_id, timeout=15)
            runs = [subscription.__next__()]
            (old,) = emu.rotate_shapes(run_id)
            emu.play(run_id, "success", interval=0)
            for run in subscription:
                runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    conflicts = [i for i, (_, status, _) in enumerate(responses.seen) if status == 409]
    assert len(conflicts) == 1
    new = responses.seen[conflicts[0]][2]["electric-handle"]
    assert new != old
    retry = responses.seen[conflicts[0] + 1][0]
    assert retry["offset"] == "-1" and retry["handle"] == new
    assert retry["expired_handle"] == old and retry["cache-buster"]
    later = responses.seen[conflicts[0] + 1 :]
    assert all(query.get("handle") != old for query, _, _ in later)
    assert len(requests_to(emu, path)) == len(responses.seen)


def test_never_live_on_offset_minus_one(emu: TriggerEmulator) -> None:
    """Electric af3452ae9 "Invalid initial request with offset=-1 and live": ``live`` is never sent
    before the first up-to-date, nor with ``offset=-1`` after a 409; the server would answer 400."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        subscription.__next__()
        emu.inject(path, faults.must_refetch(), query={"live": "true"})
        emu.play(run_id, "success", interval=0.05)
        runs = [run for run in subscription]
    assert runs[-1].status == RunStatus.COMPLETED
    log = requests_to(emu, path)
    assert not log[0].live and log[0].query["offset"] == "-1"
    assert all(not (r.live and r.query["offset"] == "-1") for r in log)
    assert all(r.status in (200, 409) for r in log)
    assert any(r.live for r in log)


def test_409_without_a_handle_uses_a_fresh_cache_buster_and_never_invents_one(
    emu: TriggerEmulator,
) -> None:
    """Electric 2c19914eb / 0031e8177 (E1: #2934 a 409 may lack ``electric-handle``; PR #3961 the
    ``-next`` suffix grew until 414 URI Too Long): a 409 without a handle resets to ``offset=-1``
    with no handle at all, each consecutive 409 gets a new random cache-buster (every retry URL is
    unique), and no handle is ever made up."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        # The shape rotates, and a proxy strips electric-handle from the next three 409s.
        emu.rotate_shapes(run_id)
        emu.inject(path, faults.status(409), times=3)
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    log = requests_to(emu, path)
    first_409 = next(i for i, r in enumerate(log) if r.status == 409)
    resync = log[first_409 + 1 : first_409 + 4]
    assert [r.status for r in resync] == [409, 409, 200]
    assert all(r.query["offset"] == "-1" and "handle" not in r.query for r in resync)
    busters = [r.query["cache-buster"] for r in resync]
    assert len(set(busters)) == 3
    # Without a new handle nothing proves the old one is gone, so it is not marked expired (a
    # 409 from a proxy while the shape lives on must not make every later answer "stale").
    assert "expired_handle" not in resync[-1].query
    urls = [tuple(sorted(r.query.items())) for r in log]
    assert len(set(urls[first_409 + 1 :])) == len(urls[first_409 + 1 :])
    assert not any(v.endswith("-next") for r in log for v in r.query.values())


def test_a_409_that_did_not_rotate_the_shape_self_heals(emu: TriggerEmulator) -> None:
    """Electric #3116 (sporadic ``offset=-1`` -> 409 loops) and the TS client's self-healing
    (protocol-electric.md 2.8): a 409 may come from a proxy or a cache while the shape lives on.
    The resync then gets the same handle again; the client must take it, not loop until its
    deadline (a 409 without a new handle does not mark the old one expired)."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=3)
        runs = [subscription.__next__()]
        emu.inject(path, faults.status(409), query={"live": "true"})  # no rotation, no handle
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert len(requests_to(emu, path)) < 20


def test_the_refetch_loop_is_bounded_and_backs_off(emu: TriggerEmulator, no_jitter: None) -> None:
    """Electric b449f70ff / a15c7b6bb "bound and back off the retry loop" and 8600d255e
    fast-loop detection (E1: "cap consecutive refetches, then back off"): a shape that rotates
    on every request (409 after 409) is retried at once only a few times, then with the backoff
    of the retry policy."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    policy = RetryPolicy(initial_delay=0.02, max_delay=0.1)
    emu.inject(path, faults.must_refetch(), times=10)
    with client_for(emu, retry_policy=policy) as client:
        emu.play(run_id, "success", interval=0)
        runs = [run for run in client.runs.subscribe_to_run(run_id, timeout=15)]
    assert statuses(runs) == [RunStatus.COMPLETED]
    log = requests_to(emu, path)
    conflicts = [r for r in log if r.status == 409]
    assert len(conflicts) == 10
    # Refetches 1-4 go at once; from the 5th on, each waits its (jitter-free) backoff.
    expected = [0.02, 0.04, 0.08, 0.1, 0.1, 0.1]
    waits = gaps(log[: len(conflicts) + 1])[4:]
    assert all(w >= e - 0.002 for w, e in zip(waits, expected, strict=True)), waits


# -- E2: stale caches ----------------------------------------------------------------------------


def test_a_stale_cached_response_with_an_expired_handle_is_rejected_and_busted(
    emu: TriggerEmulator,
) -> None:
    """Electric 64dcfec76 / f6e7c7548 / 41d11f40f / fef494e34 / 4c2d6b511 / 690e25a95 (E2: PR #3701):
    after a 409, a cached 200 carrying the expired handle is discarded (its offset is not taken,
    nothing is yielded from it) and the same request is retried with a new cache-buster."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.inject(path, faults.stale_handle(), query={"offset": "-1"})
        (old,) = emu.rotate_shapes(run_id)
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    log = requests_to(emu, path)
    stale = next(i for i, r in enumerate(log) if r.fault == "stale_handle")
    after = log[stale + 1]
    assert after.query["offset"] == "-1"
    assert after.query["expired_handle"] == old
    assert after.query["cache-buster"] != log[stale].query["cache-buster"]
    assert all(r.query.get("handle") != old for r in log[stale:])


def test_a_cached_answer_after_a_bare_409_never_yields_a_partial_run(
    emu: TriggerEmulator,
) -> None:
    """E2 (Electric PR #3889: a CDN that ignores query strings serves a cached answer of another
    URL; PR #3701) after E1 (#2934: a 409 without ``electric-handle``): Electric answers
    ``offset=-1`` with a snapshot (inserts, never updates, never up-to-date), so a cached live
    answer (partial updates + up-to-date) cannot be taken as the resync. The subscription never
    yields half a run, nor a state the run never had, and still ends on the final one."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=5)
        runs = [subscription.__next__()]
        emu.play(run_id, ["dequeue"], interval=0)
        runs.append(subscription.__next__())  # from a live answer: a partial update
        emu.inject(path, faults.status(409), query={"live": "true"})  # no handle, no rotation
        emu.inject(path, faults.stale_handle(), query={"offset": "-1"})  # that live answer again
        emu.play(run_id, ["start", "complete"], interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    assert all(run.task_identifier == "t" for run in runs)


def test_a_cached_answer_of_another_shape_is_never_merged(emu: TriggerEmulator) -> None:
    """E2 (Electric PR #3889: a CDN that ignores query strings serves a cached answer of another
    URL) after E1 (#2934: a 409 without ``electric-handle``, which expires nothing): the shape
    rotates, a proxy answers the client's next live request with a bare 409, and the resync gets
    the new shape's snapshot; then a cache answers its catch-up request (``offset=0_0`` and the
    new handle) with the old shape's last answer. Electric answers a request past ``offset=-1``
    from the shape it names or with a 409, so that answer is discarded (not merged into the new
    snapshot's rows, its offset and handle not taken), the catch-up is asked again with a new
    cache-buster, and the run still ends on its final state."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=10)
        runs = [subscription.__next__()]
        emu.play(run_id, ["dequeue", "start"], interval=0)
        while runs[-1].started_at is None:
            runs.append(subscription.__next__())
        # Between two yields nothing is in flight: the old shape's last answer is the live one
        # that carried "start" (partial updates, up-to-date, the old shape's offset).
        (old,) = emu.rotate_shapes(run_id)
        emu.inject(path, faults.status(409), query={"live": "true"})  # no handle: old not expired
        emu.inject(path, faults.stale_handle(), query={"offset": "0_0"})  # the old shape's answer
        emu.play(run_id, ["complete"], interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    assert all(run.finished_at is None for run in runs[:-1])
    log = requests_to(emu, path)
    cached = next(i for i, r in enumerate(log) if r.fault == "stale_handle")
    new = log[cached].query["handle"]
    assert new != old and "expired_handle" not in log[cached].query  # old was never expired
    assert log[cached - 1].query["offset"] == "-1" and log[cached - 1].status == 200
    retry = log[cached + 1]
    assert retry.query["offset"] == "0_0" and retry.query["handle"] == new
    assert "cache-buster" not in log[cached].query and "cache-buster" in retry.query
    assert all(r.query.get("handle") != old for r in log[cached:])
    assert not any(r.status == 409 for r in log[cached:])  # no second resync was needed


@pytest.mark.usefixtures("no_jitter")  # the bound below is exact, not a gamble on jitter
def test_a_cached_live_answer_echoing_the_cursor_is_busted_not_spun(
    emu: TriggerEmulator,
) -> None:
    """E2 (Electric PR #1826 / #1837 / PR #1856, "an infinite loop requesting the same cached
    response"; the Vercel CDN ignoring query strings, PR #3889): Electric never answers a live
    request with the cursor it was sent (protocol-electric.md 1.6), so an answer that echoes it
    comes from a cache. Re-requesting it at once would spin; the client must bust and back off."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    snapshot = shape_get(emu, path, offset="-1")
    handle = snapshot.headers["electric-handle"]
    cached = faults.status(
        200,
        body=[UP_TO_DATE],
        headers={"electric-handle": handle, "electric-offset": "0_inf", "electric-cursor": "42"},
    )
    emu.inject(path, cached, query={"live": "true"}, times=None)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=1.5)
        with pytest.raises(SubscriptionTimeout):
            for _ in subscription:
                pass
    live = [r for r in requests_to(emu, path) if r.live]
    assert len(live) <= 25, f"{len(live)} live requests in 1.5 s against a cached answer"


@pytest.mark.usefixtures("no_jitter")  # the bound below is exact, not a gamble on jitter
def test_a_replayed_snapshot_at_the_same_offset_backs_off(emu: TriggerEmulator) -> None:
    """Electric 8600d255e fast-loop detection (>= 5 non-live requests at the same offset) and E2
    (PR #3701, a stale cached answer): a cache that answers the catch-up request with the
    snapshot again (``electric-offset`` = the offset asked for, no up-to-date) never lets the
    client progress; it must bust and back off, not re-ask at once."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emu.inject(path, faults.stale_handle(), query={"offset": "0_0"}, times=None)
    with client_for(emu) as client:
        with pytest.raises(SubscriptionTimeout):
            for _ in client.runs.subscribe_to_run(run_id, timeout=1.5):
                pass
    replays = [r for r in requests_to(emu, path) if r.fault == "stale_handle"]
    assert len(replays) <= 25, f"{len(replays)} catch-up requests in 1.5 s"


def test_the_cursor_is_echoed_on_the_next_live_request(emulator: TriggerEmulator) -> None:
    """Electric 41845cb6b "server-provided cursor for live cache-busting" (E2: PR #1826 / #1856):
    each live request carries ``cursor=`` the ``electric-cursor`` of the previous live answer
    (empty on the first one)."""
    run_id = emulator.create_run("t", {"n": 1})
    responses = Responses()
    with httpx.Client(event_hooks={"response": [responses.hook]}) as http:
        with client_for(emulator, http_client=http) as client:
            emulator.start_play(run_id, "success", interval=0.4)
            runs = [run for run in client.runs.subscribe_to_run(run_id, timeout=15)]
    assert runs[-1].status == RunStatus.COMPLETED
    live = [(query, headers) for query, status, headers in responses.seen if query.get("live")]
    assert len(live) >= 2
    assert live[0][0]["cursor"] == ""
    for (_, answer), (query, _) in zip(live, live[1:], strict=False):
        assert query["cursor"] == answer["electric-cursor"]


# -- transient failures --------------------------------------------------------------------------


def test_429_is_retried_with_backoff(emu: TriggerEmulator, no_jitter: None) -> None:
    """Electric c0c9af69b "Handle 429s" (N9, electric PR #1830): a 429 (Trigger.dev's concurrent
    realtime connection limit, no Retry-After) is retried with the policy's backoff, unlike other
    4xx, and the subscription carries on."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emu.inject(path, faults.status(429), times=3)
    policy = RetryPolicy(initial_delay=0.05, max_delay=1.0)
    with client_for(emu, retry_policy=policy) as client:
        emu.play(run_id, "success", interval=0)
        runs = [run for run in client.runs.subscribe_to_run(run_id, timeout=15)]
    assert statuses(runs) == [RunStatus.COMPLETED]
    log = requests_to(emu, path)
    assert [r.status for r in log[:4]] == [429, 429, 429, 200]
    for wait, floor in zip(gaps(log[:4]), [0.05, 0.1, 0.2], strict=True):
        assert wait >= floor - 0.002


def test_a_persistent_429_is_a_connection_limit_error_at_the_deadline(
    emu: TriggerEmulator,
) -> None:
    """N9: past its deadline a subscription that only ever got 429s raises SubscriptionTimeout
    caused by RealtimeConnectionLimitError (which names the plan limit), with a bounded number
    of requests."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emu.inject(path, faults.status(429), times=None)
    with client_for(emu) as client:
        with pytest.raises(SubscriptionTimeout) as info:
            for _ in client.runs.subscribe_to_run(run_id, timeout=1.0):
                pass
    assert isinstance(info.value.__cause__, RealtimeConnectionLimitError)
    # FAST backoff over 1 s: about 12 requests; a tight loop would make hundreds.
    assert len(requests_to(emu, path)) <= 40


@pytest.mark.parametrize("transport", ["realtime", "poll"])
def test_retry_after_is_honoured_as_a_floor(
    emu: TriggerEmulator, transport: Transport, no_jitter: None
) -> None:
    """Electric ff36103be / 8287f5dae (Retry-After added, reverted, then honoured as a floor;
    E5): with a backoff far below it, the next request still waits ``Retry-After``."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id) if transport == "realtime" else f"/api/v3/runs/{run_id}"
    emu.inject(path, faults.status(503, retry_after=0.3), times=2)
    policy = RetryPolicy(initial_delay=0.001, max_delay=0.002)
    with client_for(emu, retry_policy=policy, max_retries=0) as client:
        emu.play(run_id, "success", interval=0)
        runs = [
            run
            for run in client.runs.subscribe_to_run(
                run_id, transport=transport, poll_interval=0.05, timeout=15
            )
        ]
    assert statuses(runs) == [RunStatus.COMPLETED]
    log = requests_to(emu, path)
    assert [r.status for r in log[:3]] == [503, 503, 200]
    assert all(wait >= 0.3 - 0.002 for wait in gaps(log[:3])), gaps(log[:3])


def test_a_body_read_failure_is_a_retryable_error(emu: TriggerEmulator) -> None:
    """Electric 56c338a6e / a328418c9 "body consumption errors": a connection dropped mid-body is a
    transient network error, retried (same request) with backoff; it never crashes the
    subscription or loses the state."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emu.inject(path, faults.drop_connection(), query={"offset": "-1"})
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.inject(path, faults.drop_connection(), query={"live": "true"})
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    log = requests_to(emu, path)
    drops = [i for i, r in enumerate(log) if r.fault == "drop_connection"]
    assert len(drops) == 2
    for i in drops:  # the retry repeats the dropped request
        assert log[i + 1].query == log[i].query


def test_recovering_from_a_transient_error_keeps_the_offset(emu: TriggerEmulator) -> None:
    """Electric e4f2c4dbe "don't reset the offset when recovering from an error" (duplicate inserts
    after an auth error): after a 503 and after a 401 answered by refreshing the token, the
    retry continues from the same offset and handle; nothing is yielded twice."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    minted: list[str] = []

    def token() -> str:
        minted.append(emu.secret_key)
        return emu.secret_key

    with client_for(emu, access_token=token) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.inject(path, faults.status(503), query={"live": "true"})
        emu.inject(path, faults.status(401, body={"error": "expired"}), query={"live": "true"})
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    assert len(minted) == 2  # the 401 refreshed the token once
    log = requests_to(emu, path)
    failed = [i for i, r in enumerate(log) if r.fault == "status"]
    assert [log[i].status for i in failed] == [503, 401]
    for i in failed:
        assert log[i + 1].query["offset"] == log[i].query["offset"] != "-1"
        assert log[i + 1].query["handle"] == log[i].query["handle"]
    assert sum(r.query["offset"] == "-1" for r in log) == 1


@pytest.mark.parametrize("where", ["catch-up", "live"])
def test_204_moves_to_live_without_spinning(emu: TriggerEmulator, where: str) -> None:
    """Electric d278b9f8b / 22cde89fd / c84d9850e (204 -> 200 for empty live responses, 204 kept
    for old servers; E3): a 204 means "up to date": from the catch-up it moves the subscription
    to live, on a live request it stays live; never back to ``offset=-1``, never a loop."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    snapshot = shape_get(emu, path, offset="-1")  # the shape the SDK will get
    headers = {
        "electric-handle": snapshot.headers["electric-handle"],
        "electric-offset": "0_inf",
        "electric-schema": snapshot.headers["electric-schema"],
        "electric-cursor": "1",
    }
    query = {"offset": "0_0"} if where == "catch-up" else {"live": "true"}
    times = 1 if where == "catch-up" else 3
    emu.inject(path, faults.status(204, body=b"", headers=headers), query=query, times=times)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        assert runs[0].status == RunStatus.QUEUED
        emu.play(run_id, "success", interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    log = requests_to(emu, path)
    answered = [i for i, r in enumerate(log) if r.status == 204]
    assert len(answered) == times
    assert all(log[i + 1].live for i in answered)
    assert sum(r.query["offset"] == "-1" for r in log) == 1
    assert len(log) <= times + 6


def test_a_slow_live_response_beyond_the_hold_is_survived(emu: TriggerEmulator) -> None:
    """Electric 091a232b7 / 4f604bbfa / f0b086f80 (watchdog above the hold) and E3 (the read
    timeout must exceed the server's hold): a live answer slower than the hold but within the
    live timeout is used as is; one slower than the live timeout is abandoned and the same
    request is sent again. The default live timeout is well above Trigger.dev's 20 s hold."""
    assert DEFAULT_LIVE_TIMEOUT >= 45
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu, live_timeout=1.0) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.inject(path, faults.delay(0.5), query={"live": "true"})  # answered after 0.5 s
        emu.play(run_id, ["dequeue"], interval=0)
        runs.append(subscription.__next__())
        emu.inject(path, faults.delay(1.6), query={"live": "true"})  # past the 1 s timeout
        emu.play(run_id, ["start", "complete"], interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    log = requests_to(emu, path)
    slow, hung = [r for r in log if r.fault == "delay"]
    assert slow.status == 200 and slow.duration is not None and slow.duration >= 0.5
    after_slow = log[log.index(slow) + 1]
    assert after_slow.time >= slow.time + 0.5  # its answer was waited for, not re-requested
    after_hung = log[log.index(hung) + 1]
    assert 0.9 <= after_hung.time - hung.time < 1.6  # abandoned at the 1 s live timeout
    assert after_hung.query == hung.query


# -- fatal answers: typed errors at once, exactly one request ------------------------------------

_HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"
_ELECTRIC_400 = {"message": "Invalid request", "errors": {"offset": ["has invalid format"]}}


def expect_fatal(
    emulator: TriggerEmulator,
    fault: faults.FaultAction,
    error: type[Exception],
    query: Mapping[str, str] | None = None,
) -> Exception:
    """Subscribe with ``fault`` on the run's realtime path: ``error`` is raised at once (well
    within 2 s; one hold at most, for a live answer), and the faulted request is the only faulted
    one and the last one: never retried."""
    run_id = emulator.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emulator.inject(path, fault, query=query)
    with client_for(emulator) as client:
        started = SyncBackend.monotonic()
        with pytest.raises(error) as info:
            for _ in client.runs.subscribe_to_run(run_id, timeout=15):
                pass
        elapsed = SyncBackend.monotonic() - started
    log = requests_to(emulator, path)
    assert log[-1].fault is not None
    assert sum(r.fault is not None for r in log) == 1
    assert elapsed < 2.0
    return info.value


@pytest.mark.parametrize(
    "header", ["electric-offset", "electric-handle", "electric-schema", "electric-cursor"]
)
def test_missing_electric_headers_are_fatal(emu: TriggerEmulator, header: str) -> None:
    """Electric 6d6e199ab "missing headers infinite loop" (E3, E5: PR #3673 retried
    ``MissingHeadersError`` forever): a 2xx without ``electric-offset`` or ``electric-handle``,
    a non-live one without ``electric-schema`` or a live one without ``electric-cursor`` means a
    proxy strips them: RealtimeProtocolError naming the header, no retry."""
    query = {"live": "true"} if header == "electric-cursor" else None
    error = expect_fatal(emu, faults.missing_header(header), RealtimeProtocolError, query)
    assert header in str(error)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="object"),
        pytest.param(b'[{"key": "x", "value":', id="invalid-json"),
        pytest.param(_HTML.encode(), id="html"),
    ],
)
def test_non_array_bodies_are_rejected(emu: TriggerEmulator, body: bytes | None) -> None:
    """Electric e9bc50495 "non-array response bodies" (a proxy may answer an object): a body that
    is not a JSON array of messages (an object, truncated JSON, an HTML page under the real
    headers) is a RealtimeProtocolError, not retried."""
    expect_fatal(emu, faults.non_array_body(body), RealtimeProtocolError)


def test_an_html_page_from_a_proxy_is_a_protocol_error(emu: TriggerEmulator) -> None:
    """A 200 HTML page (a captive portal, a proxy's error page) has none of the protocol headers:
    RealtimeProtocolError, not retried."""
    expect_fatal(emu, faults.status(200, body=_HTML), RealtimeProtocolError)


def test_400_is_unrecoverable(emu: TriggerEmulator) -> None:
    """Electric 7de9f1d52 "400s are unrecoverable": a 400 with Electric's validation body raises
    BadRequestError carrying that body; it is never retried."""
    error = expect_fatal(emu, faults.status(400, body=_ELECTRIC_400), BadRequestError)
    assert isinstance(error, BadRequestError) and error.body == _ELECTRIC_400


def test_404_is_not_found(emu: TriggerEmulator) -> None:
    """A 404 on the realtime route (unknown run, wrong base URL) raises NotFoundError at once."""
    expect_fatal(emu, faults.status(404, body={"error": "Not found"}), NotFoundError)


REST_FATAL: list[tuple[str, faults.FaultAction, type[Exception]]] = [
    ("html-page", faults.status(200, body=_HTML), APIResponseValidationError),
    ("invalid-json", faults.status(200, body=b'{"id": '), APIResponseValidationError),
    ("not-an-object", faults.status(200, body=[1, 2]), APIResponseValidationError),
    ("400", faults.status(400, body={"error": "Invalid run id"}), BadRequestError),
    ("404", faults.status(404, body={"error": "Not found"}), NotFoundError),
]


@pytest.mark.parametrize(
    ("fault", "error"), [pytest.param(f, e, id=name) for name, f, e in REST_FATAL]
)
def test_malformed_poll_answers_fail_at_once(
    emu: TriggerEmulator, fault: faults.FaultAction, error: type[Exception]
) -> None:
    """The poll transport's REST reads: an HTML page, invalid JSON or a non-object body is an
    APIResponseValidationError, a 400 a BadRequestError, a 404 a NotFoundError, raised after
    exactly one request."""
    run_id = emu.create_run("t", {"n": 1})
    path = f"/api/v3/runs/{run_id}"
    emu.inject(path, fault)
    with client_for(emu) as client:
        started = SyncBackend.monotonic()
        with pytest.raises(error):
            for _ in client.runs.subscribe_to_run(
                run_id, transport="poll", poll_interval=0.05, timeout=15
            ):
                pass
        elapsed = SyncBackend.monotonic() - started
    assert len(requests_to(emu, path)) == 1
    assert elapsed < 2.0


def test_repeated_same_offset_non_live_answers_back_off(
    emu: TriggerEmulator, no_jitter: None
) -> None:
    """Electric 8600d255e fast-loop detection (E2: "the same offset returned twice is a stale
    cache to bust rather than a reason to spin"): a non-live answer that keeps returning the
    requested offset with no messages is busted with a new cache-buster each time and, once
    repeated, backed off; the request rate stays bounded until the deadline."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    snapshot = shape_get(emu, path, offset="-1")
    stuck = faults.status(
        200,
        body=b"[]",
        headers={
            "electric-handle": snapshot.headers["electric-handle"],
            "electric-offset": "0_0",
            "electric-schema": snapshot.headers["electric-schema"],
        },
    )
    emu.inject(path, stuck, query={"offset": "0_0"}, times=None)
    policy = RetryPolicy(initial_delay=0.05, max_delay=0.2)
    with client_for(emu, retry_policy=policy) as client:
        with pytest.raises(SubscriptionTimeout):
            for _ in client.runs.subscribe_to_run(run_id, timeout=1.5):
                pass
    stuck_requests = [r for r in requests_to(emu, path) if r.fault == "status"]
    # Jitter-free: a few quick busts, then 0.05 + 0.1 + 0.2 + 0.2 ... s: about 14 in 1.5 s; a
    # client that does not back off makes hundreds.
    assert 5 <= len(stuck_requests) <= 20
    # The first such answer is taken (an offset may legitimately repeat once); from the second
    # on, every request carries a new cache-buster.
    busters = [r.query.get("cache-buster") for r in stuck_requests[2:]]
    assert None not in busters and len(set(busters)) == len(busters)


# -- E7, N4, N5, N6, hatchet ---------------------------------------------------------------------


def test_rows_are_yielded_only_at_up_to_date(emu: TriggerEmulator) -> None:
    """E7 (apply changes only at ``up-to-date``; Electric 19a7ab397 / 7be2fd3ac): Electric never
    ends an ``offset=-1`` snapshot with up-to-date, so the first run is yielded only after the
    catch-up request, never from the bare snapshot."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    emu.inject(path, faults.delay(0.3), query={"offset": "0_0"})
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        first = subscription.__next__()
        log = requests_to(emu, path)
        subscription.close()
    assert first.status == RunStatus.QUEUED
    assert [r.query["offset"] for r in log] == ["-1", "0_0"]
    assert log[1].status == 200  # the first run came from the catch-up's answer


def test_never_yields_stale_data_after_a_refetch(emu: TriggerEmulator) -> None:
    """N6 (trigger.dev PR #2162: re-subscribing "would temporarily display stale data") and E1
    ("keep the last-yielded run for de-duplication"): after a must-refetch, a resync that
    delivers an older version of the run (here a cached snapshot from before it started) yields
    nothing; the iterator never goes back in time and never repeats a run."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    early = shape_get(emu, path, offset="-1")  # the snapshot while QUEUED
    old_insert = early.json()[0]
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.play(run_id, ["dequeue", "start"], interval=0)
        while runs[-1].started_at is None:
            runs.append(subscription.__next__())
        cached = faults.status(
            200,
            body=[old_insert, UP_TO_DATE],
            headers={
                "electric-handle": "1-1",
                "electric-offset": "0_0",
                "electric-schema": early.headers["electric-schema"],
            },
        )
        emu.inject(path, cached, query={"offset": "-1"})
        emu.rotate_shapes(run_id)
        emu.play(run_id, ["complete"], interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    assert_in_order(runs)
    assert statuses(runs).count(RunStatus.QUEUED) == 1
    assert any(r.fault == "status" for r in requests_to(emu, path))  # the old snapshot was served


def test_the_subscription_ends_only_on_finish(emu: TriggerEmulator) -> None:
    """hatchet-dev/hatchet #1455 and N4 (trigger.dev #1538 kept fetching after completion, #2001
    ``onComplete`` fired on QUEUED, #2856 fired early): quiet periods longer than the hold and
    non-final states (QUEUED, EXECUTING, FROZEN) never end the subscription; the finished run
    does, and no request follows it."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.start_play(run_id, "frozen", interval=0.45)  # > the 0.3 s hold: long-polls time out
        for run in subscription:
            runs.append(run)
        count = len(requests_to(emu, path))
        SyncBackend.sleep(0.5)
    assert runs[0].status == RunStatus.QUEUED
    assert RunStatus.FROZEN in statuses(runs)
    assert runs[-1].status == RunStatus.COMPLETED
    assert all(not run.is_finished for run in runs[:-1])
    assert_in_order(runs)
    log = requests_to(emu, path)
    assert len(log) == count and all(r.done for r in log)
    assert any(r.live and r.duration is not None and r.duration >= HOLD * 0.8 for r in log)


@pytest.mark.parametrize("backend", ["electric", "native"])
def test_an_already_finished_run_yields_once_and_ends(
    fast_emulators: dict[str, TriggerEmulator], backend: str
) -> None:
    """hatchet-dev/hatchet #343 / PR #543 ("listener doesn't hang up if workflow run is already
    finished"): a run that finished before the subscription yields exactly once and the
    subscription ends without a single live request."""
    emulator = fast_emulators[backend]
    run_id = emulator.create_run("t", {"n": 1})
    emulator.play(run_id, "failure", interval=0)
    with client_for(emulator) as client:
        runs = [run for run in client.runs.subscribe_to_run(run_id, timeout=15)]
    assert statuses(runs) == [RunStatus.FAILED]
    log = requests_to(emulator, realtime_path(run_id))
    assert not any(r.live for r in log)
    assert len(log) == (2 if backend == "electric" else 1)


def test_the_deadline_holds_whatever_the_server_does(emu: TriggerEmulator) -> None:
    """N5 (trigger.dev #3032: waiting "blocks indefinitely") and H4: a Retry-After longer than the
    remaining time, or a response that never comes (beyond the 50 s default live timeout), still
    end the subscription at its deadline with SubscriptionTimeout carrying the last run."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=1.0)
        first = subscription.__next__()
        emu.inject(path, faults.status(503, retry_after=30), query={"live": "true"})
        started = SyncBackend.monotonic()
        with pytest.raises(SubscriptionTimeout) as info:
            for _ in subscription:
                pass
        assert info.value.last_run == first
        assert SyncBackend.monotonic() - started < 1.5

        emu.inject(path, faults.delay(30), query={"live": "true"})
        subscription = client.runs.subscribe_to_run(run_id, timeout=1.0)
        started = SyncBackend.monotonic()
        with pytest.raises(SubscriptionTimeout):
            for _ in subscription:
                pass
        assert SyncBackend.monotonic() - started < 1.8


def test_a_wall_clock_jump_forces_a_catch_up(
    emu: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E4 (Electric PR #3814: after the OS sleeps, in-flight long-polls hang until the TCP timeout;
    the fix detects timer gaps and re-syncs): when the wall clock jumped ahead of the monotonic
    clock, the next request is a non-live catch-up from the same offset, then live resumes."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        runs = [subscription.__next__()]
        emu.play(run_id, ["dequeue"], interval=0)
        runs.append(subscription.__next__())
        before = len(requests_to(emu, path))
        real_wall = SyncBackend.wall
        monkeypatch.setattr(SyncBackend, "wall", staticmethod(lambda: real_wall() + 3600))
        emu.play(run_id, ["start", "complete"], interval=0)
        for run in subscription:
            runs.append(run)
    assert runs[-1].status == RunStatus.COMPLETED
    after = requests_to(emu, path)[before:]
    assert not after[0].live and after[0].query["offset"] != "-1"
    assert after[0].query["handle"] == requests_to(emu, path)[before - 1].query["handle"]


def test_close_is_final_and_sends_nothing_more(emu: TriggerEmulator) -> None:
    """E6 (Electric #2788 zombie streams, #3917 "ghost restart") and H3 (``break`` must clean up):
    after ``break`` and ``aclose()`` the subscription is closed for good: nothing is in flight,
    no request follows, iterating again yields nothing."""
    run_id = emu.create_run("t", {"n": 1})
    path = realtime_path(run_id)
    with client_for(emu) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=15)
        for _ in subscription:
            break
        subscription.close()
        count = len(requests_to(emu, path))
        emu.play(run_id, "success", interval=0)
        SyncBackend.sleep(HOLD * 2)
        assert [run for run in subscription] == []
        subscription.close()
    log = requests_to(emu, path)
    assert len(log) == count and all(r.done for r in log)


def test_poll_backoff_grows_to_its_cap_under_a_persistent_outage(
    emu: TriggerEmulator, no_jitter: None
) -> None:
    """E5 (electric #3895 / PR #4054: a retry loop without backoff cost ~$200/day) and PRODUCT.md 5
    (transient errors back off 1 s doubling to 32 s): with the poll transport, consecutive failed
    reads are spaced by the policy's growing delays up to its cap, as with the realtime feed."""
    run_id = emu.create_run("t", {"n": 1})
    path = f"/api/v3/runs/{run_id}"
    emu.inject(path, faults.status(503), times=None)
    policy = RetryPolicy(initial_delay=0.02, max_delay=0.16)
    with client_for(emu, retry_policy=policy) as client:
        with pytest.raises(SubscriptionTimeout):
            for _ in client.runs.subscribe_to_run(
                run_id, transport="poll", poll_interval=0.05, timeout=1.5
            ):
                pass
    waits = gaps(requests_to(emu, path))
    expected = [0.02, 0.04, 0.08] + [0.16] * len(waits)
    assert all(w >= e - 0.002 for w, e in zip(waits, expected, strict=False)), [
        round(w, 3) for w in waits
    ]
