"""Public access tokens and the error tree, each error provoked by its real cause on the emulator."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
import pytest

from tests import backoff
from trigger_client import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncTriggerClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeConnectionLimitError,
    RealtimeProtocolError,
    RetryPolicy,
    RunStatus,
    RunWaitTimeout,
    Scopes,
    TriggerConfigurationError,
    decode_public_token,
)
from trigger_client._backends import AsyncBackend
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio


def client_for(emulator: TriggerEmulator, **options: object) -> AsyncTriggerClient:
    return AsyncTriggerClient(
        base_url=emulator.base_url,
        access_token=options.pop("access_token", emulator.secret_key),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


async def test_the_seed_auth_example(emulator: TriggerEmulator) -> None:
    """A backend mints a token for one run; a client subscribes with only that token."""
    run_id = emulator.create_run("email-sequence", {"to": "a@example.com"})
    async with client_for(emulator) as backend:
        token = await backend.auth.create_public_token(scopes={"read": {"runs": [run_id]}})
    claims = decode_public_token(token)
    assert claims.scopes == [f"read:runs:{run_id}"]
    assert claims.sub == emulator.environment_id
    assert timedelta(minutes=14) < claims.exp - claims.iat <= timedelta(minutes=15)
    emulator.play(run_id, "success", interval=0)
    async with client_for(emulator, access_token=token) as browser:
        runs = [run async for run in browser.runs.subscribe_to_run(run_id, timeout=30)]
        assert runs[-1].status == RunStatus.COMPLETED
        assert (await browser.runs.retrieve(run_id)).status == RunStatus.COMPLETED


async def test_a_token_for_one_run_reads_nothing_else(emulator: TriggerEmulator) -> None:
    mine = emulator.create_run("t", {"n": 1}, tags=["user:1"])
    other = emulator.create_run("t", {"n": 2}, tags=["user:1"])
    batch_id, _ = emulator.create_batch("t", [{"n": 3}])
    async with client_for(emulator) as backend:
        token = await backend.auth.create_public_token(scopes=Scopes.read_run(mine))
    async with client_for(emulator, access_token=token, max_retries=0) as client:
        subscription = client.runs.subscribe_to_run(mine, timeout=10)
        assert (await subscription.__anext__()).id == mine
        await subscription.aclose()
        with pytest.raises(PermissionDeniedError) as info:
            async for _ in client.runs.subscribe_to_run(other, timeout=10):
                pass
        assert info.value.status_code == 403
        with pytest.raises(PermissionDeniedError):
            await client.runs.retrieve(other)
        with pytest.raises(PermissionDeniedError):
            async for _ in client.runs.subscribe_to_runs_with_tag("user:1", timeout=10):
                pass
        with pytest.raises(PermissionDeniedError):
            async for _ in client.runs.subscribe_to_batch(batch_id, timeout=10):
                pass


async def test_an_expired_token_is_an_authentication_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    token = emulator.create_token([f"read:runs:{run_id}"], expires_in=-5)
    async with client_for(emulator, access_token=token) as client:
        with pytest.raises(AuthenticationError) as info:
            async for _ in client.runs.subscribe_to_run(run_id, timeout=10):
                pass
    assert info.value.status_code == 401
    assert token not in str(info.value) and token not in repr(info.value.args)


async def test_a_public_token_cannot_mint_tokens(emulator: TriggerEmulator) -> None:
    token = emulator.create_token(["read:runs"])
    async with client_for(emulator, access_token=token) as client:
        with pytest.raises(TriggerConfigurationError, match="secret key"):
            await client.auth.create_public_token(scopes={"read": {"runs": True}})


async def test_a_refresh_callable_recovers_across_token_expiry(emulator: TriggerEmulator) -> None:
    """The first token expires mid-subscription; the callable mints a new one; nothing is lost."""
    run_id = emulator.create_run("t", {"n": 1})
    minted: list[str] = []

    def mint() -> str:
        # The first token expires after 2 s, later ones after 15 minutes.
        token = emulator.create_token([f"read:runs:{run_id}"], expires_in=2 if not minted else 900)
        minted.append(token)
        return token

    async with client_for(emulator, access_token=mint) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=30)
        statuses = []
        playback = None
        async for run in subscription:
            statuses.append(run.status)
            if playback is None:
                # start only once the first token has expired (the live poll is held 3 s)
                playback = emulator.start_play(
                    run_id, ["dequeue", "start", "complete"], interval=2.5
                )
        assert playback is not None
        playback.wait()
    log = [(r.query.get("live"), r.status) for r in emulator.requests if run_id in r.path]
    assert len(minted) >= 2, log
    assert statuses == [
        RunStatus.QUEUED,
        RunStatus.EXECUTING,
        RunStatus.EXECUTING,
        RunStatus.COMPLETED,
    ]


async def test_bad_tags_are_a_bad_request(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(BadRequestError) as info:
            async for _ in client.runs.subscribe_to_runs_with_tag('bad"tag', timeout=10):
                pass
    assert info.value.status_code == 400


async def test_unknown_run_is_not_found(emulator: TriggerEmulator) -> None:
    async with client_for(emulator, max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            await client.runs.retrieve("run_nope")
    assert info.value.status_code == 404
    assert "not found" in info.value.message.lower()


async def test_rest_status_errors(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    path = f"/api/v3/runs/{run_id}"
    cases: list[tuple[int, type[Exception]]] = [
        (409, ConflictError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
    ]
    async with client_for(emulator, max_retries=0) as client:
        for code, error in cases:
            emulator.inject(path, faults.status(code, body={"error": f"injected {code}"}))
            with pytest.raises(error) as info:
                await client.runs.retrieve(run_id)
            assert info.value.status_code == code  # type: ignore[attr-defined]
            assert info.value.message == f"injected {code}"  # type: ignore[attr-defined]


async def test_rest_retries_transient_failures(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/api/v3/runs/{run_id}", faults.status(503, retry_after=0.1), times=2)
    async with client_for(emulator, max_retries=2) as client:
        run = await client.runs.retrieve(run_id)
    assert run.id == run_id


async def test_rate_limit_error_carries_retry_after(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/api/v3/runs/{run_id}", faults.status(429, retry_after=7))
    async with client_for(emulator, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.runs.retrieve(run_id)
    assert info.value.retry_after == pytest.approx(7)


@pytest.mark.parametrize("pinned", [False, True], ids=["jitter", "at-cap"])
async def test_realtime_connection_limit(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, pinned: bool
) -> None:
    if pinned:  # every delay is its cap: the most requests below is exact
        monkeypatch.setattr(AsyncBackend, "random", staticmethod(lambda: 1.0))
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.status(429), times=None)
    async with client_for(emulator) as client:
        subscription = client.runs.subscribe_to_run(run_id, timeout=2.5)
        with pytest.raises(Exception) as info:
            async for _ in subscription:
                pass
    # 429 is transient on realtime: the subscription retries with backoff until its deadline,
    # then raises SubscriptionTimeout caused by the limit error
    assert type(info.value).__name__ == "SubscriptionTimeout"
    assert isinstance(info.value.__cause__, RealtimeConnectionLimitError)
    errors = [
        r for r in emulator.requests if r.path == f"/realtime/v1/runs/{run_id}" and r.status == 429
    ]
    # the default policy (1 s doubling): a few requests in 2.5 s, never a tight loop
    policy = RetryPolicy()
    most = (backoff.most_requests_at_cap if pinned else backoff.most_requests)(policy, 2.5)
    assert backoff.fewest_requests(policy, 2.5) <= len(errors) <= most, len(errors)


async def test_realtime_connection_limit_error_type(emulator: TriggerEmulator) -> None:
    from trigger_client._async._transport import AsyncTransport

    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.status(429))
    async with client_for(emulator) as client:
        transport: AsyncTransport = client._transport
        response = await transport.shape_request(
            f"/realtime/v1/runs/{run_id}",
            (("offset", "-1"),),
            token=emulator.secret_key,
            read_timeout=5,
        )
        error = transport.status_error(response, realtime=True)
    assert isinstance(error, RealtimeConnectionLimitError)
    assert "concurrent realtime connections" in str(error)


async def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncTriggerClient(
        base_url=f"http://127.0.0.1:{port}", access_token="tr_dev_x", max_retries=0
    ) as client:
        with pytest.raises(APIConnectionError):
            await client.runs.retrieve("run_1")


async def test_a_slow_response_is_a_timeout_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/api/v3/runs/{run_id}", faults.delay(2.0))
    async with client_for(emulator, max_retries=0, timeout=httpx.Timeout(0.3)) as client:
        with pytest.raises(APITimeoutError):
            await client.runs.retrieve(run_id)


async def test_a_malformed_rest_body_is_a_validation_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/api/v3/runs/{run_id}", faults.status(200, body={"id": run_id}))
    async with client_for(emulator, max_retries=0) as client:
        with pytest.raises(APIResponseValidationError, match="taskIdentifier"):
            await client.runs.retrieve(run_id)


async def test_a_missing_protocol_header_is_a_protocol_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.missing_header("electric-offset"))
    async with client_for(emulator) as client:
        with pytest.raises(RealtimeProtocolError, match="electric-offset"):
            async for _ in client.runs.subscribe_to_run(run_id, timeout=10):
                pass


async def test_a_non_array_body_is_a_protocol_error(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.inject(f"/realtime/v1/runs/{run_id}", faults.non_array_body())
    async with client_for(emulator) as client:
        with pytest.raises(RealtimeProtocolError):
            async for _ in client.runs.subscribe_to_run(run_id, timeout=10):
                pass


async def test_no_token_is_a_configuration_error(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("TRIGGER_SECRET_KEY", raising=False)
    async with AsyncTriggerClient(base_url=emulator.base_url) as client:
        with pytest.raises(TriggerConfigurationError, match="TRIGGER_SECRET_KEY"):
            await client.runs.retrieve("run_1")


async def test_wait_returns_the_finished_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    emulator.start_play(run_id, "success", interval=0.1, output={"ok": 1})
    async with client_for(emulator) as client:
        run = await client.runs.wait(run_id, timeout=30)
        polled = await client.runs.wait(run_id, timeout=30, poll=True, poll_interval=0.05)
    assert run.status == RunStatus.COMPLETED and run.output == {"ok": 1}
    assert polled.status == RunStatus.COMPLETED


async def test_wait_timeout_carries_the_last_run(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("t", {"n": 1})
    async with client_for(emulator) as client:
        with pytest.raises(RunWaitTimeout) as info:
            await client.runs.wait(run_id, timeout=1.0)
    assert info.value.last_run is not None
    assert info.value.last_run.status == RunStatus.QUEUED
    assert "still going" in str(info.value)


async def test_client_repr_never_shows_the_key(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        assert emulator.secret_key not in repr(client)
        assert emulator.secret_key not in str(client)
