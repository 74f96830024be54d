"""Scenario 5: cold start, as a user meets it, against the official SDK in the same run.

Everything of ours runs in a runtime-only install: a venv (cached in the temp directory, keyed by
the wheel's hash) holding the wheel built from this tree and its runtime dependencies, nothing else
(no dev tools that httpx or httpcore would import when present). Fresh processes, the commands of a
round interleaved in rotating order, one warm-up round, medians over ``startup_repeats`` rounds; each
figure is also given minus a bare interpreter (``python -c pass``, ``node -e ''``). The fastest of
the rounds is reported too: on a loaded machine it is the round least disturbed by others.

- Import to ready: ``import trigger_client as t; c = t.TriggerClient(...); c.runs`` (and the same with
  ``AsyncTriggerClient``) until the process exits, against node importing ``@trigger.dev/sdk/v3``
  (ESM ``import`` and CommonJS ``require``; the faster of the two is the official figure).
- Fresh process to the first run yielded: ``bench/scripts/first_run.py`` (the README's first example)
  against ``bench/node/first_run.mjs`` and ``.cjs``, from spawning to the line printed for the run.
- The CLI, fresh process to its first line: ``trigger-client watch RUN_ID --json`` (the console
  script of the runtime-only venv), against the official first run above (node has no such
  command; this says what the CLI's own start adds to the script's).
- Fresh process to all runs of a tag feed (2,000 runs): ``bench/scripts/tag_feed.py`` against
  ``bench/node/tag_feed.mjs`` and ``.cjs``, from spawning to the line printed after the last run.

For each official figure the faster of its ES-module and CommonJS forms (each net of its bare node)
is the one compared with.

``python -X importtime`` of the import-to-ready line (runtime-only venv) gives the breakdown, and
two more figures show where the time goes:

- The libraries alone (``floor_sync``, ``floor_async``): a fresh process importing, in the same
  order, every module other than ``trigger_client``'s that the import-to-ready line loads (a probe
  process lists them). What it takes is what no change inside ``trigger_client`` can remove while it
  uses those libraries; import to ready minus it is our own code.
- A second interpreter (``*_system``): the same import-to-ready and floor lines in a runtime-only
  venv made from the system's packaged CPython (``/usr/bin/python3`` when it is 3.11 or newer and not
  the interpreter running the bench; ``BENCH_STARTUP_PYTHON=<path>`` names another, ``none`` turns
  it off). The bench's own interpreter is the development one (pyenv's build here); how CPython was
  built moves every import, and users mostly run a distribution's or python.org's build.
"""

from __future__ import annotations

import ast
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from ._config import Sizes
from ._driver import BenchServer, neutral_cwd, python_env
from ._procs import REPO, LineProcess
from ._runtime import runtime_python
from ._stats import median, minus, ratio, spread

__all__ = ["import_breakdown", "run_startup", "runtime_python"]

INTEROP = REPO / "tests" / "interop"
NODE_FIRST_RUN = REPO / "bench" / "node" / "first_run.mjs"
NODE_TAG_FEED = REPO / "bench" / "node" / "tag_feed.mjs"
PY_FIRST_RUN = REPO / "bench" / "scripts" / "first_run.py"
PY_TAG_FEED = REPO / "bench" / "scripts" / "tag_feed.py"

_CLIENT_ARGS = "access_token='tr_dev_bench', base_url='http://127.0.0.1:9'"
READY_SYNC = f"import trigger_client as t; c = t.TriggerClient({_CLIENT_ARGS}); c.runs"
READY_ASYNC = f"import trigger_client as t; c = t.AsyncTriggerClient({_CLIENT_ARGS}); c.runs"


SYSTEM_PYTHON = Path("/usr/bin/python3")

#: Run the import-to-ready line, then print the modules it loaded that are not ``trigger_client``'s.
_PROBE = """import sys
_before = set(sys.modules)
{code}
print(repr([m for m in sys.modules if m not in _before and m.partition(".")[0] != "trigger_client"]))
"""


