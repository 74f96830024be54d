"""Public tokens minted by us and by the official SDK 3.3.17 for the same scopes carry the same
claims (times aside) and open exactly the same doors on the emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.interop.node_sdk import NodeSDK
from trigger_client import TriggerClient, decode_public_token
from trigger_client.testing import TriggerEmulator

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not NodeSDK.available(), reason="the official SDK is not installed: make setup"
    ),
]


@pytest.fixture(scope="module")
def world(emulator_session: TriggerEmulator) -> dict[str, Any]:
    emu = emulator_session
    a = emu.create_run("task-a", {"n": 1}, tags=["user:1", "team:x"])
    b = emu.create_run("task-b", {"n": 2}, tags=["user:2"])
    batch_id, (c, *_) = emu.create_batch("task-c", [{"n": 3}, {"n": 4}])
    return {"a": a, "b": b, "c": c, "batch": batch_id}


def scope_cases(w: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"read": {"runs": [w["a"]]}},
        {"read": {"runs": True}},
        {"read": {"tags": ["user:1"]}},
        {"read": {"tasks": "task-b"}},
        {"read": {"batch": w["batch"]}},
        {"read": {"runs": [w["a"], w["b"]], "tags": "team:x"}},
        {},
    ]


def doors(emu: TriggerEmulator, w: dict[str, Any]) -> list[tuple[str, str]]:
    """Requests a public token may or may not be allowed to make."""
    return [
        ("GET", f"/api/v3/runs/{w['a']}"),
        ("GET", f"/api/v3/runs/{w['b']}"),
        ("GET", f"/api/v3/runs/{w['c']}"),
        ("GET", f"/realtime/v1/runs/{w['a']}?offset=-1"),
        ("GET", f"/realtime/v1/runs/{w['b']}?offset=-1"),
        ("GET", "/realtime/v1/runs?tags=user:1&offset=-1"),
        ("GET", "/realtime/v1/runs?tags=user:2&offset=-1"),
        ("GET", f"/realtime/v1/batches/{w['batch']}?offset=-1"),
        ("POST", "/api/v1/auth/jwt/claims"),
    ]


def statuses(emu: TriggerEmulator, token: str, w: dict[str, Any]) -> list[int]:
    with httpx.Client(base_url=emu.base_url, timeout=10) as http:
        return [
            http.request(
                method,
                path,
                headers={
                    "authorization": f"Bearer {token}",
                    "x-trigger-electric-version": "1.0.0-beta.1",
                },
            ).status_code
            for method, path in doors(emu, w)
        ]


def test_same_claims_and_same_access(emulator: TriggerEmulator, world: dict[str, Any]) -> None:
    sdk = NodeSDK(emulator.base_url, emulator.secret_key)
    with TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key) as client:
        for scopes in scope_cases(world):
            official = sdk.create_token(scopes, "15m")
            ours = client.auth.create_public_token(scopes=scopes, expiration_time="15m")
            theirs_claims = decode_public_token(official)
            our_claims = decode_public_token(ours)
            assert our_claims.header == theirs_claims.header == {"alg": "HS256"}
            strip = {"exp", "iat"}
            assert {k: v for k, v in our_claims.raw.items() if k not in strip} == {
                k: v for k, v in theirs_claims.raw.items() if k not in strip
            }, scopes
            assert list(our_claims.raw) == list(theirs_claims.raw), "claim order differs"
            assert abs((our_claims.exp - theirs_claims.exp).total_seconds()) <= 5
            assert statuses(emulator, ours, world) == statuses(emulator, official, world), scopes
