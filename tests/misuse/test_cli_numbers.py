"""The command line checks its numbers and ``--scope`` values before any request."""

from __future__ import annotations

import pytest

from trigger_client import decode_public_token
from trigger_client._cli import main
from trigger_client.testing import TriggerEmulator


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, emulator: TriggerEmulator) -> TriggerEmulator:
    monkeypatch.setenv("TRIGGER_API_URL", emulator.base_url)
    monkeypatch.setenv("TRIGGER_SECRET_KEY", emulator.secret_key)
    monkeypatch.delenv("TRIGGER_ACCESS_TOKEN", raising=False)
    return emulator


@pytest.mark.parametrize(
    ("scope", "why"),
    [
        ("nonsense", "expected action:type[:id]"),
        ("read:nonsense", "unknown resource type 'nonsense'"),
        ("reed:runs:run_1", "unknown action 'reed'"),
        ("read:runs:", "empty id"),
        ("", "expected action:type[:id]"),
    ],
)
def test_a_scope_outside_the_grammar_is_a_usage_error(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], scope: str, why: str
) -> None:
    before = len(env.requests)
    assert main(["token", "--scope", scope]) == 2
    assert why in capsys.readouterr().err
    assert len(env.requests) == before


@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("read:runs:run_1", ["read:runs:run_1"]),
        ("read:tags:user:42", ["read:tags:user:42"]),
        ("read:all", ["read:all"]),
        ("*:runs", ["*:runs"]),
        ("batchTrigger:tasks:my-task", ["batchTrigger:tasks:my-task"]),
        ("write:inputStreams", ["write:inputStreams"]),
        ("admin", ["admin"]),
    ],
)
def test_a_scope_in_the_grammar_is_minted(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], scope: str, granted: list[str]
) -> None:
    assert main(["token", "--scope", scope]) == 0
    assert decode_public_token(capsys.readouterr().out.strip()).scopes == granted


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "soon"])
@pytest.mark.parametrize("flag", ["--timeout", "--poll-interval"])
def test_a_bad_number_of_seconds_is_a_usage_error(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    before = len(env.requests)
    assert main(["watch", "run_1", "--poll", flag, value]) == 2
    assert flag in capsys.readouterr().err
    assert len(env.requests) == before


def test_an_expiry_in_the_past_is_a_usage_error(
    env: TriggerEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--run", "run_1", "--expires", "5m ago"]) == 2
    assert "not in the future" in capsys.readouterr().err
