"""respx (``respx.mock``) intercepts realtime requests as it does REST calls, with and without an
``http_client`` of yours, sync and async; with an ``http_client``, its event hooks see them all."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from tests.unit.test_protocol_runs import SCHEMA, wire_row
from trigger_client import AsyncTriggerClient, RunStatus, TriggerClient
from trigger_client._async._realtime_senders import AsyncHttpcoreSender
from trigger_client._sync._realtime_senders import HttpcoreSender

BASE_URL = "https://api.trigger.dev"
RUN_ID = "run_cm9x0abc000008l5s2k1d3f7q"
REALTIME = f"{BASE_URL}/realtime/v1/runs/{RUN_ID}"
KEY = "tr_dev_respx"


def _shape_answer(request: httpx.Request) -> httpx.Response:
    """A finished run in two realtime answers: the snapshot, then up-to-date."""
    assert request.headers["authorization"] == f"Bearer {KEY}"
    offset = request.url.params["offset"]
    headers = {
        "electric-handle": "h1",
        "electric-schema": json.dumps(SCHEMA),
        "content-type": "application/json",
    }
    if offset == "-1":
        body = [
            {
                "key": '"public"."TaskRun"/"1"',
                "value": wire_row(),
                "headers": {"operation": "insert"},
            }
        ]
        return httpx.Response(200, headers={**headers, "electric-offset": "0_0"}, json=body)
    assert offset == "0_0"
    body = [{"headers": {"control": "up-to-date"}}]
    return httpx.Response(200, headers={**headers, "electric-offset": "0_0"}, json=body)


def _routes(mock: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    realtime = mock.get(REALTIME).mock(side_effect=_shape_answer)
    rest = mock.get(f"{BASE_URL}/api/v3/runs/{RUN_ID}").mock(
        return_value=httpx.Response(404, json={"error": "Run not found"})
    )
    return realtime, rest


def test_respx_intercepts_realtime_requests_sync() -> None:
    with respx.mock(assert_all_called=False) as mock:
        realtime, _ = _routes(mock)
        with TriggerClient(base_url=BASE_URL, access_token=KEY) as client:
            runs = list(client.runs.subscribe_to_run(RUN_ID, timeout=10))
            assert isinstance(client._transport.realtime_sender(), HttpcoreSender)
    assert [run.status for run in runs] == [RunStatus.COMPLETED]
    assert runs[0].id == RUN_ID
    assert realtime.call_count == 2


@pytest.mark.anyio
async def test_respx_intercepts_realtime_requests_async() -> None:
    with respx.mock(assert_all_called=False) as mock:
        realtime, _ = _routes(mock)
        async with AsyncTriggerClient(base_url=BASE_URL, access_token=KEY) as client:
            runs = [run async for run in client.runs.subscribe_to_run(RUN_ID, timeout=10)]
            assert isinstance(client._transport.realtime_sender(), AsyncHttpcoreSender)
    assert [run.status for run in runs] == [RunStatus.COMPLETED]
    assert realtime.call_count == 2


def test_respx_and_event_hooks_see_realtime_requests_of_your_http_client_sync() -> None:
    seen: list[str] = []
    with respx.mock(assert_all_called=False) as mock:
        realtime, _ = _routes(mock)
        with httpx.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]}) as http:
            with TriggerClient(base_url=BASE_URL, access_token=KEY, http_client=http) as client:
                runs = list(client.runs.subscribe_to_run(RUN_ID, timeout=10))
    assert [run.status for run in runs] == [RunStatus.COMPLETED]
    assert realtime.call_count == 2
    assert seen == [f"/realtime/v1/runs/{RUN_ID}"] * 2


@pytest.mark.anyio
async def test_respx_and_event_hooks_see_realtime_requests_of_your_http_client_async() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    with respx.mock(assert_all_called=False) as mock:
        realtime, _ = _routes(mock)
        async with httpx.AsyncClient(event_hooks={"request": [hook]}) as http:
            async with AsyncTriggerClient(
                base_url=BASE_URL, access_token=KEY, http_client=http
            ) as client:
                runs = [run async for run in client.runs.subscribe_to_run(RUN_ID, timeout=10)]
    assert [run.status for run in runs] == [RunStatus.COMPLETED]
    assert realtime.call_count == 2
    assert seen == [f"/realtime/v1/runs/{RUN_ID}"] * 2


def test_an_unmocked_realtime_request_never_reaches_the_network() -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{BASE_URL}/api/v3/runs/{RUN_ID}").mock(return_value=httpx.Response(404))
        with TriggerClient(base_url=BASE_URL, access_token=KEY) as client:
            with pytest.raises(respx.models.AllMockedAssertionError):
                next(client.runs.subscribe_to_run(RUN_ID, timeout=5))
