"""REST parity: our runs/tasks calls and the official TypeScript SDK 3.3.17's make the same HTTP
requests (method, path, query, JSON body, idempotency headers) and produce equal results, on the
same emulator.

Our requests are recorded with an httpx event hook on a client we pass in; the official SDK's come
from the node driver's ``--trace-requests``. Headers that legitimately differ (``user-agent``,
``trigger-version``, ``x-trigger-source``, ``content-type`` on a GET) are not compared.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.interop.node_sdk import NodeSDK, NodeSDKError
from tests.parity.js_form import js_run, py_run
from trigger_client import (
    BatchItem,
    ListRunItem,
    QueueOptions,
    Run,
    TriggerClient,
    TriggerOptions,
    decode_public_token,
)
from trigger_client._protocol.tasks import encode_payload
from trigger_client._serde import unstructure
from trigger_client.testing import TriggerEmulator

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not NodeSDK.available(), reason="the official SDK is not installed: make setup"
    ),
]

T = TypeVar("T")

#: Request headers that carry meaning and must match.
COMPARED_HEADERS = ("idempotency-key", "idempotency-key-ttl", "batch-processing-strategy")

Request = dict[str, Any]


def _normal(method: str, url: str, headers: dict[str, str], body: str | bytes | None) -> Request:
    parts = urlsplit(url)
    text = body.decode() if isinstance(body, bytes) else body
    return {
        "method": method.upper(),
        "path": parts.path,
        "query": parse_qsl(parts.query, keep_blank_values=True),
        "body": json.loads(text) if text else None,
        "headers": {k: headers[k] for k in COMPARED_HEADERS if k in headers},
    }


def official_requests(result: Any) -> list[Request]:
    return [
        _normal(
            e["method"], e["url"], {k.lower(): v for k, v in e["headers"].items()}, e.get("body")
        )
        for e in result.requests
        if not urlsplit(e["url"]).path.startswith("/realtime/")
    ]


def ours(emu: TriggerEmulator, call: Callable[[TriggerClient], T]) -> tuple[T, list[Request]]:
    """Run ``call`` with a sync client whose requests are recorded."""
    recorded: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [recorded.append]}) as http:
        with TriggerClient(
            base_url=emu.base_url, access_token=emu.secret_key, http_client=http
        ) as client:
            result = call(client)
    return result, [
        _normal(r.method, str(r.url), dict(r.headers), r.content or None) for r in recorded
    ]


@pytest.fixture
def emu(emulator: TriggerEmulator) -> Iterator[TriggerEmulator]:
    yield emulator


@pytest.fixture
def sdk(emulator: TriggerEmulator) -> NodeSDK:
    return NodeSDK(emulator.base_url, emulator.secret_key, trace_requests=True, max_attempts=1)


def node_call(sdk: NodeSDK, *args: str) -> Any:
    result = sdk.run(*args, timeout=30)
    if not result.ok:
        raise NodeSDKError(result)
    return result


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- trigger -------------------------------------------------------------------------------------

AT = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
AT_JS = {"$date": "2024-01-02T03:04:05.678Z"}

#: (name, our payload, the same payload in the driver's tagged JSON)
PAYLOADS: list[tuple[str, Any, Any]] = [
    ("object", {"a": 1, "nested": {"b": [1, 2.5, "x", None, True]}}, None),
    ("datetime", {"at": AT, "list": [AT]}, {"at": AT_JS, "list": [AT_JS]}),
    ("set", {"s": {1, 2, 3}}, {"s": {"$set": [1, 2, 3]}}),
    ("map", {"m": {1: "one", 2: "two"}}, {"m": {"$map": [[1, "one"], [2, "two"]]}}),
    ("bigint", {"big": 12345678901234567890}, {"big": {"$bigint": "12345678901234567890"}}),
    ("bytes", {"b": b"\x00\xff"}, {"b": {"$bytes": [0, 255]}}),
    ("floats", {"one": 1.0, "tiny": 1e-7, "huge": 1e21, "x": 0.1}, None),
    (
        "non-finite",
        {"nan": float("nan"), "inf": float("inf")},
        {"nan": {"$number": "NaN"}, "inf": {"$number": "Infinity"}},
    ),
    ("unicode", {"text": 'é ✓ \u2028 \x01 "q" \\'}, None),
    ("string", "hello, world", None),
    ("list", [1, "two", None, False], None),
    ("null", None, None),
]


@pytest.mark.parametrize(
    ("payload", "tagged"), [(p, t) for _, p, t in PAYLOADS], ids=[name for name, _, _ in PAYLOADS]
)
def test_trigger_payload_parity(
    emu: TriggerEmulator, sdk: NodeSDK, payload: Any, tagged: Any
) -> None:
    task = unique("parity-payload")
    handle, mine = ours(emu, lambda c: c.tasks.trigger(task, payload))
    node = node_call(
        sdk, "trigger", task, "--payload", json.dumps(payload if tagged is None else tagged)
    )
    theirs = official_requests(node)
    assert mine == theirs
    # the payload text is byte for byte the official SDK's
    assert mine[0]["body"]["payload"] == theirs[0]["body"]["payload"]
    official_handle = node.first("handle")["handle"]
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        a = client.runs.retrieve(handle.id)
        b = client.runs.retrieve(official_handle["id"])
    assert _same_run(a, b)


def test_trigger_without_payload_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    task = unique("parity-empty")
    _, mine = ours(emu, lambda c: c.tasks.trigger(task))
    node = node_call(sdk, "trigger", task, "--payload", json.dumps({"$undefined": True}))
    assert mine == official_requests(node)
    assert "payload" not in mine[0]["body"]


def _same_run(a: Any, b: Any) -> bool:
    skip = {"id", "createdAt", "updatedAt", "delayedUntil", "number"}
    left = {k: v for k, v in py_run(a).items() if k not in skip}
    right = {k: v for k, v in py_run(b).items() if k not in skip}
    assert left == right
    return True


OPTION_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("tags", {"tags": ["user:1", "org:2"]}, {"tags": ["user:1", "org:2"]}),
    ("delay-string", {"delay": "1h"}, {"delay": "1h"}),
    ("delay-timedelta", {"delay": timedelta(minutes=90)}, {"delay": "90m"}),
    (
        "delay-datetime",
        {"delay": datetime(2031, 1, 1, tzinfo=UTC)},
        {"delay": {"$date": "2031-01-01T00:00:00.000Z"}},
    ),
    ("ttl-string", {"ttl": "5m"}, {"ttl": "5m"}),
    ("ttl-seconds", {"ttl": 3600}, {"ttl": 3600}),
    ("ttl-timedelta", {"ttl": timedelta(hours=1)}, {"ttl": 3600}),
    ("idempotency-list", {"idempotency_key": ["a", "b"]}, {"idempotencyKey": ["a", "b"]}),
    (
        "idempotency-ttl",
        {"idempotency_key_ttl": timedelta(hours=2)},
        {"idempotencyKeyTTL": "2h"},
    ),
    (
        "metadata",
        {"metadata": {"user": {"id": 7}, "at": AT}},
        {"metadata": {"user": {"id": 7}, "at": AT_JS}},
    ),
    (
        "queue-and-more",
        {
            "queue": QueueOptions(name="emails", concurrency_limit=3),
            "concurrency_key": "user-1",
            "max_attempts": 4,
            "max_duration": timedelta(minutes=5),
            "machine": "small-2x",
            "lock_to_version": "20250208.1",
        },
        {
            "queue": {"name": "emails", "concurrencyLimit": 3},
            "concurrencyKey": "user-1",
            "maxAttempts": 4,
            "maxDuration": 300,
            "machine": "small-2x",
            "version": "20250208.1",
        },
    ),
    ("queue-name", {"queue": "emails"}, {"queue": {"name": "emails"}}),
]


@pytest.mark.parametrize(
    ("options", "node_options"),
    [(o, n) for _, o, n in OPTION_CASES],
    ids=[name for name, _, _ in OPTION_CASES],
)
def test_trigger_options_parity(
    emu: TriggerEmulator, sdk: NodeSDK, options: dict[str, Any], node_options: dict[str, Any]
) -> None:
    task = unique("parity-options")
    if "idempotency_key" in options:  # a fresh key per run, the same on both sides
        key = [unique("k"), *options["idempotency_key"]]
        options = {**options, "idempotency_key": key}
        node_options = {**node_options, "idempotencyKey": key}
    handle, mine = ours(emu, lambda c: c.tasks.trigger(task, {"n": 1}, TriggerOptions(**options)))
    node = node_call(
        sdk, "trigger", task, "--payload", json.dumps({"n": 1}),
        "--options", json.dumps(node_options),
    )  # fmt: skip
    assert mine == official_requests(node)
    official = node.first("handle")["handle"]
    if "idempotency_key" in options:
        assert official["id"] == handle.id  # the same key: the server returned our run
    else:
        with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
            assert _same_run(client.runs.retrieve(handle), client.runs.retrieve(official["id"]))


def test_trigger_idempotency_key_and_handle_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    """The same key gives the same run to both SDKs; both handles carry a token for it."""
    task, key = unique("parity-idem"), unique("key")
    handle, mine = ours(emu, lambda c: c.tasks.trigger(task, {"n": 1}, idempotency_key=key))
    node = node_call(
        sdk, "trigger", task, "--payload", '{"n": 1}', "--options",
        json.dumps({"idempotencyKey": key}),
    )  # fmt: skip
    assert mine == official_requests(node)
    official = node.first("handle")["handle"]
    assert official["id"] == handle.id
    assert handle.is_cached is False
    assert handle.public_access_token is not None
    ours_claims = decode_public_token(handle.public_access_token)
    theirs_claims = decode_public_token(official["publicAccessToken"])
    assert ours_claims.scopes == theirs_claims.scopes
    assert f"read:runs:{handle.id}" in ours_claims.scopes
    assert ours_claims.sub == theirs_claims.sub == emu.environment_id
    # in 3.3.17 the hash of the key is sent (`"k1"` -> 6ab9f1eb...)
    assert mine[0]["body"]["options"]["idempotencyKey"] == handle.idempotency_key
    assert len(handle.idempotency_key or "") == 64


# -- batch trigger ---------------------------------------------------------------------------------


def test_batch_trigger_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    task, key = unique("parity-batch"), unique("batch-key")
    items = [
        {"n": 1},
        BatchItem("text", TriggerOptions(tags=["x"], delay="1h")),
        BatchItem({"at": AT}, TriggerOptions(idempotency_key=key + "-item")),
    ]
    node_items = [
        {"payload": {"n": 1}},
        {"payload": "text", "options": {"tags": ["x"], "delay": "1h"}},
        {"payload": {"at": AT_JS}, "options": {"idempotencyKey": key + "-item"}},
    ]
    batch, mine = ours(
        emu,
        lambda c: c.tasks.batch_trigger(task, items, idempotency_key=key, idempotency_key_ttl="1h"),
    )
    node = node_call(
        sdk, "batch-trigger", task, "--items", json.dumps(node_items),
        "--options", json.dumps({"idempotencyKey": key, "idempotencyKeyTTL": "1h"}),
    )  # fmt: skip
    assert mine == official_requests(node)
    assert mine[0]["headers"]["idempotency-key"] == hashlib.sha256(key.encode()).hexdigest()
    official = node.first("handle")["handle"]
    assert len(official["runs"]) == len(batch.runs) == 3
    for ours_run, their_run in zip(batch.runs, official["runs"], strict=True):
        assert ours_run.task_identifier == their_run["taskIdentifier"] == task
        assert ours_run.is_cached is False
    # The item with an idempotency key: ours created the run, the official SDK's batch (sent
    # second, same key) gets that run back as cached; the others are new runs in both.
    assert [r["isCached"] for r in official["runs"]] == [False, False, True]
    assert official["runs"][2]["id"] == batch.runs[2].id
    # 3.3.17 signs the batch token locally from x-trigger-jwt-claims; ours is the server's
    # x-trigger-jwt, as the current official client takes it (docs/server-conformance.md
    # R-TOKEN-HEADER): the same claims, in the server's order
    assert batch.public_access_token is not None
    for token, batch_id, order in (
        (batch.public_access_token, batch.batch_id, ["iss", "aud", "exp", "iat"]),
        (official["publicAccessToken"], official["batchId"], ["iss", "aud", "iat", "exp"]),
    ):
        header, claims = _verify_hs256(token, emu.secret_key)
        assert header == {"alg": "HS256"}
        assert list(claims) == ["sub", "pub", "scopes", *order]
        assert claims["scopes"] == [f"read:batch:{batch_id}"]
        assert claims["exp"] - claims["iat"] == 3600
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        for ours_run, their_run in zip(batch.runs, official["runs"], strict=True):
            if ours_run.id != their_run["id"]:
                assert _same_run(
                    client.runs.retrieve(ours_run), client.runs.retrieve(their_run["id"])
                )


def _verify_hs256(token: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT whose HS256 signature with ``key`` is checked."""
    head, body, signature = token.split(".")
    expected = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature

    def part(segment: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
        return decoded

    return part(head), part(body)


# -- list ------------------------------------------------------------------------------------------


@pytest.fixture
def listed_runs(emu: TriggerEmulator) -> tuple[str, str, list[str]]:
    """Seven runs of one task with one tag: three completed, one failed, three queued."""
    task, tag = unique("parity-list"), unique("tag")
    ids = [emu.create_run(task, {"i": i}, tags=[tag]) for i in range(7)]
    for run_id in ids[:3]:
        emu.play(run_id, "success", interval=0, output={"ok": True})
    emu.play(ids[3], "failure", interval=0)
    return task, tag, ids


LIST_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("tag-paged", {"page_size": 3}, {"limit": 3}),
    ("status", {"status": ["COMPLETED", "FAILED"]}, {"status": ["COMPLETED", "FAILED"]}),
    ("one-status", {"status": "QUEUED", "page_size": 2}, {"status": "QUEUED", "limit": 2}),
    ("is-test", {"is_test": False, "page_size": 100}, {"isTest": False, "limit": 100}),
    ("period", {"period": "1h"}, {"period": "1h"}),
    (
        "from-to",
        {
            "created_after": datetime(2020, 1, 1, tzinfo=UTC),
            "created_before": datetime(2100, 1, 1, tzinfo=UTC),
        },
        {
            "from": {"$date": "2020-01-01T00:00:00.000Z"},
            "to": {"$date": "2100-01-01T00:00:00.000Z"},
        },
    ),
]


