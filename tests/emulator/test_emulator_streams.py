"""The emulator's realtime streams: writing (task side and control API), the SSE route, faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from trigger_client.testing import TriggerEmulator, faults


def _h(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def _events(text: str) -> list[tuple[str, str]]:
    """(id, data) of each event of an SSE body (the emulator writes one id and data line each)."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            out.append((fields.get("id", ""), fields["data"]))
    return out


@pytest.fixture
def emu() -> TriggerEmulator:
    with TriggerEmulator(long_poll_ms=500) as emulator:
        emulator.streams.inactivity_timeout = 0.3
        yield emulator


def test_append_announces_in_metadata_and_serves_events_in_order(emu: TriggerEmulator) -> None:
    run = emu.create_run("t", metadata={"user": 1})
    ids = [emu.append_stream(run, "answer", c) for c in ("Hel", {"n": 1}, 2)]
    assert json.loads(emu.get_run(run)["metadata"]) == {
        "user": 1,
        "$$streams": ["answer"],
        "$$streamsVersion": "v1",
    }
    assert emu.get_run(run)["realtimeStreams"] == []
    emu.end_stream(run, "answer")
    r = httpx.get(f"{emu.base_url}/realtime/v1/streams/{run}/answer", headers=_h(emu.secret_key))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream"
    assert _events(r.text) == list(zip(ids, ['"Hel"', '{"n":1}', "2"], strict=True))
    # Last-Event-ID: the events after that one only
    r = httpx.get(
        f"{emu.base_url}/realtime/v1/streams/{run}/answer",
        headers=_h(emu.secret_key, **{"Last-Event-ID": ids[0]}),
    )
    assert _events(r.text) == [(ids[1], '{"n":1}'), (ids[2], "2")]


