"""Each realtime subscription's own connection: reuse, compression, servers closing idle
connections, proxies from the environment, and cleanup; over real loopback HTTP through a relay."""

from __future__ import annotations

import logging

import pytest

from tests._relay import relay_to
from trigger_client import AsyncTriggerClient, ClientClosedError, RunStatus
from trigger_client._async._realtime_senders import AsyncHttpcoreSender
from trigger_client._backends import AsyncBackend
from trigger_client._protocol.shape_http import BaseUrl, ShapeHttpRequest
from trigger_client.testing import TriggerEmulator

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_sockets")]

SUCCESS = [RunStatus.QUEUED, RunStatus.EXECUTING, RunStatus.EXECUTING, RunStatus.COMPLETED]


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


async def test_one_connection_serves_every_long_poll_of_a_subscription(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url) as relay:
        async with AsyncTriggerClient(
            base_url=relay.url, access_token=emulator.secret_key
        ) as client:
            assert await _follow(client, emulator, run_id) == SUCCESS
        assert len(relay.realtime_requests()) >= 3
        assert relay.connections == 1


async def test_a_base_url_with_a_path_keeps_its_path(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url, prefix="/trigger") as relay:
        async with AsyncTriggerClient(
            base_url=relay.url + "/trigger/", access_token=emulator.secret_key
        ) as client:
            assert await _follow(client, emulator, run_id) == SUCCESS
        assert all(path.startswith("/trigger/realtime/") for path, _ in relay.realtime_requests())


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_answers_are_decoded(emulator: TriggerEmulator, encoding: str) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url, encoding=encoding) as relay:
        async with AsyncTriggerClient(
            base_url=relay.url, access_token=emulator.secret_key
        ) as client:
            assert await _follow(client, emulator, run_id) == SUCCESS
        requests = relay.realtime_requests()
        assert requests and all(encoding in h["accept-encoding"] for _, h in requests)


async def test_a_connection_the_server_closed_is_replaced_without_backoff(
    emulator: TriggerEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url, close_each=True) as relay:
        async with AsyncTriggerClient(
            base_url=relay.url, access_token=emulator.secret_key
        ) as client:
            with caplog.at_level(logging.DEBUG, logger="trigger_client"):
                assert await _follow(client, emulator, run_id) == SUCCESS
        requests = relay.realtime_requests()
        assert relay.connections == len(requests) >= 3
    # a closed idle connection is not a failure: nothing was retried with backoff
    assert not [r for r in caplog.records if "reconnecting in" in r.getMessage()]


async def test_a_proxy_from_the_environment_is_used(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url) as proxy:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with AsyncTriggerClient(
            base_url=emulator.base_url, access_token=emulator.secret_key
        ) as client:
            assert await _follow(client, emulator, run_id) == SUCCESS
        requests = proxy.realtime_requests()
        assert len(requests) >= 3
        assert all(path.startswith(emulator.base_url + "/realtime/") for path, _ in requests)


async def test_a_dropped_subscription_holds_no_connection(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    async with AsyncTriggerClient(
        base_url=emulator.base_url, access_token=emulator.secret_key
    ) as client:
        for _ in range(3):
            async for run in client.runs.subscribe_to_run(run_id, timeout=30):
                assert run.status == RunStatus.QUEUED
                break  # dropped: never closed, never finished
        connections = client._transport.realtime_sender()
        assert isinstance(connections, AsyncHttpcoreSender)
        # each dropped subscription gave its connection back; the next one reused it
        assert (connections.busy_count, connections.idle_count) == (0, 1)
    assert (connections.busy_count, connections.idle_count) == (0, 0)


async def test_a_subscription_of_a_closed_client_fails_at_once(emulator: TriggerEmulator) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    client = AsyncTriggerClient(base_url=emulator.base_url, access_token=emulator.secret_key)
    subscription = client.runs.subscribe_to_run(run_id, timeout=30)
    await subscription.__anext__()
    connections = client._transport.realtime_sender()
    assert isinstance(connections, AsyncHttpcoreSender)
    await client.aclose()
    assert (connections.busy_count, connections.idle_count) == (0, 0)
    with pytest.raises(ClientClosedError):
        await subscription.__anext__()


async def test_an_idle_connection_is_kept_for_its_keep_alive_expiry_only(
    emulator: TriggerEmulator,
) -> None:
    run_id = emulator.create_run("report", {"n": 1})
    with relay_to(emulator.base_url) as relay:
        base = BaseUrl(relay.url)
        request = ShapeHttpRequest(
            base,
            base.target(f"/realtime/v1/runs/{run_id}", [("offset", "-1"), ("log", "full")]),
            [(b"authorization", f"Bearer {emulator.secret_key}".encode())],
            {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0},
        )
        connections = AsyncHttpcoreSender(base, None, keepalive_expiry=0.5)
        try:
            for _ in range(2):  # back to back: the kept-alive connection is reused
                assert (await connections.send(request)).status_code == 200
            assert (relay.connections, connections.idle_count) == (1, 1)
            await AsyncBackend.sleep(
                0.8
            )  # past its expiry: closed, and the next request opens another
            assert (await connections.send(request)).status_code == 200
            assert (relay.connections, connections.idle_count, connections.busy_count) == (2, 1, 0)
        finally:
            await connections.aclose()
        assert (connections.idle_count, connections.busy_count) == (0, 0)
