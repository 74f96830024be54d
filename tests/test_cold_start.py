"""A fresh process that only subscribes loads only what a subscription uses: no cattrs (realtime
rows become runs without it), no listing, no task triggering, no PyJWT."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from trigger_client.testing import TriggerEmulator

#: Loaded by REST reads, listing, triggering and tokens; never by a realtime subscription.
NOT_FOR_A_SUBSCRIPTION = (
    "cattrs",
    "jwt",
    "trigger_client._protocol.listing",
    "trigger_client._protocol.tasks",
    "trigger_client._protocol.tokens",
    "trigger_client._sync._pagination",
    "trigger_client._async._pagination",
    "trigger_client._cli",
)

SYNC = """
import json, sys, trigger_client
for run in trigger_client.runs.subscribe_to_run(sys.argv[1]):
    print(json.dumps({"id": run.id, "status": str(run.status), "modules": sorted(sys.modules)}))
    break
"""

ASYNC = """
import asyncio, json, sys, trigger_client

async def main():
    async with trigger_client.AsyncTriggerClient() as client:
        seen = set()
        async for run in client.runs.subscribe_to_runs_with_tag(sys.argv[2]):
            seen.add(run.id)
            if len(seen) == 3:
                break
    print(json.dumps({"ids": sorted(seen), "modules": sorted(sys.modules)}))

asyncio.run(main())
"""


def _run(emulator: TriggerEmulator, script: str, *args: str) -> dict[str, object]:
    env = dict(os.environ)
    env.update(TRIGGER_API_URL=emulator.base_url, TRIGGER_SECRET_KEY=emulator.secret_key)
    env.pop("TRIGGER_ACCESS_TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_a_sync_subscription_loads_no_rest_only_module(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report")
    emulator.play(run_id, "success", interval=0, output={"n": 1})
    result = _run(emulator, SYNC, run_id)
    assert result["id"] == run_id
    assert result["status"] in ("QUEUED", "EXECUTING", "COMPLETED")
    modules = set(result["modules"])  # type: ignore[arg-type]
    assert "trigger_client._sync._feeds" in modules  # it did subscribe
    assert not modules & set(NOT_FOR_A_SUBSCRIPTION)


@pytest.mark.parametrize("loaded", [False, True])
def test_an_async_tag_feed_loads_no_rest_only_module(
    emulator: TriggerEmulator, loaded: bool
) -> None:
    tag = f"cold-start-{loaded}"
    ids = {emulator.create_run("report", tags=[tag]) for _ in range(3)}
    script = ASYNC if not loaded else "import cattrs\n" + ASYNC
    result = _run(emulator, script, "-", tag)
    assert set(result["ids"]) == ids  # type: ignore[arg-type]
    modules = set(result["modules"])  # type: ignore[arg-type]
    assert "trigger_client._async._feeds" in modules
    expected = {"cattrs"} if loaded else set()  # the check sees a module that is loaded
    assert modules & set(NOT_FOR_A_SUBSCRIPTION) == expected


# -- what a subscription over http:// loads, and what the first REST call adds -----------------

#: Counts the TLS contexts made in the process (``ssl.SSLContext`` is a Python subclass of
#: ``_ssl._SSLContext``: every context, certifi's or not, passes through its ``__new__``).
COUNT_TLS_CONTEXTS = """
import ssl
TLS_CONTEXTS = []
_new = ssl.SSLContext.__new__
def _counting_new(cls, *args, **kwargs):
    TLS_CONTEXTS.append(cls)
    return _new(cls, *args, **kwargs)
ssl.SSLContext.__new__ = _counting_new
"""

SYNC_THEN_REST = (
    COUNT_TLS_CONTEXTS
    + """
import json, sys, trigger_client

def state():
    return {"modules": sorted(sys.modules), "tls_contexts": len(TLS_CONTEXTS)}

client = trigger_client.TriggerClient()
client.runs
ready = state()
for run in client.runs.subscribe_to_run(sys.argv[1]):
    break
subscribed = state()
retrieved = client.runs.retrieve(sys.argv[1])
rest = state()
client.close()
print(json.dumps({"id": retrieved.id, "ready": ready, "subscribed": subscribed, "rest": rest}))
"""
)

ASYNC_THEN_REST = (
    COUNT_TLS_CONTEXTS
    + """