def second_python() -> Path | None:
    """The interpreter whose runtime-only venv gives the ``*_system`` figures, or None."""
    named = os.environ.get("BENCH_STARTUP_PYTHON")
    if named == "none":
        return None
    candidate = Path(named) if named else SYSTEM_PYTHON
    if not candidate.exists():
        if named:
            raise RuntimeError(f"BENCH_STARTUP_PYTHON={named} does not exist")
        return None
    probe = "import sys; print(sys.version_info >= (3, 11)); print(sys._base_executable)"
    info = _run_child(candidate, "-c", probe).stdout.split()
    ours = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    if info[0] != "True" or Path(info[1]).resolve() == ours:
        if named:
            raise RuntimeError(
                f"BENCH_STARTUP_PYTHON={named} is older than 3.11 or is this interpreter"
            )
        return None
    return candidate


_DESCRIBE = """import os, sys
maps = open("/proc/self/maps").read() if os.path.exists("/proc/self/maps") else ""
shared = "shared" if "libpython" in maps else "static"
print(f"{sys.version.split()[0]} {sys._base_executable}, {shared} libpython")
"""


def describe_python(python: Path) -> str:
    """The interpreter's version, path and how it was built, in one line."""
    return _run_child(python, "-c", _DESCRIBE).stdout.strip()


def floor_code(python: Path, code: str) -> str:
    """Code importing, in the same order, every module other than ``trigger_client``'s that
    ``code`` loads when ``python`` runs it."""
    out = _run_child(python, "-c", _PROBE.format(code=code)).stdout
    modules = ast.literal_eval(out.strip().splitlines()[-1])
    return f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"


