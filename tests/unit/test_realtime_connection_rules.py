"""The pure rules of the realtime connection: when to connect directly, and content decoding."""

from __future__ import annotations

import gzip
import zlib

import httpcore
import pytest

from trigger_client._async._connection import decode_content, direct_origin
from trigger_client._protocol.http1 import Http1ProtocolError


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_direct_origin_of_plain_urls() -> None:
    assert direct_origin("https://api.trigger.dev") == httpcore.Origin(
        b"https", b"api.trigger.dev", 443
    )
    assert direct_origin("http://127.0.0.1:8030/prefix") == httpcore.Origin(
        b"http", b"127.0.0.1", 8030
    )
    assert direct_origin("HTTP://Example.COM") == httpcore.Origin(b"http", b"example.com", 80)


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com", "http://", "http://h:99999"])
def test_no_direct_origin_for_urls_httpx_must_judge(url: str) -> None:
    assert direct_origin(url) is None


def test_a_proxy_for_the_scheme_means_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert direct_origin("https://api.trigger.dev") is None
    assert direct_origin("http://127.0.0.1:8030") is not None  # not its scheme


def test_all_proxy_means_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.internal:1080")
    assert direct_origin("https://api.trigger.dev") is None


def test_no_proxy_bypass_connects_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "trigger.dev")
    assert direct_origin("https://api.trigger.dev") is not None


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
def test_undecodable_content_is_a_protocol_error(body: bytes, encoding: str) -> None:
    with pytest.raises(Http1ProtocolError):
        decode_content(body, encoding)
