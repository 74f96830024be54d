"""Parity of ``with_streams()``: our sync, asyncio and trio clients yield the same parts as the official
TypeScript SDK 3.3.17's ``runs.subscribeToRun(id).withStreams()`` on the emulator.

Parts are compared per kind, each in one canonical JSON form: the run updates in order, and, per
stream, its chunks in order with the run each carries (the update that announced the stream). How
run updates and chunks interleave depends on timing; both sides must yield every chunk after the
update that announced its stream.

Drops: 3.3.17 does not resume a stream whose connection broke (its ``SSEStreamSubscription``
sends no ``Last-Event-ID``; ``runStream.js`` lines 38-68): it loses the rest of that stream. Ours
resumes, so after a drop ours yields the same parts the official SDK yields without one; the test
also pins down the official SDK's loss, so that a change in it is noticed.
"""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest

from tests.interop.node_sdk import NodeSDK
from tests.parity.js_form import canonical_from_js, canonical_from_python, js_run, py_run
from trigger_client import AsyncTriggerClient, RunUpdate, StreamChunk, TriggerClient
from trigger_client.testing import TriggerEmulator, faults

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not NodeSDK.available(), reason="the official SDK is not installed: make setup"
    ),
]

Part = RunUpdate | StreamChunk
CHUNKS: list[Any] = ["Hel", {"token": "lo", "n": [1, 2.5]}, "multi\nline", 7, None, "🙂"]
LOGS: list[Any] = [{"line": 1}, "not json {"]


def steps() -> list[Any]:
    return [
        "dequeue",
        "start",
        ("stream", {"key": "answer", "chunks": CHUNKS[:3], "end": False}),
        ("stream", {"key": "logs", "chunks": LOGS}),
        ("stream", {"key": "answer", "chunks": CHUNKS[3:]}),
        "complete",
    ]


def canonical_ours(parts: list[Part]) -> dict[str, Any]:
    runs = [py_run(p.run) for p in parts if isinstance(p, RunUpdate)]
    streams: dict[str, list[Any]] = {}
    for p in parts:
        if isinstance(p, StreamChunk):
            streams.setdefault(p.stream, []).append(
                (canonical_from_python(p.chunk), py_run(p.run)["updatedAt"])
            )
    return {"runs": runs, "streams": streams}


def canonical_official(events: list[dict[str, Any]]) -> dict[str, Any]:
    parts = [e for e in events if e.get("event") == "part"]
    runs = [js_run(p["run"]) for p in parts if p["type"] == "run"]
    streams: dict[str, list[Any]] = {}
    for p in parts:
        if p["type"] != "run":
            streams.setdefault(p["type"], []).append(
                (canonical_from_js(p["chunk"]), js_run(p["run"])["updatedAt"])
            )
    return {"runs": runs, "streams": streams}


def announced_in_order(keys_and_runs: list[tuple[str, str | None]]) -> bool:
    """Every chunk ('stream', None) comes after a run update listing its stream."""
    seen: set[str] = set()
    for kind, listed in keys_and_runs:
        if kind == "run":
            seen.update(listed.split(",") if listed else [])
        elif kind not in seen:
            return False
    return True


