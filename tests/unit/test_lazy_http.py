"""What is made on first use instead of with the client: the SDK's httpx client, and the
``httpx.Request`` of a realtime connection error. Threads racing to the first use get one."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from trigger_client import APIConnectionError, APITimeoutError, TriggerClient
from trigger_client._backends import SyncBackend
from trigger_client._exceptions import of_get_request


def _race(n: int, fn: object) -> list[object]:
    barrier = threading.Barrier(n)
    got: list[object] = []

    def run() -> None:
        barrier.wait()
        got.append(fn())  # type: ignore[operator]

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return got


def test_threads_racing_the_first_rest_call_get_one_httpx_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[httpx.Client] = []
    real = SyncBackend.default_http_client

    def slow(timeout: httpx.Timeout) -> httpx.Client:
        time.sleep(0.05)  # wide open for a second thread
        client = real(timeout)
        made.append(client)
        return client

    monkeypatch.setattr(SyncBackend, "default_http_client", staticmethod(slow))
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    client = TriggerClient(access_token="tr_dev_x", base_url="http://x.invalid", timeout=7)
    assert made == []  # not with the client
    got = _race(8, lambda: client._transport.http_client)
    assert len(made) == 1 and len(got) == 8 and all(c is made[0] for c in got)
    assert made[0].timeout == httpx.Timeout(7.0, connect=7.0)  # the client's timeout= applies
    copy = client.with_options(max_retries=0)
    assert copy._transport.http_client is made[0]  # copies share it
    client.close()
    assert made[0].is_closed


def test_a_closed_client_makes_no_httpx_client(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    client = TriggerClient(access_token="tr_dev_x", base_url="http://x.invalid")
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        client._transport.http_client  # noqa: B018


def test_a_proxy_variable_makes_the_httpx_client_with_the_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx reads the proxies when its client is made: with a proxy variable set, as before."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = TriggerClient(access_token="tr_dev_x", base_url="https://x.invalid")
    try:
        assert client._transport.http_stack._http_client is not None
        assert client._transport.http_stack._http_client._mounts  # httpx mounted the proxy
    finally:
        client.close()


@pytest.mark.parametrize("kind", [APIConnectionError, APITimeoutError])
def test_a_realtime_error_makes_its_request_once_when_read(kind: type[APIConnectionError]) -> None:
    error = of_get_request(
        kind("Connection error: ReadError"), "http://x.invalid/realtime/v1/runs/r"
    )
    assert error._request is None  # nothing made yet
    got = _race(8, lambda: error.request)
    request = got[0]
    assert isinstance(request, httpx.Request)
    assert all(r is request for r in got) and error.request is request
    assert (request.method, str(request.url)) == ("GET", "http://x.invalid/realtime/v1/runs/r")
    replacement = httpx.Request("GET", "http://y.invalid/")
    error.request = replacement
    assert error.request is replacement
    error.request = None
    assert error.request is None
    assert kind("x").request is None


@pytest.mark.parametrize("library", ["httpx", "httpcore"])
def test_the_user_agent_names_the_library_and_the_python(library: str) -> None:
    import platform

    import httpcore

    from trigger_client import __version__
    from trigger_client._config import user_agent

    version = {"httpx": httpx.__version__, "httpcore": httpcore.__version__}[library]
    assert user_agent(library) == (
        f"trigger-client-python/{__version__} {library}/{version} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )
