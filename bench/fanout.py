"""Scenario 3: K concurrent subscriptions in one client process, receiving updates in rounds.

For each K and client (ours: the default ``AsyncTriggerClient()``, no tuning; the official SDK: K
``runs.subscribeToRun`` in one node process), a fresh server with K runs. Measured:

* time to get all K live: from the client starting its subscriptions to the server holding K live
  long-polls (and, client side, to every subscription having yielded its first run);
* per round (the driver commits one metadata change on every run, once all K are live again): time
  from the first commit to the last subscriber yielding it ("reach last"), and the server's own
  time to commit the K changes, which bounds it from below for any client;
* peak resident memory of the client process, and per subscription above the baseline taken
  before the first subscription;
* updates missed (each subscription must yield every round exactly once).

A floor client (bare asyncio connections, one per run, no SDK, no parsing beyond the metadata)
shows how much of a round is the server's own time on this machine.

The server speaks the Electric protocol (the emulator's default backend, whose shapes are indexed by
run, batch and tag: a round of K changes costs O(K)); ``TRIGGER_BENCH_FANOUT_BACKEND=native`` measures
on the native backend instead. See RESULTS.md.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._config import Sizes
from ._driver import BenchServer, start_client
from ._procs import BenchError, BenchTimeout
from ._stats import median, ratio

__all__ = ["FANOUT_BACKEND", "run_fanout"]

FANOUT_BACKEND = os.environ.get("TRIGGER_BENCH_FANOUT_BACKEND", "electric")


def _one(sizes: Sizes, client: str, k: int, log: Any) -> dict[str, Any]:
    rounds = sizes.fanout_rounds
    result: dict[str, Any] = {"k": k, "reached_live": False, "rounds": []}
    with (
        tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp,
        BenchServer(backend=FANOUT_BACKEND) as server,
    ):
        ids = server.call("create", group="fan", n=k, timeout=300)["ids"]
        ids_file = Path(tmp) / "ids.txt"
        ids_file.write_text("\n".join(ids) + "\n")
        budget = sizes.fanout_live_timeout + rounds * (sizes.fanout_round_timeout + 30) + 60
        args = ["--ids", str(ids_file), "--rounds", str(rounds), "--timeout", str(budget)]
        transport = "raw" if client == "floor" else client
        with start_client(server, transport, "fanout", args) as proc:
            _, start = proc.expect("start", 60)
            t_start = float(start["at"])
            try:
                _, initial = proc.expect("initial", sizes.fanout_live_timeout)
                result["initial_s"] = float(initial["last"]) - t_start
                left = sizes.fanout_live_timeout - (time.time() - t_start)
                t_live = server.wait_live(k, max(1.0, left))
                if t_live is None:
                    raise BenchTimeout("not all live")
                result["live_s"] = t_live - t_start
                result["reached_live"] = True
            except BenchTimeout:
                stats = server.call("stats")
                result["live_at_timeout"] = stats["live"]
                result["note"] = (
                    f"not all {k} live within {sizes.fanout_live_timeout:.0f}s "
                    f"({stats['live']} live long-polls, {stats['requests']} requests so far)"
                )
                log(f"fanout {client} K={k}: {result['note']}")
            if result["reached_live"]:
                for r in range(1, rounds + 1):
                    commit = server.call("round", group="fan", r=r, timeout=300)
                    t0, t1 = float(commit["t0"]), float(commit["t1"])
                    try:
                        _, event = proc.expect("round", sizes.fanout_round_timeout)
                    except BenchTimeout:
                        result["note"] = (
                            f"round {r} did not reach all {k} subscribers within "
                            f"{sizes.fanout_round_timeout:.0f}s"
                        )
                        log(f"fanout {client} K={k}: {result['note']}")
                        break
                    reach = float(event["last"]) - t0
                    result["rounds"].append(
                        {"reach_last_s": reach, "commit_s": t1 - t0, "rss_kb": event["rss_kb"]}
                    )
                    log(
                        f"fanout {client} K={k} round {r}: reached the last subscriber in "
                        f"{reach:.3f}s (server commit {t1 - t0:.3f}s)"
                    )
                    if r < rounds and server.wait_live(k, 60) is None:
                        result["note"] = f"after round {r}, not all {k} long-polls came back"
                        break
            proc.send({"op": "report"})
            try:
                _, done = proc.expect("done", 60)
            except BenchError as exc:
                result["note"] = (result.get("note", "") + f"; no final report: {exc}").strip("; ")
                return result
        result.update(
            {
                "peak_rss_mb": done["peak_rss_kb"] / 1024,
                "baseline_rss_mb": done["baseline_rss_kb"] / 1024,
                "per_subscription_kb": (done["peak_rss_kb"] - done["baseline_rss_kb"]) / k,
                "missed": done["missed"],
                "delivered": done.get("delivered"),
                "duplicates": done["duplicates"],
                "failed_tasks": done["failed_tasks"],
                "first_error": done.get("first_error"),
                "cpu_s": done["cpu"],
                "rounds_completed": len(result["rounds"]),
            }
        )
        # Only complete rounds count as "every update delivered".
        result["all_delivered"] = (
            result["reached_live"] and len(result["rounds"]) == rounds and done["missed"] == 0
        )
    return result


def run_fanout(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    clients = [*clients, "floor"]
    per_k: dict[str, Any] = {}
    for k, repeats in zip(sizes.fanout_ks, sizes.fanout_repeats, strict=True):
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
        for i in range(repeats):
            order = list(clients) if i % 2 == 0 else list(reversed(clients))
            for client in order:
                result = _one(sizes, client, k, log)
                log(
                    f"fanout {client} K={k} #{i + 1}: live in {result.get('live_s', float('nan')):.2f}s, "
                    f"peak {result.get('peak_rss_mb', float('nan')):.1f} MB, "
                    f"missed {result.get('missed')}"
                )
                runs[client].append(result)
        summary: dict[str, Any] = {}
        for client, results in runs.items():
            reach = [r["reach_last_s"] for res in results for r in res["rounds"]]
            commit = [r["commit_s"] for res in results for r in res["rounds"]]
            summary[client] = {
                "live_s": median([r["live_s"] for r in results if "live_s" in r]),
                "initial_s": median([r["initial_s"] for r in results if "initial_s" in r]),
                "reach_last_s": median(reach),
                "server_commit_s": median(commit),
                "peak_rss_mb": median([r["peak_rss_mb"] for r in results if "peak_rss_mb" in r]),
                "per_subscription_kb": median(
                    [r["per_subscription_kb"] for r in results if "per_subscription_kb" in r]
                ),
                "missed": sum(int(r.get("missed") or 0) for r in results),
                "all_delivered": all(r.get("all_delivered") for r in results),
                "reached_live": all(r["reached_live"] for r in results),
                "cpu_s": median([r["cpu_s"] for r in results if "cpu_s" in r]),
                "notes": [r["note"] for r in results if r.get("note")],
                "runs": results,
            }
        official = summary.get("official", {})
        for client in clients:
            s = summary[client]
            s["ratio_reach"] = ratio(s["reach_last_s"], official.get("reach_last_s"))
            s["ratio_live"] = ratio(s["live_s"], official.get("live_s"))
            s["ratio_rss"] = ratio(s["peak_rss_mb"], official.get("peak_rss_mb"))
        per_k[str(k)] = summary
    return {
        "ks": list(sizes.fanout_ks),
        "rounds": sizes.fanout_rounds,
        "backend": FANOUT_BACKEND,
        "by_k": per_k,
    }