def order_ours(parts: list[Part]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for p in parts:
        if isinstance(p, RunUpdate):
            out.append(("run", ",".join((p.run.metadata or {}).get("$$streams", []))))
        else:
            out.append((p.stream, None))
    return out


def order_official(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for e in events:
        if e.get("event") != "part":
            continue
        if e["type"] == "run":
            metadata = canonical_from_js(e["run"].get("metadata")) or {}
            out.append(("run", ",".join(metadata.get("$$streams", []))))
        else:
            out.append((e["type"], None))
    return out


class Ours:
    """One of our clients reading ``with_streams()`` in a thread."""

    def __init__(self, emu: TriggerEmulator, run_id: str, flavour: str) -> None:
        self.parts: list[Part] = []
        self.error: BaseException | None = None
        self.first = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(emu, run_id, flavour), daemon=True)
        self._thread.start()

    def _record(self, part: Part) -> None:
        self.parts.append(part)
        self.first.set()

    def _main(self, emu: TriggerEmulator, run_id: str, flavour: str) -> None:
        try:
            if flavour == "sync":
                with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
                    for part in client.runs.subscribe_to_run(run_id, timeout=40).with_streams():
                        self._record(part)
            else:

                async def main() -> None:
                    async with AsyncTriggerClient(
                        base_url=emu.base_url, access_token=emu.secret_key
                    ) as client:
                        subscription = client.runs.subscribe_to_run(run_id, timeout=40)
                        async for part in subscription.with_streams():
                            self._record(part)

                anyio.run(main, backend=flavour)
        except BaseException as exc:
            self.error = exc
        finally:
            self.first.set()

    def join(self) -> list[Part]:
        self._thread.join(45)
        assert not self._thread.is_alive(), "with_streams() did not end"
        if self.error is not None:
            raise self.error
        return self.parts


@pytest.fixture
def emu() -> TriggerEmulator:
    with TriggerEmulator(long_poll_ms=2000) as emulator:
        yield emulator  # type: ignore[misc]


def run_ours(emu: TriggerEmulator, run_id: str, flavours: list[str]) -> dict[str, Ours]:
    ours = {flavour: Ours(emu, run_id, flavour) for flavour in flavours}
    for flavour, reader in ours.items():
        assert reader.first.wait(30), f"{flavour} yielded nothing"
    return ours


def test_live_run_with_two_streams(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("chat", {"q": "hi"})
    sdk = NodeSDK(emu.base_url, emu.secret_key)
    total = len(CHUNKS) + len(LOGS)
    with sdk.start_subscribe_run_streams(run_id, chunks=total, timeout=40) as node:
        assert node.wait_ready(30), "the official SDK did not start"
        ours = run_ours(emu, run_id, ["sync", "asyncio", "trio"])
        emu.play(run_id, steps(), interval=0.3)
        official_result = node.wait()
    assert official_result.ok, official_result.describe()
    official = canonical_official(official_result.events)
    assert official["streams"] == {
        "answer": [(canonical_from_python(c), official["streams"]["answer"][0][1]) for c in CHUNKS],
        "logs": [(canonical_from_python(c), official["streams"]["logs"][0][1]) for c in LOGS],
    }
    assert official["runs"][-1].get("finishedAt")
    assert announced_in_order(order_official(official_result.events))
    for flavour, reader in ours.items():
        parts = reader.join()
        assert canonical_ours(parts) == official, f"{flavour} differs from the official SDK"
        assert announced_in_order(order_ours(parts)), flavour


def test_a_drop_mid_stream(emu: TriggerEmulator) -> None:
    run_id = emu.create_run("chat")
    emu.play(run_id, steps(), interval=0.01)  # finished, its streams written and ended
    total = len(CHUNKS) + len(LOGS)
    sdk = NodeSDK(emu.base_url, emu.secret_key)
    answer = f"/realtime/v1/streams/{run_id}/answer"

    clean = sdk.subscribe_run_streams(run_id, chunks=total, timeout=30)
    assert clean.ok, clean.describe()
    official = canonical_official(clean.events)
    assert [c for c, _ in official["streams"]["answer"]] == [
        canonical_from_python(c) for c in CHUNKS
    ]

    for flavour in ("sync", "asyncio", "trio"):
        emu.inject(answer, faults.drop_stream(after_events=2))
        parts = run_ours(emu, run_id, [flavour])[flavour].join()
        assert canonical_ours(parts) == official, f"{flavour} after a drop differs"
        resumed = [r.headers.get("last-event-id") for r in emu.requests if r.path == answer]
        assert resumed[-1] == emu.streams.entries(run_id, "answer")[1][0]
        emu.clear_requests()

    # 3.3.17 itself loses the rest of a stream whose connection broke
    emu.inject(answer, faults.drop_stream(after_events=2))
    dropped = sdk.subscribe_run_streams(run_id, chunks=total, timeout=6)
    lossy = canonical_official(dropped.events)
    assert [c for c, _ in lossy["streams"]["answer"]] == [
        canonical_from_python(c) for c in CHUNKS[:2]
    ]
    assert lossy["streams"]["logs"] == official["streams"]["logs"]
    assert [r.headers.get("last-event-id") for r in emu.requests if r.path == answer] == [None]
