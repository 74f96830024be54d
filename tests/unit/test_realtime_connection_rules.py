"""The pure rules of realtime requests: the base URL split once, targets, responses, decoding;
and which sender a client's realtime requests take."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest

from trigger_client import AsyncTriggerClient, TriggerClient
from trigger_client._async._realtime_senders import AsyncHttpcoreSender, AsyncHttpxSender
from trigger_client._exceptions import TriggerConfigurationError
from trigger_client._protocol.shape_http import (
    BaseUrl,
    ContentDecodingError,
    ShapeHttpRequest,
    ShapeResponse,
    decode_content,
)
from trigger_client._sync._realtime_senders import HttpcoreSender, HttpxSender


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "host_header", "path"),
    [
        ("https://api.trigger.dev", "https", "api.trigger.dev", 443, "api.trigger.dev", ""),
        ("https://api.trigger.dev:443/", "https", "api.trigger.dev", 443, "api.trigger.dev", ""),
        ("http://127.0.0.1:8030/prefix", "http", "127.0.0.1", 8030, "127.0.0.1:8030", "/prefix"),
        ("HTTP://Example.COM", "http", "example.com", 80, "example.com", ""),
        ("http://example.com:80/a/b/", "http", "example.com", 80, "example.com", "/a/b"),
        ("http://[::1]:3030", "http", "::1", 3030, "[::1]:3030", ""),
        ("https://[2001:db8::1]/api", "https", "2001:db8::1", 443, "[2001:db8::1]", "/api"),
        ("https://[::1]:443", "https", "::1", 443, "[::1]", ""),
        ("http://[::1]", "http", "::1", 80, "[::1]", ""),
        ("https://h:8443", "https", "h", 8443, "h:8443", ""),
        ("https://h:80", "https", "h", 80, "h:80", ""),
        ("http://h:443", "http", "h", 443, "h:443", ""),
    ],
)
def test_base_url_parts(
    url: str, scheme: str, host: str, port: int, host_header: str, path: str
) -> None:
    base = BaseUrl(url)
    assert (base.scheme, base.host, base.port, base.host_header, base.path) == (
        scheme,
        host,
        port,
        host_header,
        path,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.trigger.dev",
        "https://api.trigger.dev:443",
        "https://api.trigger.dev:8443/x",
        "http://localhost",
        "http://localhost:80",
        "http://localhost:443",
        "https://h:80",
        "http://[::1]",
        "http://[::1]:3030",
        "https://[2001:db8::1]:443/api",
    ],
)
def test_the_host_header_is_the_one_httpx_sends(url: str) -> None:
    """The SDK's own connections and a user's httpx client send the same ``Host``."""
    assert BaseUrl(url).host_header == httpx.Request("GET", url).headers["host"]


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "http://", "http://h:99999"])
def test_base_url_rejects_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ValueError):
        BaseUrl(url)


@pytest.mark.parametrize("url", ["http://", "http://h:99999", "https://[::1"])
def test_a_client_with_a_bad_base_url_fails_at_once(url: str) -> None:
    with pytest.raises(TriggerConfigurationError, match="base_url"):
        TriggerClient(base_url=url, access_token="tr_dev_x")


def test_targets_keep_the_prefix_and_encode_the_query() -> None:
    base = BaseUrl("http://h/pre fix/")
    target = base.target("/realtime/v1/runs/run_1", [("offset", "-1"), ("where", "a b&c=/")])
    assert target == "/pre%20fix/realtime/v1/runs/run_1?offset=-1&where=a%20b%26c%3D%2F"
    assert BaseUrl("http://h").target("/x", []) == "/x"


def test_a_shape_response_keeps_repeated_headers() -> None:
    response = ShapeResponse(
        200, [("Electric-Offset", "0_0"), ("vary", "a"), ("Vary", "b")], b"[]", "http://h/x"
    )
    assert response.headers == {"electric-offset": "0_0", "vary": "a, b"}
    assert list(response.header_list) == [
        ("Electric-Offset", "0_0"),
        ("vary", "a"),
        ("Vary", "b"),
    ]


def test_decode_content() -> None:
    body = b'[{"headers":{"control":"up-to-date"}}]'
    assert decode_content(body, None) == body
    assert decode_content(body, "identity") == body
    assert decode_content(gzip.compress(body), "gzip") == body
    assert decode_content(zlib.compress(body), "deflate") == body
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decode_content(raw.compress(body) + raw.flush(), "deflate") == body
    assert decode_content(b"", "gzip") == b""


@pytest.mark.parametrize(("body", "encoding"), [(b"not gzip", "gzip"), (b"x", "br")])
def test_undecodable_content_is_a_decoding_error(body: bytes, encoding: str) -> None:
    with pytest.raises(ContentDecodingError):
        decode_content(body, encoding)


def test_only_trailing_slashes_leave_the_base_url() -> None:
    base = BaseUrl("http://h.test/apiX//")
    assert (base.url, base.path) == ("http://h.test/apiX", "/apiX")


def test_a_refused_base_url_is_named() -> None:
    with pytest.raises(ValueError) as caught:
        BaseUrl("ftp://example.com")
    assert str(caught.value) == "not an http(s) URL with a host: 'ftp://example.com'"


def test_a_percent_escape_in_the_base_path_is_kept_not_encoded_again() -> None:
    assert BaseUrl("http://h/a%20b/").target("/x", [("k", "v")]) == "/a%20b/x?k=v"


def test_a_shape_request_is_its_parts_and_the_url_they_make() -> None:
    base = BaseUrl("http://[::1]:3030/api")
    headers = [(b"authorization", b"Bearer x")]
    timeouts = {"connect": 5.0, "read": None, "write": 5.0, "pool": 5.0}
    request = ShapeHttpRequest(base, "/api/realtime/v1/runs/r?offset=-1", headers, timeouts)
    assert request.base is base
    assert request.target == "/api/realtime/v1/runs/r?offset=-1"
    assert request.headers is headers
    assert request.timeouts is timeouts
    assert request.url == "http://[::1]:3030/api/realtime/v1/runs/r?offset=-1"
    https = ShapeHttpRequest(BaseUrl("https://api.test:443"), "/x", [], {})
    assert https.url == "https://api.test/x"


def test_a_shape_response_keeps_its_status_body_and_url() -> None:
    response = ShapeResponse(409, [], b'[{"headers":{"control":"must-refetch"}}]', "http://h/x")
    assert response.status_code == 409
    assert response.content == b'[{"headers":{"control":"must-refetch"}}]'
    assert response.url == "http://h/x"
    assert response.headers == {}


def test_a_zlib_body_labelled_gzip_is_refused() -> None:
    with pytest.raises(ContentDecodingError, match="^cannot decode a gzip body: "):
        decode_content(zlib.compress(b"[]"), "gzip")


def test_decoding_errors_name_the_encoding() -> None:
    with pytest.raises(ContentDecodingError) as caught:
        decode_content(b"x", "br")
    assert str(caught.value) == "unexpected content-encoding 'br'"
    with pytest.raises(ContentDecodingError) as caught:
        decode_content(b"not deflate at all", "deflate")
    assert str(caught.value).startswith("cannot decode a deflate body: Error -3 ")


# -- which sender ------------------------------------------------------------------------------


def test_the_sdk_connects_directly_without_a_proxy() -> None:
    with TriggerClient(base_url="http://127.0.0.1:8030/p", access_token="tr_dev_x") as client:
        assert isinstance(client._transport.realtime_sender(), HttpcoreSender)


def test_an_http_client_of_yours_carries_realtime_requests() -> None:
    with (
        httpx.Client() as http,
        TriggerClient(
            base_url="http://127.0.0.1:8030", access_token="tr_dev_x", http_client=http
        ) as client,
    ):
        assert isinstance(client._transport.realtime_sender(), HttpxSender)


@pytest.mark.anyio
async def test_an_http_client_of_yours_carries_realtime_requests_async() -> None:
    async with (
        httpx.AsyncClient() as http,
        AsyncTriggerClient(
            base_url="http://127.0.0.1:8030", access_token="tr_dev_x", http_client=http
        ) as client,
    ):
        assert isinstance(client._transport.realtime_sender(), AsyncHttpxSender)
    async with AsyncTriggerClient(base_url="http://[::1]:8030", access_token="x") as client:
        assert isinstance(client._transport.realtime_sender(), AsyncHttpcoreSender)


@pytest.mark.parametrize(
    ("env", "url", "proxied"),
    [
        ({"HTTPS_PROXY": "http://proxy.internal:3128"}, "https://api.trigger.dev", True),
        ({"HTTPS_PROXY": "http://proxy.internal:3128"}, "http://127.0.0.1:8030", False),
        ({"ALL_PROXY": "http://proxy.internal:3128"}, "https://api.trigger.dev", True),
        (
            {"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "trigger.dev"},
            "https://api.trigger.dev",
            False,
        ),
        (
            {"HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "other.dev"},
            "https://api.trigger.dev",
            True,
        ),
        ({"HTTP_PROXY": "http://proxy.internal:3128", "NO_PROXY": "*"}, "http://h", False),
    ],
)
def test_proxies_follow_httpx_rules(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, proxied: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with TriggerClient(base_url=url, access_token="tr_dev_x") as client:
        sender = client._transport.realtime_sender()
        assert isinstance(sender, HttpxSender) is proxied
        assert isinstance(sender, HttpcoreSender) is not proxied
        # the same decision as httpx's own for a REST call
        http = client._transport.http_client
        assert (http._transport_for_url(httpx.URL(url)) is not http._transport) is proxied
