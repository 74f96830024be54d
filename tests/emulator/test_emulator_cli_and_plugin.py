"""Starting the emulator from the shell and through the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from trigger_client.testing import TriggerEmulator

from .conftest import auth


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "trigger_client.testing", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    values: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while "TRIGGER_SECRET_KEY" not in values and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "=" in line:
            key, _, value = line.strip().partition("=")
            values[key] = value
        elif "listening on" in line:
            values["banner"] = line.strip()
    if "TRIGGER_SECRET_KEY" not in values:
        proc.kill()
        raise AssertionError(f"the CLI did not start: {proc.communicate()}")
    return proc, values


@pytest.fixture
def cli() -> Iterator[Callable[..., dict[str, str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> dict[str, str]:
        proc, values = _start_cli(*args)
        procs.append(proc)
        return values

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()


def test_cli_prints_url_and_key_and_serves(cli: Callable[..., dict[str, str]]) -> None:
    values = cli("--long-poll-ms", "300")
    base_url = values["TRIGGER_API_URL"]
    key = values["TRIGGER_SECRET_KEY"]
    assert base_url.startswith("http://127.0.0.1:") and key.startswith("tr_dev_")
    assert "electric backend" in values["banner"]
    response = httpx.get(f"{base_url}/api/v1/runs", headers=auth(key))
    assert response.status_code == 200 and response.json()["data"] == []


def test_cli_auto_play_and_options(cli: Callable[..., dict[str, str]]) -> None:
    values = cli(
        "--backend",
        "native",
        "--secret-key",
        "tr_dev_clitestkey1234567890",
        "--auto-play",
        "success",
        "--auto-play-interval",
        "0.02",
        "--rate-limit",
    )
    assert values["TRIGGER_SECRET_KEY"] == "tr_dev_clitestkey1234567890"
    base_url = values["TRIGGER_API_URL"]
    headers = auth(values["TRIGGER_SECRET_KEY"])
    run_id = httpx.post(
        f"{base_url}/api/v1/tasks/hello/trigger", headers=headers, json={"payload": {"x": 1}}
    ).json()["id"]
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = httpx.get(f"{base_url}/api/v3/runs/{run_id}", headers=headers).json()["status"]
        if status == "COMPLETED":
            break
        time.sleep(0.05)
    assert status == "COMPLETED"
    limited = httpx.get(f"{base_url}/api/v3/runs/{run_id}", headers=headers)
    assert limited.headers["x-ratelimit-limit"] == "750"


def test_cli_stops_on_sigterm() -> None:
    proc, _ = _start_cli()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()


def test_cli_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trigger_client.testing"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "serve" in result.stderr


def test_fixture(trigger_emulator: TriggerEmulator) -> None:
    assert trigger_emulator.running and trigger_emulator.backend == "electric"
    run_id = trigger_emulator.create_run("t")
    response = httpx.get(
        f"{trigger_emulator.base_url}/api/v3/runs/{run_id}",
        headers=auth(trigger_emulator.secret_key),
    )
    assert response.status_code == 200


@pytest.mark.trigger_emulator(backend="native", long_poll_ms=250)
def test_fixture_marker(trigger_emulator: TriggerEmulator) -> None:
    assert trigger_emulator.backend == "native" and trigger_emulator.long_poll_ms == 250


def test_factory(trigger_emulator_factory: Callable[..., TriggerEmulator]) -> None:
    first = trigger_emulator_factory()
    second = trigger_emulator_factory(backend="native")
    assert first.base_url != second.base_url and first.secret_key != second.secret_key
    assert first.running and second.running


def test_plugin_import_is_cheap_and_needs_no_starlette() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["starlette"] = None
        sys.modules["uvicorn"] = None
        import trigger_client.testing.pytest_plugin
        import trigger_client.testing as testing
        assert "trigger_client.testing._server" not in sys.modules
        try:
            testing.TriggerEmulator
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "pip install 'trigger-client[testing]'" in result.stdout


def test_fixture_without_the_extra_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        'import sys\nsys.modules["starlette"] = None\nsys.modules["uvicorn"] = None\n'
    )
    (tmp_path / "test_it.py").write_text("def test_it(trigger_emulator):\n    pass\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "trigger-client[testing]" in result.stdout
