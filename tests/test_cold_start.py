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