def test_v2_runs_announce_in_the_realtime_streams_column(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    emu.streams.set_version(run, "v2")
    emu.append_stream(run, "logs", "line")
    emu.append_stream(run, "logs", "line 2")
    assert emu.get_run(run)["realtimeStreams"] == ["logs"]
    assert emu.get_run(run)["metadata"] is None


def test_v2_runs_are_served_as_s2_batches(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    emu.streams.set_version(run, "v2")
    emu.append_stream(run, "out", {"delta": "a"})
    emu.append_stream(run, "out", "b")
    base = f"{emu.base_url}/realtime/v1/streams/{run}/self/out"
    r = httpx.post(
        base + "/append", headers=_h(emu.secret_key, **{"X-Part-Id": "p9"}), content=b"c"
    )
    assert r.status_code == 200
    r = httpx.post(base, headers=_h(emu.secret_key, **{"X-Stream-Version": "v2"}), content=b"x")
    assert r.status_code == 500  # the S2 backend ingests nothing from the server
    emu.end_stream(run, "out")
    url = f"{emu.base_url}/realtime/v1/streams/{run}/out"
    r = httpx.get(url, headers=_h(emu.secret_key))
    assert r.headers["x-stream-version"] == "v2"
    blocks = [b for b in r.text.split("\n\n") if b.strip()]
    assert len(blocks) == 1 and blocks[0].startswith("event: batch\ndata: ")
    records = json.loads(blocks[0].split("data: ", 1)[1])["records"]
    assert [r["seq_num"] for r in records] == [0, 1, 2]
    bodies = [json.loads(r["body"]) for r in records]
    assert [b["data"] for b in bodies] == [{"delta": "a"}, "b", "c"]
    assert bodies[2]["id"] == "p9" and bodies[0]["id"] != bodies[1]["id"]
    # Last-Event-ID is the last seq_num read: the next record on
    r = httpx.get(url, headers=_h(emu.secret_key, **{"Last-Event-ID": "1"}))
    records = json.loads(r.text.split("data: ", 1)[1])["records"]
    assert [r["seq_num"] for r in records] == [2]


def test_response_ends_after_the_inactivity_timeout(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    emu.append_stream(run, "s", "a")
    url = f"{emu.base_url}/realtime/v1/streams/{run}/s"
    start = time.monotonic()
    r = httpx.get(url, headers=_h(emu.secret_key))
    took = time.monotonic() - start
    assert _events(r.text)[0][1] == '"a"'
    assert 0.3 <= took < 3
    # Timeout-Seconds replaces the default; an unknown key is an empty stream, not a 404
    start = time.monotonic()
    r = httpx.get(url + "x", headers=_h(emu.secret_key, **{"Timeout-Seconds": "1"}))
    took = time.monotonic() - start
    assert (r.status_code, r.text) == (200, "")
    assert 1 <= took < 4


def test_new_chunks_reach_an_open_response(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    emu.streams.inactivity_timeout = 5
    url = f"{emu.base_url}/realtime/v1/streams/{run}/s"
    with httpx.stream("GET", url, headers=_h(emu.secret_key)) as r:
        lines = r.iter_lines()
        emu.append_stream(run, "s", "late")
        start = time.monotonic()
        got = [next(lines), next(lines)]
        assert got[1] == 'data: "late"'
        assert time.monotonic() - start < 2  # at once, not at the 5 s inactivity timeout
        emu.end_stream(run, "s")
        assert list(lines) == [""]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Invalid timeout seconds"),
        ("-3", "Timeout seconds must be greater than 0"),
        ("601", "Timeout seconds must be less than 600"),
    ],
)
def test_timeout_seconds_is_validated(emu: TriggerEmulator, value: str, message: str) -> None:
    run = emu.create_run("t")
    r = httpx.get(
        f"{emu.base_url}/realtime/v1/streams/{run}/s",
        headers=_h(emu.secret_key, **{"Timeout-Seconds": value}),
    )
    assert (r.status_code, r.text) == (400, message)


def test_reading_needs_the_scopes_of_reading_the_run(emu: TriggerEmulator) -> None:
    run = emu.create_run("t", tags=["user_1"])
    other = emu.create_run("t")
    emu.append_stream(run, "s", 1)
    emu.end_stream(run, "s")
    url = f"{emu.base_url}/realtime/v1/streams/{run}/s"
    for scopes in (["read:runs:" + run], ["read:tasks:t"], ["read:tags:user_1"], ["read:runs"]):
        r = httpx.get(url, headers=_h(emu.create_token(scopes)))
        assert (r.status_code, _events(r.text)[0][1]) == (200, "1"), scopes
    r = httpx.get(url, headers=_h(emu.create_token(["read:runs:" + other])))
    assert r.status_code == 403
    assert httpx.get(url, headers=_h("tr_dev_wrong")).status_code == 401
    r = httpx.get(f"{emu.base_url}/realtime/v1/streams/run_unknown/s", headers=_h(emu.secret_key))
    assert r.status_code == 404


def test_task_side_routes(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    base = f"{emu.base_url}/realtime/v1/streams/{run}/self"
    r = httpx.put(f"{base}/out", headers=_h(emu.secret_key))
    assert (r.status_code, r.json()) == (202, {"version": "v1"})
    assert emu.get_run(run)["realtimeStreams"] == ["out"]
    # the ingest body is split into lines across entries; a line's id is its last entry's
    r = httpx.post(f"{base}/out", headers=_h(emu.secret_key), content=b'"a"\n{"b":')
    assert r.status_code == 200
    httpx.post(f"{base}/out", headers=_h(emu.secret_key), content=b"1}\n")
    r = httpx.post(f"{base}/out/append", headers=_h(emu.secret_key), content=b"part")
    assert (r.status_code, r.json()) == (200, {"ok": True})
    entries = emu.streams.entries(run, "out")
    assert [d for _, d in entries] == ['"a"\n{"b":', "1}\n", '"part"\n']
    emu.end_stream(run, "out")
    r = httpx.get(f"{emu.base_url}/realtime/v1/streams/{run}/out", headers=_h(emu.secret_key))
    assert _events(r.text) == [
        (entries[0][0], '"a"'),
        (entries[1][0], '{"b":1}'),
        (entries[2][0], '"part"'),
    ]
    # public tokens cannot write; a completed run refuses new streams
    assert httpx.put(f"{base}/x", headers=_h(emu.create_token(["write:runs"]))).status_code == 401
    emu.play(run, "success")
    r = httpx.post(f"{base}/out/append", headers=_h(emu.secret_key), content=b"late")
    assert (r.status_code, r.text) == (400, "Cannot append to a realtime stream on a completed run")
    r = httpx.put(f"{base}/y", headers=_h(emu.secret_key))
    assert r.status_code == 400


def test_stream_lifecycle_step(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    emu.play(
        run,
        ["dequeue", "start", ("stream", {"key": "answer", "chunks": ["a", "b"]}), "complete"],
        interval=0.01,
    )
    assert [d for _, d in emu.streams.entries(run, "answer")] == ['"a"\n', '"b"\n']
    assert json.loads(emu.get_run(run)["metadata"])["$$streams"] == ["answer"]
    r = httpx.get(f"{emu.base_url}/realtime/v1/streams/{run}/answer", headers=_h(emu.secret_key))
    assert [d for _, d in _events(r.text)] == ['"a"', '"b"']


def test_drop_and_slow_faults(emu: TriggerEmulator) -> None:
    run = emu.create_run("t")
    for i in range(4):
        emu.append_stream(run, "s", i)
    emu.end_stream(run, "s")
    url = f"{emu.base_url}/realtime/v1/streams/{run}/s"
    emu.inject("/realtime/v1/streams/*", faults.drop_stream(after_events=2))
    got = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", url, headers=_h(emu.secret_key)) as r,
    ):
        for line in r.iter_lines():
            got.append(line)
    assert [line for line in got if line.startswith("data")] == ["data: 0", "data: 1"]
    emu.inject("/realtime/v1/streams/*", faults.slow_stream(0.1))
    start = time.monotonic()
    r = httpx.get(url, headers=_h(emu.secret_key))
    assert [d for _, d in _events(r.text)] == ["0", "1", "2", "3"]
    assert time.monotonic() - start >= 0.4
