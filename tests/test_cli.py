"""The ``trigger-client`` command line against the emulator: watch (a run, a tag, a batch), token."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trigger_client import decode_public_token
from trigger_client._cli import main
from trigger_client._cli_render import (
    describe_progress,
    format_elapsed,
    progress_fraction,
    to_json,
)
from trigger_client.testing import TriggerEmulator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator) -> TriggerEmulator:
    """The CLI configured from the environment, as a user would configure it."""
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return emulator


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- watch RUN_ID -----------------------------------------------------------------------------------


def test_watch_follows_a_run_to_completion(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = env.create_run("generate-report", {"quarter": "Q3"})
    env.start_play(run_id, "metadata_progress", interval=0.1, output={"url": "https://r/q3.pdf"})
    assert main(["watch", run_id, "--timeout", "30"]) == 0
    out = lines_of(capsys.readouterr().out)
    # not a terminal: one plain line per update, then how it ended
    assert all(line.startswith(run_id) for line in out[:-2])
    assert out[-3].split()[:2] == [run_id, "COMPLETED"]
    assert out[-3].endswith("100%  step 4")
    assert out[-2].startswith(f"{run_id} COMPLETED after ")
    assert out[-1] == 'output: {"url": "https://r/q3.pdf"}'
    assert not any("\r" in line for line in out)


def test_watch_draws_a_live_status_line_on_a_terminal(
    env: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "120")
    run_id = env.create_run("generate-report", {"quarter": "Q3"})
    env.start_play(run_id, "metadata_progress", interval=0.3, output={"pages": 3})
    assert main(["watch", run_id]) == 0
    text = terminal.getvalue()
    frames = text.split("\r")
    assert len(frames) > 5  # redrawn in place, also between updates (the elapsed time moves)
    assert all(frame.endswith("\x1b[K") for frame in frames[1:-1])
    assert "[#####-----] 50%" in text
    assert "\x1b[32mCOMPLETED" in text  # green
    assert text.endswith('\noutput: {"pages": 3}\n')


def test_no_color_and_plain_turn_the_decoration_off(
    env: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = env.create_run("report")
    env.play(run_id, "success", interval=0)
    plain = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", plain)
    assert main(["watch", run_id, "--plain"]) == 0
    assert "\r" not in plain.getvalue() and "\x1b" not in plain.getvalue()
    uncolored = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", uncolored)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["watch", run_id]) == 0
    assert "\r" in uncolored.getvalue() and "\x1b[3" not in uncolored.getvalue()


@pytest.mark.parametrize(
    ("lifecycle", "status"),
    [
        ("failure", "FAILED"),
        ("crash", "CRASHED"),
        ("system_failure", "SYSTEM_FAILURE"),
        ("interrupt", "INTERRUPTED"),
        ("timeout", "TIMED_OUT"),
        ("expire", "EXPIRED"),
        ("cancel", "CANCELED"),
    ],
)
def test_watch_exits_1_when_the_run_does_not_succeed(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], lifecycle: str, status: str
) -> None:
    run_id = env.create_run("generate-report", {"quarter": "Q3"})
    env.play(run_id, lifecycle, interval=0)
    assert main(["watch", run_id]) == 1
    out = lines_of(capsys.readouterr().out)
    assert out[-2].startswith(f"{run_id} {status} after ")
    assert out[-1].startswith("error: ")


def test_watch_shows_the_error_and_with_verbose_its_stack_trace(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = env.create_run("generate-report", {"quarter": "Q3"})
    env.play(run_id, "retry_then_fail", interval=0, error=ValueError("no sales data"))
    assert main(["watch", run_id]) == 1
    out = capsys.readouterr().out
    assert "REATTEMPTING" not in out.splitlines()[-1]
    assert out.splitlines()[-1] == "error: ValueError: no sales data"
    assert main(["watch", run_id, "-v"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-2:] == [
        "error: ValueError: no sales data",
        "  ValueError: no sales data",
    ]


def test_watch_json_prints_one_json_line_per_update(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = env.create_run("generate-report", {"when": "Q3"}, tags=["user:1"])
    env.start_play(run_id, "retry", interval=0.2, output={"pages": 3})
    assert main(["watch", run_id, "--json"]) == 0
    updates = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(updates) >= 2
    assert {u["id"] for u in updates} == {run_id}
    assert updates[-1]["status"] == "COMPLETED"
    assert updates[-1]["output"] == {"pages": 3}
    assert updates[-1]["payload"] == {"when": "Q3"}
    assert updates[-1]["tags"] == ["user:1"]
    assert updates[-1]["finishedAt"].endswith("Z")
    assert "REATTEMPTING" in [u["status"] for u in updates]


STREAM_STEPS = [
    "dequeue",
    "start",
    ("stream", {"key": "answer", "chunks": ["Hel", "lo", {"done": True}]}),
    "complete",
]


def test_watch_streams_prints_each_chunk_as_it_arrives(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = env.create_run("chat", {"q": "hi"})
    env.start_play(run_id, STREAM_STEPS, interval=0.2, output="Hello")
    assert main(["watch", run_id, "--streams", "--timeout", "30"]) == 0
    out = lines_of(capsys.readouterr().out)
    assert [line for line in out if line.startswith("answer: ")] == [
        "answer: Hel",
        "answer: lo",
        'answer: {"done": true}',
    ]
    assert out[-1] == 'output: "Hello"'
    assert out[-2].startswith(f"{run_id} COMPLETED after ")


def test_watch_streams_json(env: TriggerEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = env.create_run("chat")
    env.start_play(run_id, STREAM_STEPS, interval=0.2)
    assert main(["watch", run_id, "--streams", "--json", "--timeout", "30"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    chunks = [line for line in lines if "stream" in line]
    assert chunks == [
        {"stream": "answer", "chunk": "Hel"},
        {"stream": "answer", "chunk": "lo"},
        {"stream": "answer", "chunk": {"done": True}},
    ]
    runs = [line for line in lines if "stream" not in line]
    assert runs[-1]["status"] == "COMPLETED" and runs[-1]["id"] == run_id
    assert lines.index(chunks[0]) > 0  # after the run update that announced the stream


def test_watch_poll_transport(env: TriggerEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = env.create_run("report")
    env.start_play(run_id, "success", interval=0.2, output=1)
    assert main(["watch", run_id, "--poll", "--poll-interval", "0.1", "--timeout", "20"]) == 0
    assert lines_of(capsys.readouterr().out)[-1] == "output: 1"


def test_watch_timeout_exits_4(env: TriggerEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = env.create_run("report")  # stays queued
    assert main(["watch", run_id, "--timeout", "0.5"]) == 4
    captured = capsys.readouterr()
    assert f"{run_id} did not finish within 0.5s (last status: QUEUED)" in captured.err
    assert "the run goes on" in captured.err


def test_api_errors_exit_3(env: TriggerEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "run_doesnotexist"]) == 3
    assert "404" in capsys.readouterr().err
    run_id = env.create_run("report")
    assert main(["watch", run_id, "--access-token", "tr_dev_" + "x" * 20]) == 3
    err = capsys.readouterr().err
    assert "401" in err and "check the access token" in err
    assert "x" * 20 not in err


def test_missing_configuration_exits_2(
    monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TRIGGER_SECRET_KEY", "TRIGGER_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["watch", "run_1", "--base-url", emulator.base_url]) == 2
    err = capsys.readouterr().err
    assert "TRIGGER_SECRET_KEY" in err


def test_options_work_before_or_after_the_command(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TRIGGER_SECRET_KEY", "TRIGGER_ACCESS_TOKEN", "TRIGGER_API_URL"):
        monkeypatch.delenv(name, raising=False)
    run_id = emulator.create_run("report")
    emulator.play(run_id, "success", interval=0)
    auth = ["--base-url", emulator.base_url, "--access-token", emulator.secret_key]
    assert main([*auth, "watch", run_id]) == 0
    assert main(["watch", run_id, *auth]) == 0
    assert emulator.secret_key not in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["watch"],
        ["watch", "run_1", "--tag", "t"],
        ["watch", "--tag", "t", "--batch", "batch_1"],
        ["watch", "--tag", "t", "--poll"],
        ["watch", "run_1", "--created-at", "1h"],
        ["watch", "--tag", "t", "--streams"],
        ["watch", "run_1", "--poll", "--streams"],
        ["watch", "run_1", "--timeout", "0"],
        ["watch", ".."],
        ["nope"],
        [],
    ],
)
def test_usage_errors_exit_2(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "TRIGGER_API_URL" in out
    assert main(["watch", "--help"]) == 0
    assert "--timeout" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("trigger-client ")


# -- watch --tag / --batch --------------------------------------------------------------------------


def test_watch_tag_follows_every_tagged_run_until_the_timeout(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = f"user:{time.monotonic_ns()}"
    first = env.create_run("email", {"n": 1}, tags=[tag])
    second = env.create_run("email", {"n": 2}, tags=[tag, "other"])
    untagged = env.create_run("email", {"n": 3})
    env.play(first, "success", interval=0, output={"sent": True})
    env.start_play(second, "failure", interval=0.1)
    assert main(["watch", "--tag", tag, "--timeout", "1.5"]) == 0
    out = capsys.readouterr().out
    assert untagged not in out
    first_lines = [line for line in lines_of(out) if first in line]
    assert 'COMPLETED       output {"sent": true}' in first_lines[-1]
    assert "FAILED" in [line for line in lines_of(out) if second in line][-1]


def test_watch_batch_json(env: TriggerEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    batch_id, run_ids = env.create_batch("resize", [{"n": 1}, {"n": 2}])
    for run_id in run_ids:
        env.play(run_id, "success", interval=0)
    assert main(["watch", "--batch", batch_id, "--json", "--timeout", "1"]) == 0
    updates = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {u["id"] for u in updates} == set(run_ids)
    assert all(u["status"] == "COMPLETED" for u in updates)


# -- token ------------------------------------------------------------------------------------------


def test_token_prints_only_a_scoped_public_token(
    env: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = env.create_run("report")
    env.play(run_id, "success", interval=0, output={"ok": True})
    assert main(["token", "--run", run_id, "--expires", "1h"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert captured.out == token + "\n" and not captured.err
    claims = decode_public_token(token)
    assert claims.scopes == [f"read:runs:{run_id}"]
    assert claims.exp is not None
    assert 3590 <= claims.exp.timestamp() - time.time() <= 3610

    # the token reads that run, and nothing else
    monkeypatch.delenv("TRIGGER_SECRET_KEY")
    monkeypatch.setenv("TRIGGER_ACCESS_TOKEN", token)
    assert main(["watch", run_id]) == 0
    other = env.create_run("report")
    assert main(["watch", other]) == 3
    captured = capsys.readouterr()
    assert "403" in captured.err and "trigger-client token --run" in captured.err
    assert token not in captured.out + captured.err
    # a public token cannot mint tokens
    assert main(["token", "--run", run_id]) == 2
    assert "secret key" in capsys.readouterr().err


def test_token_scopes_from_options_and_scope_strings(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["token", "--tag", "user:1", "--batch", "batch_1", "--trigger", "email"]
    argv += ["--scope", "read:runs:run_1", "--scope", "read:runs:run_2", "--scope", "write:runs"]
    assert main(argv) == 0
    claims = decode_public_token(capsys.readouterr().out.strip())
    assert claims.scopes == [
        "read:tags:user:1",
        "read:batch:batch_1",
        "read:runs:run_1",
        "read:runs:run_2",
        "trigger:tasks:email",
        "write:runs",
    ]
    assert main(["token", "--all-runs", "--scope", "read:runs:run_1"]) == 0
    assert decode_public_token(capsys.readouterr().out.strip()).scopes == ["read:runs"]


@pytest.mark.parametrize(
    "argv",
    [["token"], ["token", "--run", "run_1", "--expires", "soon"], ["token", "--scope", ""]],
)
def test_token_usage_errors_exit_2(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err and not captured.out


# -- logging ----------------------------------------------------------------------------------------


def test_verbose_logs_the_sdks_debug_trace_without_secrets(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    sdk_logger = logging.getLogger("trigger_client")
    handlers, level = list(sdk_logger.handlers), sdk_logger.level
    run_id = env.create_run("report")
    env.play(run_id, "success", interval=0)
    assert main(["-v", "watch", run_id, "--poll"]) == 0
    err = capsys.readouterr().err
    assert f"GET /api/v3/runs/{run_id} -> 200" in err
    assert " DEBUG " in err
    assert env.secret_key not in err
    assert sdk_logger.handlers == handlers and sdk_logger.level == level  # restored


# -- the installed commands -------------------------------------------------------------------------


def _command_env(emulator: TriggerEmulator) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(TRIGGER_API_URL=emulator.base_url, TRIGGER_SECRET_KEY=emulator.secret_key)
    environment.pop("TRIGGER_ACCESS_TOKEN", None)
    return environment


def test_python_dash_m_and_the_console_script(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report")
    emulator.play(run_id, "success", interval=0, output="done")
    commands = [[sys.executable, "-m", "trigger_client"]]
    script = Path(sys.executable).with_name("trigger-client")
    if script.exists():  # installed by `pip install -e .` (make setup)
        commands.append([str(script)])
    for command in commands:
        result = subprocess.run(
            [*command, "watch", run_id],
            env=_command_env(emulator),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == 'output: "done"'


def test_a_closed_pipe_ends_quietly(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report")
    emulator.play(run_id, "success", interval=0, output="x" * 200_000)
    process = subprocess.Popen(
        [sys.executable, "-m", "trigger_client", "watch", run_id, "--json"],
        env=_command_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert b"Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report")  # stays queued: the watch waits
    process = subprocess.Popen(
        [sys.executable, "-m", "trigger_client", "watch", run_id],
        env=_command_env(emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "QUEUED" in process.stdout.readline()  # the first update arrived
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# -- rendering --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "fraction"),
    [
        ({"progress": 0.5}, 0.5),
        ({"progress": 1}, 1.0),
        ({"progress": 40}, 0.4),
        ({"progress": 250}, 1.0),
        ({"progress": -1}, 0.0),
        ({"progress": True}, None),
        ({"progress": float("nan")}, None),
        ({"progress": "half"}, None),
        ({"other": 1}, None),
        ([0.5], None),
        (None, None),
    ],
)
def test_progress_fraction(metadata: object, fraction: float | None) -> None:
    assert progress_fraction(metadata) == fraction


def test_describe_progress() -> None:
    assert describe_progress({"progress": 0.25, "step": 1}) == "25%  step 1"
    assert describe_progress({"progress": 0.5}, bar=True) == "[#####-----] 50%"
    assert describe_progress({"progress": "uploading"}) == "uploading"
    assert describe_progress({"message": "almost\x1b[2J there"}) == "almost[2J there"
    assert describe_progress({}) == "" and describe_progress("text") == ""


def test_format_elapsed() -> None:
    assert [format_elapsed(s) for s in (0, 0.44, 59.9, 60, 65.5, 3725)] == [
        "0.0s",
        "0.4s",
        "59.9s",
        "1:00",
        "1:05",
        "1:02:05",
    ]


def test_to_json_keeps_every_decoded_value_printable() -> None:
    value = {
        "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "set": {3, 1, 2},
        "bytes": b"\x00\xff",
        "nan": float("nan"),
        "big": 2**70,
        1: (1, 2),
    }
    assert json.loads(json.dumps(to_json(value))) == {
        "when": "2024-01-02T03:04:05Z",
        "set": [1, 2, 3],
        "bytes": "AP8=",
        "nan": "nan",
        "big": 2**70,
        "1": [1, 2],
    }
