# Generated from tests/_async/test_base_urls.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""IPv6 literals, base URLs with a path prefix, explicit ports and no port (the scheme's default),
end to end against the emulator (listening on ``::1`` for IPv6, on port 80 for a URL without a
port), over the SDK's own connections and through an ``http_client``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests._default_port import emulator_on_default_port
from tests._relay import relay_to
from trigger_client import NotFoundError, RunStatus, TriggerClient, TriggerError
from trigger_client._sync._realtime_senders import HttpcoreSender, HttpxSender
from trigger_client.testing import TriggerEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_sockets")]

SUCCESS = [RunStatus.QUEUED, RunStatus.EXECUTING, RunStatus.EXECUTING, RunStatus.COMPLETED]


@pytest.fixture(scope="module")
def ipv6_emulator() -> Iterator[TriggerEmulator]:
    with TriggerEmulator(host="::1", long_poll_ms=3000) as emu:
        yield emu


def _follow(client: TriggerClient, emulator: TriggerEmulator, run_id: str) -> list[RunStatus]:
    statuses: list[RunStatus] = []
    playback = None
    for run in client.runs.subscribe_to_run(run_id, timeout=30):
        statuses.append(run.status)
        if playback is None:
            playback = emulator.start_play(run_id, "success", interval=0.3)
    assert playback is not None
    playback.wait()
    return statuses


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
def test_an_ipv6_base_url(ipv6_emulator: TriggerEmulator, yours: bool) -> None:
    emu = ipv6_emulator
    assert emu.base_url.startswith("http://[::1]:")
    run_id = emu.create_run("report", {"n": 1})
    with httpx.Client() as http:
        with TriggerClient(
            base_url=emu.base_url, access_token=emu.secret_key, http_client=http if yours else None
        ) as client:
            assert _follow(client, emu, run_id) == SUCCESS
            assert (client.runs.retrieve(run_id)).status == RunStatus.COMPLETED
    realtime = [r for r in emu.requests if r.path == f"/realtime/v1/runs/{run_id}"]
    assert len(realtime) >= 3


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
def test_a_failed_realtime_answer_over_ipv6_is_a_trigger_error(
    ipv6_emulator: TriggerEmulator, yours: bool
) -> None:
    emu = ipv6_emulator
    with httpx.Client() as http:
        with TriggerClient(
            base_url=emu.base_url, access_token=emu.secret_key, http_client=http if yours else None
        ) as client:
            with pytest.raises(NotFoundError) as caught:
                for _ in client.runs.subscribe_to_run("run_doesnotexist", timeout=10):
                    pytest.fail("a run that does not exist came through")
    assert isinstance(caught.value, TriggerError)
    assert caught.value.status_code == 404
    assert str(caught.value.response.request.url).startswith(emu.base_url + "/realtime/v1/runs/")


def test_an_ipv6_base_url_with_a_path_prefix_sends_the_bracketed_host(
    ipv6_emulator: TriggerEmulator,
) -> None:
    emu = ipv6_emulator
    run_id = emu.create_run("report", {"n": 1})
    with relay_to(emu.base_url, prefix="/api/trigger", host="::1") as relay:
        port = int(relay.url.rsplit(":", 1)[1])
        with TriggerClient(
            base_url=relay.url + "/api/trigger/", access_token=emu.secret_key
        ) as client:
            assert _follow(client, emu, run_id) == SUCCESS
        requests = relay.realtime_requests()
    assert len(requests) >= 3
    assert all(path.startswith("/api/trigger/realtime/v1/runs/") for path, _ in requests)
    assert {headers["host"] for _, headers in requests} == {f"[::1]:{port}"}


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
def test_an_explicit_port_is_in_the_host_header(emulator: TriggerEmulator, yours: bool) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url) as relay:
        port = int(relay.url.rsplit(":", 1)[1])
        with httpx.Client() as http:
            with TriggerClient(
                base_url=relay.url,
                access_token=emulator.secret_key,
                http_client=http if yours else None,
            ) as client:
                assert _follow(client, emulator, run_id) == SUCCESS
        requests = relay.realtime_requests()
    assert len(requests) >= 3
    assert {headers["host"] for _, headers in requests} == {f"127.0.0.1:{port}"}


@pytest.fixture(scope="module", params=["localhost", "[::1]"])
def default_port_emulator(request: pytest.FixtureRequest) -> Iterator[tuple[TriggerEmulator, str]]:
    """The emulator on port 80 and a base URL naming no port: ``http://localhost`` (the emulator
    on 127.0.0.1, what localhost names here) or ``http://[::1]``."""
    host: str = request.param
    with emulator_on_default_port("::1" if host == "[::1]" else "127.0.0.1") as emu:
        yield emu, f"http://{host}"


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
def test_a_base_url_without_a_port_uses_port_80_and_sends_the_bare_host(
    default_port_emulator: tuple[TriggerEmulator, str],
    yours: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu, base_url = default_port_emulator
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # the SDK's own connections, if own
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    run_id = emu.create_run("report", {"n": 1})
    with httpx.Client(trust_env=False) as http:
        with TriggerClient(
            base_url=base_url, access_token=emu.secret_key, http_client=http if yours else None
        ) as client:
            sender = client._transport.realtime_sender()
            assert isinstance(sender, HttpxSender if yours else HttpcoreSender)
            assert _follow(client, emu, run_id) == SUCCESS
            assert (client.runs.retrieve(run_id)).status == RunStatus.COMPLETED
    host = base_url.removeprefix("http://")
    realtime = [r for r in emu.requests if r.path == f"/realtime/v1/runs/{run_id}"]
    rest = [r for r in emu.requests if r.path == f"/api/v3/runs/{run_id}"]
    assert len(realtime) >= 3
    assert len(rest) == 1
    assert {r.headers.get("host") for r in realtime + rest} == {host}  # no ":80"
