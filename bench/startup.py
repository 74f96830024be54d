"""Scenario 5: cold import time, and the time to the first run of a fresh script.

Import: wall time of ``python -c "from trigger_client import TriggerClient"`` minus ``python -c
"pass"`` (``import trigger_client`` alone loads next to nothing: public names load on first use, so
the bench imports what a user needs to do anything), against
``node --input-type=module -e "import '@trigger.dev/sdk/v3'"`` minus the same with nothing
imported (run from tests/interop, where the SDK is installed). Ours is measured in a real
runtime-only install: this tree's wheel, built and installed with its runtime dependencies alone in
a fresh venv (``runtime_only_venv``), as ``pip install trigger-client`` gives a user; the same in
this development venv is reported too. Fresh processes each time, the commands interleaved,
medians over repeats; one warm-up round first (bytecode caches, page cache). ``python -X
importtime`` gives the breakdown of ours (in this venv).

First run: from spawning ``python bench/scripts/first_run.py RUN_ID`` (the README's first example) or the
official SDK's equivalent (``bench/node/first_run.mjs``) to the line it prints for the first run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._config import Sizes
from ._driver import BenchServer, neutral_cwd, python_env
from ._procs import REPO, LineProcess
from ._stats import median, ratio

__all__ = ["import_breakdown", "run_startup"]

INTEROP = REPO / "tests" / "interop"
NODE_FIRST_RUN = REPO / "bench" / "node" / "first_run.mjs"

#: Optional packages of the development venv that a user's install of trigger-client does not
#: bring, but that are imported when present: httpcore imports trio; httpx imports its command
#: line (click, pygments, rich). The runtime-only venv must not have them.
DEV_ONLY = ("trio", "click", "pygments", "rich")
#: What a user imports to do anything (``import trigger_client`` alone loads almost nothing).
IMPORT = "from trigger_client import TriggerClient"

#: (argv, where to run it, the interpreter's environment: the dev venv's or the runtime-only one's)
Command = tuple[list[str], str, str]


def import_commands(runtime_python: Path) -> dict[str, Command]:
    """The timed commands: ours in this development venv and in the runtime-only venv (the built
    wheel alone, ``runtime_only_venv``), the official SDK's in tests/interop."""
    runtime = str(runtime_python)
    return {
        "python_bare": ([sys.executable, "-c", "pass"], "neutral", "dev"),
        "python_import": ([sys.executable, "-c", IMPORT], "neutral", "dev"),
        "python_bare_runtime_only": ([runtime, "-c", "pass"], "neutral", "runtime"),
        "python_import_runtime_only": ([runtime, "-c", IMPORT], "neutral", "runtime"),
        "node_bare": (["node", "--input-type=module", "-e", ""], "interop", "dev"),
        "node_import": (
            ["node", "--input-type=module", "-e", "import '@trigger.dev/sdk/v3';"],
            "interop",
            "dev",
        ),
    }


def runtime_env() -> dict[str, str]:
    """The environment of the runtime-only interpreter: nothing of this tree on its path (a
    ``BENCH_SDK_PATH`` copy of the SDK aside, as for every client)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    sdk_path = env.pop("BENCH_SDK_PATH", None)
    if sdk_path:
        env["PYTHONPATH"] = sdk_path
    return env


def runtime_only_venv(root: Path, log: Any) -> tuple[Path, dict[str, Any]]:
    """Build this tree's wheel and install it, with its runtime dependencies only, in a fresh
    venv under ``root``: what ``pip install trigger-client`` gives a user. Returns the venv's
    interpreter and what was installed (the wheel, ``pip freeze``, the dev-only packages found)."""
    wheels = root / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=900,
    )
    (wheel,) = wheels.glob("trigger_client-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=300)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=900
    )
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    freeze = [line for line in freeze if not line.startswith("trigger-client")] + [wheel.name]
    probe = (
        f"import importlib.util as u; print(','.join(m for m in {DEV_ONLY!r} if u.find_spec(m)))"
    )
    found = subprocess.run(
        [str(python), "-c", probe],
        cwd=str(neutral_cwd()),
        env=runtime_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    dev_only = [m for m in found.split(",") if m]
    if dev_only:
        raise RuntimeError(f"the runtime-only venv has development packages: {dev_only}")
    log(f"runtime-only venv: {wheel.name} and {len(freeze)} packages")
    return python, {"wheel": wheel.name, "packages": freeze, "dev_only_found": dev_only}


def _time_command(argv: list[str], cwd: str, env: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process.

    ``os.wait4`` blocks until the child exits: ``subprocess.run(timeout=...)`` polls with sleeps
    of up to 50 ms, which quantised the first measurements into 50 ms steps. A timer kills a
    child that hangs (60 s).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=str(neutral_cwd() if cwd == "neutral" else INTEROP),
        env=runtime_env() if env == "runtime" else python_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def import_breakdown(top: int = 16) -> list[dict[str, Any]]:
    """``-X importtime``: self time of everything ``IMPORT`` pulls in, summed by
    top-level package (``trigger_client`` modules one by one)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT],
        cwd=str(neutral_cwd()),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stderr
    rows: list[tuple[int, int, str]] = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), (len(m.group(3)) - 1) // 2, m.group(4)))
    # The subtree of the last top-level import (trigger_client): the lines just before it that
    # are nested deeper (importtime prints children before their parent).
    subtree: list[tuple[int, int, str]] = []
    for self_us, depth, module in reversed(rows):
        if subtree and depth == 0:
            break
        subtree.append((self_us, depth, module))
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for self_us, _depth, module in subtree:
        parts = module.split(".")
        key = ".".join(parts[:3]) if parts[0] == "trigger_client" else parts[0]
        totals[key] = totals.get(key, 0.0) + self_us / 1000
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    return [{"package": k, "self_ms": v, "modules": counts[k]} for k, v in ordered[:top]]