import asyncio, json, sys, trigger_client

def state():
    return {"modules": sorted(sys.modules), "tls_contexts": len(TLS_CONTEXTS)}

client = trigger_client.AsyncTriggerClient()
client.runs
ready = state()

async def main():
    async for run in client.runs.subscribe_to_run(sys.argv[1]):
        break
    subscribed = state()
    retrieved = await client.runs.retrieve(sys.argv[1])
    rest = state()
    await client.aclose()
    return retrieved.id, subscribed, rest

run_id, subscribed, rest = asyncio.run(main())
print(json.dumps({"id": run_id, "ready": ready, "subscribed": subscribed, "rest": rest}))
"""
)

#: What only REST calls (and streams) need: httpx and what it brings (email, cookies, urllib's
#: request machinery), httpx-sse.
REST_ONLY = ("httpx", "httpx_sse", "email.utils", "http.cookiejar", "urllib.request")


def _anyio_loop_machinery(modules: set[str]) -> set[str]:
    # httpcore's own __init__ imports anyio's package (a lazy one): nothing of it runs or loads
    return {m for m in modules if m.startswith("anyio.") and m != "anyio._lazyimport"}


@pytest.mark.parametrize("side", ["sync", "async"])
def test_a_subscription_over_http_loads_no_httpx_and_makes_no_tls_context(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, side: str
) -> None:
    """The SDK owns the stack (no http_client, no proxy variable): realtime runs on its own
    connections, so httpx waits for the first REST call, and a TLS context for a TLS connection
    (or the httpx client that may make one)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    assert emulator.base_url.startswith("http://")
    run_id = emulator.create_run("report")
    result = _run(emulator, SYNC_THEN_REST if side == "sync" else ASYNC_THEN_REST, run_id)
    assert result["id"] == run_id
    stages: dict[str, dict[str, object]] = {
        name: result[name]  # type: ignore[misc]
        for name in ("ready", "subscribed", "rest")
    }
    for name in ("ready", "subscribed"):
        modules = set(stages[name]["modules"])  # type: ignore[call-overload]
        assert not modules & set(REST_ONLY), name
        assert stages[name]["tls_contexts"] == 0, name
        if side == "sync":
            assert not {m for m in modules if m.split(".")[0] == "asyncio"}, name
            assert not _anyio_loop_machinery(modules), name
    assert f"trigger_client._{side}._feeds" in stages["subscribed"]["modules"]  # type: ignore[operator]
    # the first REST call loads httpx and builds the SDK's httpx client (and its TLS context, for
    # the https URLs a REST call may reach, such as offloaded packets)
    rest = set(stages["rest"]["modules"])  # type: ignore[call-overload]
    assert {"httpx", "email.utils"} <= rest
    assert stages["rest"]["tls_contexts"] == 1
    if side == "sync":
        assert "asyncio" not in rest


HTTPS_CLIENT = (
    COUNT_TLS_CONTEXTS
    + """
import json, sys, trigger_client
from trigger_client._protocol.shape_http import BaseUrl

client = trigger_client.TriggerClient(access_token="tr_dev_x", base_url="https://api.example")
client.runs
created = len(TLS_CONTEXTS)
stack = client._transport.http_stack
plain = stack.realtime_sender(BaseUrl("http://api.example"))
after_plain = len(TLS_CONTEXTS)
tls = stack.realtime_sender(BaseUrl("https://api.example"))
stack.realtime_sender(BaseUrl("https://other.example"))
after_tls = len(TLS_CONTEXTS)
print(json.dumps({
    "created": created, "after_plain": after_plain, "after_tls": after_tls,
    "plain_context": plain._ssl_context is not None, "tls_context": tls._ssl_context is not None,
    "httpx": "httpx" in sys.modules,
}))
"""
)


def test_an_https_client_builds_its_tls_context_for_its_first_https_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name.startswith("SSL_CERT_"):
            monkeypatch.delenv(name)
    out = subprocess.run(
        [sys.executable, "-c", HTTPS_CLIENT],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result == {
        "created": 0,  # not when the client is created
        "after_plain": 0,  # nor for an http:// origin
        "after_tls": 1,  # once for https origins, shared
        "plain_context": False,
        "tls_context": True,
        "httpx": False,
    }
