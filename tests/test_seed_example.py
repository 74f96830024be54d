"""The seed's example, written in Python, works against the emulator from a script and asyncio.

for await (const run of runs.subscribeToRun("run_1234")) { console.log(run); }
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from trigger_client.testing import TriggerEmulator

SYNC_SCRIPT = textwrap.dedent(
    """
    import sys
    import trigger_client

    for run in trigger_client.runs.subscribe_to_run(sys.argv[1]):
        print(run.status, flush=True)
    """
)

ASYNC_SCRIPT = textwrap.dedent(
    """
    import asyncio
    import sys
    from trigger_client import AsyncTriggerClient

    async def main() -> None:
        async with AsyncTriggerClient() as client:
            async for run in client.runs.subscribe_to_run(sys.argv[1]):
                print(run.status, flush=True)

    asyncio.run(main())
    """
)


def run_script(emu: TriggerEmulator, script: str, run_id: str) -> list[str]:
    env = {
        **os.environ,
        "TRIGGER_API_URL": emu.base_url,
        "TRIGGER_SECRET_KEY": emu.secret_key,
    }
    env.pop("TRIGGER_ACCESS_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-c", script, run_id],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()  # the current state comes first
    emu.play(run_id, "success", interval=0.1, output={"ok": True})
    rest, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return [first, *rest.split()]


def test_the_seed_example_as_a_script(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("email-sequence", {"to": "a@example.com"})
    statuses = run_script(emulator, SYNC_SCRIPT, run_id)
    assert statuses[0] == "QUEUED" and statuses[-1] == "COMPLETED"


def test_the_seed_example_in_asyncio(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("email-sequence", {"to": "a@example.com"})
    statuses = run_script(emulator, ASYNC_SCRIPT, run_id)
    assert statuses[0] == "QUEUED" and statuses[-1] == "COMPLETED"
