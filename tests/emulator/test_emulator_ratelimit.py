"""The opt-in REST API rate limiter (protocol-trigger.md 5.2)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from trigger_client import RateLimitError, RetryPolicy, TriggerClient
from trigger_client.testing import ManualClock, RateLimit, TriggerEmulator

from .conftest import auth


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def limited(clock: ManualClock) -> Iterator[TriggerEmulator]:
    limits = RateLimit(max_tokens=3, refill_rate=2, refill_interval=10, jwt_tokens=2, jwt_window=60)
    with TriggerEmulator(clock=clock, long_poll_ms=300, rate_limit=limits) as emulator:
        yield emulator


def ratelimit_headers(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    limit, remaining, reset = (
        h["x-ratelimit-limit"],
        h["x-ratelimit-remaining"],
        h["x-ratelimit-reset"],
    )
    return int(limit), int(remaining), int(reset)


def test_off_by_default(emu: TriggerEmulator, client: httpx.Client) -> None:
    assert emu.rate_limit is None
    for _ in range(5):
        response = client.get("/api/v1/runs")
        assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers


def test_secret_key_token_bucket(
    limited: TriggerEmulator, clock: ManualClock, http: httpx.Client
) -> None:
    url = f"{limited.base_url}/api/v1/runs"
    headers = auth(limited.secret_key)
    start = clock.now_ms()
    responses = [http.get(url, headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [ratelimit_headers(r) for r in responses] == [
        (3, 2, start + 10_000),
        (3, 1, start + 10_000),
        (3, 0, start + 10_000),
        (3, 0, start + 10_000),
    ]
    rejected = responses[-1]
    assert rejected.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in rejected.headers  # the real service sends none
    message = "Rate limit exceeded 0/3 requests remaining. Retry in 10 seconds."
    assert rejected.json() == {
        "title": "Rate Limit Exceeded",
        "status": 429,
        "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429",
        "detail": message,
        "reset": start + 10_000,
        "limit": 3,
        "remaining": -1,
        "secondsUntilReset": 10,
        "error": message,
    }
    assert rejected.text.startswith('{\n  "title"')  # JSON.stringify(body, null, 2)
    clock.advance(2.5)
    assert "Retry in 7.5 seconds." in http.get(url, headers=headers).json()["detail"]
    # One interval later, refill_rate tokens are back (not the whole bucket).
    clock.advance(7.5)
    after = [http.get(url, headers=headers) for _ in range(3)]
    assert [r.status_code for r in after] == [200, 200, 429]
    assert ratelimit_headers(after[0]) == (3, 1, start + 20_000)
    # Several intervals refill up to max_tokens only.
    clock.advance(60)
    assert ratelimit_headers(http.get(url, headers=headers))[1] == 2
    # Each Authorization value has its own bucket (another environment's key, a bad key).
    other = limited.add_environment()
    assert http.get(url, headers=auth(other.api_key)).status_code == 200
    bad = http.get(url, headers=auth("tr_dev_nope"))
    assert bad.status_code == 401 and ratelimit_headers(bad) == (3, 2, clock.now_ms() + 10_000)


def test_public_jwt_fixed_window(
    limited: TriggerEmulator, clock: ManualClock, http: httpx.Client
) -> None:
    run_id = limited.create_run("t")
    token = limited.create_token([f"read:runs:{run_id}"], expires_in=3600)
    url = f"{limited.base_url}/api/v3/runs/{run_id}"
    window_end = (clock.now_ms() // 60_000 + 1) * 60_000
    responses = [http.get(url, headers=auth(token)) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [ratelimit_headers(r) for r in responses] == [
        (2, 1, window_end),
        (2, 0, window_end),
        (2, 0, window_end),
    ]
    assert responses[-1].json()["remaining"] == 0  # a fixed window clamps it
    # The secret key has its own bucket.
    assert http.get(url, headers=auth(limited.secret_key)).status_code == 200
    clock.advance(ms=window_end - clock.now_ms())  # the next window
    assert http.get(url, headers=auth(token)).status_code == 200


def test_exempt_paths_and_missing_authorization(
    limited: TriggerEmulator, http: httpx.Client
) -> None:
    limited.rate_limit = RateLimit(max_tokens=1, refill_rate=1, refill_interval=60)
    run_id = limited.create_run("t")
    headers = auth(limited.secret_key)
    base = limited.base_url
    assert http.get(f"{base}/api/v1/runs", headers=headers).status_code == 200
    assert http.get(f"{base}/api/v1/runs", headers=headers).status_code == 429
    # Realtime, the JWT claims route, packets, preflights and the healthcheck are not limited.
    for _ in range(3):
        feed = http.get(
            f"{base}/realtime/v1/runs/{run_id}", params={"offset": "-1"}, headers=headers
        )
        assert feed.status_code == 200 and "x-ratelimit-limit" not in feed.headers
        claims = http.post(f"{base}/api/v1/auth/jwt/claims", headers=headers)
        assert claims.status_code == 200 and "x-ratelimit-limit" not in claims.headers
        packet = http.get(f"{base}/api/v1/packets/{run_id}/payload.json", headers=headers)
        assert packet.status_code != 429 and "x-ratelimit-limit" not in packet.headers
        assert http.options(f"{base}/api/v1/runs").status_code != 429
        assert http.get(f"{base}/healthcheck").status_code == 200
    missing = http.get(f"{base}/api/v1/runs")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "No authorization header provided"
    # The request log shows what was sent.
    rejected = next(r for r in limited.requests if r.status == 429)
    assert rejected.response_headers["x-ratelimit-remaining"] == "0"


def test_switching_the_limiter_at_runtime(emu: TriggerEmulator, client: httpx.Client) -> None:
    emu.rate_limit = True
    assert emu.rate_limit == RateLimit()
    assert ratelimit_headers(client.get("/api/v1/runs"))[:2] == (750, 749)
    emu.rate_limit = RateLimit(max_tokens=5)  # new limits, fresh counters
    assert ratelimit_headers(client.get("/api/v1/runs"))[:2] == (5, 4)
    emu.rate_limit = None
    assert "x-ratelimit-limit" not in client.get("/api/v1/runs").headers


def test_the_sdk_waits_for_the_reset(http: httpx.Client) -> None:
    limits = RateLimit(max_tokens=1, refill_rate=1, refill_interval=1.0)
    with TriggerEmulator(rate_limit=limits) as emulator:
        run_id = emulator.create_run("t")
        policy = RetryPolicy(initial_delay=0.01, max_delay=0.05)
        with TriggerClient(
            base_url=emulator.base_url, access_token=emulator.secret_key, retry_policy=policy
        ) as client:
            client.runs.retrieve(run_id)
            started = time.monotonic()
            assert client.runs.retrieve(run_id).id == run_id  # 429, then a wait until the reset
            waited = time.monotonic() - started
        with TriggerClient(
            base_url=emulator.base_url, access_token=emulator.secret_key, max_retries=0
        ) as client:
            with pytest.raises(RateLimitError) as info:
                client.runs.retrieve(run_id)
        log = [r for r in emulator.requests if r.path.startswith("/api/")]
    assert [r.status for r in log] == [200, 429, 200, 429]
    assert waited >= 0.5, waited
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 1.0
