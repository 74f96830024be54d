"""One of our clients reading a run's realtime stream, for ``python -m bench.streams``.

    python -m bench.streams_client throughput|latency --run ID --count N --impl IMPL

``sync`` / ``async``: ``runs.subscribe_to_run(ID).with_streams()``, like the official SDK's
``withStreams()``; ``single``: ``runs.subscribe_to_stream(ID, "s")`` (sync); ``floor``: no SDK,
a bare ``httpx.Client`` stream decoded by httpx-sse's ``iter_sse`` (the libraries the SDK reads
streams with, and nothing else: the cost of the SDK's own code is the difference). Prints
``{"event": "hello"}``, then in ``latency`` one ``{"event": "got", "i", "lat"}`` per chunk
(``lat``: now minus the server's stamp), then ``{"event": "done", "wall", "cpu", "count"}``:
wall and CPU seconds from the first chunk to the last (``time.process_time()``: all threads).
The first chunk (``i`` = -1, the one that announced the stream) is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx
from httpx_sse import EventSource

from trigger_client import AsyncTriggerClient, StreamChunk, TriggerClient


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Meter:
    def __init__(self, count: int, latency: bool) -> None:
        self.count = count
        self.latency = latency
        self.seen = 0
        self.start: tuple[float, float] | None = None

    def chunk(self, chunk: Any) -> bool:
        """Record one chunk; True once ``count`` were seen."""
        now = time.time()
        if chunk["i"] < 0:
            self.start = (time.perf_counter(), time.process_time())
            emit({"event": "ready"})
            return False
        self.seen += 1
        if self.latency:
            emit({"event": "got", "i": chunk["i"], "lat": now - chunk["t"]})
        return self.seen >= self.count

    def done(self) -> None:
        assert self.start is not None
        wall = time.perf_counter() - self.start[0]
        cpu = time.process_time() - self.start[1]
        emit({"event": "done", "wall": wall, "cpu": cpu, "count": self.seen})


def run_sync(run_id: str, meter: Meter, single: bool) -> None:
    with TriggerClient() as client:
        if single:
            with client.runs.subscribe_to_stream(run_id, "s") as stream:
                for chunk in stream:
                    if meter.chunk(chunk):
                        break
            return
        with client.runs.subscribe_to_run(run_id).with_streams() as parts:
            for part in parts:
                if isinstance(part, StreamChunk) and meter.chunk(part.chunk):
                    break


def run_floor(run_id: str, meter: Meter) -> None:
    url = os.environ["TRIGGER_API_URL"].rstrip("/") + f"/realtime/v1/streams/{run_id}/s"
    headers = {
        "authorization": f"Bearer {os.environ['TRIGGER_SECRET_KEY']}",
        "accept": "text/event-stream",
    }
    with (
        httpx.Client(timeout=60.0) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        for event in EventSource(response).iter_sse():
            if meter.chunk(json.loads(event.data)):
                break


async def run_async(run_id: str, meter: Meter) -> None:
    async with AsyncTriggerClient() as client:
        async with client.runs.subscribe_to_run(run_id).with_streams() as parts:
            async for part in parts:
                if isinstance(part, StreamChunk) and meter.chunk(part.chunk):
                    break


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streams_client")
    parser.add_argument("mode", choices=("throughput", "latency"))
    parser.add_argument("--run", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--impl", choices=("sync", "async", "single", "floor"), default="sync")
    args = parser.parse_args(argv)
    meter = Meter(args.count, args.mode == "latency")
    emit({"event": "hello"})
    if args.impl == "async":
        import asyncio

        asyncio.run(run_async(args.run, meter))
    elif args.impl == "floor":
        run_floor(args.run, meter)
    else:
        run_sync(args.run, meter, args.impl == "single")
    meter.done()
    return 0


if __name__ == "__main__":
    sys.exit(main())
