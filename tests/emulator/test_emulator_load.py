"""Holding 2,000 concurrent live long-polls, all answered when one change commits.

The requests are spread over several ``httpx.AsyncClient`` pools of 50 connections: httpcore's
pool reassigns requests to connections in O(connections x waiting requests) on every release, so
a single pool with 2,000 requests in flight spends about a minute draining after the commit
(measured: 800 requests -> 53 million ``is_idle`` calls). That is a property of the client, not of
the server, which answers all 2,000 within a fraction of a second (checked below from the log).
"""

from __future__ import annotations

import asyncio
import ssl
import time

import httpx

from trigger_client.testing import TriggerEmulator

from .conftest import Feed

CONNECTIONS = 2000
PER_CLIENT = 50


async def _hold_and_release(emu: TriggerEmulator, feed: Feed, run_id: str) -> dict[str, float]:
    params = {
        "offset": feed.offset,
        "handle": feed.handle or "",
        "live": "true",
        "cursor": feed.cursor or "",
    }
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(120, connect=60, pool=None)
    context = ssl.create_default_context()  # shared: one context per client costs ~20 ms
    clients = [
        httpx.AsyncClient(
            base_url=feed.http.base_url,
            headers=dict(feed.http.headers),
            limits=limits,
            timeout=timeout,
            verify=context,
        )
        for _ in range(CONNECTIONS // PER_CLIENT)
    ]
    try:
        started = time.monotonic()
        tasks = [
            asyncio.create_task(clients[i // PER_CLIENT].get(feed.path, params=params))
            for i in range(CONNECTIONS)
        ]
        deadline = time.monotonic() + 90
        while emu.live_request_count < CONNECTIONS:
            assert time.monotonic() < deadline, f"only {emu.live_request_count} held"
            assert not any(t.done() for t in tasks), "a live request returned early"
            await asyncio.sleep(0.05)
        held = time.monotonic()
        emu.start_attempt(run_id)
        responses = await asyncio.gather(*tasks)
        answered = time.monotonic()
    finally:
        for client in clients:
            await client.aclose()
    assert all(r.status_code == 200 for r in responses)
    assert all(r.json()[0]["value"]["status"] == "EXECUTING" for r in responses)
    live = [r for r in emu.requests if r.live and r.duration is not None]
    server_done = max(r.time + (r.duration or 0) for r in live) - held
    return {"open": held - started, "server": server_done, "client": answered - held}


def test_two_thousand_concurrent_live_requests() -> None:
    with TriggerEmulator(long_poll_ms=120_000) as emu:
        run_id = emu.create_run("t")
        with Feed(emu, f"/realtime/v1/runs/{run_id}") as feed:
            feed.sync()
            timings = asyncio.run(_hold_and_release(emu, feed, run_id))
        print(
            f"\n{CONNECTIONS} live requests held after {timings['open']:.2f} s; after the commit "
            f"the server answered all in {timings['server']:.2f} s, the clients had all "
            f"responses in {timings['client']:.2f} s"
        )
        assert timings["server"] < 10
        assert emu.live_request_count == 0
