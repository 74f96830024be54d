"""Authentication and scopes, as the real routes check them (protocol-trigger.md section 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from trigger_client.testing import ManualClock, TriggerEmulator
from trigger_client.testing._auth import AUDIENCE, ISSUER, sign_jwt

from .conftest import auth

FORBIDDEN = {
    "error": "Unauthorized",
    "code": "unauthorized",
    "param": "access_token",
    "type": "authorization",
}


_HTTP: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _shared_client(http: httpx.Client) -> None:
    _HTTP[:] = [http]


def get(emu: TriggerEmulator, path: str, token: str | None, **params: str) -> httpx.Response:
    headers = auth(token) if token is not None else {"x-trigger-electric-version": "1.0.0-beta.1"}
    return _HTTP[0].get(f"{emu.base_url}{path}", headers=headers, params=params)


def post(emu: TriggerEmulator, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
    headers = auth(token) if token is not None else {}
    return _HTTP[0].post(f"{emu.base_url}{path}", headers=headers, **kwargs)


def claims(emu: TriggerEmulator, **overrides: Any) -> dict[str, Any]:
    now = emu.clock.now_ms() // 1000
    base = {
        "sub": emu.environment_id,
        "pub": True,
        "scopes": ["read:runs"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def run_id(emu: TriggerEmulator) -> str:
    return emu.create_run("my-task", tags=["user:1", "org:2"])


ROUTES = ["/api/v3/runs/{run}", "/realtime/v1/runs/{run}"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Invalid or Missing API key"),
        ("Bearer", "Invalid or Missing API key"),
        ("Basic abc", "Invalid or Missing API key"),
        ("bearer tr_dev_x", "Invalid or Missing API key"),
        ("Bearer tr_dev_notarealkey0000000000", "Invalid API key"),
        ("Bearer pk_dev_deprecated", "Invalid API key"),
    ],
)
def test_401_bodies(
    emu: TriggerEmulator, run_id: str, route: str, authorization: str | None, message: str
) -> None:
    headers = {"x-trigger-electric-version": "1.0.0-beta.1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = _HTTP[0].get(
        emu.base_url + route.format(run=run_id), headers=headers, params={"offset": "-1"}
    )
    assert response.status_code == 401
    assert response.json() == {"error": message}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sub": None}, "Invalid Public Access Token"),
        ({"sub": 12}, "Invalid Public Access Token"),
        ({"sub": "cm_unknown_env"}, "Invalid Public Access Token"),
        ({"iss": "https://evil.example"}, "Public Access Token is invalid"),
        ({"aud": "https://other.example"}, "Public Access Token is invalid"),
        ({"aud": None}, "Public Access Token is invalid"),
        ({"exp": "soon"}, "Public Access Token is invalid"),
        ({"iat": "yesterday"}, "Public Access Token is invalid"),
        ({"pub": None}, "Invalid API key"),  # not a public JWT: looked up as a key
        ({"pub": False}, "Invalid API key"),
    ],
)
def test_jwt_claims_validation(
    emu: TriggerEmulator, run_id: str, overrides: dict[str, Any], message: str
) -> None:
    token = sign_jwt(claims(emu, **overrides), emu.secret_key)
    response = get(emu, f"/api/v3/runs/{run_id}", token)
    assert response.status_code == 401
    assert response.json() == {"error": message}


def test_jwt_signature_and_algorithms(emu: TriggerEmulator, run_id: str) -> None:
    good = sign_jwt(claims(emu), emu.secret_key)
    assert get(emu, f"/api/v3/runs/{run_id}", good).status_code == 200
    assert (
        get(
            emu, f"/api/v3/runs/{run_id}", sign_jwt(claims(emu), emu.secret_key, alg="HS512")
        ).status_code
        == 200
    )
    wrong_key = sign_jwt(claims(emu), "tr_dev_someoneelse00000000")
    response = get(emu, f"/api/v3/runs/{run_id}", wrong_key)
    assert response.status_code == 401
    assert response.json() == {"error": "Public Access Token is invalid"}
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert get(emu, f"/api/v3/runs/{run_id}", tampered).status_code == 401


def test_expiry_has_no_tolerance() -> None:
    clock = ManualClock(datetime(2025, 6, 1, tzinfo=UTC))
    with TriggerEmulator(clock=clock) as emu:
        run_id = emu.create_run("t")
        token = emu.create_token(["read:runs"], expires_in=60)
        assert get(emu, f"/api/v3/runs/{run_id}", token).status_code == 200
        clock.advance(59)
        assert get(emu, f"/api/v3/runs/{run_id}", token).status_code == 200
        clock.advance(1)  # exp <= now: expired
        expired = get(emu, f"/api/v3/runs/{run_id}", token)
        assert expired.status_code == 401
        assert expired.json() == {"error": "Public Access Token is invalid"}
        realtime = get(emu, f"/realtime/v1/runs/{run_id}", token, offset="-1")
        assert realtime.status_code == 401
        future = sign_jwt(claims(emu, nbf=clock.now_ms() // 1000 + 100), emu.secret_key)
        assert get(emu, f"/api/v3/runs/{run_id}", future).status_code == 401


GRANTS_RUN = [
    "read:runs:{run}",
    "read:runs",
    "read:tasks:my-task",
    "read:tasks",
    "read:tags:user:1",
    "read:all",
    "*:all",
    "*:runs",
    "admin",
]
DENIES_RUN = [
    "read:runs:run_other",
    "read:tasks:other-task",
    "read:tags:user:2",
    "write:runs",
    "admin:runs",
    "read",
    "read:batch",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("scope", GRANTS_RUN)
def test_run_read_granted(emu: TriggerEmulator, run_id: str, route: str, scope: str) -> None:
    token = emu.create_token([scope.format(run=run_id)])
    assert get(emu, route.format(run=run_id), token, offset="-1").status_code == 200


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("scope", DENIES_RUN)
def test_run_read_denied(emu: TriggerEmulator, run_id: str, route: str, scope: str) -> None:
    token = emu.create_token([scope])
    response = get(emu, route.format(run=run_id), token, offset="-1")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_token_without_scopes_grants_nothing(emu: TriggerEmulator, run_id: str) -> None:
    token = emu.create_token(None)
    assert get(emu, f"/api/v3/runs/{run_id}", token).status_code == 403


def test_not_found_comes_before_forbidden(emu: TriggerEmulator) -> None:
    token = emu.create_token(["read:runs:run_other"])
    response = get(emu, "/realtime/v1/runs/run_missing", token, offset="-1")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}
    assert response.headers["x-should-retry"] == "false"
    batch = get(emu, "/realtime/v1/batches/batch_missing", token, offset="-1")
    assert batch.status_code == 404 and batch.headers["x-should-retry"] == "true"


def test_token_for_run_a_never_reads_run_b(emu: TriggerEmulator) -> None:
    run_a = emu.create_run("t", tags=["shared"])
    batch_id, (run_b,) = emu.create_batch("t", [1])
    token = emu.create_token([f"read:runs:{run_a}"])
    assert get(emu, f"/realtime/v1/runs/{run_a}", token, offset="-1").status_code == 200
    assert get(emu, f"/realtime/v1/runs/{run_b}", token, offset="-1").status_code == 403
    assert get(emu, f"/api/v3/runs/{run_b}", token).status_code == 403
    assert get(emu, "/realtime/v1/runs", token, tags="shared", offset="-1").status_code == 403
    assert get(emu, "/realtime/v1/runs", token, offset="-1").status_code == 403
    assert get(emu, f"/realtime/v1/batches/{batch_id}", token, offset="-1").status_code == 403
    assert get(emu, "/api/v1/runs", token).status_code == 403


def test_batch_run_readable_with_batch_scope(emu: TriggerEmulator) -> None:
    batch_id, (run_id,) = emu.create_batch("t", [1])
    token = emu.create_token([f"read:batch:{batch_id}"])
    assert get(emu, f"/realtime/v1/runs/{run_id}", token, offset="-1").status_code == 200
    assert get(emu, f"/realtime/v1/batches/{batch_id}", token, offset="-1").status_code == 200
    assert get(emu, f"/api/v1/batches/{batch_id}", token).status_code == 200
    other_batch, _ = emu.create_batch("t", [2])
    assert get(emu, f"/realtime/v1/batches/{other_batch}", token, offset="-1").status_code == 403
    runs_token = emu.create_token(["read:runs"])
    assert (
        get(emu, f"/realtime/v1/batches/{other_batch}", runs_token, offset="-1").status_code == 200
    )
    run_token = emu.create_token([f"read:runs:{run_id}"])
    assert get(emu, f"/realtime/v1/batches/{batch_id}", run_token, offset="-1").status_code == 403


@pytest.mark.parametrize(
    ("scope", "tags", "status"),
    [
        ("read:tags:a", "a,b", 200),
        ("read:tags:b", "a,b", 200),
        ("read:tags", "a", 200),
        ("read:runs", "a", 200),
        ("read:tags:c", "a,b", 403),
        ("read:runs:run_x", "a", 403),
        ("read:tasks:t", "a", 403),
        ("read:tags", None, 200),
        ("read:tags:a", None, 403),
    ],
)
def test_tag_feed_scopes(emu: TriggerEmulator, scope: str, tags: str | None, status: int) -> None:
    token = emu.create_token([scope])
    params = {"offset": "-1"}
    if tags is not None:
        params["tags"] = tags
    assert get(emu, "/realtime/v1/runs", token, **params).status_code == status


def test_list_scopes(emu: TriggerEmulator) -> None:
    emu.create_run("a")
    assert get(emu, "/api/v1/runs", emu.create_token(["read:runs"])).status_code == 200
    assert get(emu, "/api/v1/runs", emu.create_token(["read:tasks"])).status_code == 200
    task_token = emu.create_token(["read:tasks:a", "read:tasks:b"])
    assert (
        get(emu, "/api/v1/runs", task_token, **{"filter[taskIdentifier]": "a,b"}).status_code == 200
    )
    assert (
        get(emu, "/api/v1/runs", task_token, **{"filter[taskIdentifier]": "a,c"}).status_code == 403
    )
    assert get(emu, "/api/v1/runs", task_token).status_code == 403


def test_write_scopes_for_cancel(emu: TriggerEmulator, run_id: str) -> None:
    path = f"/api/v2/runs/{run_id}/cancel"
    denied = post(emu, path, emu.create_token([f"read:runs:{run_id}"]))
    assert denied.status_code == 403 and denied.json() == FORBIDDEN
    allowed = post(emu, path, emu.create_token([f"write:runs:{run_id}"]))
    assert allowed.status_code == 200
    other = emu.create_run("my-task")
    by_task = post(emu, f"/api/v2/runs/{other}/cancel", emu.create_token(["write:tasks:my-task"]))
    assert by_task.status_code == 200


def test_trigger_scopes(emu: TriggerEmulator) -> None:
    def trigger(token: str, task: str = "t") -> int:
        return post(emu, f"/api/v1/tasks/{task}/trigger", token, json={"payload": 1}).status_code

    assert trigger(emu.create_token(["trigger:tasks:t"])) == 200
    assert trigger(emu.create_token(["trigger:tasks:t"]), "other") == 403
    assert trigger(emu.create_token(["write:tasks"])) == 403  # no such super-scope
    assert trigger(emu.create_token(["trigger:tasks"])) == 200
    assert trigger(emu.create_token(["trigger:all"])) == 200
    assert trigger(emu.create_token(["admin"])) == 200
    assert trigger(emu.create_token(["read:runs"])) == 403
    items = {"items": [{"task": "t", "payload": 1}, {"task": "u", "payload": 2}]}
    batch = emu.create_token(["batchTrigger:tasks:t"])
    response = post(emu, "/api/v1/tasks/batch", batch, json=items)
    assert response.status_code == 403
    both = emu.create_token(["batchTrigger:tasks:t", "batchTrigger:tasks:u"])
    response = post(emu, "/api/v1/tasks/batch", both, json=items)
    assert response.status_code == 202


def test_secret_key_only_routes_refuse_jwts(emu: TriggerEmulator, run_id: str) -> None:
    token = emu.create_token(["admin"])
    claims_response = post(emu, "/api/v1/auth/jwt/claims", token)
    assert claims_response.status_code == 401
    assert claims_response.json() == {"error": "Invalid or Missing API key"}
    missing = post(emu, "/api/v1/auth/jwt/claims", None)
    assert missing.json() == {"error": "Invalid or Missing API key"}
    replay = post(emu, f"/api/v1/runs/{run_id}/replay", token)
    assert replay.status_code == 401 and replay.json() == {"error": "Invalid API key"}
    metadata = _HTTP[0].put(
        f"{emu.base_url}/api/v1/runs/{run_id}/metadata", headers=auth(token), json={"metadata": {}}
    )
    assert metadata.status_code == 401


def test_packets_presign_accepts_any_valid_jwt(emu: TriggerEmulator) -> None:
    token = emu.create_token(["read:runs:run_unrelated"])
    assert get(emu, "/api/v1/packets/run_x/output.json", token).status_code == 200
    assert get(emu, "/api/v1/packets/run_x/output.json", "tr_dev_wrong").status_code == 401


def test_tokens_are_bound_to_their_environment(emu: TriggerEmulator) -> None:
    other = emu.add_environment()
    foreign_run = emu.create_run("t", environment=other)
    token = emu.create_token(["read:runs"])
    assert get(emu, f"/realtime/v1/runs/{foreign_run}", token, offset="-1").status_code == 404
    other_token = emu.create_token(["read:runs"], environment=other)
    assert get(emu, f"/realtime/v1/runs/{foreign_run}", other_token, offset="-1").status_code == 200
    assert get(emu, f"/api/v3/runs/{foreign_run}", other.api_key).status_code == 200


def test_rotated_secret_key(emu: TriggerEmulator, run_id: str) -> None:
    old_key = emu.secret_key
    old_token = emu.create_token(["read:runs"])
    new_key = emu.rotate_secret_key()
    assert new_key != old_key
    assert get(emu, f"/api/v3/runs/{run_id}", old_key).json() == {"error": "Invalid API key"}
    assert get(emu, f"/api/v3/runs/{run_id}", old_token).status_code == 401
    assert get(emu, f"/api/v3/runs/{run_id}", new_key).status_code == 200
    assert get(emu, f"/api/v3/runs/{run_id}", emu.create_token(["read:runs"])).status_code == 200


def test_skip_columns_claim_replaces_query(emu: TriggerEmulator, run_id: str) -> None:
    token = emu.create_token(["read:runs"], realtime={"skipColumns": ["payload", "output"]})
    response = get(emu, f"/realtime/v1/runs/{run_id}", token, offset="-1", skipColumns="metadata")
    value = response.json()[0]["value"]
    assert "payload" not in value and "output" not in value and "metadata" in value
    empty = emu.create_token(["read:runs"], realtime={"skipColumns": []})
    response = get(emu, f"/realtime/v1/runs/{run_id}", empty, offset="-1", skipColumns="metadata")
    assert "metadata" in response.json()[0]["value"]  # an empty claim still wins
