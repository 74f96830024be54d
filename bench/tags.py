"""Scenario 4: a tag feed whose snapshot holds N runs; time until the client has yielded them all.

One server (Electric backend) with N runs carrying the tag ``bench-N``. Each client process
subscribes to the tag and reports the wall time from creating the subscription to the N-th distinct
run, and its CPU over that time. A bare-httpx client that only fetches the same two responses
(snapshot, then up-to-date) gives the floor that no client can beat: the server's time to build and
send the snapshot, plus the transfer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._config import Sizes
from ._driver import BenchServer, start_client
from ._stats import median, ratio

__all__ = ["run_tags"]

PHASE_TIMEOUT = 180.0


def _one(server: BenchServer, client: str, tag: str, count: int) -> dict[str, Any]:
    args = ["--tag", tag, "--count", str(count)]
    transport = client
    if client == "floor":
        transport = "raw"
    with start_client(server, transport, "tags", args) as proc:
        proc.expect("hello", 30)
        _, done = proc.expect("done", PHASE_TIMEOUT)
        proc.close()
    if client != "floor" and done["runs"] < count:
        raise RuntimeError(f"{client} yielded {done['runs']} of {count} runs")
    return {
        "seconds": done["seconds"],
        "cpu_s": done["cpu"],
        "peak_rss_mb": done["peak_rss_kb"] / 1024,
        "bytes": done.get("bytes"),
    }


def run_tags(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    tag_clients = [c for c in clients if c in ("sync", "async", "official")] + ["floor"]
    by_size: dict[str, Any] = {}
    with BenchServer() as server:
        for size in sizes.tag_sizes:
            tag = f"bench-{size}"
            created = server.call("create", group=tag, n=size, tags=[tag], start=False, timeout=600)
            log(f"tags: created {size} runs in {created['seconds']:.1f}s")
            runs: dict[str, list[dict[str, Any]]] = {c: [] for c in tag_clients}
            for i in range(sizes.tag_repeats):
                order = tag_clients if i % 2 == 0 else list(reversed(tag_clients))
                for client in order:
                    result = _one(server, client, tag, size)
                    log(
                        f"tags N={size} {client} #{i + 1}: {result['seconds']:.3f}s "
                        f"(client CPU {result['cpu_s']:.3f}s)"
                    )
                    runs[client].append(result)
            summary: dict[str, Any] = {}
            for client, results in runs.items():
                summary[client] = {
                    "seconds": median([r["seconds"] for r in results]),
                    "cpu_s": median([r["cpu_s"] for r in results]),
                    "peak_rss_mb": median([r["peak_rss_mb"] for r in results]),
                    "runs": [r["seconds"] for r in results],
                }
            official = summary.get("official", {})
            floor = summary["floor"]["seconds"]
            for client in tag_clients:
                s = summary[client]
                s["ratio"] = ratio(s["seconds"], official.get("seconds"))
                s["ratio_cpu"] = ratio(s["cpu_s"], official.get("cpu_s"))
                if official.get("seconds") is not None and floor is not None:
                    s["ratio_above_floor"] = ratio(
                        s["seconds"] - floor, official["seconds"] - floor
                    )
            by_size[str(size)] = summary
    return {"sizes": list(sizes.tag_sizes), "repeats": sizes.tag_repeats, "by_size": by_size}
