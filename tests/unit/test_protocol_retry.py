"""Retry decisions: Retry-After parsing, backoff delays, status and exception classes."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime as http_date

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client._protocol.retry import (
    MAX_RETRY_AFTER,
    RetryPolicy,
    classify_exception,
    classify_status,
    parse_retry_after,
)

NOW = datetime(2026, 6, 6, 10, 0, 0, tzinfo=UTC)
NOW_TS = NOW.timestamp()


# -- parse_retry_after ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("0", 0.0),
        ("5", 5.0),
        (" 10 ", 10.0),
        ("1.5", 1.5),
        (".25", 0.25),
        ("3601", 3600.0),
        ("999999999999999999999", 3600.0),
        ("-1", None),
        ("1e3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("5s", None),
        (http_date(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (http_date(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        (http_date(NOW + timedelta(days=2), usegmt=True), 3600.0),
        ("Sat, 06 Jun 2026 10:00:12 GMT", 12.0),
        ("Saturday, 06-Jun-26 10:00:12 GMT", 12.0),  # RFC 850
        ("Sat Jun  6 10:00:12 2026", 12.0),  # asctime
        ("Sat, 32 Jun 2026 10:00:12 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW_TS) == expected


@given(st.text(max_size=40), st.floats(min_value=0, max_value=4e9))
def test_parse_retry_after_is_total_and_bounded(value: str, now: float) -> None:
    result = parse_retry_after(value, now=now)
    assert result is None or 0 <= result <= MAX_RETRY_AFTER


# -- RetryPolicy ----------------------------------------------------------------------------------


def test_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.initial_delay, policy.max_delay, policy.multiplier, policy.max_retries) == (
        1.0,
        32.0,
        2.0,
        2,
    )


def test_full_jitter_caps_double_up_to_the_maximum() -> None:
    policy = RetryPolicy()
    caps = [policy.delay(n, retry_after=None, random=lambda: 1.0) for n in range(8)]
    assert caps == [1, 2, 4, 8, 16, 32, 32, 32]
    assert policy.delay(3, retry_after=None, random=lambda: 0.5) == 4.0
    assert policy.delay(3, retry_after=None, random=lambda: 0.0) == 0.0


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy()
    assert policy.delay(0, retry_after=10.0, random=lambda: 0.9) == 10.0
    assert policy.delay(5, retry_after=1.0, random=lambda: 0.5) == 16.0
    assert policy.delay(0, retry_after=0.0, random=lambda: 0.5) == 0.5


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert RetryPolicy().delay(10_000, retry_after=None, random=lambda: 1.0) == 32.0
    assert RetryPolicy().delay(-3, retry_after=None, random=lambda: 1.0) == 1.0


@given(
    st.integers(min_value=0, max_value=100_000),
    st.none() | st.floats(min_value=0, max_value=MAX_RETRY_AFTER),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.floats(min_value=0.001, max_value=10),
    st.floats(min_value=0.01, max_value=120),
    st.floats(min_value=1, max_value=10),
)
def test_delay_bounds(
    attempt: int,
    retry_after: float | None,
    rand: float,
    initial: float,
    maximum: float,
    multiplier: float,
) -> None:
    policy = RetryPolicy(initial_delay=initial, max_delay=maximum, multiplier=multiplier)
    delay = policy.delay(attempt, retry_after=retry_after, random=lambda: rand)
    assert 0 <= delay <= max(maximum, retry_after or 0)
    assert delay >= (retry_after or 0)


# -- classify_status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "ok"),
        (204, "ok"),
        (299, "ok"),
        (401, "auth"),
        (403, "auth"),
        (409, "refetch"),
        (408, "transient"),
        (429, "transient"),
        (500, "transient"),
        (502, "transient"),
        (503, "transient"),
        (599, "transient"),
        (400, "fatal"),
        (404, "fatal"),
        (410, "fatal"),
        (422, "fatal"),
        (304, "fatal"),
        (301, "fatal"),
        (100, "fatal"),
    ],
)
def test_classify_status(status: int, expected: str) -> None:
    assert classify_status(status) == expected
    assert classify_status(status, headers={}) == expected


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (404, "true", "transient"),
        (404, "TRUE", "transient"),
        (400, "true", "transient"),
        (503, "false", "fatal"),
        (429, "false", "fatal"),
        (404, "false", "fatal"),
        (404, "maybe", "fatal"),
        (503, "maybe", "transient"),
        (401, "true", "auth"),  # auth and must-refetch are decided by the status
        (409, "false", "refetch"),
        (200, "false", "ok"),
    ],
)
def test_x_should_retry(status: int, header: str, expected: str) -> None:
    assert classify_status(status, headers={"x-should-retry": header}) == expected
    assert classify_status(status, headers=httpx.Headers({"X-Should-Retry": header})) == expected
    assert classify_status(status, headers={"X-Should-Retry": header}) == expected


# -- classify_exception ---------------------------------------------------------------------------

REQUEST = httpx.Request("GET", "https://api.trigger.dev/x")


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ConnectTimeout("slow", request=REQUEST),
        httpx.ReadTimeout("slow", request=REQUEST),
        httpx.WriteTimeout("slow", request=REQUEST),
        httpx.PoolTimeout("busy", request=REQUEST),
        httpx.ReadError("reset", request=REQUEST),
        httpx.WriteError("broken pipe", request=REQUEST),
        httpx.CloseError("close", request=REQUEST),
        httpx.RemoteProtocolError("peer closed connection", request=REQUEST),
        httpx.ProxyError("proxy", request=REQUEST),
    ],
)
def test_transient_exceptions(exc: BaseException) -> None:
    assert classify_exception(exc) == "transient"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.UnsupportedProtocol("ftp://", request=REQUEST),
        httpx.LocalProtocolError("bad header", request=REQUEST),
        httpx.DecodingError("gzip", request=REQUEST),
        httpx.TooManyRedirects("loop", request=REQUEST),
        httpx.InvalidURL("bad"),
        ValueError("x"),
        ssl.SSLCertVerificationError("cert"),
        KeyboardInterrupt(),
    ],
)
def test_fatal_exceptions(exc: BaseException) -> None:
    assert classify_exception(exc) == "fatal"


def test_an_untrusted_certificate_is_never_retried() -> None:
    import ssl

    from trigger_client._protocol.retry import (
        classify_exception,
        connection_error_message,
        untrusted_certificate,
    )

    failure = ssl.SSLCertVerificationError(1, "certificate verify failed")
    failure.verify_message = "self-signed certificate"
    try:
        try:
            raise failure
        except ssl.SSLError as exc:
            raise httpx.ConnectError("handshake failed") from exc
    except httpx.ConnectError as wrapped:
        assert untrusted_certificate(wrapped) is failure
        assert classify_exception(wrapped) == "fatal"
        assert "not trusted (self-signed certificate)" in connection_error_message(wrapped)
    plain = httpx.ConnectError("refused")
    assert untrusted_certificate(plain) is None
    assert classify_exception(plain) == "transient"
    assert connection_error_message(plain) == "Connection error: ConnectError"
