"""REST routes over real HTTP: bodies, statuses and error bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from trigger_client.testing import TriggerEmulator
from trigger_client.testing._app import router_path

from .conftest import auth


def test_retrieve_legacy_and_current_statuses(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("my-task", {"a": 1}, tags=["b", "a"], metadata={"m": 1})
    emu.dequeue(run_id)
    body = client.get(f"/api/v3/runs/{run_id}").json()
    assert body["id"] == run_id and body["status"] == "EXECUTING"  # DEQUEUED, legacy name
    assert body["isExecuting"] is True and body["isCompleted"] is False
    assert body["tags"] == ["a", "b"]  # sorted
    assert body["payload"] == {"a": 1} and body["metadata"] == {"m": 1}
    assert body["createdAt"].endswith("Z") and body["triggerFunction"] == "trigger"
    assert body["relatedRuns"] == {"children": []} and body["attempts"] == []
    assert "output" not in body and "finishedAt" not in body
    current = client.get(
        f"/api/v3/runs/{run_id}", headers={"x-trigger-api-version": "2025-07-16"}
    ).json()
    assert current["status"] == "DEQUEUED"


def test_retrieve_finished_run(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    emu.play(run_id, "success", interval=0, output={"ok": True})
    body = client.get(f"/api/v3/runs/{run_id}").json()
    assert body["status"] == "COMPLETED" and body["isSuccess"] and body["isCompleted"]
    assert body["output"] == {"ok": True}
    assert body["finishedAt"].endswith("Z") and body["version"] == "20250101.1"
    assert body["attemptCount"] == 1

    failed = emu.create_run("t")
    emu.play(failed, "failure", interval=0, error="kaboom")
    body = client.get(f"/api/v3/runs/{failed}").json()
    assert body["status"] == "FAILED" and body["isFailed"]
    assert body["error"]["message"] == "kaboom" and body["error"]["name"] == "Error"
    assert "output" not in body  # output only for COMPLETED_SUCCESSFULLY

    crashed = emu.create_run("t")
    emu.start_attempt(crashed)
    emu.crash(
        crashed,
        {
            "type": "INTERNAL_ERROR",
            "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
            "message": "exited after signal SIGKILL",
        },
    )
    error = client.get(f"/api/v3/runs/{crashed}").json()["error"]
    assert error == {"message": "trigger.dev internal error (TASK_PROCESS_MAYBE_OOM_KILLED)"}


def test_retrieve_superjson_gives_plain_json_part(
    emu: TriggerEmulator, client: httpx.Client
) -> None:
    run_id = emu.create_run("t")
    emu.start_attempt(run_id)
    emu.complete(
        run_id,
        {"at": datetime(2024, 1, 1, tzinfo=UTC)},
        output_type="application/super+json",
    )
    assert client.get(f"/api/v3/runs/{run_id}").json()["output"] == {
        "at": "2024-01-01T00:00:00.000Z"
    }


def test_retrieve_not_found(emu: TriggerEmulator, client: httpx.Client) -> None:
    response = client.get("/api/v3/runs/run_doesnotexist")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}  # apiBuilder.server.ts:391-399 at b082e44
    assert response.headers["x-should-retry"] == "true"
    other = emu.add_environment()
    foreign = emu.create_run("t", environment=other)
    assert client.get(f"/api/v3/runs/{foreign}").status_code == 404


def test_router_path_decodes_each_segment_alone() -> None:
    assert router_path("/api/v3/runs/a%2Fb") == "/api/v3/runs/a%2Fb"
    assert router_path("/api/v3/runs/a%2fb%3F") == "/api/v3/runs/a%2Fb?"
    assert router_path("/api/v3/runs/caf%C3%A9/") == "/api/v3/runs/café"
    assert router_path("/api/v3/runs/run_1//") == "/api/v3/runs/run_1"
    assert router_path("/api/v3/runs/%FF") == "/api/v3/runs/%FF"  # not UTF-8: left as it came
    assert router_path("/") == "/"
    assert router_path("") == "/"


def test_list_filters_and_pagination(emu: TriggerEmulator, client: httpx.Client) -> None:
    ids = [emu.create_run("a" if i % 2 else "b", tags=[f"t{i % 3}"]) for i in range(7)]
    done = ids[0]
    emu.play(done, "success", interval=0)
    body = client.get("/api/v1/runs").json()
    assert [r["id"] for r in body["data"]] == list(reversed(ids))  # newest first
    assert body["data"][0]["env"] == {"id": emu.environment_id, "name": "dev"}
    assert (
        client.get("/api/v1/runs", params={"filter[status]": "COMPLETED"}).json()["data"][0]["id"]
        == done
    )
    only_a = client.get("/api/v1/runs", params={"filter[taskIdentifier]": "a"}).json()["data"]
    assert {r["taskIdentifier"] for r in only_a} == {"a"} and len(only_a) == 3
    tagged = client.get("/api/v1/runs", params={"filter[tag]": "t0"}).json()["data"]
    assert {r["id"] for r in tagged} == {ids[0], ids[3], ids[6]}
    seen: list[str] = []
    params: dict[str, str] = {"page[size]": "3"}
    while True:
        page = client.get("/api/v1/runs", params=params).json()
        seen += [r["id"] for r in page["data"]]
        if "next" not in page["pagination"]:
            break
        params["page[after]"] = page["pagination"]["next"]
    assert seen == list(reversed(ids))
    prev = client.get("/api/v1/runs", params={"page[size]": "3", "page[before]": seen[3]}).json()
    assert [r["id"] for r in prev["data"]] == seen[:3]
    bad = client.get("/api/v1/runs", params={"page[size]": "1000"})
    assert bad.status_code == 400


def test_cancel_replay_reschedule(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t", {"p": 1}, tags=["keep"])
    response = client.post(f"/api/v2/runs/{run_id}/cancel")
    assert response.status_code == 200 and response.json() == {"id": run_id}
    assert emu.get_run(run_id)["status"] == "CANCELED"
    assert client.post(f"/api/v2/runs/{run_id}/cancel").json() == {"id": run_id}
    assert client.post("/api/v2/runs/run_nope/cancel").json() == {"error": "Resource not found"}

    replay = client.post(f"/api/v1/runs/{run_id}/replay")
    new_id = replay.json()["id"]
    assert new_id != run_id
    new_row = emu.get_run(new_id)
    assert new_row["payload"] == '{"p":1}' and new_row["runTags"] == ["keep"]
    assert new_row["status"] == "PENDING"

    not_delayed = client.post(f"/api/v1/runs/{new_id}/reschedule", json={"delay": "1h"})
    assert not_delayed.status_code == 400
    assert not_delayed.json() == {"error": "Cannot reschedule a run that is not delayed"}
    delayed = emu.create_run("t", delay="10m")
    moved = client.post(f"/api/v1/runs/{delayed}/reschedule", json={"delay": "2h"})
    assert moved.status_code == 200 and moved.json()["status"] == "DELAYED"
    assert (
        client.post(f"/api/v1/runs/{delayed}/reschedule", json={"delay": "soon"}).status_code == 400
    )


def test_metadata_and_tags_routes(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    response = client.put(f"/api/v1/runs/{run_id}/metadata", json={"metadata": {"p": 0.5}})
    assert response.json() == {"metadata": {"p": 0.5}}
    assert client.get(f"/api/v1/runs/{run_id}/metadata").json() == {"metadata": {"p": 0.5}}
    assert client.post(f"/api/v1/runs/{run_id}/tags", json={"tags": ["x", "y"]}).status_code == 200
    assert emu.get_run(run_id)["runTags"] == ["x", "y"]
    too_many = client.post(f"/api/v1/runs/{run_id}/tags", json={"tags": [str(i) for i in range(9)]})
    assert too_many.status_code == 422


def test_trigger_and_idempotency(emu: TriggerEmulator, client: httpx.Client) -> None:
    body = {
        "payload": '{"json":{"a":1}}',
        "options": {
            "payloadType": "application/super+json",
            "tags": ["t1"],
            "idempotencyKey": "k1",
            "metadata": {"m": True},
            "ttl": "1h",
        },
    }
    first = client.post("/api/v1/tasks/my-task/trigger", json=body)
    assert first.status_code == 200
    run_id = first.json()["id"]
    assert first.json()["isCached"] is False
    row = emu.get_run(run_id)
    assert row["taskIdentifier"] == "my-task" and row["payload"] == '{"json":{"a":1}}'
    assert row["payloadType"] == "application/super+json" and row["runTags"] == ["t1"]
    assert row["metadata"] == '{"m":true}' and row["ttl"] == "1h"
    claims = json.loads(first.headers["x-trigger-jwt-claims"])
    assert claims == {
        "sub": emu.environment_id,
        "pub": True,
        "scopes": [f"read:runs:{run_id}", f"write:inputStreams:{run_id}"],
    }
    token = first.headers["x-trigger-jwt"]
    assert httpx.get(f"{emu.base_url}/api/v3/runs/{run_id}", headers=auth(token)).status_code == 200
    again = client.post("/api/v1/tasks/my-task/trigger", json=body)
    assert again.json() == {"id": run_id, "isCached": True}
    delayed = client.post(
        "/api/v1/tasks/my-task/trigger", json={"payload": None, "options": {"delay": "5m"}}
    )
    assert emu.get_run(delayed.json()["id"])["status"] == "DELAYED"
    bad = client.post("/api/v1/tasks/t/trigger", content=b"{not json")
    assert bad.status_code == 400 and bad.json() == {"error": "Invalid request body"}


def test_batch_trigger_and_retrieve_batch(emu: TriggerEmulator, client: httpx.Client) -> None:
    items = [
        {
            "task": "t",
            "payload": '{"json":1}',
            "options": {"payloadType": "application/super+json"},
        },
        {"task": "t", "payload": "hi", "options": {"payloadType": "text/plain", "tags": ["x"]}},
    ]
    response = client.post("/api/v1/tasks/batch", json={"items": items})
    assert response.status_code == 202  # api.v1.tasks.batch.ts:136 at b082e44
    body = response.json()
    assert body["id"].startswith("batch_") and body["isCached"] is False
    assert [r["taskIdentifier"] for r in body["runs"]] == ["t", "t"]
    assert json.loads(response.headers["x-trigger-jwt-claims"])["sub"] == emu.environment_id
    assert emu.get_run(body["runs"][1]["id"])["payload"] == "hi"
    batch = client.get(f"/api/v1/batches/{body['id']}").json()
    assert batch["runCount"] == 2 and batch["status"] == "PENDING"
    assert client.get("/api/v1/batches/batch_nope").status_code == 404
    assert (
        client.post("/api/v1/tasks/batch", json={"items": []}).status_code == 403
    )  # everyResource([]) denies: apiBuilder.server.ts:216


def test_claims_and_server_minted_jwt(emu: TriggerEmulator, client: httpx.Client) -> None:
    claims = client.post("/api/v1/auth/jwt/claims")
    assert claims.json() == {"sub": emu.environment_id, "pub": True}
    minted = client.post("/api/v1/auth/jwt", json={"claims": {"scopes": ["read:runs"]}})
    token = minted.json()["token"]
    run_id = emu.create_run("t")
    assert httpx.get(f"{emu.base_url}/api/v3/runs/{run_id}", headers=auth(token)).status_code == 200


def test_packets_presign_and_blob(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    emu.start_attempt(run_id)
    big = {"data": "y" * (200 * 1024)}
    emu.complete(run_id, big)
    body = client.get(f"/api/v3/runs/{run_id}").json()
    assert "output" not in body
    url = body["outputPresignedUrl"]
    blob = httpx.get(url)  # no auth: the signature is the credential
    assert blob.status_code == 200 and blob.headers["content-type"] == "application/json"
    assert blob.json() == big
    presign = client.get(f"/api/v1/packets/{run_id}/output.json").json()["presignedUrl"]
    assert httpx.get(presign).json() == big
    assert httpx.get(presign.replace("signature=", "signature=0")).status_code == 403
    missing = client.get("/api/v1/packets/nothing/here.json").json()["presignedUrl"]
    assert httpx.get(missing).status_code == 404
    # Upload the way the SDK offloads a packet: PUT for a presigned URL, then PUT the content.
    upload = client.put("/api/v1/packets/run_x/payload.json").json()["presignedUrl"]
    put = httpx.put(upload, content=b'{"up":1}', headers={"content-type": "application/json"})
    assert put.status_code == 200
    fetched = client.get("/api/v1/packets/run_x/payload.json").json()["presignedUrl"]
    assert httpx.get(fetched).json() == {"up": 1}
    assert httpx.get(upload).status_code == 403  # a PUT signature does not allow GET


def test_unknown_route_and_healthcheck(emu: TriggerEmulator, client: httpx.Client) -> None:
    assert client.get("/healthcheck").text == "OK"
    assert client.get("/api/v9/nothing").status_code == 404


def test_batch_trigger_honours_each_items_idempotency_key(
    emu: TriggerEmulator, client: httpx.Client
) -> None:
    first = client.post(
        "/api/v1/tasks/my-task/trigger",
        json={"payload": "a", "options": {"payloadType": "text/plain", "idempotencyKey": "kb1"}},
    ).json()
    items = [
        {"task": "my-task", "payload": "a", "options": {"idempotencyKey": "kb1"}},
        {"task": "my-task", "payload": "b", "options": {"idempotencyKey": "kb2"}},
    ]
    body = client.post("/api/v1/tasks/batch", json={"items": items}).json()
    cached, fresh = body["runs"]
    assert cached == {
        "id": first["id"],
        "taskIdentifier": "my-task",
        "isCached": True,
        "idempotencyKey": "kb1",
    }
    assert fresh["isCached"] is False and fresh["id"] != first["id"]
    assert emu.get_run(fresh["id"])["payload"] == "b"
    again = client.post("/api/v1/tasks/batch", json={"items": items}).json()
    assert [(r["id"], r["isCached"]) for r in again["runs"]] == [
        (first["id"], True),
        (fresh["id"], True),
    ]