def _run_child(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python *args`` in a neutral directory with the runtime environment; its output kept."""
    return subprocess.run(
        [str(python), *args],
        cwd=str(neutral_cwd()),
        env=_runtime_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _runtime_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A child's environment without this tree on ``sys.path``: the installed wheel is measured."""
    env = python_env(extra, sdk=False)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _time_exit(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process, until it exits.

    ``os.wait4`` blocks until the child exits (``subprocess.run`` polls with sleeps of up to 50 ms);
    a timer kills a child that hangs (60 s).
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=str(cwd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if code != 0:
        raise RuntimeError(f"{argv[:3]} exited with {code}: {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def _time_line(argv: list[str], cwd: Path, env: dict[str, str], expect: str) -> tuple[float, float]:
    """Wall seconds from spawning a fresh process to its first stdout line (which must hold
    ``expect``); the second value is unused (no CPU figure for a process still running).

    The process is killed as soon as its line is read: a subscription that goes on (the CLI's,
    node's) would otherwise idle through a grace period, and a command that follows an idle
    machine here runs up to 1.5x slower (a 2,000-run tag feed: about 200 ms back to back, 250
    to 310 ms after a 1 s pause), which would charge whichever command comes next.
    """
    with LineProcess(argv, name=" ".join(argv[:2])[:80], env=env, cwd=cwd) as proc:
        at, line = proc.read_line(120)
        if expect not in line:
            raise RuntimeError(f"{argv[:2]} printed {line!r}, expected {expect!r}")
        elapsed = at - proc.started
        proc.kill()
    return elapsed, 0.0


Command = Callable[[], tuple[float, float]]


def _measure(commands: dict[str, Command], repeats: int) -> dict[str, dict[str, Any]]:
    """One warm-up round (bytecode and page caches), then ``repeats`` rounds, each running every
    command once, in an order rotated from round to round."""
    names = list(commands)
    for name in names:
        commands[name]()
    walls: dict[str, list[float]] = {n: [] for n in names}
    cpus: dict[str, list[float]] = {n: [] for n in names}
    for i in range(repeats):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            wall, cpu = commands[name]()
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {
        n: {
            "wall_s": median(walls[n]),
            "min_wall_s": min(walls[n]) if walls[n] else None,
            "cpu_s": median(cpus[n]),
            "spread": spread(walls[n]),
            "runs": walls[n],
        }
        for n in names
    }


def _summary(
    ours: dict[str, Any],
    bare: dict[str, Any],
    official: dict[str, Any] | None,
    official_bare: dict[str, Any] | None,
    key: str = "wall_s",
) -> dict[str, Any]:
    """Our and the official figure, each raw and minus its bare interpreter, and their ratios."""
    ours_net = minus(ours[key], bare[key])
    official_raw = official[key] if official else None
    official_net = minus(official_raw, official_bare[key] if official_bare else None)
    return {
        "ours_s": ours[key],
        "ours_net_s": ours_net,
        "official_s": official_raw,
        "official_net_s": official_net,
        "ratio": ratio(ours_net, official_net),
        "ratio_raw": ratio(ours[key], official_raw),
        "ours_spread": ours.get("spread"),
        "official_spread": official.get("spread") if official else None,
    }


def _faster_official(
    measured: dict[str, dict[str, Any]], esm: str, esm_bare: str, cjs: str, cjs_bare: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The official SDK's figure and its bare node: the faster, net of its bare node, of loading it
    as ES modules (``import``) and as CommonJS (``require``): the stricter comparison for us."""
    if esm not in measured:
        return None, None
    net_esm = minus(measured[esm]["wall_s"], measured[esm_bare]["wall_s"])
    net_cjs = minus(measured[cjs]["wall_s"], measured[cjs_bare]["wall_s"])
    if net_esm is not None and net_cjs is not None and net_esm <= net_cjs:
        return measured[esm], measured[esm_bare]
    return measured[cjs], measured[cjs_bare]


def import_breakdown(python: Path, code: str = READY_SYNC, runs: int = 5) -> dict[str, Any]:
    """``-X importtime`` of ``code``: median over ``runs`` fresh processes of the self time of the
    modules it imports, summed by top-level package (``trigger_client`` modules one by one)."""
    per_run: list[dict[str, float]] = []
    for _ in range(runs):
        out = _run_child(python, "-X", "importtime", "-c", code).stderr
        totals: dict[str, float] = {}
        for line in out.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if m:
                parts = m.group(4).split(".")
                key = ".".join(parts[:3]) if parts[0] == "trigger_client" else parts[0]
                totals[key] = totals.get(key, 0.0) + int(m.group(1)) / 1000
        per_run.append(totals)
    keys = set().union(*per_run)
    med = {k: statistics.median(t.get(k, 0.0) for t in per_run) for k in keys}
    total = statistics.median(sum(t.values()) for t in per_run)
    ordered = sorted(med.items(), key=lambda kv: -kv[1])
    return {
        "code": code,
        "runs": runs,
        "total_ms": total,
        "packages": [{"package": k, "self_ms": v} for k, v in ordered[:24]],
    }


def run_startup(sizes: Sizes, clients: Sequence[str], log: Any) -> dict[str, Any]:
    python = runtime_python(log)
    official = "official" in clients
    load_before = os.getloadavg()
    neutral = neutral_cwd()
    env = _runtime_env()

    def exits(argv: list[str], cwd: Path, child_env: dict[str, str] = env) -> Command:
        return lambda: _time_exit(argv, cwd, child_env)

    interpreters = {"": python}
    other = second_python()
    if other is not None:
        interpreters["_system"] = runtime_python(log, base=other)
    commands: dict[str, Command] = {}
    for suffix, py in interpreters.items():
        commands |= {
            f"python_bare{suffix}": exits([str(py), "-c", "pass"], neutral),
            f"ready_sync{suffix}": exits([str(py), "-c", READY_SYNC], neutral),
            f"ready_async{suffix}": exits([str(py), "-c", READY_ASYNC], neutral),
            f"floor_sync{suffix}": exits([str(py), "-c", floor_code(py, READY_SYNC)], neutral),
            f"floor_async{suffix}": exits([str(py), "-c", floor_code(py, READY_ASYNC)], neutral),
        }
    if official:
        commands |= {
            "node_bare": exits(["node", "-e", ""], INTEROP),
            "node_bare_esm": exits(["node", "--input-type=module", "-e", ""], INTEROP),
            "node_require": exits(["node", "-e", "require('@trigger.dev/sdk/v3')"], INTEROP),
            "node_import": exits(
                ["node", "--input-type=module", "-e", "import '@trigger.dev/sdk/v3';"], INTEROP
            ),
        }
    ready = _measure(commands, sizes.startup_repeats)
    node_ready, node_ready_bare = _faster_official(
        ready, "node_import", "node_bare_esm", "node_require", "node_bare"
    )
    figures: dict[str, Any] = {
        "ready_sync": _summary(
            ready["ready_sync"], ready["python_bare"], node_ready, node_ready_bare
        ),
        "ready_async": _summary(
            ready["ready_async"], ready["python_bare"], node_ready, node_ready_bare
        ),
        "ready_sync_min": _summary(
            ready["ready_sync"], ready["python_bare"], node_ready, node_ready_bare, "min_wall_s"
        ),
        "ready_async_min": _summary(
            ready["ready_async"], ready["python_bare"], node_ready, node_ready_bare, "min_wall_s"
        ),
        "ready_sync_cpu": _summary(
            ready["ready_sync"], ready["python_bare"], node_ready, node_ready_bare, "cpu_s"
        ),
    }
    for suffix in interpreters:
        bare = ready[f"python_bare{suffix}"]
        for name in ("ready_sync", "ready_async", "floor_sync", "floor_async"):
            key = f"{name}{suffix}"
            if key not in figures:
                figures[key] = _summary(ready[key], bare, node_ready, node_ready_bare)
    for name in [n for n in figures if not n.endswith(("_min", "_cpu"))]:
        f = figures[name]
        log(
            f"startup: {name} ours {(f['ours_net_s'] or 0) * 1000:.1f} ms, official "
            f"{(f['official_net_s'] or float('nan')) * 1000:.1f} ms (net of the interpreters)"
        )

    size = sizes.startup_tag_size
    tag = f"startup-{size}"
    with BenchServer() as server:
        run_id = server.call("create", group="startup-first", n=1)["ids"][0]
        created = server.call("create", group=tag, n=size, tags=[tag], start=False, timeout=600)
        log(f"startup: created {size} tagged runs in {created['seconds']:.1f}s")
        server_env = _runtime_env(server.env())
        node_env = python_env(server.env())
        runs: dict[str, Command] = {
            "python_bare_2": exits([str(python), "-c", "pass"], neutral, server_env),
            "first_run": lambda: _time_line(
                [str(python), str(PY_FIRST_RUN), run_id], neutral, server_env, run_id
            ),
            "cli_first_run": lambda: _time_line(
                [str(python.parent / "trigger-client"), "watch", run_id, "--json"],
                neutral,
                server_env,
                run_id,
            ),
            "tag_feed": lambda: _time_line(
                [str(python), str(PY_TAG_FEED), tag, str(size)], neutral, server_env, f"{size} runs"
            ),
        }
        if official:
            runs |= {
                "node_bare_2": exits(["node", "-e", ""], INTEROP, node_env),
                "node_bare_esm_2": exits(
                    ["node", "--input-type=module", "-e", ""], INTEROP, node_env
                ),
            }
            for name, script, args, expect in (
                ("first_run", NODE_FIRST_RUN, [run_id], run_id),
                ("tag_feed", NODE_TAG_FEED, [tag, str(size)], f"{size} runs"),
            ):
                for flavour, path, flags in (
                    ("esm", script, ["--input-type=module"]),
                    ("cjs", script.with_suffix(".cjs"), []),
                ):
                    argv = ["node", *flags, "--eval", path.read_text(), *args]
                    runs[f"node_{name}_{flavour}"] = partial(
                        _time_line, argv, INTEROP, node_env, expect
                    )
        measured = _measure(runs, sizes.startup_repeats)
    for name in ("first_run", "cli_first_run", "tag_feed"):
        official_name = "first_run" if name == "cli_first_run" else name
        node, node_bare = _faster_official(
            measured,
            f"node_{official_name}_esm",
            "node_bare_esm_2",
            f"node_{official_name}_cjs",
            "node_bare_2",
        )
        figures[name] = _summary(measured[name], measured["python_bare_2"], node, node_bare)
        figures[f"{name}_min"] = _summary(
            measured[name], measured["python_bare_2"], node, node_bare, "min_wall_s"
        )
        f = figures[name]
        log(
            f"startup: {name} ours {(f['ours_s'] or 0) * 1000:.0f} ms, official "
            f"{(f['official_s'] or float('nan')) * 1000:.0f} ms (ratio net of the interpreters "
            f"{f['ratio'] or float('nan'):.2f})"
        )
    return {
        "repeats": sizes.startup_repeats,
        "tag_size": size,
        "runtime_python": str(python),
        "interpreters": {
            suffix or "_dev": {"venv": str(py), "build": describe_python(py)}
            for suffix, py in interpreters.items()
        },
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "figures": figures,
        "medians": {
            name: {k: v for k, v in values.items() if k != "runs"}
            for name, values in (ready | measured).items()
        },
        "raw": {name: values["runs"] for name, values in (ready | measured).items()},
        "import_breakdown": {
            "sync": import_breakdown(python, READY_SYNC),
            "async": import_breakdown(python, READY_ASYNC),
        },
    }
