"""The command line speaks of its own flags and variables, and its exit codes follow the README."""

from __future__ import annotations

import socket
import time

import pytest

from trigger_client._cli import main
from trigger_client.testing import TriggerEmulator

SECRET_PART = "s3cr3tPART"


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator) -> TriggerEmulator:
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    for name in ("TRIGGER_SECRET_KEY", "TRIGGER_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return emulator


@pytest.mark.parametrize("argv", [["watch", "run_1"], ["token", "--run", "run_1"]])
def test_without_a_token_the_cli_names_its_flag_and_variables(
    bare_env: TriggerEmulator, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = len(bare_env.requests)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "TRIGGER_SECRET_KEY" in err and "--access-token" in err
    assert "access_token=" not in err
    assert len(bare_env.requests) == before


@pytest.mark.parametrize(
    ("token", "why"), [("  ", "is empty"), (f"tr_dev_{SECRET_PART}é", "non-ASCII")]
)
def test_an_unusable_access_token_flag_is_a_usage_error_naming_the_flag(
    bare_env: TriggerEmulator, capsys: pytest.CaptureFixture[str], token: str, why: str
) -> None:
    assert main(["watch", "run_1", "--access-token", token]) == 2
    err = capsys.readouterr().err
    assert "from --access-token" in err and why in err and SECRET_PART not in err


def test_an_access_token_flag_with_a_newline_works(
    bare_env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = bare_env.create_run("cli-words")
    bare_env.play(run_id, "success", interval=0)
    assert main(["watch", run_id, "--access-token", bare_env.secret_key + "\n"]) == 0


def test_an_unusable_token_in_the_environment_names_the_variable(
    bare_env: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRIGGER_SECRET_KEY", " \n")
    assert main(["watch", "run_1"]) == 2
    assert "from TRIGGER_SECRET_KEY is empty" in capsys.readouterr().err


@pytest.fixture
def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    "argv",
    [
        ["watch", "run_1", "--timeout", "20"],
        ["watch", "run_1", "--timeout", "20", "--poll"],
        ["watch", "--tag", "t", "--timeout", "20"],
        ["watch", "run_1"],
        ["token", "--run", "run_1"],
    ],
)
def test_an_unreachable_server_exits_3_naming_the_url(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    closed_url: str,
    argv: list[str],
) -> None:
    monkeypatch.setenv("TRIGGER_API_URL", closed_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", "tr_dev_cliUnreachable0123456789")
    started = time.monotonic()
    assert main(argv) == 3  # the README's "network failure after retries"
    assert time.monotonic() - started < 15  # two retries of the default backoff (<= 1 s, 2 s)
    err = capsys.readouterr().err
    assert f"could not reach {closed_url}" in err and "TRIGGER_API_URL" in err


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_a_bad_base_url_names_the_flag_or_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    monkeypatch.setenv("TRIGGER_SECRET_KEY", "tr_dev_cliBaseUrl0123456789")
    if where == "flag":
        monkeypatch.delenv("TRIGGER_API_URL", raising=False)
        argv = ["watch", "run_1", "--base-url", "localhost:3030"]
    else:
        monkeypatch.setenv("TRIGGER_API_URL", "localhost:3030")
        argv = ["watch", "run_1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    named = "--base-url" if where == "flag" else "TRIGGER_API_URL"
    assert f"{named} must start with http:// or https://" in err and "base_url" not in err