@pytest.mark.parametrize(
    ("filters", "node_filters"),
    [(f, n) for _, f, n in LIST_CASES],
    ids=[name for name, _, _ in LIST_CASES],
)
def test_list_parity(
    emu: TriggerEmulator,
    sdk: NodeSDK,
    listed_runs: tuple[str, str, list[str]],
    filters: dict[str, Any],
    node_filters: dict[str, Any],
) -> None:
    task, tag, _ = listed_runs
    filters = {"task_identifier": task, "tag": [tag], **filters}
    node_filters = {"taskIdentifier": task, "tag": [tag], **node_filters}
    items, mine = ours(emu, lambda c: list(c.runs.list(**filters)))
    node = node_call(sdk, "list", "--filters", json.dumps(node_filters))
    assert mine == official_requests(node)
    assert [_list_item(i) for i in items] == [_js_list_item(r) for r in node.runs]
    assert items, "the filter matched nothing"


def test_list_batch_filter_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    batch_id, run_ids = emu.create_batch(unique("parity-batch-list"), [{"n": 1}, {"n": 2}])
    items, mine = ours(emu, lambda c: list(c.runs.list(batch=batch_id)))
    node = node_call(sdk, "list", "--filters", json.dumps({"batch": batch_id}))
    assert mine == official_requests(node)
    assert sorted(i.id for i in items) == sorted(run_ids)
    assert [_list_item(i) for i in items] == [_js_list_item(r) for r in node.runs]


