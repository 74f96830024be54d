"""The runtime-only install every Python client of the bench runs in.

A venv (cached in the temp directory, keyed by the wheel's hash) holding the wheel built from this
tree and its runtime dependencies, nothing else: what ``pip install trigger-client`` gives a user.
The development venv holds dev tools that httpx and httpcore import when present (trio, click,
rich, ...), which a user's install does not have.

Python clients run with its interpreter and with only the ``bench`` package on ``PYTHONPATH``
(a directory holding a link to it), so ``trigger_client`` is the installed wheel, or the copy that
``BENCH_SDK_PATH`` names, which comes first.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ._procs import REPO

__all__ = ["bench_only_path", "client_python", "runtime_python"]

RUNTIME_CACHE = Path(tempfile.gettempdir()) / "trigger-client-bench-runtime"

_lock = threading.Lock()
_client_python: Path | None = None
_bench_only: Path | None = None


def runtime_python(log: Callable[[str], None] = print, base: Path | None = None) -> Path:
    """The interpreter of a venv holding only the wheel of this tree and its runtime dependencies.

    The wheel is built with ``pip wheel --no-deps`` (hatchling builds are reproducible, so an
    unchanged tree gives the same bytes) and the venv is reused while the wheel's hash and the base
    interpreter are the same. ``base`` is the interpreter the venv is made from (default: this
    one); pip installs into it from outside (``pip --python``), so a base without ``ensurepip``
    (Debian's ``/usr/bin/python3``) works too.
    """
    base = Path(base or sys.executable)
    with tempfile.TemporaryDirectory(prefix="bench-wheel-") as out:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, str(REPO)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        (wheel,) = Path(out).glob("trigger_client-*.whl")
        digest = hashlib.sha256(wheel.read_bytes())
        digest.update(str(base.resolve()).encode())
        venv = RUNTIME_CACHE / digest.hexdigest()[:16]
        python = venv / "bin" / "python"
        if not (venv / "ready").exists():
            log(f"startup: runtime-only venv {venv} (from {base})")
            subprocess.run(
                [str(base), "-m", "venv", "--clear", "--without-pip", str(venv)], check=True
            )
            subprocess.run(
                [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                check=True,
                capture_output=True,
                timeout=600,
            )
            (venv / "ready").touch()
    return python


def client_python(log: Callable[[str], None] = print) -> Path:
    """The interpreter the bench's Python clients run with: the runtime-only venv's, built once per
    process (``BENCH_DEV_VENV=1``: this interpreter, to compare with a development install)."""
    global _client_python
    with _lock:
        if _client_python is None:
            if os.environ.get("BENCH_DEV_VENV") == "1":
                _client_python = Path(sys.executable)
            else:
                _client_python = runtime_python(log)
        return _client_python


def bench_only_path() -> Path:
    """A directory holding only a link to the ``bench`` package, for a client's ``PYTHONPATH``."""
    global _bench_only
    with _lock:
        if _bench_only is None:
            directory = Path(tempfile.mkdtemp(prefix="bench-path-"))
            (directory / "bench").symlink_to(REPO / "bench", target_is_directory=True)
            atexit.register(shutil.rmtree, directory, True)
            _bench_only = directory
        return _bench_only
