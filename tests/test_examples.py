"""Every example in examples/ runs against the emulator, as a user would run it.

Scripts run in a subprocess with ``TRIGGER_API_URL`` / ``TRIGGER_SECRET_KEY`` pointing at the
emulator, under a hard timeout; the FastAPI app is driven in-process through ASGI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trigger_client import AsyncTriggerClient, PermissionDeniedError, decode_public_token
from trigger_client.testing import TriggerEmulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(
    emulator: TriggerEmulator, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRIGGER_API_URL": emulator.base_url,
        "TRIGGER_SECRET_KEY": emulator.secret_key,
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
    }
    env.pop("TRIGGER_ACCESS_TOKEN", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_no_secret(text: str) -> None:
    """The DEBUG-log leak check cannot see a subprocess: its output is checked instead."""
    assert "tr_dev_" not in text and "eyJ" not in text


# -- make demo --------------------------------------------------------------------------------------


def test_demo_plays_a_run_and_says_what_happened(emulator: TriggerEmulator) -> None:
    started = time.monotonic()
    result = run_example(emulator, "examples/demo.py", "--interval", "0.05")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    out = result.stdout
    for client in ("sync", "async"):
        rows = [line.split() for line in out.splitlines()]
        statuses = [row[2] for row in rows if len(row) > 2 and row[1] == client]
        assert statuses[0] == "QUEUED" and statuses[-1] == "COMPLETED", out
        assert "REATTEMPTING" in statuses, out
    assert "What just happened" in out
    assert "QUEUED -> EXECUTING -> REATTEMPTING -> EXECUTING -> COMPLETED" in out
    assert "quarterly-sales-2026-q3.pdf" in out
    # the streamed answer, printed chunk by chunk between the run's status changes
    line = next(line for line in out.splitlines() if "It follows Trigger.dev" in line)
    assert "[EXECUTING] It follows Trigger.dev runs from Python" in line
    assert "[COMPLETED]" in line
    assert re.sub(r"\[[A-Z_]+\] ", "", line).strip() == (
        "It follows Trigger.dev runs from Python as they change, and relays what a task "
        "streams while it runs, chunk by chunk."
    )
    assert "streamed its answer in 21 chunks" in out
    assert_no_secret(out + result.stderr)


# -- blocking_script.py -----------------------------------------------------------------------------


def test_blocking_script_follows_a_run_to_completion(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("generate-report", {"quarter": "Q3"})
    emulator.start_play(run_id, "metadata_progress", interval=0.1, output={"url": "u"})
    result = run_example(emulator, "examples/blocking_script.py", run_id, "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert "COMPLETED" in result.stdout
    assert "output: {'url': 'u'}" in result.stdout
    assert_no_secret(result.stdout + result.stderr)


def test_blocking_script_exits_1_when_the_run_fails(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("generate-report", {"quarter": "Q3"})
    emulator.play(run_id, "failure", interval=0, error="no sales data")
    result = run_example(emulator, "examples/blocking_script.py", run_id)
    assert result.returncode == 1
    assert "FAILED: no sales data" in result.stderr


def test_blocking_script_exits_4_on_timeout(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("generate-report", {"quarter": "Q3"})
    result = run_example(emulator, "examples/blocking_script.py", run_id, "--timeout", "0.5")
    assert result.returncode == 4
    assert "still QUEUED" in result.stderr


# -- asyncio_service.py -----------------------------------------------------------------------------


def test_asyncio_service_follows_many_runs_at_once(emulator: TriggerEmulator) -> None:
    run_ids = [emulator.create_run("generate-report", {"n": n}) for n in range(8)]
    for n, run_id in enumerate(run_ids):
        emulator.start_play(run_id, "success", interval=0.2, output={"n": n})
    started = time.monotonic()
    result = run_example(emulator, "examples/asyncio_service.py", *run_ids, "--timeout", "30")
    assert result.returncode == 0, result.stderr
    assert "8 of 8 runs completed" in result.stdout
    for run_id in run_ids:
        assert f"{run_id}  COMPLETED" in result.stdout
    # concurrently: eight runs of ~0.6 s each take far less than 8 x 0.6 s (plus start-up)
    assert time.monotonic() - started < 20


def test_asyncio_service_reports_failures_and_bad_ids(emulator: TriggerEmulator) -> None:
    ok = emulator.create_run("generate-report", {"n": 1})
    bad = emulator.create_run("generate-report", {"n": 2})
    emulator.play(ok, "success", interval=0)
    emulator.play(bad, "crash", interval=0)
    result = run_example(emulator, "examples/asyncio_service.py", ok, bad, "run_doesnotexist")
    assert result.returncode == 1
    assert "1 of 3 runs completed" in result.stdout
    assert f"{bad} CRASHED" in result.stdout
    assert "run_doesnotexist  error: 404" in result.stderr


# -- test_with_emulator.py --------------------------------------------------------------------------


def test_the_users_own_tests_pass_with_the_emulator_fixture(emulator: TriggerEmulator) -> None:
    result = run_example(emulator, "-m", "pytest", "examples/test_with_emulator.py", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


# -- fastapi_app.py ---------------------------------------------------------------------------------


@pytest.fixture
def fastapi_app(monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator) -> Iterator[Any]:
    pytest.importorskip(
        "fastapi",
        reason="fastapi is not installed: it is to be added to the dev extra (pinned) in "
        "pyproject.toml; examples/fastapi_app.py is tested once it is",
    )
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import fastapi_app  # type: ignore[import-not-found,unused-ignore]

    yield fastapi_app
    sys.modules.pop("fastapi_app", None)


@pytest.fixture
async def app_client(fastapi_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    # The app's own lifespan (which opens and closes its AsyncTriggerClient), then ASGI requests.
    async with fastapi_app.lifespan(fastapi_app.app):
        transport = httpx.ASGITransport(app=fastapi_app.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # FastAPI runs on asyncio here


@pytest.mark.anyio
async def test_fastapi_endpoint_hands_out_a_token_scoped_to_the_run(
    emulator: TriggerEmulator, app_client: httpx.AsyncClient
) -> None:
    response = await app_client.post("/reports", json={"quarter": "2026-Q3"})
    assert response.status_code == 202, response.text
    body = response.json()
    run_id, token = body["run_id"], body["public_access_token"]
    assert body["api_url"] == emulator.base_url
    assert emulator.secret_key not in response.text
    assert decode_public_token(token).scopes == [f"read:runs:{run_id}"]

    emulator.start_play(run_id, "success", interval=0.05, output={"url": "https://r/q3.pdf"})
    # what the browser does with the token: follow the run, and nothing else
    async with AsyncTriggerClient(base_url=body["api_url"], access_token=token) as browser:
        statuses = [run.status async for run in browser.runs.subscribe_to_run(run_id, timeout=30)]
        assert statuses[-1] == "COMPLETED"
        other = emulator.create_run("generate-report", {"quarter": "other"})
        with pytest.raises(PermissionDeniedError):
            await browser.runs.retrieve(other)

    status = await app_client.get(f"/reports/{run_id}")
    assert status.json() == {
        "run_id": run_id,
        "status": "COMPLETED",
        "finished": True,
        "output": {"url": "https://r/q3.pdf"},
        "error": None,
    }
    assert (await app_client.get("/reports/run_doesnotexist")).status_code == 404


# -- fastapi_stream.py ------------------------------------------------------------------------------


@pytest.fixture
async def stream_app_client(
    monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator
) -> AsyncIterator[httpx.AsyncClient]:
    pytest.importorskip("fastapi", reason="fastapi is not installed: pip install -e '.[dev]'")
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import fastapi_stream  # type: ignore[import-not-found,unused-ignore]

    async with fastapi_stream.lifespan(fastapi_stream.app):
        transport = httpx.ASGITransport(app=fastapi_stream.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client
    sys.modules.pop("fastapi_stream", None)


@pytest.mark.anyio
async def test_fastapi_stream_relays_the_tasks_answer_as_server_sent_events(
    emulator: TriggerEmulator, stream_app_client: httpx.AsyncClient
) -> None:
    from httpx_sse import aconnect_sse

    words = ["The ", "answer ", "is ", "42."]
    steps = ["dequeue", "start", ("stream", {"key": "answer", "chunks": words}), "complete"]
    emulator.engine.on_http_trigger = lambda run_id: emulator.start_play(
        run_id, steps, interval=0.3, output={"words": 4}
    )
    try:
        async with aconnect_sse(
            stream_app_client, "GET", "/ask", params={"question": "what is it?"}
        ) as source:
            assert source.response.status_code == 200
            run_id = source.response.headers["x-run-id"]
            events = [(e.event, json.loads(e.data)) async for e in source.aiter_sse()]
    finally:
        emulator.engine.on_http_trigger = None
    assert emulator.get_run(run_id)["taskIdentifier"] == "answer-question"
    assert [data for event, data in events if event == "answer"] == words
    assert "".join(data for event, data in events if event == "answer") == "The answer is 42."
    statuses = [data["status"] for event, data in events if event == "status"]
    assert events[0][0] == "status" and statuses[-1] == "COMPLETED"
    assert len(statuses) == len(set(statuses))  # a status is sent when it changes
    assert events[-1] == ("done", {"status": "COMPLETED", "output": {"words": 4}, "error": None})
    assert [e for e, _ in events].count("done") == 1


def test_every_example_is_tested() -> None:
    tested = {"demo.py", "blocking_script.py", "asyncio_service.py", "test_with_emulator.py"}
    tested.add("fastapi_app.py")
    tested.add("fastapi_stream.py")
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
