"""An emulator listening on port 80, for base URLs without a port (``http://localhost``).

Binding a port below 1024 needs root (or a lowered ``net.ipv4.ip_unprivileged_port_start``).
When it is not permitted, or port 80 is taken by something else, the test is skipped with the
reason, except under ``CI`` (set in CI): there it fails, since CI skips nothing (``.ci/run`` runs
as root). Test runs on one machine (two worktrees, or the Python versions of ``make
test-pythons``) take turns on port 80 through a lock file.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from trigger_client.testing import TriggerEmulator

DEFAULT_PORT = 80
#: How long a test run waits for another one on this machine to release port 80.
WAIT_SECONDS = 600.0

_LOCK = Path(tempfile.gettempdir()) / "trigger-client-tests-port-80.lock"


def _cannot(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: CI skips nothing)")
    pytest.skip(reason)


@contextmanager
def _port_80_turn() -> Iterator[None]:
    try:
        lock = open(_LOCK, "a")  # closed by the with below
    except OSError:  # made by another user: no turns to take
        yield
        return
    with lock:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    _cannot(f"another test run held port {DEFAULT_PORT} for {WAIT_SECONDS:g}s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def emulator_on_default_port(host: str) -> Iterator[TriggerEmulator]:
    """A running emulator on ``host`` (``127.0.0.1`` or ``::1``), port 80."""
    with _port_80_turn():
        emu = TriggerEmulator(host=host, port=DEFAULT_PORT, long_poll_ms=3000)
        try:
            emu.start()
        except PermissionError as exc:
            _cannot(f"binding port {DEFAULT_PORT} is not permitted here (not root): {exc}")
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            _cannot(f"port {DEFAULT_PORT} on {host} is in use by another program: {exc}")
        try:
            yield emu
        finally:
            emu.stop()