def _list_item(item: ListRunItem) -> dict[str, Any]:
    return {k: v for k, v in unstructure(item).items() if v is not None}


def _js_list_item(run: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (int(v) if isinstance(v, float) and v.is_integer() else v)
        for k, v in run.items()
        if v is not None
    }


# -- cancel, replay, retrieve ------------------------------------------------------------------------


def test_cancel_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    run_id = emu.create_run(unique("parity-cancel"), {"n": 1})
    result, mine = ours(emu, lambda c: c.runs.cancel(run_id))
    node = node_call(sdk, "cancel", run_id)  # cancelling twice is fine
    assert mine == official_requests(node)
    assert unstructure(result) == node.first("result")["result"] == {"id": run_id}
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        assert client.runs.retrieve(run_id).status == "CANCELED"


def test_replay_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    run_id = emu.create_run(unique("parity-replay"), {"at": "x", "n": [1, 2]}, tags=["r"])
    emu.play(run_id, "success", interval=0)
    result, mine = ours(emu, lambda c: c.runs.replay(run_id))
    node = node_call(sdk, "replay", run_id)
    assert mine == official_requests(node)
    official_id = node.first("result")["result"]["id"]
    assert result.id != official_id and result.id != run_id
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        assert _same_run(client.runs.retrieve(result.id), client.runs.retrieve(official_id))


