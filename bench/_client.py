"""Our SDK as a benchmark client process: ``python -m bench._client <scenario> ...``.

The official SDK's twin is ``bench/node/client.mjs``; both speak the same stdout protocol:

* ``steady --run ID --count N --transport sync|async|poll``: follow one run; at every yield print
  ``"<n> <latency s>"`` (``n`` and the commit time ``t`` come from the run's metadata) so the
  driver can commit the next change; CPU and wall time are read at the first yield and at
  ``n == N`` (start-up is left out), then ``{"event": "done", ...}``.
* ``fanout --ids FILE --rounds R``: one ``AsyncTriggerClient()`` (default configuration), one task
  per run id; ``{"event": "initial"}`` when every subscription yielded its first run,
  ``{"event": "round", "r": r, ...}`` when every subscription yielded round ``r``, then peak RSS,
  per-round latencies and missed updates in ``done`` (sent when the driver writes a line on stdin).
* ``tags --tag T --count N --transport sync|async``: time from subscribing to the N-th distinct run.

``--transport raw`` is the floor of each scenario: the same HTTP exchanges without the SDK
(``http.client`` long-polls, bare asyncio connections, two bare httpx GETs), to show how much of a
number is the server's and the machine's. ``BENCH_PROFILE=<file>`` runs cProfile (CPU time) over the
measured part; ``BENCH_TRACEMALLOC=<frames>`` reports the largest allocations held (fan-out).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any


def _emit(obj: dict[str, Any]) -> None:
    os.write(1, (json.dumps(obj, separators=(",", ":")) + "\n").encode())


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _metadata(run: Any) -> tuple[int, float]:
    meta = run.metadata
    return int(meta["n"]), float(meta["t"])


class _Meter:
    """Marks CPU (user + system, all threads) and wall time at the first yield and at the end.

    With ``BENCH_PROFILE=<file>`` in the environment, cProfile runs between the two marks and its
    stats are dumped to that file (for ``python -m bench --only profile``).
    """

    def __init__(self) -> None:
        self.cpu0 = 0.0
        self.wall0 = 0.0
        self._profile_path = os.environ.get("BENCH_PROFILE")
        self._profiler: Any = None

    def start(self) -> None:
        if self._profile_path:
            import cProfile

            self._profiler = cProfile.Profile(time.process_time)  # CPU time, not waiting
            self._profiler.enable()
        self.cpu0 = time.process_time()
        self.wall0 = time.perf_counter()

    def done(self, **extra: Any) -> None:
        cpu = time.process_time() - self.cpu0
        wall = time.perf_counter() - self.wall0
        if self._profiler is not None:
            self._profiler.disable()
            self._profiler.dump_stats(self._profile_path)
        _emit({"event": "done", "cpu": cpu, "wall": wall, "peak_rss_kb": _peak_rss_kb(), **extra})


# ---------------------------------------------------------------------------------------------
# steady: one run, the server advancing as soon as the client has caught up


def steady_sync(run_id: str, count: int, transport: str, poll_interval: float) -> None:
    from trigger_client import TriggerClient

    meter = _Meter()
    with TriggerClient() as client:
        # feed= since the renaming; transport= in the trees before it (--sdk-path)
        kind = "poll" if transport == "poll" else "realtime"
        subscribe = client.runs.subscribe_to_run
        feed = "feed" if "feed" in inspect.signature(subscribe).parameters else "transport"
        subscription = subscribe(run_id, poll_interval=poll_interval, **{feed: kind})
        with subscription:
            for run in subscription:
                now = time.time()
                n, t = _metadata(run)
                if n == 0:
                    meter.start()
                os.write(1, f"{n} {now - t:.6f}\n".encode())
                if n >= count:
                    meter.done(updates=count)
                    break


async def _steady_async(run_id: str, count: int) -> None:
    from trigger_client import AsyncTriggerClient

    meter = _Meter()
    async with AsyncTriggerClient() as client:
        async with client.runs.subscribe_to_run(run_id) as subscription:
            async for run in subscription:
                now = time.time()
                n, t = _metadata(run)
                if n == 0:
                    meter.start()
                os.write(1, f"{n} {now - t:.6f}\n".encode())
                if n >= count:
                    meter.done(updates=count)
                    break


def steady_raw(run_id: str, count: int) -> None:
    """The floor: the same long-polls with ``http.client`` and no SDK (server + kernel cost)."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    url = urlsplit(os.environ["TRIGGER_API_URL"])
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port)
    headers = {
        "authorization": f"Bearer {os.environ['TRIGGER_SECRET_KEY']}",
        "x-trigger-electric-version": "1.0.0-beta.1",
    }
    path = f"/realtime/v1/runs/{run_id}"
    state = {"log": "full", "offset": "-1"}
    live, cursor, last = False, "", -1
    metadata: str | None = None
    meter = _Meter()
    while True:
        query = dict(state)
        if live:
            query.update(live="true", cursor=cursor)
        conn.request("GET", path + "?" + urlencode(sorted(query.items())), headers=headers)
        response = conn.getresponse()
        body = response.read()
        state["handle"] = response.getheader("electric-handle") or ""
        state["offset"] = response.getheader("electric-offset") or state["offset"]
        cursor = response.getheader("electric-cursor") or cursor
        for message in json.loads(body):
            value = message.get("value")
            if value and value.get("metadata"):
                metadata = value["metadata"]
            if message.get("headers", {}).get("control") == "up-to-date":
                live = True
        if metadata is None or not live:
            continue
        now = time.time()
        meta = json.loads(metadata)
        n, t = int(meta["n"]), float(meta["t"])
        if n == last:
            continue
        last = n
        if n == 0:
            meter.start()
        os.write(1, f"{n} {now - t:.6f}\n".encode())
        if n >= count:
            meter.done(updates=count)
            return


