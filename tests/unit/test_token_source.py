"""The access-token source: fixed strings, callables, and clear errors."""

from __future__ import annotations

import pytest

from trigger_client import TriggerConfigurationError
from trigger_client._sync._auth_token import TokenSource


def test_an_async_callable_given_to_the_blocking_client_is_a_clear_error() -> None:
    async def mint() -> str:
        return "tr_dev_x"

    source = TokenSource(mint)
    with pytest.raises(TriggerConfigurationError, match="AsyncTriggerClient"):
        source.get()


def test_a_callable_is_called_again_on_refresh() -> None:
    calls: list[int] = []

    def mint() -> str:
        calls.append(1)
        return f"tr_dev_{len(calls)}"

    source = TokenSource(mint)
    assert source.get() == "tr_dev_1"
    assert source.get() == "tr_dev_1"
    assert source.refresh() == "tr_dev_2"
    assert repr(source) == "<TokenSource callable>"


def test_no_token_names_both_variables() -> None:
    with pytest.raises(TriggerConfigurationError, match="TRIGGER_ACCESS_TOKEN.*TRIGGER_SECRET_KEY"):
        TokenSource(None).get()


def test_an_empty_token_is_refused() -> None:
    with pytest.raises(TriggerConfigurationError, match="no token"):
        TokenSource(lambda: "").get()
