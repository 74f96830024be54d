"""Small statistics helpers and the description of the machine."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from ._procs import REPO

__all__ = ["machine", "median", "minus", "percentile", "ratio", "spread"]


def median(values: Sequence[float]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def spread(values: Sequence[float]) -> float | None:
    """(max - min) / median: how noisy the repeats were."""
    clean = [v for v in values if v is not None]
    if len(clean) < 2:
        return None
    mid = statistics.median(clean)
    return (max(clean) - min(clean)) / mid if mid else None


def minus(a: float | None, b: float | None) -> float | None:
    """``a - b``, or None when either is missing."""
    return None if a is None or b is None else a - b


def ratio(ours: float | None, official: float | None) -> float | None:
    if ours is None or official is None or official == 0:
        return None
    return ours / official


def _run(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_mb = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    sdk_version = "missing"
    pkg = REPO / "tests" / "interop" / "node_modules" / "@trigger.dev" / "sdk" / "package.json"
    if pkg.exists():
        import json

        sdk_version = json.loads(pkg.read_text())["version"]
    import httpx

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": mem_mb,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "httpx": httpx.__version__,
        "node": _run(["node", "--version"]),
        "official_sdk": sdk_version,
        "git": _run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "git_dirty_files": len(
            [
                line
                for line in _run(["git", "-C", str(REPO), "status", "--porcelain"]).splitlines()
                if line.strip()
            ]
        ),
        "loadavg_at_start": [round(x, 2) for x in load],
    }
