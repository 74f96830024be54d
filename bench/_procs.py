"""Child processes that talk in lines: start, read with a deadline, send, and always clean up.

Every child runs in its own process group (``start_new_session``) so that it and anything it
started can be killed together, by its own id, when a phase runs out of time.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import resource
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = [
    "REPO",
    "BenchError",
    "BenchTimeout",
    "LineProcess",
    "raise_nofile_limit",
]

REPO = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """A benchmark phase failed (a child exited, reported an error, or misbehaved)."""


class BenchTimeout(BenchError):
    """A benchmark phase ran out of time."""


def raise_nofile_limit(wanted: int = 65_536) -> int:
    """Raise this process's soft open-files limit towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


class LineProcess:
    """A child process whose stdout is read line by line in a background thread."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self._stderr_file: IO[bytes] = tempfile.TemporaryFile()
        self.started = time.time()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd is not None else None,
            start_new_session=True,
        )
        self._lines: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        for line in iter(stdout.readline, b""):
            self._lines.put((time.time(), line))
        self._lines.put((time.time(), None))

    def read_line(self, timeout: float) -> tuple[float, str]:
        """The next stdout line and the wall time it was read; raise on EOF or timeout."""
        try:
            at, line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise BenchTimeout(f"{self.name}: no output within {timeout:.1f}s") from None
        if line is None:
            self._lines.put((at, None))  # keep reporting EOF
            code = self.proc.wait(5)
            raise BenchError(f"{self.name} exited (code {code}): {self.stderr_tail()}")
        return at, line.decode("utf-8", "replace").rstrip("\n")

    def read_json(self, timeout: float) -> tuple[float, dict[str, Any]]:
        """The next stdout line that is a JSON object (other lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            at, line = self.read_line(deadline - time.monotonic())
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    if value.get("event") == "error":
                        raise BenchError(f"{self.name} reported an error: {line[:2000]}")
                    return at, value

    def expect(self, event: str, timeout: float) -> tuple[float, dict[str, Any]]:
        """Skip JSON lines until one with ``"event": event``."""
        deadline = time.monotonic() + timeout
        while True:
            at, value = self.read_json(deadline - time.monotonic())
            if value.get("event") == event:
                return at, value

    def send(self, obj: Mapping[str, Any]) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        stdin.flush()

    def stderr_tail(self, limit: int = 3000) -> str:
        try:
            self._stderr_file.seek(0, os.SEEK_END)
            size = self._stderr_file.tell()
            self._stderr_file.seek(max(0, size - limit))
            return self._stderr_file.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise BenchTimeout(f"{self.name} did not exit within {timeout:.1f}s") from None

    def close(self, grace: float = 3.0) -> None:
        """Close stdin, wait ``grace`` seconds, then kill the process group."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stderr_file.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)

    def __enter__(self) -> LineProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
        self.close(grace=0)