def _first_run(server: BenchServer, client: str, run_id: str) -> float:
    if client == "official":
        argv = [
            "node",
            "--input-type=module",
            "--eval",
            NODE_FIRST_RUN.read_text(),
            run_id,
        ]
        cwd = INTEROP
    else:
        argv = [sys.executable, str(REPO / "bench" / "scripts" / "first_run.py"), run_id]
        cwd = neutral_cwd()
    with LineProcess(
        argv, name=f"{client} first run", env=python_env(server.env()), cwd=cwd
    ) as proc:
        t0 = proc.started
        at, line = proc.read_line(60)
        if run_id not in line:
            raise RuntimeError(f"{client} first run printed {line!r}")
        proc.close()
    return at - t0


def run_startup(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as root:
        runtime_python, installed = runtime_only_venv(Path(root), log)
        commands = import_commands(runtime_python)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        names = [n for n in commands if not n.startswith("node") or "official" in clients]
        for name in names:  # warm-up: bytecode caches, page cache
            _time_command(*commands[name])
        for _ in range(sizes.import_repeats):
            for name in names:
                wall, used = _time_command(*commands[name])
                times[name].append(wall)
                cpu[name].append(used)
    med = {name: median(values) for name, values in times.items()}
    med_cpu = {name: median(values) for name, values in cpu.items()}

    def minus(values: dict[str, float | None], a: str, b: str) -> float | None:
        x, y = values.get(a), values.get(b)
        return None if x is None or y is None else x - y

    ours = minus(med, "python_import_runtime_only", "python_bare_runtime_only")
    ours_dev = minus(med, "python_import", "python_bare")
    official = minus(med, "node_import", "node_bare")
    ours_cpu = minus(med_cpu, "python_import_runtime_only", "python_bare_runtime_only")
    official_cpu = minus(med_cpu, "node_import", "node_bare")
    log(
        f"import: ours {(ours or 0) * 1000:.1f} ms (in this dev venv {(ours_dev or 0) * 1000:.1f}"
        f" ms), official {(official or float('nan')) * 1000:.1f} ms (interpreters alone: python "
        f"{(med['python_bare'] or 0) * 1000:.1f} ms, node {(med['node_bare'] or 0) * 1000:.1f} ms)"
    )
    first: dict[str, list[float]] = {"ours": [], "official": []}
    first_clients = ["ours"] + (["official"] if "official" in clients else [])
    with BenchServer() as server:
        run_id = server.call("create", group="first", n=1)["ids"][0]
        for name in first_clients:  # warm-up
            _first_run(server, "official" if name == "official" else "sync", run_id)
        for i in range(sizes.first_run_repeats):
            order = first_clients if i % 2 == 0 else list(reversed(first_clients))
            for name in order:
                first[name].append(
                    _first_run(server, "official" if name == "official" else "sync", run_id)
                )
    first_med = {name: median(values) for name, values in first.items()}
    log(
        f"first run: ours {(first_med['ours'] or 0) * 1000:.0f} ms, official "
        f"{(first_med['official'] or float('nan')) * 1000:.0f} ms"
    )
    return {
        "import": {
            "medians_s": med,
            "cpu_medians_s": med_cpu,
            "ours_cpu_s": ours_cpu,
            "official_cpu_s": official_cpu,
            "ratio_cpu": ratio(ours_cpu, official_cpu),
            "ours_s": ours,
            "ours_dev_venv_s": ours_dev,
            "official_s": official,
            "ratio": ratio(ours, official),
            "ratio_dev_venv": ratio(ours_dev, official),
            "runtime_only_install": installed,
            "runs": times,
            "repeats": sizes.import_repeats,
        },
        "import_breakdown": import_breakdown(),
        "first_run": {
            "ours_s": first_med["ours"],
            "official_s": first_med.get("official"),
            "ratio": ratio(first_med["ours"], first_med.get("official")),
            "runs": first,
            "repeats": sizes.first_run_repeats,
        },
    }
