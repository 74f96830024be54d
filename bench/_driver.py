"""The driver's side: the bench server process and the client processes it runs against it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._procs import REPO, BenchError, LineProcess
from ._runtime import bench_only_path, client_python

__all__ = [
    "CLIENTS",
    "neutral_cwd",
    "python_env",
    "NODE_CLIENT",
    "BenchServer",
    "client_argv",
    "node_available",
    "start_client",
]

NODE_CLIENT = REPO / "bench" / "node" / "client.mjs"
SDK_PACKAGE = REPO / "tests" / "interop" / "node_modules" / "@trigger.dev" / "sdk" / "package.json"

#: Client names: ours over each transport, and the official SDK.
CLIENTS = ("sync", "async", "poll", "official")


def node_available() -> bool:
    return shutil.which("node") is not None and SDK_PACKAGE.exists()


def python_env(extra: dict[str, str] | None = None, *, sdk: bool = True) -> dict[str, str]:
    """The environment of a Python child process.

    With ``sdk`` (client processes), ``BENCH_SDK_PATH`` (a directory holding another copy of
    ``trigger_client``, e.g. a prototype of a proposed change) comes first on ``sys.path``; the
    bench server always runs the emulator of this tree.
    """
    env = dict(os.environ)
    paths = [str(bench_only_path())] if sdk else [str(REPO)]
    sdk_path = os.environ.get("BENCH_SDK_PATH")
    if sdk and sdk_path:
        paths.insert(0, sdk_path)
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("BENCH_SDK_PATH", None)
    if extra:
        env.update(extra)
    return env


class BenchServer:
    """``python -m bench._server`` in its own process, driven over its stdin/stdout."""

    def __init__(self, *, long_poll_ms: int = 20_000, backend: str = "electric") -> None:
        self.process = LineProcess(
            [
                sys.executable,
                "-m",
                "bench._server",
                "--long-poll-ms",
                str(long_poll_ms),
                "--backend",
                backend,
            ],
            name="bench server",
            env=python_env(sdk=False),
            cwd=REPO,
        )
        try:
            _, ready = self.process.expect("ready", 30)
        except BaseException:
            self.process.kill()
            raise
        self.url: str = ready["url"]
        self.key: str = ready["key"]
        if not self.url.startswith("http://127.0.0.1:"):
            self.process.kill()
            raise BenchError(f"the bench server must listen on 127.0.0.1, not {self.url}")

    def call(self, op: str, timeout: float = 60.0, **args: Any) -> dict[str, Any]:
        self.process.send({"op": op, **args})
        _, reply = self.process.read_json(timeout)
        return reply

    def env(self) -> dict[str, str]:
        """What a client needs to reach this server (and nothing else)."""
        return {
            "TRIGGER_API_URL": self.url,
            "TRIGGER_SECRET_KEY": self.key,
            "TRIGGER_ACCESS_TOKEN": "",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "HTTP_PROXY": "",
            "HTTPS_PROXY": "",
            "ALL_PROXY": "",
            "http_proxy": "",
            "https_proxy": "",
            "all_proxy": "",
        }

    def wait_live(self, count: int, timeout: float) -> float | None:
        """Poll until ``count`` live long-polls are held; the wall time then, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.call("stats", 10)["live"] >= count:
                return time.time()
            time.sleep(0.02)
        return None

    def close(self) -> None:
        try:
            self.process.send({"op": "quit"})
        except OSError:
            pass
        self.process.close(grace=5)

    def __enter__(self) -> BenchServer:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        finally:
            self.process.kill()


def client_argv(client: str, scenario: str, args: Sequence[str]) -> list[str]:
    """The command line of one client for one scenario (``client`` is one of ``CLIENTS``)."""
    if client == "official":
        return ["node", str(NODE_CLIENT), scenario, *args]
    transport = ["--transport", client]
    return [str(client_python()), "-m", "bench._client", scenario, *args, *transport]


def neutral_cwd() -> Path:
    """An empty directory to start Python clients in: the current directory comes first on
    ``sys.path``, and the repository's would shadow a ``BENCH_SDK_PATH`` copy of the SDK."""
    global _NEUTRAL
    if _NEUTRAL is None:
        _NEUTRAL = Path(tempfile.mkdtemp(prefix="bench-cwd-"))
    return _NEUTRAL


_NEUTRAL: Path | None = None


def start_client(
    server: BenchServer, client: str, scenario: str, args: Sequence[str]
) -> LineProcess:
    env = python_env(server.env())
    cwd = REPO if client == "official" else neutral_cwd()
    return LineProcess(
        client_argv(client, scenario, args), name=f"{client} {scenario}", env=env, cwd=cwd
    )