# ---------------------------------------------------------------------------------------------
# fanout: K subscriptions in one process


async def _raw_long_polls(run_id: str) -> Any:
    """The fan-out floor: one run's long-polls over a bare asyncio connection, no SDK; yields
    ``(n, t)`` from the metadata each time it changes."""
    import asyncio
    from urllib.parse import urlencode, urlsplit

    url = urlsplit(os.environ["TRIGGER_API_URL"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    auth = f"Bearer {os.environ['TRIGGER_SECRET_KEY']}"
    reader, writer = await asyncio.open_connection(host, port)
    path = f"/realtime/v1/runs/{run_id}"
    state = {"log": "full", "offset": "-1"}
    live, cursor, last = False, "", -1
    metadata: str | None = None
    try:
        while True:
            query = dict(state)
            if live:
                query.update(live="true", cursor=cursor)
            target = path + "?" + urlencode(sorted(query.items()))
            writer.write(
                f"GET {target} HTTP/1.1\r\nhost: {host}:{port}\r\nauthorization: {auth}\r\n"
                "x-trigger-electric-version: 1.0.0-beta.1\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            state["handle"] = headers.get("electric-handle", "")
            state["offset"] = headers.get("electric-offset", state["offset"])
            cursor = headers.get("electric-cursor", cursor)
            for message in json.loads(body):
                value = message.get("value")
                if value and value.get("metadata"):
                    metadata = value["metadata"]
                if message.get("headers", {}).get("control") == "up-to-date":
                    live = True
            if metadata is None or not live:
                continue
            meta = json.loads(metadata)
            if int(meta["n"]) != last:
                last = int(meta["n"])
                yield last, float(meta["t"])
    finally:
        writer.close()


async def _fanout(ids: list[str], rounds: int, phase_timeout: float, raw: bool = False) -> None:
    import asyncio

    # What client.runs loads lazily, loaded before the memory baseline.
    import trigger_client._async._resources  # noqa: F401
    from trigger_client import AsyncTriggerClient

    k = len(ids)
    baseline = _rss_kb()
    seen: list[set[int]] = [set() for _ in ids]
    counts = [0] * (rounds + 1)
    first_at = [0.0] * (rounds + 1)
    latencies: list[list[float]] = [[] for _ in range(rounds + 1)]
    duplicates = 0
    cpu0 = time.process_time()
    trace_memory = bool(os.environ.get("BENCH_TRACEMALLOC"))
    if trace_memory:
        import tracemalloc

        tracemalloc.start(int(os.environ["BENCH_TRACEMALLOC"]))
    profile_path = os.environ.get("BENCH_PROFILE")
    profiler: Any = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()

    async def updates(run_id: str) -> Any:
        if raw:
            async for n, t in _raw_long_polls(run_id):
                yield n, t
        else:
            async for run in client.runs.subscribe_to_run(run_id):
                yield _metadata(run)

    async def follow(index: int, run_id: str) -> None:
        nonlocal duplicates
        async for n, t in updates(run_id):
            now = time.time()
            if n in seen[index] or n > rounds:
                duplicates += 1
                continue
            seen[index].add(n)
            latencies[n].append(now - t)
            counts[n] += 1
            if counts[n] == 1:
                first_at[n] = now
            if counts[n] == k:
                _emit(
                    {
                        "event": "initial" if n == 0 else "round",
                        "r": n,
                        "first": first_at[n],
                        "last": now,
                        "rss_kb": _rss_kb(),
                    }
                )

    async with AsyncTriggerClient() as client:
        # Load the lazily imported parts before the clock starts, as node loads the whole SDK at
        # its import (the import and the first run of a fresh script are measured in scenario 5).
        client.runs  # noqa: B018
        loop = asyncio.get_running_loop()
        report_now = asyncio.Event()
        # The driver writes a line on stdin when it wants the final report (or at EOF).
        loop.add_reader(sys.stdin.fileno(), report_now.set)
        start = time.time()
        _emit({"event": "start", "at": start, "baseline_rss_kb": baseline, "k": k})
        tasks = [asyncio.ensure_future(follow(i, run_id)) for i, run_id in enumerate(ids)]
        try:
            await asyncio.wait_for(report_now.wait(), phase_timeout)
        except TimeoutError:
            pass
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
        if trace_memory:
            _emit_memory_top(k)
        missed = sum(rounds + 1 - len(s) for s in seen)
        failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        _emit(
            {
                "event": "done",
                "k": k,
                "cpu": time.process_time() - cpu0,
                "baseline_rss_kb": baseline,
                "peak_rss_kb": _peak_rss_kb(),
                "missed": missed,
                "delivered": [counts[n] for n in range(rounds + 1)],
                "duplicates": duplicates,
                "failed_tasks": len(failed),
                "first_error": repr(failed[0].exception())[:500] if failed else None,
                "lat_p50": [_pct(x, 50) for x in latencies],
                "lat_p99": [_pct(x, 99) for x in latencies],
            }
        )
        # Tearing down thousands of connections is not what is measured: leave at once.
        sys.stdout.flush()
        os._exit(0)


def _emit_memory_top(k: int, top: int = 30) -> None:
    """``BENCH_TRACEMALLOC=<frames>``: the allocation sites holding the most memory now."""
    import tracemalloc

    snapshot = tracemalloc.take_snapshot()
    frames = int(os.environ.get("BENCH_TRACEMALLOC") or 1)
    stats = snapshot.statistics("traceback" if frames > 1 else "lineno")
    total = sum(s.size for s in stats)
    rows = []
    for stat in stats[:top]:
        where = " <- ".join(
            f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback
        )
        rows.append(
            {"bytes_per_sub": stat.size / k, "count_per_sub": stat.count / k, "where": where}
        )
    _emit({"event": "memory", "traced_bytes_per_sub": total / k, "top": rows})


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------------------------------------
# tags: a tag feed whose snapshot holds N runs


def tags_sync(tag: str, count: int) -> None:
    from trigger_client import TriggerClient

    with TriggerClient() as client:
        # Load the lazily imported parts before the clock starts, as node loads the whole SDK at
        # its import (the import and the first run of a fresh script are measured in scenario 5).
        client.runs  # noqa: B018
        seen: set[str] = set()
        cpu0, t0 = time.process_time(), time.perf_counter()
        with client.runs.subscribe_to_runs_with_tag(tag) as subscription:
            for run in subscription:
                seen.add(run.id)
                if len(seen) >= count:
                    break
        _emit(
            {
                "event": "done",
                "seconds": time.perf_counter() - t0,
                "cpu": time.process_time() - cpu0,
                "runs": len(seen),
                "peak_rss_kb": _peak_rss_kb(),
            }
        )


async def _tags_async(tag: str, count: int) -> None:
    from trigger_client import AsyncTriggerClient

    async with AsyncTriggerClient() as client:
        # Load the lazily imported parts before the clock starts, as node loads the whole SDK at
        # its import (the import and the first run of a fresh script are measured in scenario 5).
        client.runs  # noqa: B018
        seen: set[str] = set()
        cpu0, t0 = time.process_time(), time.perf_counter()
        async with client.runs.subscribe_to_runs_with_tag(tag) as subscription:
            async for run in subscription:
                seen.add(run.id)
                if len(seen) >= count:
                    break
        _emit(
            {
                "event": "done",
                "seconds": time.perf_counter() - t0,
                "cpu": time.process_time() - cpu0,
                "runs": len(seen),
                "peak_rss_kb": _peak_rss_kb(),
            }
        )


def tags_raw(tag: str) -> None:
    """The floor: the same requests with bare httpx, no parsing (server time plus transfer)."""
    import httpx

    base = os.environ["TRIGGER_API_URL"]
    headers = {
        "authorization": f"Bearer {os.environ['TRIGGER_SECRET_KEY']}",
        "x-trigger-electric-version": "1.0.0-beta.1",
    }
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        cpu0, t0 = time.process_time(), time.perf_counter()
        first = http.get("/realtime/v1/runs", params={"offset": "-1", "tags": tag})
        params = {
            "tags": tag,
            "handle": first.headers["electric-handle"],
            "offset": first.headers["electric-offset"],
        }
        second = http.get("/realtime/v1/runs", params=params)
        _emit(
            {
                "event": "done",
                "seconds": time.perf_counter() - t0,
                "cpu": time.process_time() - cpu0,
                "bytes": len(first.content) + len(second.content),
                "runs": 0,
                "peak_rss_kb": _peak_rss_kb(),
            }
        )


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._client")
    sub = parser.add_subparsers(dest="scenario", required=True)
    p = sub.add_parser("steady")
    p.add_argument("--run", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--transport", choices=("sync", "async", "poll", "raw"), default="sync")
    p.add_argument("--poll-interval", type=float, default=0.01)
    p = sub.add_parser("fanout")
    p.add_argument("--ids", required=True, help="a file with one run id per line")
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--transport", choices=("async", "raw"), default="async")
    p = sub.add_parser("tags")
    p.add_argument("--tag", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--transport", choices=("sync", "async", "raw"), default="sync")
    args = parser.parse_args(argv)

    from ._procs import raise_nofile_limit

    raise_nofile_limit()
    import trigger_client

    _emit({"event": "hello", "pid": os.getpid(), "sdk": os.path.dirname(trigger_client.__file__)})
    if args.scenario == "steady":
        if args.transport == "async":
            import asyncio

            asyncio.run(_steady_async(args.run, args.count))
        elif args.transport == "raw":
            steady_raw(args.run, args.count)
        else:
            steady_sync(args.run, args.count, args.transport, args.poll_interval)
    elif args.scenario == "fanout":
        import asyncio

        with open(args.ids) as f:
            ids = [line.strip() for line in f if line.strip()]
        asyncio.run(_fanout(ids, args.rounds, args.timeout, raw=args.transport == "raw"))
    elif args.scenario == "tags":
        if args.transport == "async":
            import asyncio

            asyncio.run(_tags_async(args.tag, args.count))
        elif args.transport == "raw":
            tags_raw(args.tag)
        else:
            tags_sync(args.tag, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