#: Fields of the official SDK's retrieve result that our ``Run`` does not carry, each with the
#: reason. Every other field the official SDK returns must be in our run with the same value, and
#: every field of our run must be in the official result (``OURS_ONLY`` aside).
OFFICIAL_ONLY: dict[str, str] = {
    "attemptCount": "attempts are not part of Run (PRODUCT.md: runs, not attempts)",
    "attempts": "attempts are not part of Run (PRODUCT.md: runs, not attempts)",
    "relatedRuns": "parent/child runs are not part of Run",
    "depth": "the nesting depth of child runs is not part of Run",
    "triggerFunction": "how the run was triggered (trigger, batchTrigger...) is not part of Run",
    "version": "the worker version is not part of Run (the realtime row has no such field)",
    "batchId": "batches are followed with subscribe_to_batch, not read from a Run",
    "schedule": "schedules are not part of Run",
}
#: The official SDK's status booleans, computed from our Run's properties of the same meaning.
#: The server's isCompleted leaves out EXPIRED and TIMED_OUT and its isFailed is "isCompleted
#: and not COMPLETED" (ApiRetrieveRunPresenter.server.ts:462-480 at b082e44); our is_finished is
#: true for every final status and our is_failed leaves canceled runs to is_cancelled.
_NOT_COMPLETED_FOR_THE_SERVER = frozenset({"EXPIRED", "TIMED_OUT"})
STATUS_HELPERS: dict[str, Callable[[Run], bool]] = {
    "isQueued": lambda run: run.is_queued,
    "isExecuting": lambda run: run.is_executing,
    "isCompleted": lambda run: run.is_finished and run.status not in _NOT_COMPLETED_FOR_THE_SERVER,
    "isSuccess": lambda run: run.is_success,
    "isFailed": lambda run: (
        (run.is_failed or run.is_cancelled) and run.status not in _NOT_COMPLETED_FOR_THE_SERVER
    ),
    "isCancelled": lambda run: run.is_cancelled,
}
#: Fields of our Run that the official retrieve result does not have, each with the reason.
OURS_ONLY: dict[str, str] = {
    "number": "the realtime row's run number; the REST body has none (0 after a retrieve)",
    "realtime_streams": "a run's v2 streams are listed in the realtime row only; [] after a retrieve",
}


