"""Profiles of our hot paths: cProfile (CPU time, ``time.process_time``) inside the client process.

* ``steady`` sync and async: the same run as scenario 1, profiled from the first yield to the last.
* ``fanout``: K subscriptions (K = the largest fan-out size that is still quick to profile),
  profiled from the first subscription to the final report.

Each profile is summarised two ways: CPU by package or module (``httpx``, ``httpcore``, ``h11``,
``anyio``, ``trigger_client/...``, stdlib), and the functions with the most own time. The raw
``.prof`` files are kept in a temporary directory named in the log (``python -m pstats`` reads them).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._config import Sizes
from ._stats import median

__all__ = ["run_profile", "summarise"]


def _bucket(filename: str, name: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/trigger_client/" in filename:
        return "trigger_client/" + filename.split("/trigger_client/", 1)[1]
    if "/bench/" in filename:
        return "bench (the benchmark client itself)"
    if filename == "~":
        if re.search(r"socket|epoll|select|recv|send", name):
            return "socket and epoll calls"
        return "builtins"
    if filename.startswith("<cattrs generated"):
        return "cattrs (generated structure functions)"
    m = re.search(r"python3\.\d+/([^/]+)", filename)
    if m:
        return "stdlib " + m.group(1).removesuffix(".py")
    return filename


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/trigger_client/", "python3.11/", "python3.12/"):
        if marker in filename:
            tail = filename.split(marker, 1)[1]
            return ("trigger_client/" + tail) if marker == "/trigger_client/" else tail
    return filename


def summarise(path: str, *, per: int, top: int = 20) -> dict[str, Any]:
    """CPU by package and the top functions by own time, per unit of work (``per``)."""
    import pstats

    stats: dict[Any, Any] = pstats.Stats(path).stats  # type: ignore[attr-defined]
    total = 0.0
    buckets: Counter[str] = Counter()
    functions = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.items():
        total += tottime
        buckets[_bucket(filename, name)] += tottime
        functions.append(
            {
                "function": f"{_short(filename)}:{line}({name})",
                "ncalls": ncalls,
                "own_us_per_unit": tottime / per * 1e6,
                "cum_us_per_unit": cumtime / per * 1e6,
            }
        )
    functions.sort(key=lambda f: -f["own_us_per_unit"])
    cumulative = sorted(functions, key=lambda f: -f["cum_us_per_unit"])
    return {
        "total_us_per_unit": total / per * 1e6,
        "by_package": [
            {"package": k, "us_per_unit": v / per * 1e6, "share": v / total if total else 0}
            for k, v in buckets.most_common(14)
        ],
        "top_own": functions[:top],
        "top_cumulative": [f for f in cumulative if "trigger_client" in f["function"]][:top],
    }


def run_profile(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    from . import steady
    from ._driver import BenchServer

    out_dir = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    log(f"profile: raw cProfile files in {out_dir}")
    result: dict[str, Any] = {"dir": str(out_dir)}
    updates = sizes.steady_updates
    with BenchServer() as server:
        for client in ("sync", "async"):
            path = out_dir / f"steady-{client}.prof"
            os.environ["BENCH_PROFILE"] = str(path)
            try:
                run = steady._one(server, client, updates, gap_s=0.0, poll_interval=0.005)
            finally:
                os.environ.pop("BENCH_PROFILE", None)
            summary = summarise(str(path), per=updates)
            summary["cpu_per_update_ms_profiled"] = run["cpu_per_update_ms"]
            result[f"steady_{client}"] = summary
            log(
                f"profile steady {client}: {summary['total_us_per_unit']:.0f} us CPU/update "
                "under the profiler"
            )
    from . import fanout

    k = min(200, max(sizes.fanout_ks))
    path = out_dir / f"fanout-{k}.prof"
    os.environ["BENCH_PROFILE"] = str(path)
    try:
        run = fanout._one(sizes, "async", k, log)
    finally:
        os.environ.pop("BENCH_PROFILE", None)
    if path.exists():
        requests = k * (3 + 2 * len(run["rounds"]))  # rough: 3 to go live, 2 per round
        summary = summarise(str(path), per=requests)
        summary["k"] = k
        summary["approx_requests"] = requests
        summary["live_s"] = run.get("live_s")
        summary["reach_last_s"] = median([r["reach_last_s"] for r in run["rounds"]])
        result["fanout"] = summary
    return result
