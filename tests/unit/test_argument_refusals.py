"""Arguments refused before any request: scopes checked for the CLI, a token expiration that is
not ahead, an empty run ``ttl``; each refusal says exactly what was wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import InvalidArgumentError, TriggerOptions
from trigger_client._protocol.scopes import KNOWN_ACTIONS, KNOWN_TYPES, check_scope
from trigger_client._protocol.tasks import trigger_options_body
from trigger_client._protocol.tokens import future_expiration

ACTIONS = "*, batchTrigger, read, trigger, write"
TYPES = "all, batch, inputStreams, runs, tags, tasks, waitpoints"


@pytest.mark.parametrize(
    ("scope", "parsed"),
    [
        ("admin", ("admin", None, None)),
        ("  admin\n", ("admin", None, None)),
        ("read:runs", ("read", "runs", None)),
        (" read:runs:run_1234 ", ("read", "runs", "run_1234")),
        ("read:tags:env:staging", ("read", "tags", "env:staging")),
        ("*:all", ("*", "all", None)),
        ("batchTrigger:tasks:my-task", ("batchTrigger", "tasks", "my-task")),
    ],
)
def test_a_scope_the_server_can_match_is_parsed(
    scope: str, parsed: tuple[str, str | None, str | None]
) -> None:
    assert check_scope(scope) == parsed


@given(st.sampled_from(sorted(KNOWN_ACTIONS)), st.sampled_from(sorted(KNOWN_TYPES)))
def test_every_known_action_and_type_is_accepted(action: str, kind: str) -> None:
    assert check_scope(f"{action}:{kind}") == (action, kind, None)
    assert check_scope(f"{action}:{kind}:x1") == (action, kind, "x1")


def refused(scope: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_scope(scope)
    assert str(caught.value) == message


@pytest.mark.parametrize("scope", ["read", "", "  ", "Admin", "admins"])
def test_a_scope_without_a_type_is_refused(scope: str) -> None:
    refused(
        scope,
        f"not a scope: {scope!r}: expected action:type[:id] such as read:runs:run_1234, or admin",
    )


def test_an_unknown_action_or_type_is_refused_with_the_known_ones() -> None:
    refused(
        "delete:runs", f"scope 'delete:runs' has the unknown action 'delete' (known: {ACTIONS})"
    )
    refused("admin:runs", f"scope 'admin:runs' has the unknown action 'admin' (known: {ACTIONS})")
    refused(
        "read:run:run_1",
        f"scope 'read:run:run_1' has the unknown resource type 'run' (known: {TYPES})",
    )


def test_an_empty_id_is_refused() -> None:
    refused("read:runs:", "scope 'read:runs:' has an empty id (leave out the last ':')")


NOW = 1_700_000_000.5


@pytest.mark.parametrize("value", [1_700_000_000, 1_699_999_999, "5m ago", "0s"])
def test_an_expiration_at_or_before_now_is_refused(value: int | str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        future_expiration(value, now=NOW)
    assert str(caught.value) == (
        f"expiration_time {value!r} is not in the future: the token would already be expired"
    )


def test_an_expiration_a_second_ahead_is_accepted() -> None:
    assert future_expiration(1_700_000_001, now=NOW) == 1_700_000_001
    assert future_expiration("1s", now=NOW) == 1_700_000_001


@pytest.mark.parametrize("ttl", ["", "   "])
def test_an_empty_ttl_is_refused_by_name(ttl: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        trigger_options_body(
            TriggerOptions(ttl=ttl), payload_type="application/json", default_version=None
        )
    assert str(caught.value) == "ttl must not be empty"
