"""One test per row of docs/server-conformance.md: the emulator answers as the Trigger.dev server
does at b082e44 (the row names the server's file and lines). Each test is named after its row."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from trigger_client._config import env_access_token
from trigger_client._protocol.listing import list_runs_params, without_unknown_companions
from trigger_client._protocol.retry import RetryPolicy, classify_status
from trigger_client._protocol.server_rules import (
    NOT_FOUND_RETRY_SECONDS,
    env_branch,
    lagging_not_found,
    rejected_before_route,
)
from trigger_client._protocol.tokens import is_additional_api_key
from trigger_client.testing import RateLimit, TriggerEmulator
from trigger_client.testing._statuses import CURRENT_API_VERSION


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def http(emulator: TriggerEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=emulator.base_url,
        headers={"authorization": f"Bearer {emulator.secret_key}"},
    ) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def trigger(http: httpx.Client, task: str, **kwargs: object) -> httpx.Response:
    body = kwargs.pop("json", {"payload": "{}", "options": {"payloadType": "application/json"}})
    return http.post(f"/api/v1/tasks/{task}/trigger", json=body, **kwargs)  # type: ignore[arg-type]


# -- triggering ------------------------------------------------------------------------------------


def test_r_trigger(http: httpx.Client) -> None:
    response = trigger(http, unique("my task") + "/x")
    assert response.status_code == 404  # a "/" in the id is another route: callers encode it
    task = unique("task")
    response = trigger(http, task)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "isCached"} and body["id"].startswith("run_")
    assert body["isCached"] is False


def test_r_idem_request(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("request-key")
    key = str(uuid.uuid4())
    first = trigger(http, task, headers={"x-trigger-request-idempotency-key": key})
    again = trigger(http, task, headers={"x-trigger-request-idempotency-key": key})
    assert first.json() == again.json() == {"id": first.json()["id"], "isCached": False}
    assert again.headers["x-trigger-jwt"]  # a fresh token for the cached run
    other_task = trigger(
        http, unique("request-key"), headers={"x-trigger-request-idempotency-key": key}
    )
    assert other_task.json()["id"] != first.json()["id"]  # scoped by task
    not_v4 = "not-a-uuid"
    a = trigger(http, task, headers={"x-trigger-request-idempotency-key": not_v4})
    b = trigger(http, task, headers={"x-trigger-request-idempotency-key": not_v4})
    assert a.json()["id"] != b.json()["id"]  # only a version-4 UUID counts
    runs = emulator.store.runs_where(lambda r: r["taskIdentifier"] == task)
    assert len(runs) == 3


def test_r_idem_key(http: httpx.Client) -> None:
    task = unique("idem")
    body = {"payload": "1", "options": {"payloadType": "application/json", "idempotencyKey": "k"}}
    first = trigger(http, task, json=body)
    again = trigger(http, task, json=body)
    assert again.json() == {"id": first.json()["id"], "isCached": True}


def test_r_batch(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("batch")
    items = {"items": [{"task": task, "payload": "1", "options": {}}]}
    key = {"x-trigger-request-idempotency-key": str(uuid.uuid4())}
    first = http.post("/api/v1/tasks/batch", json=items, headers=key)
    second = http.post("/api/v1/tasks/batch", json=items, headers=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]  # v1 batches ignore the request key
    empty = http.post("/api/v1/tasks/batch", json={"items": []})
    assert empty.status_code == 403  # no task to authorize: denied, even for a secret key
    many = {"items": [{"task": task, "payload": "1"}] * 501}
    too_many = http.post("/api/v1/tasks/batch", json=many)
    assert too_many.status_code == 400
    assert too_many.json() == {
        "error": "Batch size of 501 is too large. Maximum allowed batch size is 500."
    }
    # the body schema comes before the scope, the route's own checks after it
    token = bearer(emulator.create_token(["read:runs"]))
    long_tag = {"items": [{"task": task, "payload": "1", "options": {"tags": ["x" * 129]}}]}
    schema = http.post("/api/v1/tasks/batch", json=long_tag, headers=token)
    assert schema.status_code == 400
    assert schema.json() == {
        "error": 'Validation error: Tags must be less than 128 characters at "items[0].options.tags[0]"'
    }
    unscoped = http.post("/api/v1/tasks/batch", json={"items": [{"task": task}]}, headers=token)
    assert unscoped.status_code == 403


# -- tokens ----------------------------------------------------------------------------------------


def test_r_token_header(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run = trigger(http, unique("jwt"))
    run_id = run.json()["id"]
    assert json.loads(run.headers["x-trigger-jwt-claims"]) == {
        "sub": emulator.environment_id,
        "pub": True,
        "scopes": [f"read:runs:{run_id}", f"write:inputStreams:{run_id}"],
    }
    token = run.headers["x-trigger-jwt"]
    assert httpx.get(f"{emulator.base_url}/api/v3/runs/{run_id}", headers=bearer(token)).is_success
    batch = http.post("/api/v1/tasks/batch", json={"items": [{"task": "t", "payload": "1"}]})
    assert json.loads(batch.headers["x-trigger-jwt-claims"]) == {
        "sub": emulator.environment_id,
        "pub": True,
    }


def test_r_token_additional_key(emulator: TriggerEmulator) -> None:
    key = emulator.create_api_key()
    assert is_additional_api_key(key) and not is_additional_api_key(emulator.secret_key)
    with httpx.Client(base_url=emulator.base_url, headers=bearer(key)) as http:
        assert http.get("/api/v1/runs").status_code == 200
        run_id = trigger(http, unique("additional")).json()["id"]
    # a token signed with the additional key does not verify: only the root key signs
    from trigger_client._protocol.tokens import build_public_token_claims, sign_public_token

    now = int(time.time())
    claims = build_public_token_claims(
        {"sub": emulator.environment_id, "pub": True},
        scopes=[f"read:runs:{run_id}"],
        realtime=None,
        exp=now + 600,
        iat=now,
    )
    forged = sign_public_token(claims, key)
    answer = httpx.get(f"{emulator.base_url}/api/v3/runs/{run_id}", headers=bearer(forged))
    assert answer.status_code == 401
    assert answer.json() == {"error": "Public Access Token is invalid"}


def test_r_token_mint(emulator: TriggerEmulator) -> None:
    key = emulator.create_api_key()
    with httpx.Client(base_url=emulator.base_url, headers=bearer(key)) as http:
        minted = http.post("/api/v1/auth/public-tokens", json={"scopes": ["read:runs"]})
        assert minted.status_code == 200 and set(minted.json()) == {"token"}
        no_scopes = http.post("/api/v1/auth/public-tokens", json={"scopes": []})
        assert no_scopes.status_code == 400
        assert no_scopes.json()["error"] == "Invalid request body"
        past = http.post(
            "/api/v1/auth/public-tokens", json={"scopes": ["read:runs"], "expirationTime": "-5m"}
        )
        assert past.json() == {"error": "Expiration time must be in the future"}
        long = http.post(
            "/api/v1/auth/public-tokens", json={"scopes": ["read:runs"], "expirationTime": "31d"}
        )
        assert long.json() == {"error": "Expiration time cannot exceed 30 days"}
        bad = http.post(
            "/api/v1/auth/public-tokens", json={"scopes": ["read:runs"], "expirationTime": "soon"}
        )
        assert bad.json() == {"error": "Invalid expiration time"}
    jwt = minted.json()["token"]
    refused = httpx.post(
        f"{emulator.base_url}/api/v1/auth/public-tokens",
        json={"scopes": ["read:runs"]},
        headers=bearer(jwt),
    )
    assert refused.status_code == 401  # public JWTs cannot mint


def test_r_token_claims(emulator: TriggerEmulator) -> None:
    answer = httpx.post(
        f"{emulator.base_url}/api/v1/auth/jwt/claims", headers=bearer(emulator.secret_key)
    )
    assert answer.json() == {"sub": emulator.environment_id, "pub": True}


# -- scopes and branches -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("read:runs:{run}", True),
        ("read:runs:", True),  # an empty id grants the type
        ("read:all:run_other", True),  # "all" ignores the id
        ("read:all", True),
        ("*:runs", True),
        ("admin", True),
        ("admin:runs", False),  # not the universal wildcard
        ("read:runs:run_other", False),
        ("read", False),
        (":runs", False),
        ("write:runs", False),
    ],
)
def test_r_scope_grammar(
    http: httpx.Client, emulator: TriggerEmulator, scope: str, granted: bool
) -> None:
    run_id = trigger(http, unique("scopes")).json()["id"]
    token = emulator.create_token([scope.format(run=run_id)])
    answer = httpx.get(f"{emulator.base_url}/api/v3/runs/{run_id}", headers=bearer(token))
    assert answer.status_code == (200 if granted else 403)


def test_r_scope_trigger(emulator: TriggerEmulator) -> None:
    task = unique("scope-trigger")

    def status(scope: str) -> int:
        headers = bearer(emulator.create_token([scope]))
        with httpx.Client(base_url=emulator.base_url, headers=headers) as http:
            return trigger(http, task).status_code

    assert status("write:tasks") == 403
    assert status(f"batchTrigger:tasks:{task}") == 403
    assert status(f"trigger:tasks:{task}") == 200
    assert status("trigger:tasks") == 200


def test_r_branch(emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    preview = emulator.add_environment(env_type="PREVIEW", slug="preview")
    url = f"{emulator.base_url}/api/v1/runs"
    no_branch = httpx.get(url, headers=bearer(preview.api_key))
    assert no_branch.status_code == 401 and no_branch.json() == {"error": "Invalid API key"}
    branch = {**bearer(preview.api_key), "x-trigger-branch": "feature-x"}
    assert httpx.get(url, headers=branch).status_code == 200
    # the SDK's reading of the environment, in the official client's order
    env = {"VERCEL_GIT_COMMIT_REF": "v", "TRIGGER_DEV_BRANCH": "d"}
    assert env_branch({"TRIGGER_PREVIEW_BRANCH": "p", **env}) == "p"
    assert env_branch(env) == "v"
    assert env_branch({"TRIGGER_DEV_BRANCH": "d"}) == "d"
    assert env_branch({"TRIGGER_DEV_BRANCH": "default"}) is None
    assert env_branch({"TRIGGER_PREVIEW_BRANCH": "", **env}) is None  # set but empty: no branch


def test_r_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIGGER_SECRET_KEY", "tr_dev_secretsecretsecret")
    monkeypatch.setenv("TRIGGER_ACCESS_TOKEN", "tr_dev_accessaccessaccess")
    assert env_access_token() == "tr_dev_secretsecretsecret"
    monkeypatch.delenv("TRIGGER_SECRET_KEY")
    assert env_access_token() == "tr_dev_accessaccessaccess"


# -- retries, rate limits, not found ------------------------------------------------------------------


def test_r_retry_policy() -> None:
    assert RetryPolicy().not_found_seconds == NOT_FOUND_RETRY_SECONDS == 5.0
    assert rejected_before_route(429, {}) and rejected_before_route(429, {"X-Should-Retry": "true"})
    assert not rejected_before_route(429, {"x-should-retry": "false"})
    assert not rejected_before_route(503, {})
    for status in (408, 429, 500, 502, 503):
        assert classify_status(status) == "transient"
    assert classify_status(500, headers={"x-should-retry": "false"}) == "fatal"
    assert classify_status(400) == "fatal"


def test_r_ratelimit_429() -> None:
    limits = RateLimit(max_tokens=2, refill_rate=1, refill_interval=60.0)
    with TriggerEmulator(rate_limit=limits) as emu:
        additional = emu.create_api_key()
        url = f"{emu.base_url}/api/v1/runs"
        first = httpx.get(url, headers=bearer(emu.secret_key))
        assert first.headers["x-ratelimit-limit"] == "2"
        assert first.headers["x-ratelimit-remaining"] == "1"
        # a root key and an additional key of one environment share its bucket
        assert httpx.get(url, headers=bearer(additional)).headers["x-ratelimit-remaining"] == "0"
        refused = httpx.get(url, headers=bearer(emu.secret_key))
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert "retry-after" not in refused.headers
        body = refused.json()
        assert body["title"] == "Rate Limit Exceeded" and body["remaining"] == -1
        assert body["reset"] == int(refused.headers["x-ratelimit-reset"])
        assert body["error"].startswith("Rate limit exceeded 0/2 requests remaining. Retry in ")
        # exempt: the JWT claims endpoint, packets, and everything outside /api
        claims = httpx.post(
            f"{emu.base_url}/api/v1/auth/jwt/claims", headers=bearer(emu.secret_key)
        )
        assert claims.status_code == 200 and "x-ratelimit-limit" not in claims.headers
        no_auth = httpx.get(url)
        assert no_auth.status_code == 401
        assert no_auth.json()["error"] == "No authorization header provided"


def test_r_404_lag(http: httpx.Client, emulator: TriggerEmulator) -> None:
    missing_run = "run_" + uuid.uuid4().hex[:25]
    missing_batch = "batch_" + uuid.uuid4().hex[:25]
    for path, retry in (
        (f"/api/v3/runs/{missing_run}", "true"),
        (f"/api/v1/batches/{missing_batch}", "true"),
        (f"/realtime/v1/batches/{missing_batch}?offset=-1", "true"),
        (f"/realtime/v1/runs/{missing_run}?offset=-1", "false"),
    ):
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert answer.json() == {"error": "Not found"}, path
        assert answer.headers["x-should-retry"] == retry, path
        assert lagging_not_found(404, answer.headers) is (retry == "true")
    emulator.replica_lag = 0.4
    try:
        run_id = trigger(http, unique("lag")).json()["id"]
        assert http.get(f"/api/v3/runs/{run_id}").status_code == 404
        time.sleep(0.5)
        assert http.get(f"/api/v3/runs/{run_id}").status_code == 200
    finally:
        emulator.replica_lag = 0


def test_r_404_order(emulator: TriggerEmulator) -> None:
    """Loaders: authentication (401), then the resource (404), then the scope (403). Actions
    (cancel): the scope (403) before the resource (404 ``Resource not found``)."""
    missing = "run_" + uuid.uuid4().hex[:25]
    token = emulator.create_token(["read:runs:run_other", "write:runs:run_other"])
    url = f"{emulator.base_url}/api/v3/runs/{missing}"
    assert httpx.get(url, headers=bearer(token)).status_code == 404
    assert httpx.get(url, headers=bearer("tr_dev_unknown")).status_code == 401
    cancel = f"{emulator.base_url}/api/v2/runs/{missing}/cancel"
    assert httpx.post(cancel, headers=bearer(token)).status_code == 403
    by_key = httpx.post(cancel, headers=bearer(emulator.secret_key))
    assert by_key.status_code == 404 and by_key.json() == {"error": "Resource not found"}
    scoped = emulator.create_token([f"write:runs:{missing}"])
    assert httpx.post(cancel, headers=bearer(scoped)).status_code == 404


def test_r_realtime_limit() -> None:
    with TriggerEmulator(realtime_concurrency_limit=0, long_poll_ms=200) as emu:
        run_id = emu.create_run("limited")
        url = f"{emu.base_url}/realtime/v1/runs/{run_id}"
        headers = {**bearer(emu.secret_key), "x-trigger-electric-version": "1.0.0-beta.1"}
        first = httpx.get(url, params={"offset": "-1"}, headers=headers)
        assert first.status_code == 200
        live = httpx.get(
            url,
            params={
                "offset": first.headers["electric-offset"],
                "handle": first.headers["electric-handle"],
                "live": "true",
            },
            headers=headers,
        )
        assert live.status_code == 429
        assert live.json() == {"error": "Too many concurrent requests"}


# -- runs: statuses, errors, reschedule, tags, packets --------------------------------------------------


def test_r_list_status(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("list")
    ids = {}
    for status in ("EXECUTING", "DEQUEUED", "PAUSED", "WAITING_TO_RESUME", "INTERRUPTED"):
        ids[status] = emulator.create_run(task)
        emulator.update_run(ids[status], status=status)

    def listed(value: str) -> set[str]:
        query = {"filter[status]": value, "filter[taskIdentifier]": task}
        return {item["id"] for item in http.get("/api/v1/runs", params=query).json()["data"]}

    assert listed("EXECUTING") == {ids["EXECUTING"]}  # not DEQUEUED
    assert listed("DEQUEUED") == {ids["DEQUEUED"]}
    assert listed("FROZEN") == {ids["PAUSED"], ids["WAITING_TO_RESUME"]}
    assert listed("WAITING") == {ids["WAITING_TO_RESUME"]}
    assert listed("FAILED") == set()  # INTERRUPTED is not selected by FAILED
    bad = http.get("/api/v1/runs", params={"filter[status]": "COMPLETED,nope,EXECUTING "})
    assert bad.status_code == 400
    assert bad.json()["error"] == "Query Error"
    assert bad.json()["details"][0]["message"] == "Invalid status values: nope, EXECUTING "
    # what the SDK sends, and how it steps back for a server older than DEQUEUED
    params = list_runs_params({"status": ["EXECUTING", "WAITING_FOR_DEPLOY"]})
    assert params == (("filter[status]", "EXECUTING,DEQUEUED,WAITING_FOR_DEPLOY,PENDING_VERSION"),)
    old = {"error": "Query Error", "details": [{"message": "Invalid status values: DEQUEUED"}]}
    assert without_unknown_companions(params, old) == (
        ("filter[status]", "EXECUTING,WAITING_FOR_DEPLOY,PENDING_VERSION"),
    )
    other = {"error": "Query Error", "details": [{"message": "Invalid status values: NOPE"}]}
    assert without_unknown_companions(params, other) is None


def test_r_rest_status(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("view"))
    emulator.update_run(run_id, status="DEQUEUED")
    legacy = http.get(f"/api/v3/runs/{run_id}").json()
    current = http.get(
        f"/api/v3/runs/{run_id}", headers={"x-trigger-api-version": CURRENT_API_VERSION}
    ).json()
    assert (legacy["status"], current["status"]) == ("EXECUTING", "DEQUEUED")


def test_r_error_object(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run(unique("oom"))
    emulator.start_attempt(run_id)
    emulator.crash(
        run_id,
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "Process exited with code 134 after signal SIGABRT.",
        },
    )
    error = http.get(f"/api/v3/runs/{run_id}").json()["error"]
    assert error == {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"}


def test_r_reschedule(http: httpx.Client, emulator: TriggerEmulator) -> None:
    started = emulator.create_run(unique("reschedule"))
    answer = http.post(f"/api/v1/runs/{started}/reschedule", json={"delay": "1h"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "Cannot reschedule a run that is not delayed"}
    missing = "run_" + uuid.uuid4().hex[:25]
    bad_delay = http.post(f"/api/v1/runs/{missing}/reschedule", json={"delay": "soon"})
    assert bad_delay.status_code == 400 and bad_delay.json() == {"error": "Invalid delay: soon"}
    not_found = http.post(f"/api/v1/runs/{missing}/reschedule", json={"delay": "1h"})
    assert not_found.status_code == 404 and not_found.json() == {"error": "Run not found"}


def test_r_tags(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("tags")
    long = trigger(http, task, json={"payload": "1", "options": {"tags": ["ok", "x" * 129]}})
    assert long.status_code == 400
    assert long.json() == {
        "error": 'Validation error: Tags must be less than 128 characters at "options.tags[1]"'
    }
    many = trigger(
        http, task, json={"payload": "1", "options": {"tags": [str(i) for i in range(11)]}}
    )
    assert many.status_code == 422
    assert many.json() == {"error": "Runs can only have 10 tags, you're trying to set 11."}
    one = trigger(http, task, json={"payload": "1", "options": {"tags": "single"}})
    assert one.status_code == 200
    # a tag too long is a body error (400) even for a token without the scope (403 otherwise);
    # too many tags is checked after the scope
    unscoped = bearer(emulator.create_token(["read:runs"]))
    body = {"payload": "1", "options": {"tags": ["x" * 129]}}
    assert trigger(http, task, json=body, headers=unscoped).status_code == 400
    body = {"payload": "1", "options": {"tags": [str(i) for i in range(11)]}}
    assert trigger(http, task, json=body, headers=unscoped).status_code == 403


def test_r_offload(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("offload")
    for size, offloaded in ((512 * 1024 - 1, False), (512 * 1024, True)):
        body = {"payload": "x" * size, "options": {"payloadType": "text/plain"}}
        run_id = trigger(http, task, json=body).json()["id"]
        kind = emulator.get_run(run_id)["payloadType"]
        assert kind == ("application/store" if offloaded else "text/plain"), size


def test_r_body_limit(http: httpx.Client) -> None:
    body = {"payload": "x" * 3_145_728, "options": {"payloadType": "text/plain"}}
    answer = trigger(http, unique("huge"), json=body)
    assert answer.status_code == 413 and answer.json() == {"error": "Request body too large"}


# -- the other endpoints the SDK calls ----------------------------------------------------------


def test_r_retrieve_run(http: httpx.Client, emulator: TriggerEmulator) -> None:
    body = {"payload": "x" * (600 * 1024), "options": {"payloadType": "text/plain"}}
    run_id = trigger(http, unique("retrieve"), json=body).json()["id"]
    view = http.get(f"/api/v3/runs/{run_id}").json()
    assert view["id"] == run_id and view["status"] == "QUEUED"
    assert "payload" not in view and view["payloadPresignedUrl"].startswith("http")
    download = httpx.get(view["payloadPresignedUrl"])  # the URL is the credential
    assert download.status_code == 200 and download.text == "x" * (600 * 1024)


def test_r_path_decode(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run_id = trigger(http, unique("paths")).json()["id"]
    encoded = http.get(f"/api/v3/runs/{run_id}%2F")  # one segment, "run_.../": an unknown run
    assert encoded.status_code == 404 and encoded.json() == {"error": "Not found"}
    slashed = http.get(f"/api/v3/runs/{run_id}/")  # a trailing slash: the same route, no redirect
    assert slashed.status_code == 200
    assert slashed.json() == http.get(f"/api/v3/runs/{run_id}").json()
    assert slashed.json()["id"] == run_id


def test_r_list_pages(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("pages")
    made = [trigger(http, task).json()["id"] for _ in range(3)]
    first = http.get("/api/v1/runs", params={"filter[taskIdentifier]": task, "page[size]": "2"})
    page = first.json()
    assert [item["id"] for item in page["data"]] == made[::-1][:2]  # newest first
    after = page["pagination"]["next"]
    second = http.get(
        "/api/v1/runs",
        params={"filter[taskIdentifier]": task, "page[size]": "2", "page[after]": after},
    ).json()
    assert [item["id"] for item in second["data"]] == made[:1]
    for size in ("0", "101", "x"):
        bad = http.get("/api/v1/runs", params={"page[size]": size})
        assert bad.status_code == 400 and bad.json()["error"] == "Query Error", size


def test_r_cancel_replay(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run_id = trigger(http, unique("cancel")).json()["id"]
    token = emulator.create_token([f"write:runs:{run_id}"])
    cancel = httpx.post(f"{emulator.base_url}/api/v2/runs/{run_id}/cancel", headers=bearer(token))
    assert cancel.json() == {"id": run_id}
    assert emulator.get_run(run_id)["status"] == "CANCELED"
    replay = http.post(f"/api/v1/runs/{run_id}/replay")
    assert replay.status_code == 200 and replay.json()["id"] != run_id


def test_r_batch_retrieve(http: httpx.Client, emulator: TriggerEmulator) -> None:
    task = unique("batch-view")
    items = {"items": [{"task": task, "payload": "1"}, {"task": task, "payload": "2"}]}
    made = http.post("/api/v1/tasks/batch", json=items).json()
    view = http.get(f"/api/v1/batches/{made['id']}").json()
    assert view["id"] == made["id"] and view["runCount"] == 2
    assert view["runs"] == [run["id"] for run in made["runs"]]


def test_r_realtime_shapes(http: httpx.Client, emulator: TriggerEmulator) -> None:
    run_id = trigger(http, unique("shape"), json={"payload": "1", "options": {"tags": ["t:1"]}})
    run_id = run_id.json()["id"]
    headers = {"x-trigger-electric-version": "1.0.0-beta.1"}
    for path, params in (
        (f"/realtime/v1/runs/{run_id}", {"offset": "-1"}),
        ("/realtime/v1/runs", {"offset": "-1", "tags": "t:1"}),
    ):
        answer = http.get(path, params=params, headers=headers)
        assert answer.status_code == 200, path
        assert answer.headers["electric-handle"] and answer.headers["electric-offset"]
    for bad, named in ((" a,", '""'), ('a"b', '"a\\"b"'), ("a,,b", '""')):
        answer = http.get("/realtime/v1/runs", params={"offset": "-1", "tags": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["details"][0]["message"] == f"Invalid tag: {named}", bad
    spaced = http.get("/realtime/v1/runs", params={"offset": "-1", "tags": "t:1, x"})
    assert spaced.status_code == 200  # " x" is a tag of its own: no trimming


def test_r_packets(http: httpx.Client, emulator: TriggerEmulator) -> None:
    answer = http.get("/api/v1/packets/some/path.json")
    assert answer.status_code == 200 and set(answer.json()) == {"presignedUrl"}
    assert httpx.get(answer.json()["presignedUrl"]).status_code == 404  # no such object


def test_every_row_of_the_document_has_its_test() -> None:
    """docs/server-conformance.md and this module name the same rows."""
    from pathlib import Path

    document = (Path(__file__).parents[2] / "docs" / "server-conformance.md").read_text()
    rows = [line.split("|")[1].strip() for line in document.splitlines() if line.startswith("| R-")]
    expected = {"test_" + row.lower().replace("-", "_") for row in rows}
    defined = {name for name in globals() if name.startswith("test_r_")}
    assert len(rows) == len(set(rows)) == 31
    assert expected == defined
