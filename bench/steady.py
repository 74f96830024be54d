"""Scenarios 1 and 2: CPU per yielded update, and commit-to-yield latency, on one run.

Each client process follows one run (Electric backend, the default). The driver commits change
``n + 1`` (new metadata ``{"n", "t"}``) when the client has printed change ``n``:

* ``steady``: at once, so the server advances as soon as the client has caught up; CPU seconds
  of the client process from its first yield to its last, divided by the number of updates.
* ``latency``: after a short pause, so that the client's live long-poll is already held when the
  change is committed (the case of a subscriber waiting for news); the client computes
  ``time.time() - t`` at yield, ``t`` being stamped by the server just before the commit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from ._config import Sizes
from ._driver import BenchServer, start_client
from ._procs import BenchError
from ._stats import median, percentile, ratio, spread

__all__ = ["run_latency", "run_steady"]

PHASE_TIMEOUT = 120.0


def _one(
    server: BenchServer,
    client: str,
    updates: int,
    *,
    gap_s: float,
    poll_interval: float,
) -> dict[str, Any]:
    run_id = server.call("create", group="steady", n=1)["ids"][0]
    requests_before = server.call("stats")["requests"]
    args = ["--run", run_id, "--count", str(updates)]
    if client == "poll":
        args += ["--poll-interval", str(poll_interval)]
    latencies: list[float] = []
    done: dict[str, Any] | None = None
    deadline = time.monotonic() + PHASE_TIMEOUT
    with start_client(server, "raw" if client == "floor" else client, "steady", args) as proc:
        _, hello = proc.expect("hello", 30)
        expected = 0
        while done is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{client}: {updates} updates took over {PHASE_TIMEOUT}s")
            _, line = proc.read_line(min(30.0, left))
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("event") == "done":
                    done = event
                elif event.get("event") == "error":
                    raise BenchError(f"{client}: {line[:2000]}")
                continue
            text_n, text_lat = line.split()
            n = int(text_n)
            if n > 0:
                latencies.append(float(text_lat))
            if n == expected and n < updates:
                expected = n + 1
                if gap_s > 0:
                    time.sleep(gap_s)
                server.call("meta", id=run_id, n=expected)
        proc.close()
    requests = server.call("stats")["requests"] - requests_before
    return {
        "cpu_per_update_ms": done["cpu"] / updates * 1000,
        "wall_per_update_ms": done["wall"] / updates * 1000,
        "requests_per_update": requests / updates,
        "peak_rss_mb": done["peak_rss_kb"] / 1024,
        "latencies_ms": [x * 1000 for x in latencies],
        "sdk": hello.get("sdk"),
    }


def _rotated(clients: Sequence[str], i: int) -> list[str]:
    """Client order changes from repeat to repeat, so slow drift in the machine's load is shared."""
    k = i % len(clients)
    return [*clients[k:], *clients[:k]]


def _with_floor(clients: Sequence[str]) -> list[str]:
    """The clients plus the floor (bare ``http.client`` long-polls, no SDK)."""
    return [*clients, "floor"]


def run_steady(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    clients = _with_floor(clients)
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    with BenchServer() as server:
        for i in range(sizes.steady_repeats):
            for client in _rotated(clients, i):
                result = _one(
                    server,
                    client,
                    sizes.steady_updates,
                    gap_s=0.0,
                    poll_interval=sizes.poll_interval,
                )
                log(
                    f"steady {client} #{i + 1}: {result['cpu_per_update_ms']:.3f} ms CPU/update, "
                    f"{result['wall_per_update_ms']:.3f} ms wall/update, "
                    f"{result['requests_per_update']:.2f} requests/update"
                )
                result.pop("latencies_ms")
                runs[client].append(result)
    summary: dict[str, Any] = {}
    for client, results in runs.items():
        cpu = [r["cpu_per_update_ms"] for r in results]
        summary[client] = {
            "cpu_per_update_ms": median(cpu),
            "cpu_spread": spread(cpu),
            "wall_per_update_ms": median([r["wall_per_update_ms"] for r in results]),
            "requests_per_update": median([r["requests_per_update"] for r in results]),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in results]),
            "runs": cpu,
            "sdk": results[0].get("sdk") if results else None,
        }
    official = summary.get("official", {}).get("cpu_per_update_ms")
    for client in clients:
        summary[client]["ratio"] = ratio(summary[client]["cpu_per_update_ms"], official)
    return {
        "updates": sizes.steady_updates,
        "repeats": sizes.steady_repeats,
        "poll_interval_s": sizes.poll_interval,
        "clients": summary,
    }


def run_latency(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    clients = _with_floor(clients)
    runs: dict[str, list[list[float]]] = {c: [] for c in clients}
    with BenchServer() as server:
        for i in range(sizes.latency_repeats):
            for client in _rotated(clients, i):
                result = _one(
                    server,
                    client,
                    sizes.latency_updates,
                    gap_s=sizes.latency_gap_s,
                    poll_interval=sizes.poll_interval,
                )
                lat = result["latencies_ms"]
                log(
                    f"latency {client} #{i + 1}: p50 {percentile(lat, 50):.3f} ms, "
                    f"p99 {percentile(lat, 99):.3f} ms"
                )
                runs[client].append(lat)
    summary: dict[str, Any] = {}
    for client, per_run in runs.items():
        pooled = [x for run in per_run for x in run]
        p50s = [percentile(run, 50) or 0.0 for run in per_run]
        p99s = [percentile(run, 99) or 0.0 for run in per_run]
        summary[client] = {
            # Pooled over every run: p99 of a single 300-sample run is its 3rd-worst sample,
            # which one hiccup of the shared machine decides.
            "p50_ms": percentile(pooled, 50),
            "p99_ms": percentile(pooled, 99),
            "p50_runs": p50s,
            "p99_runs": p99s,
            "max_ms": max(pooled) if pooled else None,
            "samples": len(pooled),
        }
    official = summary.get("official", {})
    for client in clients:
        summary[client]["ratio_p50"] = ratio(summary[client]["p50_ms"], official.get("p50_ms"))
        summary[client]["ratio_p99"] = ratio(summary[client]["p99_ms"], official.get("p99_ms"))
    return {
        "updates": sizes.latency_updates,
        "gap_ms": sizes.latency_gap_s * 1000,
        "repeats": sizes.latency_repeats,
        "clients": summary,
    }
