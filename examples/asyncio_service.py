"""An asyncio service that follows many runs at once, with one client.

    export TRIGGER_SECRET_KEY=tr_dev_...   (and TRIGGER_API_URL for a self-hosted server)
    python examples/asyncio_service.py run_1 run_2 run_3 [--timeout 600]

`RunTracker` is the part to reuse: `track(run_id)` follows a run in the background (one realtime
long-poll per run, all sharing the client's connection pool) and calls your coroutine once the run
finishes; `wait()` returns every finished run. The script prints each update as it arrives, then a
summary, and exits 0 only if every run completed.

Each run is one realtime connection, and Trigger.dev limits concurrent realtime connections per
plan. To follow hundreds of runs, tag them when you trigger them and follow the tag instead:
`client.runs.subscribe_to_runs_with_tag("order:42")` is one connection for all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence

from trigger_client import APIError, AsyncTriggerClient, Run, SubscriptionTimeout

OnFinished = Callable[[Run], Awaitable[None]]


class RunTracker:
    """Follows runs concurrently with one `AsyncTriggerClient`."""

    def __init__(
        self, client: AsyncTriggerClient, on_finished: OnFinished, *, timeout: float | None = None
    ) -> None:
        self._client = client
        self._on_finished = on_finished
        self._timeout = timeout
        self._tasks: dict[str, asyncio.Task[Run | None]] = {}

    def track(self, run_id: str) -> None:
        """Start following a run (again tracking the same id does nothing)."""
        if run_id not in self._tasks:
            self._tasks[run_id] = asyncio.create_task(self._follow(run_id), name=run_id)

    async def _follow(self, run_id: str) -> Run | None:
        try:
            async for run in self._client.runs.subscribe_to_run(run_id, timeout=self._timeout):
                progress = run.metadata.get("progress") if isinstance(run.metadata, dict) else None
                suffix = f" progress={progress}" if progress is not None else ""
                print(f"{run.id}  {run.status}{suffix}", flush=True)
                if run.is_finished:
                    await self._on_finished(run)
                    return run
        except SubscriptionTimeout as exc:
            last = exc.last_run.status if exc.last_run else "unknown"
            print(f"{run_id}  still {last} after {self._timeout}s; not waiting any longer")
        except APIError as exc:  # one bad run id must not stop the others
            print(f"{run_id}  error: {exc}", file=sys.stderr)
        return None

    async def wait(self) -> list[Run]:
        """Wait for every tracked run; the runs that finished (in tracking order)."""
        results = await asyncio.gather(*self._tasks.values())
        return [run for run in results if run is not None]

    async def aclose(self) -> None:
        """Stop following: cancel every subscription still running (closing its request)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


async def amain(run_ids: Sequence[str], timeout: float | None) -> int:
    finished: list[Run] = []

    async def on_finished(run: Run) -> None:
        # Your code goes here: store the output, notify a user, trigger the next step...
        finished.append(run)

    # One client for the whole service, configured from the environment; closed at the end.
    async with AsyncTriggerClient() as client:
        tracker = RunTracker(client, on_finished, timeout=timeout)
        try:
            for run_id in run_ids:
                tracker.track(run_id)
            await tracker.wait()
        finally:
            await tracker.aclose()

    completed = [run for run in finished if run.is_success]
    print(f"{len(completed)} of {len(run_ids)} runs completed")
    for run in finished:
        if not run.is_success:
            error = run.error.message if run.error else "no error message"
            print(f"  {run.id} {run.status}: {error}")
    return 0 if len(completed) == len(run_ids) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Follow many Trigger.dev runs at once.")
    parser.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    parser.add_argument("--timeout", type=float, default=None, help="per run, in seconds")
    args = parser.parse_args(argv)
    return asyncio.run(amain(args.run_ids, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
