"""``bench/RESULTS.md`` from a results file: machine, commands, one table per scenario, profiles.

The measured tables are regenerated on every run; the findings (``bench/FINDINGS.md``, written by
hand from the profiles and the prototype measurements) are included as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._stats import minus, ratio

__all__ = ["write_report"]

FINDINGS = Path(__file__).resolve().parent / "FINDINGS.md"

#: Targets, ours / official (lower is better).
TARGETS = {
    "steady_sync": 0.35,
    "steady_async": 0.5,
    "latency_p99": 0.3,
    "fanout_reach": 0.5,
    "fanout_mb": 150.0,
    "tags": 0.4,
    "import": 0.8,
    "first_run": 0.8,
    "startup_tags": 0.5,
}

CLIENT_NAMES = {
    "sync": "ours, sync (`TriggerClient`)",
    "async": "ours, async (`AsyncTriggerClient`)",
    "poll": "ours, poll transport (sync)",
    "official": "official `@trigger.dev/sdk` 3.3.17",
    "floor": "floor: bare httpx, same 2 requests, no parsing",
}
FLOOR_LONG_POLL = "floor: bare `http.client` long-polls, no SDK"


def _f(value: Any, fmt: str = ".3f", none: str = "n/a") -> str:
    if value is None:
        return none
    try:
        return format(value, fmt)
    except (TypeError, ValueError):
        return str(value)


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    if value <= target:
        return f"**met** (≤ {target})"
    return f"missed by {value / target - 1:.0%} (target ≤ {target})"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def _machine(results: dict[str, Any]) -> list[str]:
    m = results.get("machine", {})
    lines = ["## Machine and commands", ""]
    lines += _table(
        ["", ""],
        [
            ["CPU", f"{m.get('cpu')} ({m.get('nproc')} cores, `nproc`)"],
            ["memory", f"{m.get('memory_mb')} MB"],
            ["OS", str(m.get("os"))],
            ["Python / httpx", f"{m.get('python')} / {m.get('httpx')}"],
            ["node / official SDK", f"{m.get('node')} / @trigger.dev/sdk {m.get('official_sdk')}"],
            [
                "tree measured",
                f"git {m.get('git')} with {m.get('git_dirty_files')} uncommitted paths"
                + (f"; SDK from `{results['sdk_path']}`" if results.get("sdk_path") else ""),
            ],
            ["load average at start", str(m.get("loadavg_at_start"))],
            [
                "run",
                f"`{results.get('command', 'python -m bench').strip()}`, "
                f"{_f(results.get('elapsed_s'), '.0f')} s wall",
            ],
        ],
    )
    lines += [
        "Commands: `make bench` (= `.venv/bin/python -m bench`, every scenario, full sizes);",
        "`python -m bench --quick` (small sizes); `python -m bench --only <scenario>`",
        "(steady, latency, fanout, tags, startup, profile); `--clients sync,official` for a subset;",
        "`--sdk-path DIR` to measure another copy of `trigger_client` against the same baseline.",
        "",
        "How: the emulator runs in its own process (`bench/_server.py`, driven over stdin/stdout);",
        "each client (ours sync / async / poll, the official SDK in node) runs as its own process,",
        "ours in a runtime-only install (`bench/_runtime.py`: a venv holding the wheel built from the",
        "tree and its runtime dependencies, nothing else; "
        + (
            "**this run used the development venv instead**, `BENCH_DEV_VENV=1`);"
            if results.get("client_python") == "dev"
            else "this run: yes);"
        ),
        "one at a time, and measures its own CPU (`time.process_time()`, `process.cpuUsage()`: user +",
        "system, all threads) and memory (`ru_maxrss`, `process.resourceUsage().maxRSS`). Medians",
        "over repeats; the client order is rotated between repeats. The machine is shared (2 cores,",
        "other test runs): absolute times are indicative, ratios are what to read, and the `spread`",
        "columns ((max - min) / median over repeats) say how noisy a cell was.",
        "",
    ]
    return lines


def _steady(data: dict[str, Any]) -> list[str]:
    lines = [
        "## 1. Steady-state CPU per yielded update",
        "",
        f"One run updated {data.get('updates')} times (metadata), the server committing the next",
        "change as soon as the client has printed the previous one; CPU of the client process from",
        f"its first yield to its last, per update. {data.get('repeats')} repeats per client. The",
        f"poll transport polls every {_f((data.get('poll_interval_s') or 0.005) * 1000, '.0f')} ms"
        " (`poll_interval`): about one request per update, like the realtime feeds.",
        "",
    ]
    clients = data.get("clients", {})
    rows = []
    for name, c in clients.items():
        target = {"sync": TARGETS["steady_sync"], "async": TARGETS["steady_async"]}.get(name)
        rows.append(
            [
                FLOOR_LONG_POLL if name == "floor" else CLIENT_NAMES.get(name, name),
                _f(c.get("cpu_per_update_ms")),
                _f(c.get("cpu_spread"), ".0%"),
                _f(c.get("wall_per_update_ms")),
                _f(c.get("requests_per_update"), ".2f"),
                _f(c.get("ratio"), ".2f"),
                _verdict(c.get("ratio"), target) if target else "",
            ]
        )
    lines += _table(
        [
            "client",
            "CPU ms / update",
            "spread",
            "wall ms / update",
            "HTTP requests / update",
            "ours / official",
            "target",
        ],
        rows,
    )
    return lines


def _latency(data: dict[str, Any]) -> list[str]:
    lines = [
        "## 2. Latency: server commit to client yield",
        "",
        f"{data.get('updates')} updates per run, {data.get('repeats')} runs per client; the driver",
        f"waits {_f(data.get('gap_ms'), '.0f')} ms after each yield before committing the next change, so",
        "the client's live long-poll is already held (a subscriber waiting for news). The server",
        "stamps `time.time()` into the metadata just before the commit; the client subtracts it",
        "from its own clock at yield (same machine). p50 and p99 are over all runs' samples",
        "together (p99 of one run is only its 3rd-worst sample); 'p99 per run' shows the spread.",
        "",
    ]
    rows = []
    for name, c in data.get("clients", {}).items():
        rows.append(
            [
                FLOOR_LONG_POLL if name == "floor" else CLIENT_NAMES.get(name, name),
                _f(c.get("p50_ms")),
                _f(c.get("p99_ms")),
                _f(c.get("max_ms")),
                ", ".join(_f(x, ".1f") for x in c.get("p99_runs", [])),
                str(c.get("samples")),
                _f(c.get("ratio_p50"), ".2f"),
                _f(c.get("ratio_p99"), ".2f"),
                _verdict(c.get("ratio_p99"), TARGETS["latency_p99"])
                if name in ("sync", "async")
                else "",
            ]
        )
    lines += _table(
        [
            "client",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p99 per run",
            "samples",
            "p50 ours / official",
            "p99 ours / official",
            "target (p99)",
        ],
        rows,
    )
    return lines


def _fanout(data: dict[str, Any]) -> list[str]:
    lines = [
        "## 3. Fan-out: K subscriptions in one process",
        "",
        "Ours: the default `AsyncTriggerClient()` (no tuning), one task per subscription; official:",
        f"K `runs.subscribeToRun` in one node process. {data.get('rounds')} rounds of one change per",
        "run; a round is committed once all K long-polls are held again. Server: the emulator's",
        f"`{data.get('backend')}` backend (see the findings for why). 'reach last' is from the",
        "first commit of a round to the last subscriber yielding it; 'server commit' is the",
        "server's own time to commit the K changes (a floor for any client).",
        "",
    ]
    rows = []
    for k, per_client in data.get("by_k", {}).items():
        for name, c in per_client.items():
            rows.append(
                [
                    k,
                    "floor: bare asyncio connections, no SDK"
                    if name == "floor"
                    else CLIENT_NAMES.get(name, name),
                    _f(c.get("live_s"), ".2f", "not reached"),
                    _f(c.get("reach_last_s"), ".3f", "-"),
                    _f(c.get("server_commit_s"), ".3f", "-"),
                    _f(c.get("peak_rss_mb"), ".0f"),
                    _f(c.get("per_subscription_kb"), ".1f"),
                    "yes" if c.get("all_delivered") else f"no (missed {c.get('missed')})",
                    _f(c.get("ratio_reach"), ".2f"),
                    _f(c.get("ratio_live"), ".2f"),
                    _f(c.get("ratio_rss"), ".2f"),
                ]
            )
    lines += _table(
        [
            "K",
            "client",
            "all live (s)",
            "reach last (s)",
            "server commit (s)",
            "peak RSS MB",
            "KB / subscription",
            "every update delivered",
            "reach ours / official",
            "live ours / official",
            "RSS ours / official",
        ],
        rows,
    )
    notes = [
        f"- K={k}, {name}: {note}"
        for k, per_client in data.get("by_k", {}).items()
        for name, c in per_client.items()
        for note in c.get("notes", [])
    ]
    if notes:
        lines += ["Notes from the runs:", "", *notes, ""]
    top = data.get("by_k", {}).get("5000", {})
    ours = top.get("async")
    if ours:
        lines += [
            "Targets at K = 5,000 (ours): under 150 MB: "
            + _verdict(ours.get("peak_rss_mb"), TARGETS["fanout_mb"]).replace("≤", "<")
            + "; every update delivered: "
            + ("**met**" if ours.get("all_delivered") else "**missed**")
            + "; a round reaching the last subscriber in at most half the official time: "
            + _verdict(ours.get("ratio_reach"), TARGETS["fanout_reach"])
            + ".",
            "",
        ]
    return lines


def _tags(data: dict[str, Any]) -> list[str]:
    lines = [
        "## 4. Tag feed snapshot",
        "",
        "N runs carrying one tag (Electric backend); from creating the subscription to the N-th",
        "distinct run yielded. The floor is the server's time to build and send the two responses",
        "plus the transfer, which no client can beat; 'above floor' compares what is left.",
        "",
    ]
    rows = []
    for size, per_client in data.get("by_size", {}).items():
        for name, c in per_client.items():
            rows.append(
                [
                    size,
                    CLIENT_NAMES.get(name, name),
                    _f(c.get("seconds")),
                    _f(c.get("cpu_s")),
                    _f(c.get("peak_rss_mb"), ".0f"),
                    _f(c.get("ratio"), ".2f") if name != "floor" else "",
                    _f(c.get("ratio_above_floor"), ".2f") if name != "floor" else "",
                    _f(c.get("ratio_cpu"), ".2f") if name != "floor" else "",
                    _verdict(c.get("ratio"), TARGETS["tags"]) if name in ("sync", "async") else "",
                ]
            )
    lines += _table(
        [
            "N",
            "client",
            "seconds",
            "client CPU s",
            "peak RSS MB",
            "ours / official",
            "above floor ours / official",
            "CPU ours / official",
            "target",
        ],
        rows,
    )
    return lines


def _ms(value: Any, fmt: str = ".0f") -> str:
    return (
        _f(value * 1000 if value is not None else None, fmt) + " ms" if value is not None else "n/a"
    )


def _startup(data: dict[str, Any]) -> list[str]:
    figures = data.get("figures", {})
    med = data.get("medians", {})
    lines = [
        "## 5. Cold start (runtime-only install)",
        "",
        f"Fresh processes, medians of {data.get('repeats')} interleaved rounds, in a venv holding only"
        " the wheel of this tree and its runtime dependencies; the official SDK from"
        " tests/interop. *net*: minus the interpreter alone (`python -c pass`"
        f" {_ms((med.get('python_bare') or {}).get('wall_s'), '.1f')}, `node -e ''`"
        f" {_ms((med.get('node_bare') or {}).get('wall_s'), '.1f')}, ESM"
        f" {_ms((med.get('node_bare_esm') or {}).get('wall_s'), '.1f')}). Load average"
        f" {data.get('load_before')} before, {data.get('load_after')} after.",
        "",
    ]
    rows = [
        (
            "ready_sync",
            "import to ready, sync: `import trigger_client as t; c = t.TriggerClient(...); c.runs`",
            "import",
        ),
        ("ready_async", "import to ready, async: the same with `AsyncTriggerClient`", "import"),
        ("first_run", "fresh process to its first yielded run", "first_run"),
        (
            "cli_first_run",
            "the CLI: `trigger-client watch <run> --json` to its first line (vs the official"
            " first run)",
            None,
        ),
        (
            "tag_feed",
            f"fresh process to the last run of a {data.get('tag_size')}-run tag feed",
            "startup_tags",
        ),
    ]
    table = []
    for key, title, target in rows:
        if target is None and key not in figures:
            continue  # an informative row that an older run did not measure
        f = figures.get(key) or {}
        table.append(
            [
                title,
                f"{_ms(f.get('ours_net_s'), '.1f')} ({_ms(f.get('ours_s'))})",
                f"{_ms(f.get('official_net_s'), '.1f')} ({_ms(f.get('official_s'))})",
                _f(f.get("ratio"), ".2f"),
                _f(f.get("ratio_raw"), ".2f"),
                _verdict(f.get("ratio"), TARGETS[target]) if target else "",
            ]
        )
    for key, title in (
        ("ready_sync_min", "import to ready, sync: fastest round"),
        ("ready_async_min", "import to ready, async: fastest round"),
        ("first_run_min", "first run: fastest round"),
        ("tag_feed_min", "tag feed: fastest round"),
    ):
        f = figures.get(key)
        if f:
            table.append(
                [
                    title,
                    f"{_ms(f.get('ours_net_s'), '.1f')} ({_ms(f.get('ours_s'))})",
                    f"{_ms(f.get('official_net_s'), '.1f')} ({_ms(f.get('official_s'))})",
                    _f(f.get("ratio"), ".2f"),
                    _f(f.get("ratio_raw"), ".2f"),
                    "",
                ]
            )
    cpu = figures.get("ready_sync_cpu") or {}
    table.append(
        [
            "CPU (user + system) of import to ready, sync",
            f"{_ms(cpu.get('ours_net_s'), '.1f')} ({_ms(cpu.get('ours_s'))})",
            f"{_ms(cpu.get('official_net_s'), '.1f')} ({_ms(cpu.get('official_s'))})",
            _f(cpu.get("ratio"), ".2f"),
            _f(cpu.get("ratio_raw"), ".2f"),
            "",
        ]
    )
    lines += _table(
        [
            "",
            "ours: net (wall)",
            "official: net (wall)",
            "ratio, net",
            "ratio, wall",
            "target (net)",
        ],
        table,
    )
    lines += _ready_split(data)
    forms = []
    for what, esm, cjs in (
        ("import", "node_import", "node_require"),
        ("first run", "node_first_run_esm", "node_first_run_cjs"),
        ("tag feed", "node_tag_feed_esm", "node_tag_feed_cjs"),
    ):
        forms.append(
            f"{what} {_ms((med.get(esm) or {}).get('wall_s'))} as ES modules,"
            f" {_ms((med.get(cjs) or {}).get('wall_s'))} as CommonJS"
        )
    lines += [
        "Each official figure is the faster of loading `@trigger.dev/sdk/v3` as ES modules and as"
        " CommonJS, each net of its bare node (wall: " + "; ".join(forms) + ").",
        "",
    ]
    for side, breakdown in (data.get("import_breakdown") or {}).items():
        lines += [
            f"`python -X importtime` of import to ready ({side}), runtime-only venv: self time by"
            f" top-level package, median of {breakdown.get('runs')} runs (importtime's own overhead"
            f" included; total {_f(breakdown.get('total_ms'), '.1f')} ms):",
            "",
        ]
        lines += _table(
            ["package", "self ms"],
            [[f"`{r['package']}`", _f(r["self_ms"], ".1f")] for r in breakdown.get("packages", [])],
        )
    return lines


def _ready_split(data: dict[str, Any]) -> list[str]:
    """Import to ready split into the libraries alone and our own code, per interpreter."""
    figures = data.get("figures", {})
    interpreters = data.get("interpreters") or {}
    if "floor_sync" not in figures:
        return []
    lines = [
        "Where import to ready goes: *libraries alone* is a fresh process importing, in the same"
        " order, every module other than `trigger_client`'s that the line loads (httpcore, h11,"
        " attrs, anyio, `ssl`, `json`, `datetime`, ...); *ours* is import to ready minus it. The"
        " second interpreter, when there is one, is the system's packaged CPython, in a runtime-only"
        " venv of its own, measured in the same rounds. Medians, net of each interpreter alone;"
        " ratios to the official SDK's import:",
        "",
    ]
    table = []
    for suffix, label in (("", "_dev"), ("_system", "_system")):
        build = (interpreters.get(label) or {}).get("build", "")
        for side in ("sync", "async"):
            ready = figures.get(f"ready_{side}{suffix}")
            floor = figures.get(f"floor_{side}{suffix}")
            if not ready or not floor:
                continue
            ours = minus(ready.get("ours_net_s"), floor.get("ours_net_s"))
            official = ready.get("official_net_s")
            table.append(
                [
                    f"{side}, {build}" if build else side,
                    f"{_ms(ready.get('ours_net_s'), '.1f')} ({_f(ready.get('ratio'), '.2f')})",
                    f"{_ms(floor.get('ours_net_s'), '.1f')} ({_f(floor.get('ratio'), '.2f')})",
                    f"{_ms(ours, '.1f')} ({_f(ratio(ours, official), '.2f')})",
                    _ms(official, ".1f"),
                    _verdict(ready.get("ratio"), TARGETS["import"]),
                ]
            )
    lines += _table(
        [
            "interpreter",
            "import to ready (ratio)",
            "libraries alone (ratio)",
            "ours (ratio)",
            "official",
            "import to ready vs target",
        ],
        table,
    )
    return lines


def _profile(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Profiles (cProfile, CPU time)",
        "",
        "Our client process under `cProfile.Profile(time.process_time)`, from the first yield to",
        "the last (steady) or over the whole fan-out run. Times are per update (steady) or per HTTP",
        "request (fan-out, approximate), and inflated by the profiler's own overhead: read the",
        "shares.",
        "",
    ]
    for key, title in (
        ("steady_sync", "steady, sync"),
        ("steady_async", "steady, async"),
        ("fanout", "fan-out"),
    ):
        p = data.get(key)
        if not p:
            continue
        unit = "request" if key == "fanout" else "update"
        extra = f" (K = {p.get('k')})" if key == "fanout" else ""
        lines += [
            f"### {title}{extra}: {_f(p.get('total_us_per_unit'), '.0f')} µs CPU / {unit}",
            "",
        ]
        lines += _table(
            ["package / module", f"µs / {unit}", "share"],
            [
                [f"`{b['package']}`", _f(b["us_per_unit"], ".1f"), _f(b["share"], ".0%")]
                for b in p.get("by_package", [])[:12]
            ],
        )
        lines += _table(
            ["function (own time)", "calls", f"own µs / {unit}", f"cumulative µs / {unit}"],
            [
                [
                    f"`{f['function']}`",
                    str(f["ncalls"]),
                    _f(f["own_us_per_unit"], ".1f"),
                    _f(f["cum_us_per_unit"], ".1f"),
                ]
                for f in p.get("top_own", [])[:12]
            ],
        )
    return lines


def render(results: dict[str, Any]) -> str:
    scenarios = results.get("scenarios", {})
    lines = [
        "# Benchmarks: trigger-client vs the official TypeScript SDK",
        "",
        "Generated by `python -m bench` (`bench/_report.py`) from its raw results, committed as "
        "`bench/RESULTS.json` (`python -m bench --report-only` rebuilds this file from them); "
        "the findings section is `bench/FINDINGS.md`.",
        "Ratios are ours / official: below 1 means we use less (time, CPU, memory).",
        "",
    ]
    if results.get("quick"):
        lines += ["**Quick run (`--quick`): small sizes, few repeats; indicative only.**", ""]
    lines += _machine(results)
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().rstrip(), ""]
    renderers = {
        "steady": _steady,
        "latency": _latency,
        "fanout": _fanout,
        "tags": _tags,
        "startup": _startup,
        "profile": _profile,
    }
    for name, render_one in renderers.items():
        data = scenarios.get(name)
        if data is None:
            continue
        if "error" in data:
            lines += [f"## {name}", "", f"Failed: {data['error']}", ""]
            continue
        lines += render_one(data)
        lines += [f"({name}: {_f(data.get('elapsed_s'), '.0f')} s, {data.get('finished_at')})", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(results: dict[str, Any], path: Path) -> None:
    path.write_text(render(results))
