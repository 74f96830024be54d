"""Reading an API response: the body as JSON (or its text), and the server's wait as seconds."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import APIResponseValidationError
from trigger_client._protocol.responses import decode_body, decode_json, retry_after_seconds

NOW = 1_700_000_000.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def response(content: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=content, request=httpx.Request("GET", "https://api.test/api/v3/runs/run_1")
    )


@given(json_values)
def test_a_json_body_decodes_to_its_value(value: Any) -> None:
    content = json.dumps(value).encode()
    assert decode_body(response(content)) == value
    assert decode_json(response(content)) == value


def test_an_empty_body_is_none_for_decode_body() -> None:
    assert decode_body(response(b"")) is None


@pytest.mark.parametrize("content", [b"<html>bad gateway</html>", b"{", b"plain text"])
def test_a_body_that_is_not_json_is_its_text(content: bytes) -> None:
    assert decode_body(response(content)) == content.decode()


@pytest.mark.parametrize("content", [b"", b"<html>bad gateway</html>", b"{"])
def test_decode_json_refuses_a_body_that_is_not_json(content: bytes) -> None:
    answer = response(content, status=502)
    with pytest.raises(APIResponseValidationError) as caught:
        decode_json(answer)
    error = caught.value
    assert error.message == "the API returned a body that is not JSON"
    assert error.response is answer
    assert error.body == content.decode()
    assert error.status_code == 502
    assert isinstance(error.__cause__, ValueError)


@given(st.integers(min_value=0, max_value=4000))
def test_retry_after_in_seconds_is_read_and_capped(seconds: int) -> None:
    assert retry_after_seconds({"retry-after": str(seconds)}, now=NOW) == min(seconds, 3600)


def test_retry_after_as_an_http_date_is_seconds_from_now() -> None:
    date = formatdate(NOW + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=NOW) == pytest.approx(30.0)


@given(st.integers(min_value=-10_000_000, max_value=10_000_000))
def test_the_rate_limit_reset_is_epoch_milliseconds_clamped_to_an_hour(offset_ms: int) -> None:
    reset_ms = int(NOW * 1000) + offset_ms
    expected = max(0.0, min(3600.0, reset_ms / 1000.0 - NOW))
    got = retry_after_seconds({"x-ratelimit-reset": str(reset_ms)}, now=NOW)
    assert got == pytest.approx(expected, abs=1e-6)


def test_the_rate_limit_reset_examples() -> None:
    base = int(NOW * 1000)
    assert retry_after_seconds({"x-ratelimit-reset": str(base + 2500)}, now=NOW) == 2.5
    assert retry_after_seconds({"x-ratelimit-reset": str(base - 2500)}, now=NOW) == 0.0
    assert retry_after_seconds({"x-ratelimit-reset": str(base + 7_200_000)}, now=NOW) == 3600.0


def test_retry_after_wins_over_the_rate_limit_reset() -> None:
    headers = {"retry-after": "7", "x-ratelimit-reset": str(int(NOW * 1000) + 60_000)}
    assert retry_after_seconds(headers, now=NOW) == 7.0


def test_an_unusable_retry_after_falls_back_to_the_rate_limit_reset() -> None:
    headers = {"retry-after": "soon", "x-ratelimit-reset": str(int(NOW * 1000) + 60_000)}
    assert retry_after_seconds(headers, now=NOW) == 60.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"retry-after": "soon"},
        {"x-ratelimit-reset": ""},
        {"x-ratelimit-reset": "-5000"},
        {"x-ratelimit-reset": "12.5"},
        {"x-ratelimit-reset": "soon"},
        {"content-type": "application/json"},
    ],
)
def test_no_usable_header_is_none(headers: dict[str, str]) -> None:
    assert retry_after_seconds(headers, now=NOW) is None
