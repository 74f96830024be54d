"""``normalize_base_url``: an absolute http(s) URL with a host, its scheme lower-cased, no slash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import TriggerConfigurationError
from trigger_client._protocol.urls import normalize_base_url

schemes = st.sampled_from(["http", "https", "HTTP", "Https", "hTtPs"])
hosts = st.sampled_from(["api.trigger.dev", "localhost", "127.0.0.1", "[::1]", "Example.COM"])
ports = st.none() | st.integers(min_value=1, max_value=65535)
segments = st.text(alphabet="abcXYZ019-_.~%", min_size=1, max_size=8)


@given(schemes, hosts, ports, st.lists(segments, max_size=3), st.text(alphabet="/", max_size=3))
def test_a_url_keeps_host_port_and_path_with_its_scheme_lower_cased(
    scheme: str, host: str, port: int | None, path: list[str], slashes: str
) -> None:
    authority = host if port is None else f"{host}:{port}"
    tail = "".join("/" + s for s in path)
    got = normalize_base_url(f"  {scheme}://{authority}{tail}{slashes} ", "TRIGGER_API_URL")
    assert got == f"{scheme.lower()}://{authority}{tail}"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://api.trigger.dev/", "https://api.trigger.dev"),
        ("HTTP://localhost:3030///", "http://localhost:3030"),
        ("http://[::1]:3030/", "http://[::1]:3030"),
        ("https://host.test/prefix/X", "https://host.test/prefix/X"),
        ("http://user:pw@host.test", "http://user:pw@host.test"),
        ("https://host.test/via/http://other", "https://host.test/via/http://other"),
    ],
)
def test_known_urls(value: str, url: str) -> None:
    assert normalize_base_url(value) == url


def refused(value: object, message: str, name: str = "base_url") -> None:
    with pytest.raises(TriggerConfigurationError) as caught:
        normalize_base_url(value, name)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_the_name_in_a_refusal_defaults_to_base_url() -> None:
    with pytest.raises(TriggerConfigurationError) as caught:
        normalize_base_url("ftp://host.test")
    assert (
        str(caught.value) == "base_url must start with http:// or https://, not 'ftp://host.test'"
    )


def test_a_value_that_is_not_a_string_is_refused() -> None:
    refused(None, "base_url must be a string, not NoneType")
    refused(b"https://x", "TRIGGER_API_URL must be a string, not bytes", "TRIGGER_API_URL")


@pytest.mark.parametrize(
    "value", ["api.trigger.dev", "ftp://host.test", "//host.test", "https:/host.test", "", "ws://h"]
)
def test_a_url_without_an_http_scheme_is_refused(value: str) -> None:
    refused(value, f"base_url must start with http:// or https://, not {value!r}")


def test_a_url_with_a_port_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(TriggerConfigurationError) as caught:
        normalize_base_url("http://host.test:30x0", "TRIGGER_API_URL")
    message = str(caught.value)
    assert message.startswith("TRIGGER_API_URL is not a URL: 'http://host.test:30x0' (")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("value", ["https:///path", "http://:8080", "http://user@"])
def test_a_url_without_a_host_is_refused(value: str) -> None:
    refused(value, f"base_url has no host: {value!r}")


@pytest.mark.parametrize(
    "value", ["https://h.test?x=1", "https://h.test/#top", "https://h.test/api?", "https://h.test#"]
)
def test_a_url_with_a_query_or_fragment_is_refused(value: str) -> None:
    refused(value, f"base_url cannot have a query or fragment: {value!r}")
