"""Smoke test of the built wheel (``make wheel-smoke``, after ``make dist``).

Installs the wheel from ``dist/`` into two fresh virtual environments outside the source tree:

* ``client``: the wheel alone, with its runtime dependencies only. It must not have the emulator's
  dependencies, and it runs the seed's example (``for run in runs.subscribe_to_run(id)``) with the
  module-level client, and its asyncio form with ``AsyncTriggerClient``;
* ``emulator``: the wheel with the ``testing`` extra, which must be enough to serve the emulator
  (``python -m trigger_client.testing serve``) that the client scripts talk to.

Usage: python tests/packaging/wheel_smoke.py [DIST_DIR]. Exits non-zero on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The seed's example, sync: trigger a run (the emulator plays it), then follow it to the end.
SYNC_SCRIPT = """
import trigger_client

handle = trigger_client.tasks.trigger("hello-world", {"name": "Ada"})
for run in trigger_client.runs.subscribe_to_run(handle.id):
    print(run.status.value, flush=True)
print("output", run.output)
"""

#: The same with asyncio and AsyncTriggerClient.
ASYNC_SCRIPT = """
import asyncio

from trigger_client import AsyncTriggerClient


async def main() -> None:
    async with AsyncTriggerClient() as client:
        handle = await client.tasks.trigger("hello-world", {"name": "Ada"})
        async for run in client.runs.subscribe_to_run(handle.id):
            print(run.status.value, flush=True)
        print("output", run.output)


asyncio.run(main())
"""

#: What a run played with the emulator's ``success`` lifecycle ends with.
EXPECTED_LAST = ["EXECUTING", "COMPLETED"]


def _venv(path: Path, requirement: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ],
        check=True,
    )
    return python


def _installed(python: Path) -> set[str]:
    listing = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line.split("==")[0].lower().replace("_", "-") for line in listing.splitlines()}


def _start_emulator(python: Path, cwd: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "trigger_client.testing",
            "serve",
            "--auto-play",
            "success",
            "--auto-play-interval",
            "0.1",
            "--long-poll-ms",
            "2000",
        ],
        cwd=cwd,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    env: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while "TRIGGER_SECRET_KEY" not in env:
        line = process.stdout.readline()
        if not line or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("the emulator did not start")
        name, sep, value = line.strip().partition("=")
        if sep and name.startswith("TRIGGER_"):
            env[name] = value
    return process, env


def _run_script(python: Path, script: str, env: dict[str, str], cwd: Path) -> list[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGER_")}
    full_env.update(env)
    full_env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [str(python), "-c", textwrap.dedent(script)],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SystemExit(f"script failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout.splitlines()


def main() -> None:
    dist = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist"
    wheels = sorted(dist.glob("trigger_client-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one trigger_client wheel in {dist}, found {wheels}")
    wheel = wheels[0].resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trigger-wheel-smoke-") as tmp:
        work = Path(tmp)  # outside the source tree: imports come from the installed wheel
        client = _venv(work / "client", str(wheel))
        emulator = _venv(work / "emulator", f"trigger-client[testing] @ {wheel.as_uri()}")

        installed = _installed(client)
        unwanted = installed & {"starlette", "uvicorn", "pytest", "fastapi"}
        if unwanted:
            raise SystemExit(f"the wheel alone installed {sorted(unwanted)}")
        origin = _run_script(
            client, "import trigger_client; print(trigger_client.__file__)", {}, work
        )
        if not origin[-1].startswith(str(work / "client")):
            raise SystemExit(f"trigger_client imported from {origin[-1]}, not the wheel")
        extra = _installed(emulator) - installed
        if not {"starlette", "uvicorn"} <= extra or extra & {"pytest", "fastapi"}:
            raise SystemExit(f"the testing extra installed {sorted(extra)}")

        print(f"wheel smoke: the testing extra adds {sorted(extra)}")
        process, env = _start_emulator(emulator, work)
        try:
            for name, script in (("sync", SYNC_SCRIPT), ("async", ASYNC_SCRIPT)):
                lines = _run_script(client, script, env, work)
                statuses = lines[:-1]
                if statuses[-2:] != EXPECTED_LAST or not lines[-1].startswith("output "):
                    raise SystemExit(f"{name}: unexpected output {lines}")
                print(f"wheel smoke {name}: {' -> '.join(statuses)}; {lines[-1]}")
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"wheel smoke: passed in {time.monotonic() - started:.1f} s ({wheel.name})")


if __name__ == "__main__":
    main()
