"""``python -m bench.streams``: realtime streams, ours vs the official SDK, on the same emulator.

    python -m bench.streams [--chunks N] [--latency-chunks M] [--repeats R]

* throughput: the emulator holds a stream of ``N`` chunks (``{"i", "text"}``, 16 characters of
  text); each client reads it all with ``with_streams()`` (the official SDK: ``withStreams()``);
  chunks per second and CPU per chunk from the first chunk to the last.
* latency: the driver appends one chunk every 20 ms (stamped with ``time.time()`` just before the
  append), each after the client reported the previous one; the client computes ``now - stamp``
  at yield. Median and p99.

Clients: ``sync`` and ``async`` (``runs.subscribe_to_run(id).with_streams()``), ``single``
(``runs.subscribe_to_stream(id, key)``, sync), ``floor`` (no SDK: a bare httpx stream decoded by
httpx-sse, the libraries' own cost), ``official`` (node). Each runs as its own process,
one at a time, the order rotated between repeats; the emulator runs in its own process. Results
go to ``bench/STREAMS.json`` (committed) and ``bench/STREAMS.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from ._driver import BenchServer, neutral_cwd, node_available, python_env
from ._procs import REPO, BenchError, LineProcess
from ._runtime import client_python
from ._stats import machine, median, percentile, spread

CLIENTS = ("sync", "async", "single", "floor", "official")
NODE_STREAMS = REPO / "bench" / "node" / "streams.mjs"
#: The raw results of ``bench/STREAMS.md``, committed beside it (``--report-only`` rebuilds it).
RESULTS = REPO / "bench" / "STREAMS.json"
REPORT = REPO / "bench" / "STREAMS.md"
GAP_S = 0.02


def start(server: BenchServer, client: str, mode: str, run_id: str, count: int) -> LineProcess:
    args = [mode, "--run", run_id, "--count", str(count)]
    env = python_env(server.env())
    if client == "official":
        return LineProcess(["node", str(NODE_STREAMS), *args], name=client, env=env, cwd=REPO)
    argv = [str(client_python()), "-m", "bench.streams_client", *args, "--impl", client]
    return LineProcess(argv, name=client, env=env, cwd=neutral_cwd())


def throughput(server: BenchServer, client: str, chunks: int) -> dict[str, Any]:
    run_id = server.call("stream_run", fill=chunks, size=16, timeout=300)["id"]
    with start(server, client, "throughput", run_id, chunks) as proc:
        proc.expect("hello", 30)
        _, done = proc.expect("done", 300)
    if done["count"] != chunks:
        raise BenchError(f"{client}: read {done['count']} of {chunks} chunks")
    return {
        "chunks_per_s": chunks / done["wall"],
        "cpu_us_per_chunk": done["cpu"] / chunks * 1e6,
    }


def latency(server: BenchServer, client: str, chunks: int) -> dict[str, Any]:
    run_id = server.call("stream_run")["id"]
    lats: list[float] = []
    with start(server, client, "latency", run_id, chunks) as proc:
        proc.expect("hello", 30)
        proc.expect("ready", 30)
        for i in range(chunks):
            time.sleep(GAP_S)
            server.call("stream_chunk", id=run_id, i=i)
            _, got = proc.expect("got", 30)
            if got["i"] != i:
                raise BenchError(f"{client}: chunk {got['i']} instead of {i}")
            lats.append(got["lat"] * 1000)
        proc.expect("done", 30)
    return {"p50_ms": median(lats), "p99_ms": percentile(lats, 99)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.streams")
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--latency-chunks", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild bench/STREAMS.md from bench/STREAMS.json, run nothing",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        REPORT.write_text(report(json.loads(RESULTS.read_text())))
        return 0
    clients = [c for c in CLIENTS if c != "official" or node_available()]
    started = time.time()
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {
        c: {"throughput": [], "latency": []} for c in clients
    }
    with BenchServer(long_poll_ms=20_000) as server:
        for repeat in range(args.repeats):
            order = clients[repeat % len(clients) :] + clients[: repeat % len(clients)]
            for client in order:
                print(f"repeat {repeat + 1}: {client}", file=sys.stderr, flush=True)
                raw[client]["throughput"].append(throughput(server, client, args.chunks))
                raw[client]["latency"].append(latency(server, client, args.latency_chunks))
    summary: dict[str, dict[str, float]] = {}
    for client, phases in raw.items():
        rates = [r["chunks_per_s"] for r in phases["throughput"]]
        cpus = [r["cpu_us_per_chunk"] for r in phases["throughput"]]
        p50 = [r["p50_ms"] for r in phases["latency"]]
        p99 = [r["p99_ms"] for r in phases["latency"]]
        summary[client] = {
            "chunks_per_s": median(rates),
            "chunks_per_s_spread": spread(rates),
            "cpu_us_per_chunk": median(cpus),
            "latency_p50_ms": median(p50),
            "latency_p99_ms": median(p99),
        }
    results = {
        "machine": machine(),
        "args": {k: v for k, v in vars(args).items() if k != "report_only"},
        "seconds": time.time() - started,
        "raw": raw,
        "summary": summary,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    REPORT.write_text(report(results))
    print(REPORT.read_text())
    return 0


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(results: dict[str, Any]) -> str:
    summary = results["summary"]
    args = results["args"]
    lines = [
        "# Realtime streams: trigger-client vs the official TypeScript SDK",
        "",
        f"Generated by `python -m bench.streams` (`bench/streams.py`) from "
        "`bench/STREAMS.json` (committed; `--report-only` rebuilds this file), in "
        f"{results['seconds']:.0f} s. Medians of "
        f"{args['repeats']} repeats; throughput over {args['chunks']} chunks of one stream, "
        f"latency over {args['latency_chunks']} chunks appended {GAP_S * 1000:.0f} ms apart.",
        "",
        "| client | chunks/s | spread | CPU µs/chunk | latency p50 ms | latency p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for client, row in summary.items():
        lines.append(
            f"| {client} | {row['chunks_per_s']:,.0f} | {_num(row['chunks_per_s_spread'])} | "
            f"{row['cpu_us_per_chunk']:.1f} | {row['latency_p50_ms']:.2f} | "
            f"{row['latency_p99_ms']:.2f} |"
        )
    official = summary.get("official")
    if official:
        lines += [
            "",
            "Ratios ours / official (throughput: above 1 is faster; CPU: below 1 is less):",
            "",
        ]
        for client, row in summary.items():
            if client == "official":
                continue
            lines.append(
                f"- {client}: throughput x{row['chunks_per_s'] / official['chunks_per_s']:.2f}, "
                f"CPU per chunk x{row['cpu_us_per_chunk'] / official['cpu_us_per_chunk']:.2f}, "
                f"p50 latency x{row['latency_p50_ms'] / official['latency_p50_ms']:.2f}"
            )
    lines += [
        "",
        "`floor` is no SDK: a bare `httpx.Client` stream decoded by httpx-sse and `json.loads`, "
        "the cost of the libraries our clients read streams with. Each client is CPU-bound on a "
        "shared machine, so throughput varies with the machine's load between runs; CPU per "
        "chunk is the steadier figure. Before/after figures, instruction counts and where the "
        "time goes: the streams section of [RESULTS.md](RESULTS.md).",
    ]
    m = results["machine"]
    lines += ["", f"Machine: {json.dumps(m)}", ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
