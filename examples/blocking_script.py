"""Follow one run from a plain (blocking) script, and exit with its outcome.

    export TRIGGER_SECRET_KEY=tr_dev_...      # or TRIGGER_ACCESS_TOKEN=<public token>
    export TRIGGER_API_URL=https://api.trigger.dev   # the default; or your self-hosted URL
    python examples/blocking_script.py run_1234 [--timeout 600]

Prints each change of the run (status and the progress the task reports in its metadata), then
its output or its error. Exits 0 when the run completed, 1 when it failed, was canceled or
crashed, and 4 when --timeout passed first (the run itself goes on).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trigger_client import APIError, Run, SubscriptionTimeout, TriggerClient


def describe(run: Run) -> str:
    """One line per update: status, plus progress when the task reports it."""
    line = f"{run.status:<12}"
    if isinstance(run.metadata, dict) and "progress" in run.metadata:
        line += f" progress={run.metadata['progress']}"
    return line


def follow(client: TriggerClient, run_id: str, timeout: float | None) -> Run:
    """Print each update of the run until it finishes; return the finished run."""
    # The subscription yields the run's current state first, then each change, and ends right
    # after the run finished. `with` closes it (and its connection) even on an exception.
    with client.runs.subscribe_to_run(run_id, timeout=timeout) as subscription:
        for run in subscription:
            print(f"{run.id}  {describe(run)}", flush=True)
    assert subscription.last is not None  # a subscription yields at least the current state
    return subscription.last


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Follow a Trigger.dev run until it finishes.")
    parser.add_argument("run_id", help="the run to follow, such as run_1234")
    parser.add_argument("--timeout", type=float, default=None, help="give up after SECONDS")
    args = parser.parse_args(argv)

    # Configured from the environment: TRIGGER_SECRET_KEY (or TRIGGER_ACCESS_TOKEN) and
    # TRIGGER_API_URL. One client holds a connection pool; close it when done (`with`).
    with TriggerClient() as client:
        try:
            run = follow(client, args.run_id, args.timeout)
        except SubscriptionTimeout as exc:
            last = exc.last_run.status if exc.last_run else "unknown"
            print(f"gave up after {args.timeout}s; the run is still {last}", file=sys.stderr)
            return 4
        except APIError as exc:  # 401 bad key, 403 missing scope, 404 no such run, ...
            print(f"error: {exc}", file=sys.stderr)
            return 3

    if run.is_success:
        print(f"completed in {run.duration_ms} ms of compute; output: {run.output!r}")
        return 0
    error = run.error.message if run.error else "no error message"
    print(f"{run.status}: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
