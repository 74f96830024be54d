"""``python -m bench``: run the benchmark scenarios and write ``bench/RESULTS.md``.

    python -m bench                      # everything (make bench), under 10 minutes
    python -m bench --quick              # small sizes, a couple of minutes
    python -m bench --only steady        # one scenario (repeatable; others keep their last results)
    python -m bench --clients sync,official

Scenarios: steady (1: CPU per update), latency (2), fanout (3), tags (4), startup (5: import, in a
runtime-only install of the built wheel, and first run), profile (cProfile of our hot paths). Raw
results go to ``bench/results/<label>.json`` (``--label``, default ``full`` or ``quick``); the
report is rebuilt from that file: the full run of this tree writes ``bench/RESULTS.md`` and its raw
results ``bench/RESULTS.json`` (committed: ``--report-only`` rebuilds the report from it), other
runs ``bench/results/<label>.md``.
``BENCH_SDK_PATH=<dir>`` (or ``--sdk-path``) puts another copy of ``trigger_client`` first on the
clients' path, to measure a proposed change against the same official baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._config import FULL, QUICK, Sizes
from ._driver import CLIENTS, node_available
from ._procs import REPO, BenchError, raise_nofile_limit
from ._report import write_report
from ._stats import machine

SCENARIOS = ("steady", "latency", "fanout", "tags", "startup", "profile")
RESULTS_DIR = REPO / "bench" / "results"
#: The raw results of ``bench/RESULTS.md``, committed beside it.
COMMITTED_RESULTS = REPO / "bench" / "RESULTS.json"


def _runner(name: str) -> Callable[[Sizes, Sequence[str], Callable[[str], None]], dict[str, Any]]:
    if name == "steady":
        from .steady import run_steady

        return run_steady
    if name == "latency":
        from .steady import run_latency

        return run_latency
    if name == "fanout":
        from .fanout import run_fanout

        def fanout(sizes: Sizes, clients: Sequence[str], log: Callable[[str], None]) -> Any:
            return run_fanout(sizes, [c for c in clients if c in ("async", "official")], log)

        return fanout
    if name == "tags":
        from .tags import run_tags

        return run_tags
    if name == "startup":
        from .startup import run_startup

        return run_startup
    from .profiling import run_profile

    return run_profile


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a couple of minutes")
    parser.add_argument(
        "--only",
        action="append",
        choices=SCENARIOS,
        help="run only this scenario (repeatable)",
    )
    parser.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help=f"comma-separated subset of {', '.join(CLIENTS)}",
    )
    parser.add_argument("--label", help="results file name (default: full or quick)")
    parser.add_argument("--sdk-path", help="a directory holding another trigger_client to measure")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the report from the results file without running anything",
    )
    parser.add_argument(
        "--report",
        help="where to write the report ('-' for none; default bench/RESULTS.md for the full "
        "run of this tree, else bench/results/<label>.md)",
    )
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else FULL
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = sorted(set(clients) - set(CLIENTS))
    if unknown:
        parser.error(f"unknown clients: {', '.join(unknown)}")
    if "official" in clients and not node_available():
        print(
            "bench: node or tests/interop/node_modules is missing (run `make setup`); "
            "the official SDK is left out, so no ratios",
            file=sys.stderr,
        )
        clients.remove("official")
    if args.sdk_path:
        os.environ["BENCH_SDK_PATH"] = str(Path(args.sdk_path).resolve())
    label = args.label or ("quick" if args.quick else "full")
    if args.report is None:
        official_report = label == "full" and not args.quick and not args.sdk_path
        args.report = str(
            REPO / "bench" / "RESULTS.md"
            if official_report
            else REPO / "bench" / "results" / f"{label}.md"
        )
    raise_nofile_limit()

    RESULTS_DIR.mkdir(exist_ok=True)
    results_path = RESULTS_DIR / f"{label}.json"
    official_raw = args.report == str(REPO / "bench" / "RESULTS.md")
    if args.report_only:
        if official_raw and not results_path.exists():
            results_path = COMMITTED_RESULTS  # the raw results of bench/RESULTS.md
        if args.report != "-":
            write_report(json.loads(results_path.read_text()), Path(args.report))
            print(f"report written to {args.report} from {results_path}")
        return 0
    results: dict[str, Any] = {}
    if args.only and results_path.exists():
        results = json.loads(results_path.read_text())
    results.setdefault("scenarios", {})
    results["machine"] = machine()
    results["label"] = label
    results["quick"] = args.quick
    results["sdk_path"] = os.environ.get("BENCH_SDK_PATH")
    results["client_python"] = "dev" if os.environ.get("BENCH_DEV_VENV") == "1" else "runtime-only"
    results["clients"] = clients

    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    failures = 0
    for name in args.only or SCENARIOS:
        t0 = time.monotonic()
        log(f"== {name}")
        try:
            data = _runner(name)(sizes, clients, log)
        except (BenchError, RuntimeError, OSError) as exc:
            failures += 1
            log(f"{name} failed: {exc}")
            data = {"error": str(exc)}
        data["elapsed_s"] = time.monotonic() - t0
        data["finished_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        results["scenarios"][name] = data
        results_path.write_text(json.dumps(results, indent=1, default=str))
        log(f"{name}: {data['elapsed_s']:.0f}s")
    results["elapsed_s"] = time.monotonic() - started
    results["command"] = "python -m bench " + " ".join(argv or sys.argv[1:])
    results_path.write_text(json.dumps(results, indent=1, default=str))
    if args.report != "-":
        write_report(results, Path(args.report))
        log(f"report written to {args.report}")
        if official_raw:  # committed beside the report, which is rebuilt from it
            COMMITTED_RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
            log(f"raw results written to {COMMITTED_RESULTS}")
    log(f"total {results['elapsed_s']:.0f}s; raw results in {results_path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
