"""IPv6 literals, base URLs with a path prefix and explicit ports, end to end against the emulator
(listening on ``::1`` for IPv6), over the SDK's own connections and through an ``http_client``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests._relay import relay_to
from trigger_client import AsyncTriggerClient, NotFoundError, RunStatus, TriggerError
from trigger_client.testing import TriggerEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_sockets")]

SUCCESS = [RunStatus.QUEUED, RunStatus.EXECUTING, RunStatus.EXECUTING, RunStatus.COMPLETED]


@pytest.fixture(scope="module")
def ipv6_emulator() -> Iterator[TriggerEmulator]:
    with TriggerEmulator(host="::1", long_poll_ms=3000) as emu:
        yield emu


async def _follow(
    client: AsyncTriggerClient, emulator: TriggerEmulator, run_id: str
) -> list[RunStatus]:
    statuses: list[RunStatus] = []
    playback = None
    async for run in client.runs.subscribe_to_run(run_id, timeout=30):
        statuses.append(run.status)
        if playback is None:
            playback = emulator.start_play(run_id, "success", interval=0.3)
    assert playback is not None
    playback.wait()
    return statuses


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
async def test_an_ipv6_base_url(ipv6_emulator: TriggerEmulator, yours: bool) -> None:
    emu = ipv6_emulator
    assert emu.base_url.startswith("http://[::1]:")
    run_id = emu.create_run("report", {"n": 1})
    async with httpx.AsyncClient() as http:
        async with AsyncTriggerClient(
            base_url=emu.base_url, access_token=emu.secret_key, http_client=http if yours else None
        ) as client:
            assert await _follow(client, emu, run_id) == SUCCESS
            assert (await client.runs.retrieve(run_id)).status == RunStatus.COMPLETED
    realtime = [r for r in emu.requests if r.path == f"/realtime/v1/runs/{run_id}"]
    assert len(realtime) >= 3


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
async def test_a_failed_realtime_answer_over_ipv6_is_a_trigger_error(
    ipv6_emulator: TriggerEmulator, yours: bool
) -> None:
    emu = ipv6_emulator
    async with httpx.AsyncClient() as http:
        async with AsyncTriggerClient(
            base_url=emu.base_url, access_token=emu.secret_key, http_client=http if yours else None
        ) as client:
            with pytest.raises(NotFoundError) as caught:
                async for _ in client.runs.subscribe_to_run("run_doesnotexist", timeout=10):
                    pytest.fail("a run that does not exist came through")
    assert isinstance(caught.value, TriggerError)
    assert caught.value.status_code == 404
    assert str(caught.value.response.request.url).startswith(emu.base_url + "/realtime/v1/runs/")


async def test_an_ipv6_base_url_with_a_path_prefix_sends_the_bracketed_host(
    ipv6_emulator: TriggerEmulator,
) -> None:
    emu = ipv6_emulator
    run_id = emu.create_run("report", {"n": 1})
    with relay_to(emu.base_url, prefix="/api/trigger", host="::1") as relay:
        port = int(relay.url.rsplit(":", 1)[1])
        async with AsyncTriggerClient(
            base_url=relay.url + "/api/trigger/", access_token=emu.secret_key
        ) as client:
            assert await _follow(client, emu, run_id) == SUCCESS
        requests = relay.realtime_requests()
    assert len(requests) >= 3
    assert all(path.startswith("/api/trigger/realtime/v1/runs/") for path, _ in requests)
    assert {headers["host"] for _, headers in requests} == {f"[::1]:{port}"}


@pytest.mark.parametrize("yours", [False, True], ids=["own", "http_client"])
async def test_an_explicit_port_is_in_the_host_header(
    emulator: TriggerEmulator, yours: bool
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url) as relay:
        port = int(relay.url.rsplit(":", 1)[1])
        async with httpx.AsyncClient() as http:
            async with AsyncTriggerClient(
                base_url=relay.url,
                access_token=emulator.secret_key,
                http_client=http if yours else None,
            ) as client:
                assert await _follow(client, emulator, run_id) == SUCCESS
        requests = relay.realtime_requests()
    assert len(requests) >= 3
    assert {headers["host"] for _, headers in requests} == {f"127.0.0.1:{port}"}