def assert_same_retrieve(run: Run, official: dict[str, Any]) -> None:
    """Every field of the official SDK's retrieve result equals ours, both ways (a field that one
    side has and the other lacks fails), apart from the documented exclusions above."""
    for name, helper in STATUS_HELPERS.items():
        assert official[name] == helper(run), name
    theirs = js_run(
        {k: v for k, v in official.items() if k not in OFFICIAL_ONLY and k not in STATUS_HELPERS}
    )
    ours_form = py_run(run, drop=frozenset(OURS_ONLY))
    missing = sorted(set(theirs) - set(ours_form))
    extra = sorted(set(ours_form) - set(theirs))
    assert not missing, f"fields the official SDK returns and we drop: {missing}"
    assert not extra, f"fields we return that the official SDK does not: {extra}"
    assert ours_form == theirs


RETRIEVE_CASES: list[tuple[str, str | None, dict[str, Any]]] = [
    ("success", "success", {}),
    ("failure", "failure", {}),
    ("queued", None, {}),
    ("canceled", "cancel", {}),
    ("delayed", None, {"delay": "1h"}),
    ("expired", "expire", {}),
]


@pytest.mark.parametrize(
    ("lifecycle", "options"),
    [(lc, o) for _, lc, o in RETRIEVE_CASES],
    ids=[name for name, _, _ in RETRIEVE_CASES],
)
def test_retrieve_parity(
    emu: TriggerEmulator, sdk: NodeSDK, lifecycle: str | None, options: dict[str, Any]
) -> None:
    run_id = emu.create_run(
        unique("parity-retrieve"), {"at": AT.isoformat(), "n": 1}, tags=["b", "a"],
        metadata={"progress": 0.5}, ttl="10m", idempotency_key=unique("key"), **options,
    )  # fmt: skip
    if lifecycle is not None:
        emu.play(run_id, lifecycle, interval=0, output={"result": [1, 2]})
    run, mine = ours(emu, lambda c: c.runs.retrieve(run_id))
    node = node_call(sdk, "retrieve", run_id)
    assert mine == official_requests(node)
    assert_same_retrieve(run, node.first("run")["run"])


