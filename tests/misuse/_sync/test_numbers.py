# Generated from tests/misuse/_async/test_numbers.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Numbers are checked when given: finite, positive (or zero where it means something), ints for
counts; the error names the argument and comes before any request. Expirations in the past are
refused; ``HTTP://`` base URLs work."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from trigger_client import (
    InvalidArgumentError,
    RetryPolicy,
    Scopes,
    TriggerClient,
    TriggerConfigurationError,
)
from trigger_client.testing import TriggerEmulator

pytestmark = pytest.mark.anyio

NAN, INF = math.nan, math.inf


def client_for(emulator: TriggerEmulator, **options: Any) -> TriggerClient:
    return TriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key, **options)


@pytest.mark.parametrize(
    ("options", "error", "named"),
    [
        ({"timeout": NAN}, InvalidArgumentError, "timeout"),
        ({"timeout": INF}, InvalidArgumentError, "timeout"),
        ({"timeout": -1}, InvalidArgumentError, "timeout"),
        ({"timeout": 0}, InvalidArgumentError, "timeout"),
        ({"timeout": "5"}, TypeError, "timeout"),
        ({"timeout": httpx.Timeout(0)}, InvalidArgumentError, "timeout.connect"),
        ({"timeout": httpx.Timeout(5, connect=NAN)}, InvalidArgumentError, "timeout.connect"),
        ({"timeout": httpx.Timeout(5, read=INF)}, InvalidArgumentError, "timeout.read"),
        ({"max_retries": 1.5}, TypeError, "max_retries"),
        ({"max_retries": True}, TypeError, "max_retries"),
        ({"max_retries": -1}, InvalidArgumentError, "max_retries"),
        ({"live_timeout": NAN}, InvalidArgumentError, "live_timeout"),
        ({"live_timeout": 0}, InvalidArgumentError, "live_timeout"),
        ({"retry_policy": RetryPolicy(initial_delay=NAN)}, InvalidArgumentError, "initial_delay"),
        ({"retry_policy": RetryPolicy(max_delay=-1)}, InvalidArgumentError, "max_delay"),
        ({"retry_policy": RetryPolicy(multiplier=0.5)}, InvalidArgumentError, "multiplier"),
        ({"retry_policy": RetryPolicy(multiplier=INF)}, InvalidArgumentError, "multiplier"),
    ],
)
def test_a_bad_client_number_is_refused_at_construction_naming_it(
    emulator: TriggerEmulator, options: dict[str, Any], error: type[Exception], named: str
) -> None:
    with pytest.raises(error) as caught:
        client_for(emulator, **options)
    assert named in str(caught.value)
    if error is InvalidArgumentError:
        assert isinstance(caught.value, ValueError)
    with pytest.raises(error):  # with_options checks them too
        client_for(emulator).with_options(**options)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0.5},
        {"timeout": httpx.Timeout(5, connect=1, pool=None)},
        {"max_retries": 0},
        {"retry_policy": RetryPolicy(initial_delay=0, max_delay=0)},
    ],
)
def test_good_client_numbers_are_accepted(
    emulator: TriggerEmulator, options: dict[str, Any]
) -> None:
    run_id = emulator.create_run("numbers")
    with client_for(emulator, **options) as client:
        assert (client.runs.retrieve(run_id)).id == run_id


SUBSCRIPTION_CASES = [
    ("poll_interval", NAN),
    ("poll_interval", INF),
    ("poll_interval", 0),
    ("poll_interval", -1),
    ("timeout", NAN),
    ("timeout", INF),
    ("timeout", 0),
    ("timeout", -0.5),
]


@pytest.mark.parametrize(("name", "value"), SUBSCRIPTION_CASES)
@pytest.mark.parametrize("transport", ["realtime", "poll"])
def test_a_bad_subscription_number_is_refused_before_any_request(
    emulator: TriggerEmulator, name: str, value: float, transport: Any
) -> None:
    run_id = emulator.create_run("numbers")
    before = len(emulator.requests)
    with client_for(emulator) as client:
        with pytest.raises(InvalidArgumentError, match=name):
            client.runs.subscribe_to_run(run_id, feed=transport, **{name: value})
        with pytest.raises(InvalidArgumentError, match=name):
            client.runs.wait(run_id, poll=transport == "poll", **{name: value})
        if name == "timeout":
            with pytest.raises(InvalidArgumentError, match=name):
                client.runs.subscribe_to_runs_with_tag("t", timeout=value)
            with pytest.raises(InvalidArgumentError, match=name):
                client.runs.subscribe_to_batch("batch_1", timeout=value)
    assert len(emulator.requests) == before


@pytest.mark.parametrize(
    "expiration",
    [
        timedelta(seconds=-5),
        timedelta(0),
        "5m ago",
        "-1h",
        "0s",
        datetime(2020, 1, 1, tzinfo=UTC),
        1_600_000_000,
    ],
)
def test_an_expiration_time_in_the_past_is_refused_before_any_request(
    emulator: TriggerEmulator, expiration: Any
) -> None:
    before = len(emulator.requests)
    with client_for(emulator) as client:
        with pytest.raises(InvalidArgumentError, match="expiration_time .* not in the future"):
            client.auth.create_public_token(
                scopes=Scopes.read_run("run_1"), expiration_time=expiration
            )
    assert len(emulator.requests) == before


@pytest.mark.parametrize("expiration", [timedelta(seconds=30), "1m", "2 days"])
def test_an_expiration_time_ahead_mints_a_token_that_works(
    emulator: TriggerEmulator, expiration: Any
) -> None:
    run_id = emulator.create_run("numbers")
    with client_for(emulator) as client:
        token = client.auth.create_public_token(
            scopes=Scopes.read_run(run_id), expiration_time=expiration
        )
        assert (client.runs.retrieve(run_id, access_token=token)).id == run_id


@pytest.mark.parametrize("scheme", ["HTTP", "Http", "hTtP"])
def test_a_base_url_scheme_in_any_case_works(emulator: TriggerEmulator, scheme: str) -> None:
    run_id = emulator.create_run("numbers")
    url = scheme + emulator.base_url[len("http") :]
    with TriggerClient(base_url=url + "/", access_token=emulator.secret_key) as client:
        assert client.base_url == emulator.base_url
        assert (client.runs.retrieve(run_id)).id == run_id
        subscription = client.runs.subscribe_to_run(run_id, timeout=10)
        with subscription:
            for run in subscription:
                assert run.id == run_id
                break


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com", "http:// or https://"),
        ("example.com", "http:// or https://"),
        ("http://example.com:port", "not a URL"),
        ("http://example.com/?x=1", "query or fragment"),
        ("http:///path", "no host"),
    ],
)
def test_a_bad_base_url_is_a_configuration_error(url: str, why: str) -> None:
    with pytest.raises(TriggerConfigurationError, match=why):
        TriggerClient(base_url=url, access_token="tr_dev_x")
