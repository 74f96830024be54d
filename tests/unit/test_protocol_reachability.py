"""The pure decisions of a subscription that cannot reach the server."""

from __future__ import annotations

import socket

import httpcore
import httpx
import pytest

from trigger_client._exceptions import APIConnectionError
from trigger_client._protocol.reachability import Reachability, is_unreachable, public_url


def connection_error(cause: BaseException) -> APIConnectionError:
    try:
        raise APIConnectionError("Connection error.") from cause
    except APIConnectionError as exc:
        return exc


REFUSED = connection_error(httpx.ConnectError("refused"))
DROPPED = connection_error(httpx.RemoteProtocolError("server disconnected"))


@pytest.mark.parametrize(
    ("cause", "unreachable"),
    [
        (httpx.ConnectError("x"), True),
        (httpx.ConnectTimeout("x"), True),
        (httpcore.ConnectError("x"), True),
        (ConnectionRefusedError(), True),
        (socket.gaierror(-2, "Name or service not known"), True),
        (httpx.ReadTimeout("x"), False),
        (httpx.RemoteProtocolError("x"), False),
        (httpcore.ReadError("x"), False),
    ],
)
def test_only_a_failure_to_connect_is_unreachable(cause: BaseException, unreachable: bool) -> None:
    assert is_unreachable(connection_error(cause)) is unreachable


@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_never_reached_gives_up_after_max_retries_retries(max_retries: int) -> None:
    reach = Reachability(max_retries)
    decisions = [reach.failed(REFUSED, now=float(i)).give_up for i in range(max_retries + 3)]
    assert decisions == [False] * max_retries + [True, True, True]


def test_once_answered_it_never_gives_up() -> None:
    reach = Reachability(2)
    reach.failed(REFUSED, now=0)
    reach.answered()
    assert not any(reach.failed(REFUSED, now=float(i)).give_up for i in range(100))


def test_a_connection_dropped_after_it_was_made_counts_as_reached() -> None:
    reach = Reachability(1)
    assert not reach.failed(DROPPED, now=0).give_up
    assert not any(reach.failed(REFUSED, now=float(i)).give_up for i in range(1, 50))


def test_warnings_are_the_first_failure_then_one_per_minute_at_most() -> None:
    reach = Reachability(1000)
    times = [0.0, 1.0, 30.0, 59.9, 60.0, 61.0, 119.9, 120.0, 500.0, 500.5]
    warned = [t for t in times if reach.failed(REFUSED, now=t).warn]
    assert warned == [0.0, 60.0, 120.0, 500.0]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "http://user:pa55@example.com:8080/api/v3/runs/r?x=1#f",
            "http://example.com:8080/api/v3/runs/r",
        ),
        (
            "https://api.trigger.dev/realtime/v1/runs/run_1",
            "https://api.trigger.dev/realtime/v1/runs/run_1",
        ),
        ("http://[::1]:3030/x", "http://[::1]:3030/x"),
    ],
)
def test_a_logged_url_has_no_credentials(url: str, shown: str) -> None:
    assert public_url(url) == shown


def test_a_cycle_of_causes_ends_the_search() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    assert is_unreachable(first) is False
    third = RuntimeError("c")
    third.__cause__ = httpx.ConnectError("refused")
    third.__cause__.__context__ = third
    assert is_unreachable(third) is True


@pytest.mark.parametrize(
    ("url", "shown"),
    [("http:///api/v3/runs", "http:///api/v3/runs"), ("/relative?x=1", "/relative")],
)
def test_a_logged_url_without_a_host_gets_none_invented(url: str, shown: str) -> None:
    assert public_url(url) == shown