def test_retrieve_offloaded_payload_parity(emu: TriggerEmulator, sdk: NodeSDK) -> None:
    """A payload of 512 KiB or more (the server's TASK_PAYLOAD_OFFLOAD_THRESHOLD) is sent inline
    (as 3.3.17 sends it; the driver cannot take one that large on its command line) and
    offloaded by the server; both SDKs download it when retrieving, with the same requests."""
    payload = {"blob": "x" * 530_000, "n": 1.0}
    handle, mine = ours(emu, lambda c: c.tasks.trigger(unique("parity-big"), payload))
    assert mine[0]["body"]["payload"] == '{"json":{"blob":"' + "x" * 530_000 + '","n":1}}'
    assert emu.get_run(handle.id)["payloadType"] == "application/store"
    run, mine = ours(emu, lambda c: c.runs.retrieve(handle))
    official = node_call(sdk, "retrieve", handle.id)
    assert [_without_signature(r) for r in mine] == [
        _without_signature(r) for r in official_requests(official)
    ]
    assert run.payload == payload
    assert js_run(official.first("run")["run"])["payload"] == payload


def _without_signature(request: Request) -> Request:
    """Presigned URLs carry their expiry: compare them without it."""
    query = [(k, v) for k, v in request["query"] if k not in ("expires", "signature")]
    return {**request, "query": query}


def test_payload_text_parity_for_numbers_and_strings(sdk: NodeSDK) -> None:
    """encode_payload writes numbers and strings exactly as the official SDK's stringifyIO."""
    rng = random.Random(7)
    numbers: list[Any] = [0.1, 1.0, -2.5, 1e21, 1e-7, 1e-6, 123456789012345680000.0, 5e-324]
    numbers += [1.7976931348623157e308, 2**53 - 1, -(2**53 - 1), 0.30000000000000004]
    numbers += [rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30) for _ in range(300)]
    strings = ["", "é", "\u2028\u2029", "\x00\x1f\x7f", '"\\/', "😀", "\t\n\r\b\f"]
    value = {"numbers": numbers, "strings": strings, "nested": [{"a": [[]], "b": {}}]}
    official = sdk.stringify_packet(value)
    assert encode_payload(value) == (official["data"], official["dataType"])
