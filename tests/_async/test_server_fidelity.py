"""Behaviours read from the Trigger.dev server (b082e44) that the SDK had wrong, end to end on the
emulator: request idempotency and retries of triggers, the bounded wait for a run or batch the read
replica has not seen, the server's public access tokens, and branches."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from trigger_client import (
    AsyncTriggerClient,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    TriggerConfigurationError,
    decode_public_token,
)
from trigger_client._protocol.retry import RetryPolicy
from trigger_client.testing import RateLimit, TriggerEmulator, faults, token_fingerprint
from trigger_client.testing._statuses import INTERNAL_STATUSES

pytestmark = pytest.mark.anyio

#: Quick backoff, so that a wait a test measures comes from the server's headers, not from jitter.
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)


def client_for(emulator: TriggerEmulator, **options: object) -> AsyncTriggerClient:
    options.setdefault("retry_policy", FAST)
    return AsyncTriggerClient(
        base_url=emulator.base_url,
        access_token=options.pop("access_token", emulator.secret_key),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def runs_of(emulator: TriggerEmulator, task: str) -> list[str]:
    return [
        r["friendlyId"] for r in emulator.store.runs_where(lambda r: r["taskIdentifier"] == task)
    ]


@pytest.fixture
def lagging(emulator: TriggerEmulator) -> Iterator[TriggerEmulator]:
    """The session emulator with a read replica 0.5 s behind."""
    emulator.replica_lag = 0.5
    try:
        yield emulator
    finally:
        emulator.replica_lag = 0


# -- request idempotency and retries of triggers -----------------------------------------------


async def test_a_trigger_whose_response_was_lost_is_retried_and_returns_the_same_run(
    emulator: TriggerEmulator,
) -> None:
    """The route made the run, the connection dropped before the answer: the retry carries the
    same request idempotency key and the server answers with the run it already made."""
    task = unique("lost")
    path = f"/api/v1/tasks/{task}/trigger"
    emulator.inject(path, faults.drop_connection(after_bytes=0), times=1)
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(task, {"n": 1})
        other = await client.tasks.trigger(task, {"n": 2})
    sent = [r for r in emulator.requests if r.path == path]
    assert [r.fault for r in sent] == ["drop_connection", None, None]
    keys = [r.headers["x-trigger-request-idempotency-key"] for r in sent]
    assert keys[0] == keys[1] != keys[2]  # one key per call, the same on every attempt
    assert all(uuid.UUID(k).version == 4 for k in keys)
    assert sorted(runs_of(emulator, task)) == sorted([handle.id, other.id])  # no duplicate
    assert handle.id != other.id and handle.is_cached is False


async def test_a_trigger_without_idempotency_key_is_retried_after_a_5xx(
    emulator: TriggerEmulator,
) -> None:
    task = unique("retry")
    path = f"/api/v1/tasks/{task}/trigger"
    emulator.inject(path, faults.status(503), times=2)
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(task, {})
    sent = [r for r in emulator.requests if r.path == path]
    assert [r.status for r in sent] == [503, 503, 200]
    assert len({r.headers["x-trigger-request-idempotency-key"] for r in sent}) == 1
    assert runs_of(emulator, task) == [handle.id]


async def test_a_trigger_gives_up_after_max_retries(emulator: TriggerEmulator) -> None:
    task = unique("down")
    path = f"/api/v1/tasks/{task}/trigger"
    emulator.inject(path, faults.status(500), times=3)
    async with client_for(emulator, max_retries=1) as client:
        with pytest.raises(InternalServerError):
            await client.tasks.trigger(task, {})
    assert [r.status for r in emulator.requests if r.path == path] == [500, 500]
    assert runs_of(emulator, task) == []


async def test_a_batch_without_key_is_retried_on_429_but_not_on_5xx(
    emulator: TriggerEmulator,
) -> None:
    """/api/v1/tasks/batch does not read the request idempotency key: only a rate-limiter 429
    (refused before the route ran) is safe to retry without an idempotency key."""
    task = unique("batch")
    path = "/api/v1/tasks/batch"
    async with client_for(emulator) as client:
        emulator.inject(path, faults.status(429, body={"error": "Rate limit exceeded"}), times=1)
        batch = await client.tasks.batch_trigger(task, [1, 2])
        emulator.inject(path, faults.status(503), times=1)
        with pytest.raises(InternalServerError):
            await client.tasks.batch_trigger(task, [3])
    sent = [r for r in emulator.requests if r.path == path][-3:]
    assert [r.status for r in sent] == [429, 202, 503]
    assert (
        sent[0].headers["x-trigger-request-idempotency-key"]
        == (sent[1].headers["x-trigger-request-idempotency-key"])
    )
    assert sorted(runs_of(emulator, task)) == sorted(run.id for run in batch.runs)


async def test_a_rate_limited_trigger_waits_for_the_limiter_reset() -> None:
    """The server's rate limiter (a token bucket per environment) refuses with 429 and
    ``x-ratelimit-reset``; the trigger waits until then and succeeds."""
    limits = RateLimit(max_tokens=1, refill_rate=1, refill_interval=1.0)
    with TriggerEmulator(rate_limit=limits) as emu:
        task = unique("limited")
        path = f"/api/v1/tasks/{task}/trigger"
        async with client_for(emu) as client:
            first = await client.tasks.trigger(task, {})
            second = await client.tasks.trigger(task, {})
        sent = [r for r in emu.requests if r.path == path]
        assert [r.status for r in sent] == [200, 429, 200]
        refused, accepted = sent[1], sent[2]
        reset = int(refused.response_headers["x-ratelimit-reset"]) / 1000
        assert refused.response_headers["x-ratelimit-remaining"] == "0"
        assert accepted.wall_time >= reset - 0.05  # waited for the reset, not the 10 ms backoff
        assert accepted.wall_time - refused.wall_time < 1.0 + 1.0
        assert sorted(runs_of(emu, task)) == sorted([first.id, second.id])


# -- 404 x-should-retry: true (replica lag) ------------------------------------------------------


async def test_a_new_run_the_replica_has_not_seen_is_found_after_a_short_wait(
    lagging: TriggerEmulator,
) -> None:
    task = unique("lag")
    async with client_for(lagging) as client:
        handle = await client.tasks.trigger(task, {"n": 1})
        started = time.monotonic()
        run = await client.runs.retrieve(handle)
        waited = time.monotonic() - started
    assert run.id == handle.id and run.payload == {"n": 1}
    answers = [r for r in lagging.requests if r.path == f"/api/v3/runs/{handle.id}"]
    assert answers[0].status == 404
    assert answers[0].response_headers["x-should-retry"] == "true"
    assert answers[-1].status == 200
    assert 0.3 < waited < 4.0


async def test_polling_a_new_run_waits_for_the_replica(lagging: TriggerEmulator) -> None:
    task = unique("lag-poll")
    async with client_for(lagging) as client:
        handle = await client.tasks.trigger(task, {})
        subscription = client.runs.subscribe_to_run(
            handle, feed="poll", poll_interval=0.05, timeout=10
        )
        async with subscription:
            async for run in subscription:
                assert run.id == handle.id
                break
    statuses = [r.status for r in lagging.requests if r.path == f"/api/v3/runs/{handle.id}"]
    assert statuses[0] == 404 and statuses[-1] == 200


async def test_a_run_that_never_appears_raises_not_found_after_the_window(
    emulator: TriggerEmulator,
) -> None:
    policy = RetryPolicy(initial_delay=0.05, max_delay=0.2, not_found_seconds=1.0)
    missing = "run_" + uuid.uuid4().hex[:25]
    async with client_for(emulator, retry_policy=policy) as client:
        started = time.monotonic()
        with pytest.raises(NotFoundError):
            await client.runs.retrieve(missing)
        waited = time.monotonic() - started
    assert 1.0 <= waited < 3.0
    assert len([r for r in emulator.requests if r.path == f"/api/v3/runs/{missing}"]) >= 2


async def test_subscribing_to_a_batch_that_never_appears_raises_not_found(
    emulator: TriggerEmulator,
) -> None:
    """The realtime batch route answers 404 ``x-should-retry: true`` for an unknown batch: the
    subscription retries it for ``not_found_seconds``, then raises (it used to loop forever)."""
    policy = RetryPolicy(initial_delay=0.05, max_delay=0.2, not_found_seconds=1.0)
    missing = "batch_" + uuid.uuid4().hex[:25]
    async with client_for(emulator, retry_policy=policy) as client:
        started = time.monotonic()
        with pytest.raises(NotFoundError):
            async with client.runs.subscribe_to_batch(missing, timeout=30) as subscription:
                async for _ in subscription:
                    pytest.fail("no run of a missing batch")
        waited = time.monotonic() - started
    assert 1.0 <= waited < 5.0
    sent = [r for r in emulator.requests if r.path == f"/realtime/v1/batches/{missing}"]
    assert len(sent) >= 2 and all(r.status == 404 for r in sent)
    assert sent[0].response_headers["x-should-retry"] == "true"


# -- public access tokens ------------------------------------------------------------------------


async def test_handles_carry_the_servers_token(emulator: TriggerEmulator) -> None:
    task = unique("token")
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(task, {})
        trigger_answer = emulator.requests[-1]
        batch = await client.tasks.batch_trigger(task, [1])
        batch_answer = emulator.requests[-1]
    assert handle.public_access_token == trigger_answer.response_headers["x-trigger-jwt"]
    assert batch.public_access_token == batch_answer.response_headers["x-trigger-jwt"]
    assert decode_public_token(handle.public_access_token).scopes == [
        f"read:runs:{handle.id}",
        f"write:inputStreams:{handle.id}",
    ]


async def test_the_sdk_signs_a_token_only_when_the_server_sent_none(
    emulator: TriggerEmulator,
) -> None:
    task = unique("self-signed")
    emulator.inject(f"/api/v1/tasks/{task}/trigger", faults.missing_header("x-trigger-jwt"))
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(task, {})
    assert handle.public_access_token is not None
    assert decode_public_token(handle.public_access_token).scopes == [f"read:runs:{handle.id}"]
    async with client_for(emulator, access_token=handle.public_access_token) as browser:
        assert (await browser.runs.retrieve(handle)).id == handle.id


async def test_an_additional_api_key_never_signs_a_token(emulator: TriggerEmulator) -> None:
    key = emulator.create_api_key()
    assert key.startswith("tr_dev_sk_") and len(key) == len("tr_dev_sk_") + 24
    task = unique("additional")
    async with client_for(emulator, access_token=key) as client:
        handle = await client.tasks.trigger(task, {})
        assert handle.public_access_token is not None  # the server's
        async with client_for(emulator, access_token=handle.public_access_token) as browser:
            assert (await browser.runs.retrieve(handle)).id == handle.id
        emulator.inject(f"/api/v1/tasks/{task}/trigger", faults.missing_header("x-trigger-jwt"))
        with pytest.raises(TriggerConfigurationError, match="additional API key") as caught:
            await client.tasks.trigger(task, {})
    assert key not in str(caught.value)


async def test_create_public_token_with_an_additional_key_asks_the_server(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run(unique("minted"))
    other = emulator.create_run(unique("minted"))
    key = emulator.create_api_key()
    async with client_for(emulator, access_token=key) as client:
        token = await client.auth.create_public_token(
            scopes={"read": {"runs": [run_id]}}, expiration_time="10m"
        )
    mine = [r for r in emulator.requests if r.token_fingerprint == token_fingerprint(key)]
    assert [(r.path, r.status) for r in mine] == [("/api/v1/auth/public-tokens", 200)]
    claims = decode_public_token(token)
    assert claims.scopes == [f"read:runs:{run_id}"]
    assert claims.exp is not None and 590 <= claims.exp.timestamp() - time.time() <= 610
    async with client_for(emulator, access_token=token) as browser:
        assert (await browser.runs.retrieve(run_id)).id == run_id
        with pytest.raises(PermissionDeniedError):
            await browser.runs.retrieve(other)


# -- branches ------------------------------------------------------------------------------------


async def test_a_preview_key_reads_its_branch_from_the_environment(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = emulator.add_environment(env_type="PREVIEW", slug="preview")
    run_id = emulator.create_run(unique("preview"), environment=preview)
    async with client_for(emulator, access_token=preview.api_key) as client:
        with pytest.raises(AuthenticationError):
            await client.runs.retrieve(run_id)
    monkeypatch.setenv("VERCEL_GIT_COMMIT_REF", "vercel-branch")
    monkeypatch.setenv("TRIGGER_PREVIEW_BRANCH", "feature-x")
    async with client_for(emulator, access_token=preview.api_key) as client:
        assert (await client.runs.retrieve(run_id)).id == run_id
    assert emulator.requests[-1].headers["x-trigger-branch"] == "feature-x"
    monkeypatch.delenv("TRIGGER_PREVIEW_BRANCH")
    async with client_for(emulator, access_token=preview.api_key) as client:
        assert (await client.runs.retrieve(run_id)).id == run_id
    assert emulator.requests[-1].headers["x-trigger-branch"] == "vercel-branch"
    async with client_for(emulator, access_token=preview.api_key, branch="explicit") as client:
        assert (await client.runs.retrieve(run_id)).id == run_id
    assert emulator.requests[-1].headers["x-trigger-branch"] == "explicit"


# -- runs.list(status=...) -----------------------------------------------------------------------


async def test_a_status_filter_returns_every_run_shown_with_that_status(
    emulator: TriggerEmulator,
) -> None:
    """One run in each database status; for each status the SDK shows, the filter returns
    exactly the runs shown with it (the server's filter alone misses DEQUEUED runs under
    EXECUTING and PENDING_VERSION runs under WAITING_FOR_DEPLOY)."""
    task = unique("statuses")
    for internal in INTERNAL_STATUSES:
        emulator.update_run(emulator.create_run(task), status=internal)
    async with client_for(emulator) as client:
        shown = {item.id: item.status async for item in client.runs.list(task_identifier=task)}
        assert len(shown) == len(INTERNAL_STATUSES)
        for status in sorted(set(shown.values())):
            found = {
                item.id async for item in client.runs.list(task_identifier=task, status=status)
            }
            assert found == {run for run, seen in shown.items() if seen == status}, status
        with pytest.raises(BadRequestError, match="Invalid status values: NOPE"):
            await client.runs.list_page(status=["COMPLETED", "NOPE"])


async def test_a_server_older_than_a_status_is_asked_again_without_it(
    emulator: TriggerEmulator,
) -> None:
    task = unique("old-server")
    executing = emulator.create_run(task)
    emulator.update_run(executing, status="EXECUTING")
    refusal = {
        "error": "Query Error",
        "details": [{"message": "Invalid status values: DEQUEUED", "path": ["filter[status]"]}],
    }
    emulator.inject("/api/v1/runs", faults.status(400, body=refusal), times=1)
    async with client_for(emulator) as client:
        page = await client.runs.list_page(task_identifier=task, status="EXECUTING")
    assert [item.id for item in page.data] == [executing]
    queries = [r.query.get("filter[status]") for r in emulator.requests if r.path == "/api/v1/runs"]
    assert queries[-2:] == ["EXECUTING,DEQUEUED", "EXECUTING"]


# -- error objects -------------------------------------------------------------------------------

OOM_BY_SIGABRT = {
    "type": "INTERNAL_ERROR",
    "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
    "message": "Process exited with code 134 after signal SIGABRT.",
}


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OOM_BY_SIGABRT, "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"),
        (
            {"type": "INTERNAL_ERROR", "code": "TASK_RUN_UNCAUGHT_EXCEPTION", "message": "x"},
            "trigger.dev internal error (TASK_RUN_UNCAUGHT_EXCEPTION)",
        ),
    ],
)
async def test_a_run_error_reads_the_same_on_realtime_and_rest(
    emulator: TriggerEmulator, error: dict[str, str], message: str
) -> None:
    run_id = emulator.create_run(unique("crash"))
    emulator.start_attempt(run_id)
    emulator.crash(run_id, error)
    async with client_for(emulator) as client:
        rest = await client.runs.retrieve(run_id)
        async with client.runs.subscribe_to_run(run_id, timeout=10) as subscription:
            realtime = [run async for run in subscription][-1]
    assert rest.error is not None and realtime.error is not None
    assert rest.error.message == realtime.error.message == message
    assert rest.error.name is None and realtime.error.name is None
