"""``proxy_may_apply``: the check, without httpx, that lets a client skip loading httpx. It must
never say "no proxy" when httpx's own rules (``get_environment_proxies``) would find one."""

from __future__ import annotations

import os
import sys
from unittest import mock

import httpx
import pytest
from httpx._utils import get_environment_proxies
from hypothesis import given
from hypothesis import strategies as st

from trigger_client._backends import proxy_may_apply

NAMES = [
    "HTTP_PROXY",
    "http_proxy",
    "Http_Proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "aLL_pRoXy",
    "NO_PROXY",
    "no_proxy",
    "FTP_PROXY",
    "TRAVIS_APT_PROXY",
    "PROXY",
    "HTTP_PROXY_URL",
    "REQUEST_METHOD",
]
VALUES = ["", "proxy.example:3128", "http://127.0.0.1:3128", "socks5://127.0.0.1:1080", "*"]

LINUX = sys.platform != "darwin" and os.name != "nt"


def _httpx_finds_a_proxy() -> bool:
    return any(url is not None for url in get_environment_proxies().values())


@given(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VALUES), max_size=6))
def test_no_proxy_means_httpx_finds_none(env: dict[str, str]) -> None:
    with mock.patch.dict(os.environ, env, clear=True):
        may_apply = proxy_may_apply()
        finds = _httpx_finds_a_proxy()
    if not may_apply:
        assert not finds, env
    if LINUX:  # the environment is all httpx reads: only a proxy variable makes it ask httpx
        assert may_apply == any(
            value and name.lower() in ("http_proxy", "https_proxy", "all_proxy")
            for name, value in env.items()
        )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"NO_PROXY": "*", "no_proxy": "localhost"}, False),
        ({"FTP_PROXY": "proxy.example:21", "TRAVIS_APT_PROXY": "x"}, False),
        ({"HTTP_PROXY": ""}, False),
        ({"HTTPS_PROXY": "proxy.example:3128"}, True),
        ({"all_proxy": "http://127.0.0.1:3128"}, True),
        ({"Http_Proxy": "proxy.example:3128"}, True),
    ],
)
def test_the_proxy_variables(env: dict[str, str], expected: bool) -> None:
    with mock.patch.dict(os.environ, env, clear=True):
        assert proxy_may_apply() is (expected or not LINUX)
        if expected:
            assert _httpx_finds_a_proxy()
            client = httpx.Client()
            try:
                assert client._mounts  # httpx mounted a proxy transport
            finally:
                client.close()
