"""`make demo`: the SDK's main job, for real, on the embedded Trigger.dev emulator (no network).

It starts a local emulator of the Trigger.dev API, creates a run of a "generate-report" task, and
plays it the way the run engine would: queued, executing with progress in its metadata, a failed
attempt that is retried, then completed with an output. The blocking client (`TriggerClient`, in a
thread) and the asyncio client (`AsyncTriggerClient`) follow the run at the same time with
`runs.subscribe_to_run`, and every update each of them receives is printed as it arrives. Then a
second task streams an answer word by word (as an LLM task streams its tokens), and the client
prints it as it is written, with `subscription.with_streams()`. It ends by itself in a few seconds
and says what just happened.

    python examples/demo.py [--interval SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from trigger_client import (
    AsyncTriggerClient,
    Run,
    RunHandle,
    RunStatus,
    RunUpdate,
    StreamChunk,
    TriggerClient,
)
from trigger_client.testing import TriggerEmulator

TASK = "generate-report"
PAYLOAD = {"report": "quarterly-sales", "quarter": "2026-Q3"}
OUTPUT = {"url": "https://reports.example.com/quarterly-sales-2026-q3.pdf", "pages": 12}


# The run engine's steps, one every --interval seconds: what a real task run goes through.
def pause(engine: object, run_id: str) -> None:
    """A step that changes nothing: the run stays queued for one interval."""


LIFECYCLE: list[Any] = [
    pause,
    "dequeue",  # a worker takes the run off its queue
    "start",  # attempt 1 starts
    ("set_metadata", {"metadata": {"progress": 0.2, "message": "querying sales"}}),
    ("set_metadata", {"metadata": {"progress": 0.4, "message": "aggregating"}}),
    ("fail_attempt", {"error": "ConnectionResetError: the database went away"}),
    "start",  # attempt 2, after the task's retry delay
    ("set_metadata", {"metadata": {"progress": 0.6, "message": "aggregating (attempt 2)"}}),
    ("set_metadata", {"metadata": {"progress": 0.8, "message": "rendering the PDF"}}),
    ("set_metadata", {"metadata": {"progress": 1.0, "message": "uploading"}}),
    "complete",
]
ANSWER_TASK = "answer-question"
QUESTION = "What does trigger-client do?"
ANSWER = (
    "It follows Trigger.dev runs from Python as they change, and relays what a task streams "
    "while it runs, chunk by chunk."
)
DEADLINE = 45.0  # seconds: each subscription gives up after this (the demo takes about 6)


class Printer:
    """Prints each update, from both clients, as one aligned line (thread-safe)."""

    def __init__(self, color: bool) -> None:
        self.start = time.monotonic()
        self.color = color
        self.lock = threading.Lock()
        self.previous: dict[str, Run] = {}
        self.attempts: dict[str, int] = {}

    def header(self) -> None:
        print(f"  {'time':>5}  {'client':<6}  {'status':<13} {'progress':<15} what happened")

    def show(self, client: str, run: Run) -> None:
        with self.lock:
            note = self.explain(client, run)
            elapsed = time.monotonic() - self.start
            status = f"{run.status!s:<13}"
            if self.color:
                status = paint(status, run)
            print(f"  {elapsed:4.1f}s  {client:<6}  {status} {bar(run.metadata):<15} {note}")
            sys.stdout.flush()

    def explain(self, client: str, run: Run) -> str:
        """What this update means, compared with the one this client saw before."""
        before = self.previous.get(client)
        self.previous[client] = run
        if run.status == RunStatus.QUEUED:
            return "triggered; waiting in its queue"
        if run.status == RunStatus.EXECUTING:
            running_before = before is not None and before.status == RunStatus.EXECUTING
            if run.started_at is None:
                return "a worker dequeued it"
            if not running_before or before is None or before.started_at is None:
                self.attempts[client] = self.attempts.get(client, 0) + 1
                return f"attempt {self.attempts[client]} started"
            return message(run.metadata) or "metadata changed"
        if run.status == RunStatus.REATTEMPTING:
            return f"attempt {self.attempts.get(client, 1)} failed; the task will be retried"
        if run.is_success:
            return "completed, with an output"
        if run.is_finished:
            error = run.error.message if run.error else "no error message"
            return f"finished without success: {error}"
        return "updated"


def bar(metadata: object) -> str:
    """``[####------] 40%`` from ``{"progress": 0.4}``, else nothing."""
    progress = metadata.get("progress") if isinstance(metadata, dict) else None
    if not isinstance(progress, int | float):
        return ""
    filled = round(progress * 10)
    return f"[{'#' * filled}{'-' * (10 - filled)}] {progress:.0%}"


def message(metadata: object) -> str:
    value = metadata.get("message") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def paint(text: str, run: Run) -> str:
    code = "32" if run.is_success else "31" if run.is_finished else ""
    if run.status == RunStatus.REATTEMPTING:
        code = "33"
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def follow_with_sync_client(
    emu: TriggerEmulator, run_id: str, printer: Printer, seen: list[Run], ready: threading.Event
) -> None:
    """The blocking client, with the environment's secret key: a plain `for` loop."""
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        for run in client.runs.subscribe_to_run(run_id, timeout=DEADLINE):
            printer.show("sync", run)
            seen.append(run)
            ready.set()


async def follow_with_async_client(
    emu: TriggerEmulator,
    handle: RunHandle,
    printer: Printer,
    seen: list[Run],
    ready: threading.Event,
) -> None:
    """The asyncio client, with the run's public access token (as a browser would): `async for`."""
    run_id = handle.id
    async with AsyncTriggerClient(
        base_url=emu.base_url, access_token=handle.public_access_token
    ) as client:
        async for run in client.runs.subscribe_to_run(run_id, timeout=DEADLINE):
            printer.show("async", run)
            seen.append(run)
            ready.set()


async def follow_both(
    emu: TriggerEmulator, handle: RunHandle, printer: Printer, interval: float
) -> tuple[list[Run], list[Run]]:
    run_id = handle.id
    sync_seen: list[Run] = []
    async_seen: list[Run] = []
    sync_ready, async_ready = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def sync_thread() -> None:
        try:
            follow_with_sync_client(emu, run_id, printer, sync_seen, sync_ready)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            sync_ready.set()

    thread = threading.Thread(target=sync_thread, name="sync-client", daemon=True)
    thread.start()
    follower = asyncio.create_task(
        follow_with_async_client(emu, handle, printer, async_seen, async_ready)
    )
    # Both clients have the run's current state (QUEUED): now the engine moves it on.
    await asyncio.to_thread(sync_ready.wait, 10)
    await asyncio.to_thread(async_ready.wait, 10)
    playback = emu.start_play(run_id, LIFECYCLE, interval=interval, output=OUTPUT)
    await follower
    await asyncio.to_thread(thread.join, DEADLINE)
    if errors:
        raise errors[0]
    await asyncio.to_thread(playback.wait, 10)
    return sync_seen, async_seen


def summarize(emu: TriggerEmulator, sync_seen: list[Run], async_seen: list[Run]) -> list[str]:
    final = sync_seen[-1]
    statuses: list[str] = []
    for run in sync_seen:
        if not statuses or statuses[-1] != run.status:
            statuses.append(str(run.status))
    took = (final.finished_at or final.updated_at) - final.created_at
    if [r.updated_at for r in sync_seen] == [r.updated_at for r in async_seen]:
        agreement = f"both saw the same {len(sync_seen)} updates, in the same order"
    else:
        agreement = (
            f"the sync client saw {len(sync_seen)} updates and the async one {len(async_seen)} "
            "(changes that land between two requests arrive together)"
        )
    output = json.dumps(final.output)
    return [
        "",
        "What just happened",
        f"  1. A Trigger.dev API emulator started on {emu.base_url}, inside this process: no",
        "     network, no account. (`python -m trigger_client.testing serve` runs it standalone.)",
        f'  2. tasks.trigger("{TASK}", ...) started run {final.id}.',
        "     The emulator played it like the run engine: a worker dequeued it, attempt 1",
        "     reported progress in its metadata and failed, the run waited to be retried",
        "     (REATTEMPTING), and attempt 2 completed.",
        "  3. TriggerClient (blocking, in a thread, with the secret key) and AsyncTriggerClient",
        "     (asyncio, with the run's public access token, as a browser would) followed it at",
        "     the same time with runs.subscribe_to_run() over the realtime endpoint;",
        f"     {agreement}:",
        f"     {' -> '.join(statuses)}.",
        "     Each subscription yielded the current state first and ended by itself right after",
        "     the finished run.",
        f"  4. The run {final.status} after {took.total_seconds():.1f} s "
        f"({final.duration_ms / 1000:.1f} s of compute). Its output:",
        f"     {output}",
        "",
        "Next: README.md (quickstart, auth, errors), examples/ (scripts, a service, FastAPI,",
        "testing your code with the emulator), `trigger-client watch RUN_ID` (the CLI).",
    ]


def stream_an_answer(emu: TriggerEmulator, interval: float) -> str:
    """Trigger a task that streams its answer, and print each chunk as it arrives."""
    words = [word + " " for word in ANSWER.split(" ")]
    steps: list[Any] = [
        "dequeue",
        "start",
        ("stream", {"key": "answer", "chunks": words, "chunk_interval": interval / 8}),
        "complete",
    ]
    print()
    print(f'A streamed answer: {ANSWER_TASK} {{"question": "{QUESTION}"}}')
    with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
        handle = client.tasks.trigger(ANSWER_TASK, {"question": QUESTION})
        emu.start_play(handle.id, steps, interval=interval / 2, output={"words": len(words)})
        received: list[str] = []
        status = None
        for part in client.runs.subscribe_to_run(handle.id, timeout=DEADLINE).with_streams():
            if isinstance(part, StreamChunk):
                received.append(part.chunk)
                print(part.chunk, end="", flush=True)
            elif isinstance(part, RunUpdate) and part.run.status != status:
                status = part.run.status
                print(f"[{status}] ", end="", flush=True)
    print()
    return "".join(received).strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--interval", type=float, default=0.6, help="seconds between lifecycle steps (0.6)"
    )
    args = parser.parse_args(argv)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    started = time.monotonic()
    with TriggerEmulator() as emu:
        with TriggerClient(base_url=emu.base_url, access_token=emu.secret_key) as client:
            handle = client.tasks.trigger(TASK, PAYLOAD, tags=["demo"])
        print("trigger-client demo: following one run with the sync and the async client")
        print(f"  emulator {emu.base_url}  run {handle.id}")
        print(f"  task {TASK}  payload {json.dumps(PAYLOAD)}")
        print()
        printer = Printer(color)
        printer.header()
        sync_seen, async_seen = asyncio.run(follow_both(emu, handle, printer, args.interval))
        answer = stream_an_answer(emu, args.interval)
        lines = summarize(emu, sync_seen, async_seen)
        lines[-3:-3] = [
            f"  5. {ANSWER_TASK} streamed its answer in {len(ANSWER.split())} chunks, and",
            "     runs.subscribe_to_run(...).with_streams() yielded each one as it was written,",
            "     between the run's own updates.",
        ]
        for line in lines:
            print(line)
    print(f"\n(demo finished in {time.monotonic() - started:.1f} s)")
    ok = sync_seen[-1].is_success and async_seen[-1].is_success and answer == ANSWER
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
