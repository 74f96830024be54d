"""The bench server process: the emulator plus a control channel on stdin/stdout.

``python -m bench._server [--long-poll-ms M] [--backend electric|native]`` starts
``trigger_client.testing.TriggerEmulator`` on 127.0.0.1, prints ``{"event": "ready", "url": ...,
"key": ...}``, then answers one JSON command per stdin line with one JSON line on stdout:

* ``create`` ``{"group", "n", "tags"?, "start"?}``: create ``n`` runs (EXECUTING unless ``start`` is
  false) with metadata ``{"n": 0, "t": <now>}``; answers their ids.
* ``meta`` ``{"id", "n"}``: commit metadata ``{"n": n, "t": time.time()}`` on one run. ``t`` is
  stamped just before the commit, so a client's ``now - t`` at yield is commit-to-yield latency.
* ``round`` ``{"group", "r"}``: commit metadata ``{"n": r, "t": ...}`` on every run of the group,
  one transaction per run; answers the wall times of the first and last commit.
* ``stream_run`` ``{"fill"?, "size"?}``: create an EXECUTING run with a realtime stream ``s``
  holding ``fill`` chunks ``{"i", "text"}`` (``text``: ``size`` characters), ended when ``fill``
  is given; answers its id.
* ``stream_chunk`` ``{"id", "i"}``: append ``{"i": i, "t": time.time()}`` to the run's stream.
* ``stats``: live long-polls held now and requests received so far.
* ``quit``.

The server is a separate process so that the client process's CPU is the client's alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from ._procs import raise_nofile_limit


def _reply(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._server")
    parser.add_argument("--long-poll-ms", type=int, default=20_000)
    parser.add_argument("--backend", choices=("electric", "native"), default="electric")
    args = parser.parse_args(argv)
    nofile = raise_nofile_limit()
    logging.getLogger("uvicorn").setLevel(logging.CRITICAL)
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)

    from trigger_client.testing import TriggerEmulator

    groups: dict[str, list[str]] = {}
    with TriggerEmulator(
        long_poll_ms=args.long_poll_ms,
        backend=args.backend,
        realtime_concurrency_limit=1_000_000,
    ) as emu:
        _reply(
            {
                "event": "ready",
                "url": emu.base_url,
                "key": emu.secret_key,
                "nofile": nofile,
                "backend": args.backend,
            }
        )
        for raw in sys.stdin:
            if not raw.strip():
                continue
            try:
                cmd = json.loads(raw)
                op = cmd["op"]
                if op == "quit":
                    _reply({"event": "ok"})
                    break
                _reply(_handle(emu, groups, op, cmd))
            except Exception as exc:  # reported to the driver, which fails the phase
                _reply({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
    return 0


def _handle(emu: Any, groups: dict[str, list[str]], op: str, cmd: dict[str, Any]) -> dict[str, Any]:
    if op == "meta":
        t = time.time()
        emu.set_metadata(cmd["id"], {"n": cmd["n"], "t": t})
        return {"event": "ok", "t": t}
    if op == "round":
        ids = groups[cmd["group"]]
        r = cmd["r"]
        t0 = time.time()
        for run_id in ids:
            emu.set_metadata(run_id, {"n": r, "t": time.time()})
        return {"event": "ok", "t0": t0, "t1": time.time(), "count": len(ids)}
    if op == "create":
        n = int(cmd["n"])
        tags = list(cmd.get("tags") or [])
        start = bool(cmd.get("start", True))
        ids = []
        t0 = time.time()
        for i in range(n):
            run_id = emu.create_run(
                "bench-task",
                {"index": i, "note": "a small JSON payload"},
                tags=tags,
                metadata={"n": 0, "t": time.time()},
            )
            if start:
                emu.start_attempt(run_id)
            ids.append(run_id)
        groups.setdefault(cmd["group"], []).extend(ids)
        return {"event": "ok", "ids": ids, "seconds": time.time() - t0}
    if op == "stream_run":
        run_id = emu.create_run("bench-stream", {"note": "streams"})
        emu.start_attempt(run_id)
        emu.append_stream(run_id, "s", {"i": -1, "t": time.time()})  # announces the stream
        fill = cmd.get("fill")
        if fill is not None:
            text = "x" * int(cmd.get("size", 16))
            for i in range(int(fill)):
                emu.append_stream(run_id, "s", {"i": i, "text": text})
            emu.end_stream(run_id, "s")
        return {"event": "ok", "id": run_id}
    if op == "stream_chunk":
        t = time.time()
        emu.append_stream(cmd["id"], "s", {"i": cmd["i"], "t": t})
        return {"event": "ok", "t": t}
    if op == "stats":
        return {
            "event": "ok",
            "live": emu.live_request_count,
            "requests": len(emu.requests),
        }
    raise ValueError(f"unknown op {op!r}")


if __name__ == "__main__":
    sys.exit(main())
