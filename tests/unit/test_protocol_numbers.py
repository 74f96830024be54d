"""Numeric arguments: each checked where it is given, refused with a message naming it."""

from __future__ import annotations

import math
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import InvalidArgumentError, RetryPolicy
from trigger_client._protocol.numbers import (
    check_count,
    check_retry_policy,
    check_seconds,
    check_timeout,
)


def refused(call: object, message: str, kind: type[Exception] = InvalidArgumentError) -> None:
    assert callable(call)
    with pytest.raises(kind) as caught:
        call()
    assert type(caught.value) is kind
    assert str(caught.value) == message


@given(
    st.floats(min_value=0, exclude_min=True, allow_infinity=False)
    | st.integers(min_value=1, max_value=10**9)
)
def test_positive_seconds_are_kept_as_a_float(value: float) -> None:
    for zero in (False, True):
        got = check_seconds(value, "poll_interval", zero=zero)
        assert type(got) is float
        assert got == value


def test_zero_seconds_only_where_zero_means_something() -> None:
    assert check_seconds(0, "delay", zero=True) == 0.0
    assert check_seconds(0.0, "delay", zero=True) == 0.0
    refused(
        lambda: check_seconds(0, "poll_interval"), "poll_interval must be above 0 seconds, not 0"
    )
    refused(
        lambda: check_seconds(0.0, "poll_interval"),
        "poll_interval must be above 0 seconds, not 0.0",
    )


@pytest.mark.parametrize("zero", [False, True])
def test_negative_seconds_are_refused(zero: bool) -> None:
    bound = "0 or more" if zero else "above 0"
    refused(
        lambda: check_seconds(-1, "timeout", zero=zero), f"timeout must be {bound} seconds, not -1"
    )
    refused(
        lambda: check_seconds(-1e-9, "timeout", zero=zero),
        f"timeout must be {bound} seconds, not -1e-09",
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_seconds_that_are_not_finite_are_refused(value: float) -> None:
    for zero in (False, True):
        refused(
            lambda: check_seconds(value, "poll_interval", zero=zero),  # noqa: B023
            f"poll_interval must be a finite number of seconds, not {value!r}",
        )


@pytest.mark.parametrize(
    ("value", "kind"), [(True, "bool"), ("5", "str"), (None, "NoneType"), ([1], "list")]
)
def test_seconds_of_another_type_are_a_type_error(value: object, kind: str) -> None:
    refused(
        lambda: check_seconds(value, "poll_interval"),
        f"poll_interval must be a number of seconds, not {kind}",
        TypeError,
    )


@given(st.integers(min_value=-5, max_value=5), st.integers(min_value=-5, max_value=5))
def test_a_count_of_at_least_its_minimum_is_kept(value: int, minimum: int) -> None:
    if value >= minimum:
        assert check_count(value, "max_retries", minimum=minimum) == value
    else:
        refused(
            lambda: check_count(value, "max_retries", minimum=minimum),
            f"max_retries must be at least {minimum}, not {value}",
        )


def test_a_count_defaults_to_a_minimum_of_zero() -> None:
    assert check_count(0, "max_retries") == 0
    refused(lambda: check_count(-1, "max_retries"), "max_retries must be at least 0, not -1")


@pytest.mark.parametrize("value", [True, False, 1.0, "2", None])
def test_a_count_that_is_not_an_int_is_a_type_error(value: object) -> None:
    refused(lambda: check_count(value, "limit"), f"limit must be an int, not {value!r}", TypeError)


def test_a_timeout_may_be_none_seconds_or_an_httpx_timeout() -> None:
    check_timeout(None)
    check_timeout(2.5)
    check_timeout(httpx.Timeout(None))
    check_timeout(httpx.Timeout(5.0, connect=None))


@pytest.mark.parametrize("part", ["connect", "read", "write", "pool"])
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan])
def test_every_limit_of_an_httpx_timeout_is_checked(part: str, bad: float) -> None:
    timeout = httpx.Timeout(5.0, **{part: bad})
    with pytest.raises(InvalidArgumentError, match=re.escape(f"http_timeout.{part} must be")):
        check_timeout(timeout, "http_timeout")
    with pytest.raises(InvalidArgumentError, match=re.escape(f"timeout.{part} must be")):
        check_timeout(timeout)


def test_a_number_timeout_is_checked_under_its_name() -> None:
    refused(lambda: check_timeout(0), "timeout must be above 0 seconds, not 0")
    refused(
        lambda: check_timeout(-2, "http_timeout"), "http_timeout must be above 0 seconds, not -2"
    )
    refused(lambda: check_timeout("5"), "timeout must be a number of seconds, not str", TypeError)


def test_a_retry_policy_with_zero_delays_and_multiplier_one_is_accepted() -> None:
    check_retry_policy(RetryPolicy())
    check_retry_policy(RetryPolicy(initial_delay=0, max_delay=0, multiplier=1, not_found_seconds=0))


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "not_found_seconds"])
def test_a_retry_policy_with_a_negative_or_infinite_delay_is_refused(field: str) -> None:
    refused(
        lambda: check_retry_policy(RetryPolicy(**{field: -1.0})),
        f"retry_policy.{field} must be 0 or more seconds, not -1.0",
    )
    refused(
        lambda: check_retry_policy(RetryPolicy(**{field: math.inf})),
        f"retry_policy.{field} must be a finite number of seconds, not inf",
    )


@pytest.mark.parametrize(
    ("multiplier", "message"),
    [
        (0.5, "retry_policy.multiplier must be at least 1, not 0.5"),
        (0.999, "retry_policy.multiplier must be at least 1, not 0.999"),
        (0, "retry_policy.multiplier must be above 0 seconds, not 0"),
        (math.nan, "retry_policy.multiplier must be a finite number of seconds, not nan"),
    ],
)
def test_a_retry_policy_multiplier_below_one_is_refused(multiplier: float, message: str) -> None:
    refused(lambda: check_retry_policy(RetryPolicy(multiplier=multiplier)), message)


def test_a_retry_policy_that_is_not_one_is_a_type_error() -> None:
    refused(
        lambda: check_retry_policy({"initial_delay": 1.0}),
        "retry_policy must be a RetryPolicy, not dict",
        TypeError,
    )
