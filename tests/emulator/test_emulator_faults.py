"""Every fault rule, and the request log."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from trigger_client.testing import TriggerEmulator, faults, token_fingerprint

from .conftest import Feed, FeedFactory, auth


def shape_path(emu: TriggerEmulator) -> str:
    return f"/realtime/v1/runs/{emu.create_run('t')}"


def test_status_with_retry_after_then_normal(emu: TriggerEmulator, client: httpx.Client) -> None:
    path = shape_path(emu)
    rule = emu.inject("/realtime/v1/runs/*", faults.status(503, retry_after=2), times=2)
    responses = [client.get(path, params={"offset": "-1"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 200]
    assert responses[0].headers["retry-after"] == "2"
    assert responses[0].text == "Network error occurred"
    assert rule.hits == 2 and rule.exhausted
    log = emu.requests
    assert [(r.status, r.fault) for r in log] == [(503, "status"), (503, "status"), (200, None)]


@pytest.mark.parametrize(
    ("code", "body", "content_type"),
    [
        (409, [{"headers": {"control": "must-refetch"}}], "application/json"),
        (429, {"error": "Too many concurrent requests"}, "application/json"),
        (500, {"error": "Internal Server Error"}, "application/json"),
    ],
)
def test_default_bodies(
    emu: TriggerEmulator, client: httpx.Client, code: int, body: object, content_type: str
) -> None:
    emu.inject("*", faults.status(code))
    response = client.get("/api/v1/runs")
    assert response.status_code == code
    assert response.headers["content-type"] == content_type
    assert response.json() == body


def test_custom_body_and_headers(emu: TriggerEmulator, client: httpx.Client) -> None:
    emu.inject("/api/*", faults.status(502, body={"oops": 1}, headers={"x-extra": "1"}))
    response = client.get("/api/v1/runs")
    assert response.status_code == 502 and response.json() == {"oops": 1}
    assert response.headers["x-extra"] == "1"


def test_drop_connection_mid_body(emu: TriggerEmulator, client: httpx.Client) -> None:
    path = shape_path(emu)
    emu.inject(path, faults.drop_connection())
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(path, params={"offset": "-1"})
    assert emu.requests[-1].status == 200  # the status line and headers were sent
    assert client.get(path, params={"offset": "-1"}).status_code == 200


def test_drop_connection_on_live_requests(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    emu.inject("/realtime/*", faults.drop_connection(after_bytes=5), query={"live": "true"})
    emu.start_attempt(run_id)
    with pytest.raises(httpx.RemoteProtocolError):
        feed.request()
    assert feed.step()[0]["value"]["status"] == "EXECUTING"  # the retry gets the change


def test_delay_and_slow_body(emu: TriggerEmulator, client: httpx.Client) -> None:
    emu.inject("/healthcheck", faults.delay(0.3))
    started = time.monotonic()
    assert client.get("/healthcheck").text == "OK"
    assert time.monotonic() - started >= 0.3
    emu.inject("/healthcheck", faults.slow_body(0.4))
    started = time.monotonic()
    with client.stream("GET", "/healthcheck") as response:
        headers_after = time.monotonic() - started
        body = response.read()
    assert headers_after < 0.3 and time.monotonic() - started >= 0.4 and body == b"OK"


def test_stale_handle_after_rotation(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    old = feed.handle
    emu.rotate_shapes()
    assert feed.step() == [{"headers": {"control": "must-refetch"}}]
    emu.inject(feed.path, faults.stale_handle())
    stale = feed.http.get(
        feed.path, params={"offset": "-1", "handle": feed.handle or "", "expired_handle": old or ""}
    )
    assert stale.status_code == 200
    assert stale.headers["electric-handle"] == old  # a cached response from the old shape
    assert "electric-schema" in stale.headers and isinstance(stale.json(), list)
    fresh = feed.http.get(feed.path, params={"offset": "-1", "handle": feed.handle or ""})
    assert fresh.headers["electric-handle"] != old


def test_stale_handle_without_prior_rotation(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    current = feed.handle
    emu.inject(feed.path, faults.stale_handle())
    stale = feed.request()
    assert stale.status_code == 200 and stale.headers["electric-handle"] == current
    # That handle has now expired: the next real request with it is a 409.
    assert feed.request().status_code == 409


def test_non_array_body(emu: TriggerEmulator, client: httpx.Client) -> None:
    path = shape_path(emu)
    emu.inject(path, faults.non_array_body())
    response = client.get(path, params={"offset": "-1"})
    assert response.status_code == 200 and response.json() == {"message": "not an array"}
    assert "electric-handle" in response.headers and "electric-schema" in response.headers
    emu.inject(path, faults.non_array_body(b""))
    assert client.get(path, params={"offset": "-1"}).content == b""


def test_missing_header(emu: TriggerEmulator, client: httpx.Client) -> None:
    path = shape_path(emu)
    emu.inject(path, faults.missing_header("electric-offset", "Electric-Schema"))
    response = client.get(path, params={"offset": "-1"})
    assert response.status_code == 200
    assert "electric-offset" not in response.headers and "electric-schema" not in response.headers
    assert "electric-handle" in response.headers


def test_must_refetch(emu: TriggerEmulator, feed_factory: FeedFactory) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    old = feed.handle
    emu.inject(feed.path, faults.must_refetch())
    response = feed.request()
    assert response.status_code == 409
    new = response.headers["electric-handle"]
    assert new != old
    assert (
        feed.http.get(feed.path, params={"offset": "0_inf", "handle": old or ""}).status_code == 409
    )
    emu.inject(feed.path, faults.must_refetch(without_handle=True))
    bare = feed.request()
    assert bare.status_code == 409 and "electric-handle" not in bare.headers
    assert bare.json() == [{"headers": {"control": "must-refetch"}}]


def test_realtime_faults_on_rest_paths_and_native(
    emu: TriggerEmulator, client: httpx.Client
) -> None:
    emu.inject("/api/v1/runs", faults.must_refetch())
    response = client.get("/api/v1/runs")
    assert response.status_code == 409
    with TriggerEmulator(backend="native", long_poll_ms=300) as native:
        path = shape_path(native)
        with httpx.Client(base_url=native.base_url, headers=auth(native.secret_key)) as c:
            native.inject(path, faults.must_refetch())
            assert c.get(path, params={"offset": "-1"}).status_code == 409
            first = c.get(path, params={"offset": "-1"})
            native.inject(path, faults.stale_handle())
            replay = c.get(path, params={"offset": "-1"})
            assert replay.headers["electric-offset"] == first.headers["electric-offset"]


def test_rule_matching(
    emu: TriggerEmulator, client: httpx.Client, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    only_live = emu.inject("/realtime/*", faults.status(500), query={"live": "true"}, times=None)
    feed.sync()  # non-live requests pass
    assert feed.request().status_code == 500
    assert feed.request().status_code == 500
    emu.faults.remove(only_live)
    emu.start_attempt(run_id)
    assert feed.request().status_code == 200
    skip = emu.inject(re.compile(r"^/api/v\d/runs$"), faults.status(503), skip=1, method="GET")
    statuses = [client.get("/api/v1/runs").status_code for _ in range(3)]
    assert statuses == [200, 503, 200] and skip.hits == 1
    emu.inject("/api/v1/runs", faults.status(503), method="POST")
    assert client.get("/api/v1/runs").status_code == 200
    emu.faults.clear()
    assert emu.faults.rules == []


def test_request_log(emu: TriggerEmulator, client: httpx.Client) -> None:
    run_id = emu.create_run("t")
    token = emu.create_token(["read:runs"])
    client.get(f"/realtime/v1/runs/{run_id}", params={"offset": "-1", "skipColumns": "payload"})
    httpx.get(f"{emu.base_url}/api/v3/runs/{run_id}", headers={"Authorization": f"Bearer {token}"})
    first, second = emu.requests
    assert first.method == "GET" and first.path == f"/realtime/v1/runs/{run_id}"
    assert first.query == {"offset": "-1", "skipColumns": "payload"} and not first.live
    assert first.status == 200 and first.done and first.duration is not None
    assert emu.secret_key not in first.headers["authorization"]
    assert first.token_fingerprint == token_fingerprint(emu.secret_key)
    assert second.token_fingerprint == token_fingerprint(token)
    assert token not in str(second.headers)
    assert first.time <= second.time
    emu.clear_requests()
    assert emu.requests == []
    with pytest.raises(TimeoutError):
        emu.wait_for_requests("/nothing", timeout=0.05)


def test_request_log_shows_backoff_intervals(emu: TriggerEmulator, client: httpx.Client) -> None:
    emu.inject("/healthcheck", faults.status(503), times=3)
    for pause in (0.0, 0.05, 0.1, 0.0):
        time.sleep(pause)
        client.get("/healthcheck")
    times = [r.time for r in emu.requests]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1


def test_native_stale_handle_replays_a_live_answer_with_its_cursor(
    native: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = native.create_run("t")
    feed: Feed = feed_factory(native, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    snapshot = feed.responses[-1]
    # No live answer yet: the snapshot comes back as a live answer, with the cursor of its seq.
    native.inject(feed.path, faults.stale_handle(), query={"live": "true"})
    replay = feed.request()
    assert replay.status_code == 200 and replay.content == snapshot.content
    seq = snapshot.headers["electric-offset"].rpartition("_")[2]
    assert replay.headers["electric-cursor"] == seq
    assert replay.headers["electric-offset"] == snapshot.headers["electric-offset"]
    assert "electric-schema" not in replay.headers
    native.start_attempt(run_id)
    live = feed.request()
    assert live.status_code == 200 and "electric-cursor" in live.headers
    native.inject(feed.path, faults.stale_handle(), query={"live": "true"})
    cached = feed.request()
    assert cached.content == live.content
    assert cached.headers["electric-cursor"] == live.headers["electric-cursor"]
    assert cached.headers["electric-offset"] == live.headers["electric-offset"]
    # A non-live request is answered from the snapshot, not from the live answer.
    native.inject(feed.path, faults.stale_handle(), query={"offset": "-1"})
    again = feed.http.get(feed.path, params={"offset": "-1"})
    assert again.content == snapshot.content and "electric-cursor" not in again.headers
    assert again.headers["electric-schema"] == snapshot.headers["electric-schema"]


def test_native_stale_handle_for_a_non_live_request_after_only_live_answers(
    native: TriggerEmulator, client: httpx.Client
) -> None:
    run_id = native.create_run("t")
    path = f"/realtime/v1/runs/{run_id}"
    with httpx.Client(base_url=native.base_url, headers=auth(native.secret_key)) as c:
        handle = f"run-{run_id.removeprefix('run_')}"
        live = c.get(path, params={"offset": "0_0", "handle": handle, "live": "true"})
        assert "electric-cursor" in live.headers
        native.inject(path, faults.stale_handle())
        replay = c.get(path, params={"offset": "-1"})
    assert replay.content == live.content
    assert "electric-cursor" not in replay.headers and "electric-schema" in replay.headers


def test_must_refetch_rotating_without_a_handle(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    old = feed.handle
    emu.inject(feed.path, faults.must_refetch(without_handle=True, rotate=True))
    assert feed.step() == [{"headers": {"control": "must-refetch"}}]
    conflict = feed.responses[-1]
    assert conflict.status_code == 409 and "electric-handle" not in conflict.headers
    assert (feed.handle, feed.offset) == (None, "-1")
    # The shape did rotate: the old handle is expired, and a request with it names the new one.
    stale = feed.http.get(feed.path, params={"offset": "0_inf", "handle": old or ""})
    assert stale.status_code == 409
    new = stale.headers["electric-handle"]
    assert new != old
    # The client resyncs from scratch (no handle) and discovers the new handle.
    feed.sync()
    assert feed.handle == new
    emu.start_attempt(run_id)
    assert feed.step()[0]["value"]["status"] == "EXECUTING"


def test_must_refetch_without_rotation_names_the_current_handle(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    current = feed.handle
    emu.inject(feed.path, faults.must_refetch(rotate=False))
    conflict = feed.request()
    assert conflict.status_code == 409 and conflict.headers["electric-handle"] == current
    emu.inject(feed.path, faults.must_refetch(without_handle=True))  # bare, no rotation
    feed.step()
    assert (feed.responses[-1].status_code, feed.handle) == (409, None)
    feed.sync()
    assert feed.handle == current  # the shape lived on
    assert faults.must_refetch().rotate and not faults.must_refetch(without_handle=True).rotate


def test_must_refetch_rotating_without_a_handle_on_native(native: TriggerEmulator) -> None:
    path = shape_path(native)
    with httpx.Client(base_url=native.base_url, headers=auth(native.secret_key)) as c:
        native.inject(path, faults.must_refetch(without_handle=True, rotate=True))
        conflict = c.get(path, params={"offset": "-1"})
        assert conflict.status_code == 409 and "electric-handle" not in conflict.headers
        assert c.get(path, params={"offset": "-1"}).status_code == 200


def test_request_log_records_response_headers(
    emu: TriggerEmulator, feed_factory: FeedFactory
) -> None:
    run_id = emu.create_run("t")
    feed: Feed = feed_factory(emu, f"/realtime/v1/runs/{run_id}")
    feed.sync()
    emu.start_attempt(run_id)
    feed.step()
    log = emu.requests
    snapshot, live = log[0], log[-1]
    served = snapshot.response_headers
    assert served["electric-handle"] == feed.handle
    assert served["electric-offset"] == feed.responses[0].headers["electric-offset"]
    assert "electric-schema" in served and "electric-cursor" not in served
    assert live.live and live.response_headers["electric-cursor"] == feed.cursor
    assert live.response_headers["electric-offset"] == feed.offset
    assert "raw_response_headers" not in repr(live)
    # What a fault sends is what is recorded.
    emu.inject(feed.path, faults.missing_header("electric-cursor"), query={"live": "true"})
    emu.inject("/healthcheck", faults.status(503, retry_after=2))
    emu.set_metadata(run_id, {"n": 1})
    feed.request()
    feed.http.get("/healthcheck")
    stripped, unavailable = emu.requests[-2:]
    assert "electric-cursor" not in stripped.response_headers
    assert "electric-handle" in stripped.response_headers
    assert unavailable.status == 503 and unavailable.response_headers["retry-after"] == "2"
    # A legacy client (no x-trigger-electric-version) is served the legacy names.
    with httpx.Client(base_url=emu.base_url) as c:
        c.get(
            feed.path,
            params={"offset": "-1"},
            headers={"Authorization": f"Bearer {emu.secret_key}"},
        )
    legacy = emu.requests[-1].response_headers
    assert legacy["electric-shape-id"] == feed.handle and "electric-handle" not in legacy
