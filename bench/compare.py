"""Side-by-side key numbers of several results files: ``python -m bench.compare full proto-fast``
(``--profile`` first: the profiles' CPU by package instead).

Each argument is a label (``bench/results/<label>.json``) or a path. Prints a markdown table
(one column per file) of the numbers the issue's targets are about, each with its ratio to the
official SDK measured in the same run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._procs import REPO

__all__ = ["compare", "main"]

Getter = Callable[[dict[str, Any]], tuple[float | None, float | None]]


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _steady(client: str) -> Getter:
    def get(r: dict[str, Any]) -> tuple[float | None, float | None]:
        c = _get(r, "scenarios", "steady", "clients", client) or {}
        return c.get("cpu_per_update_ms"), c.get("ratio")

    return get


def _latency(client: str, which: str) -> Getter:
    def get(r: dict[str, Any]) -> tuple[float | None, float | None]:
        c = _get(r, "scenarios", "latency", "clients", client) or {}
        return c.get(f"{which}_ms"), c.get(f"ratio_{which}")

    return get


def _fanout(k: str, key: str, ratio_key: str | None) -> Getter:
    def get(r: dict[str, Any]) -> tuple[float | None, float | None]:
        c = _get(r, "scenarios", "fanout", "by_k", k, "async") or {}
        return c.get(key), c.get(ratio_key) if ratio_key else None

    return get


def _tags(n: str, client: str) -> Getter:
    def get(r: dict[str, Any]) -> tuple[float | None, float | None]:
        c = _get(r, "scenarios", "tags", "by_size", n, client) or {}
        return c.get("seconds"), c.get("ratio")

    return get


def _startup(figure: str) -> Getter:
    def get(r: dict[str, Any]) -> tuple[float | None, float | None]:
        f = _get(r, "scenarios", "startup", "figures", figure) or {}
        ours = f.get("ours_net_s")
        return (ours * 1000 if ours is not None else None), f.get("ratio")

    return get


ROWS: list[tuple[str, str, Getter]] = [
    ("1. CPU / update, sync (ms)", "≤ 0.35", _steady("sync")),
    ("1. CPU / update, async (ms)", "≤ 0.5", _steady("async")),
    ("1. CPU / update, poll (ms)", "", _steady("poll")),
    ("2. latency p50, sync (ms)", "", _latency("sync", "p50")),
    ("2. latency p99, sync (ms)", "≤ 0.3", _latency("sync", "p99")),
    ("2. latency p99, async (ms)", "≤ 0.3", _latency("async", "p99")),
    ("3. K=1000: all live (s)", "", _fanout("1000", "live_s", "ratio_live")),
    ("3. K=1000: round reaches the last (s)", "", _fanout("1000", "reach_last_s", "ratio_reach")),
    ("3. K=5000: all live (s)", "", _fanout("5000", "live_s", "ratio_live")),
    (
        "3. K=5000: round reaches the last (s)",
        "≤ 0.5",
        _fanout("5000", "reach_last_s", "ratio_reach"),
    ),
    ("3. K=5000: peak RSS (MB)", "< 150 MB", _fanout("5000", "peak_rss_mb", "ratio_rss")),
    ("3. K=5000: client CPU, whole run (s)", "", _fanout("5000", "cpu_s", None)),
    ("4. tag feed, 2,000 runs, sync (s)", "≤ 0.4", _tags("2000", "sync")),
    ("4. tag feed, 10,000 runs, sync (s)", "≤ 0.4", _tags("10000", "sync")),
    ("4. tag feed, 10,000 runs, async (s)", "≤ 0.4", _tags("10000", "async")),
    ("5. import to ready, sync, net (ms)", "≤ 0.8", _startup("ready_sync")),
    ("5. import to ready, async, net (ms)", "≤ 0.8", _startup("ready_async")),
    ("5. fresh process to first run, net (ms)", "≤ 0.8", _startup("first_run")),
    ("5. fresh process to 2,000-run tag feed, net (ms)", "≤ 0.5", _startup("tag_feed")),
]


def _load(name: str) -> tuple[str, dict[str, Any]]:
    path = Path(name)
    if not path.exists():
        path = REPO / "bench" / "results" / f"{name}.json"
    return path.stem, json.loads(path.read_text())


def _cell(value: float | None, ratio: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3g}" if value < 100 else f"{value:.0f}"
    return f"{text} ({ratio:.2f})" if ratio is not None else text


def compare(names: Sequence[str]) -> str:
    loaded = [_load(n) for n in names]
    header = ["", "target (ours / official)"] + [f"`{label}`" for label, _ in loaded]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for title, target, get in ROWS:
        cells = [_cell(*get(data)) for _, data in loaded]
        lines.append("| " + " | ".join([title, target, *cells]) + " |")
    return (
        "\n".join(lines) + "\n\nEach cell: our value (ours / official, measured in the same run).\n"
    )


def compare_profiles(names: Sequence[str], key: str = "steady_sync", top: int = 10) -> str:
    """CPU by package of one profile (``steady_sync``, ``steady_async``, ``fanout``), side by side."""
    loaded = [_load(n) for n in names]
    per: list[dict[str, float]] = []
    totals: list[float | None] = []
    for _, data in loaded:
        profile = _get(data, "scenarios", "profile", key) or {}
        per.append({b["package"]: b["us_per_unit"] for b in profile.get("by_package", [])})
        totals.append(profile.get("total_us_per_unit"))
    packages: list[str] = []
    for table in per:
        for name in sorted(table, key=lambda p: -table[p])[:top]:
            if name not in packages:
                packages.append(name)
    header = [f"{key}: µs / unit (profiled)"] + [f"`{label}`" for label, _ in loaded]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        "| **total** | " + " | ".join(f"{t:.0f}" if t else "n/a" for t in totals) + " |",
    ]
    for name in packages:
        cells = [f"{table[name]:.0f}" if name in table else "-" for table in per]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    if not args:
        print(__doc__)
        return 2
    if args[0] == "--profile":
        for key in ("steady_sync", "steady_async", "fanout"):
            print(compare_profiles(args[1:], key))
        return 0
    print(compare(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
