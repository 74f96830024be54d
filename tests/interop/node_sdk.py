"""Run the official Trigger.dev TypeScript SDK (``@trigger.dev/sdk`` 3.3.17) from Python tests.

``sdk_driver.mjs`` beside this file does the work in node and prints one JSON object per line;
this module starts it with :mod:`subprocess` (in its own process group, with a hard wall-clock
timeout that kills the whole group, so a test can never hang) and parses what it printed.
The event shapes and the JSON tagging of payload/output/metadata are documented at the top of
``sdk_driver.mjs`` and in ``README.md``.

Example::

    sdk = NodeSDK(emu.base_url, emu.secret_key)
    with sdk.start_subscribe_run(run_id) as sub:
        assert sub.wait_ready(10)
        ...  # drive the run through its lifecycle
        result = sub.wait()
    assert result.done and result.runs[-1]["status"] == "COMPLETED"
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "INTEROP_DIR",
    "DRIVER",
    "SDK_VERSION",
    "TAGS",
    "NodeProcess",
    "NodeResult",
    "NodeSDK",
    "NodeSDKError",
    "decode_tagged",
]

INTEROP_DIR = Path(__file__).resolve().parent
DRIVER = INTEROP_DIR / "sdk_driver.mjs"
SDK_VERSION = "3.3.17"

#: The tags the driver uses for values plain JSON cannot carry (see sdk_driver.mjs).
TAGS = frozenset(
    {
        "$date",
        "$bigint",
        "$set",
        "$map",
        "$undefined",
        "$number",
        "$regexp",
        "$error",
        "$url",
        "$bytes",
        "$typedarray",
        "$symbol",
        "$function",
        "$object",
    }
)

#: Extra seconds the hard kill waits beyond the driver's own timeout (node start-up, SDK import).
KILL_GRACE = 15.0

JSONObject = dict[str, Any]


@dataclass(frozen=True)
class NodeResult:
    """What one run of the driver printed, and how it ended."""

    events: list[JSONObject]
    exit_code: int
    stderr: str
    killed: bool = False
    """True when the hard wall-clock timeout had to kill the process group."""
    command: list[str] = field(default_factory=list)

    def of(self, event: str) -> list[JSONObject]:
        """All events of one kind, in order."""
        return [e for e in self.events if e.get("event") == event]

    def first(self, event: str) -> JSONObject | None:
        found = self.of(event)
        return found[0] if found else None

    @property
    def runs(self) -> list[JSONObject]:
        """The runs yielded / returned, as the driver serialised them."""
        return [e["run"] for e in self.of("run")]

    @property
    def requests(self) -> list[JSONObject]:
        """HTTP requests the SDK made (only with ``trace_requests``)."""
        return self.of("request")

    @property
    def responses(self) -> list[JSONObject]:
        """HTTP responses the SDK received (only with ``trace_requests``)."""
        return self.of("response")

    @property
    def done(self) -> JSONObject | None:
        return self.first("done")

    @property
    def timed_out(self) -> bool:
        """The driver's own ``--timeout-ms`` fired (not the hard kill)."""
        return self.first("timeout") is not None

    @property
    def stalled(self) -> bool:
        """Node's event loop ran empty while the SDK's iterator was pending: the SDK stopped
        fetching for good (a 4xx through the public API, or 30 s after a finished run)."""
        return self.first("stalled") is not None

    @property
    def error(self) -> JSONObject | None:
        return self.first("error")

    @property
    def fetch_error(self) -> JSONObject | None:
        return self.first("fetch_error")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed

    def raise_for_error(self) -> NodeResult:
        if not self.ok:
            raise NodeSDKError(self)
        return self

    def describe(self) -> str:
        """A short human-readable summary for assertion messages."""
        lines = [f"exit={self.exit_code} killed={self.killed} cmd={' '.join(self.command[2:])}"]
        lines += [json.dumps(e)[:500] for e in self.events]
        if self.stderr.strip():
            lines.append("stderr: " + self.stderr.strip()[-2000:])
        return "\n".join(lines)


class NodeSDKError(AssertionError):
    """The driver failed: it printed an ``error``/``fetch_error`` event or exited non-zero."""

    def __init__(self, result: NodeResult) -> None:
        self.result = result
        event = result.error or result.fetch_error or {}
        self.name: str | None = event.get("name")
        self.status: int | None = event.get("status")
        self.message: str = str(event.get("message", ""))
        super().__init__(f"official SDK failed: {result.describe()}")


def _build_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRIGGER_") and k not in ("NODE_OPTIONS", "NODE_PATH")
    }
    env.update(extra)
    return env


def _parse_line(line: str) -> JSONObject:
    line = line.strip()
    try:
        value = json.loads(line)
    except ValueError:
        return {"event": "stdout", "text": line}
    if isinstance(value, dict):
        return value
    return {"event": "stdout", "text": line}


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class NodeProcess:
    """The driver running in the background (see :meth:`NodeSDK.start_subscribe_run`).

    Reads stdout as it arrives, so a test can wait for the subscriber to be ``ready`` before it
    changes the run, then :meth:`wait` for the result. Use it as a context manager: leaving the
    block kills the process if it is still running.
    """

    def __init__(self, cmd: list[str], env: Mapping[str, str], hard_timeout: float) -> None:
        self.command = cmd
        self._events: list[JSONObject] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stderr: list[str] = []
        self._killed = False
        self._deadline = time.monotonic() + hard_timeout
        self._result: NodeResult | None = None
        self._proc = subprocess.Popen(
            cmd,
            cwd=INTEROP_DIR,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if not line.strip():
                continue
            event = _parse_line(line)
            with self._lock:
                self._events.append(event)
            if event.get("event") in (
                "ready",
                "error",
                "fetch_error",
                "done",
                "timeout",
                "stalled",
            ):
                self._ready.set()
        self._ready.set()

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def events(self) -> list[JSONObject]:
        """A snapshot of the events printed so far."""
        with self._lock:
            return list(self._events)

    @property
    def runs(self) -> list[JSONObject]:
        return [e["run"] for e in self.events if e.get("event") == "run"]

    def running(self) -> bool:
        return self._proc.poll() is None

    def wait_ready(self, timeout: float = 20.0) -> bool:
        """Wait until the SDK has had its first realtime response (or the driver ended).

        Returns True only when a ``ready`` event was printed.
        """
        self._ready.wait(min(timeout, max(0.0, self._deadline - time.monotonic())))
        return any(e.get("event") == "ready" for e in self.events)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> JSONObject | None:
        """Wait for the first event for which ``predicate(event)`` is true; None on timeout."""
        end = min(time.monotonic() + timeout, self._deadline)
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            if not self.running() and not self._out.is_alive():
                return None
            if time.monotonic() >= end:
                return None
            time.sleep(0.02)

    def wait_for_runs(self, count: int, timeout: float = 20.0) -> list[JSONObject]:
        """Wait until at least ``count`` runs were yielded; returns the runs seen so far."""
        end = min(time.monotonic() + timeout, self._deadline)
        while len(self.runs) < count and time.monotonic() < end:
            if not self.running() and not self._out.is_alive():
                break
            time.sleep(0.02)
        return self.runs

    def wait(self, timeout: float | None = None) -> NodeResult:
        """Wait for the driver to exit.

        The process group is killed at the hard deadline, or after ``timeout`` seconds if that
        comes first; ``NodeResult.killed`` then says so.
        """
        if self._result is not None:
            return self._result
        limit = self._deadline - time.monotonic()
        if timeout is not None:
            limit = min(limit, timeout)
        try:
            self._proc.wait(timeout=max(0.0, limit))
        except subprocess.TimeoutExpired:
            self._killed = True
            _kill_group(self._proc)
            self._proc.wait()
        self._out.join(5)
        self._err.join(5)
        for stream, reader in ((self._proc.stdout, self._out), (self._proc.stderr, self._err)):
            if stream is not None and not reader.is_alive():
                stream.close()
        self._result = NodeResult(
            events=self.events,
            exit_code=self._proc.returncode,
            stderr="".join(self._stderr),
            killed=self._killed,
            command=self.command,
        )
        return self._result

    def kill(self) -> NodeResult:
        """Stop the driver now and return what it printed."""
        if self._result is None and self.running():
            self._killed = True
            _kill_group(self._proc)
        return self.wait()

    def __enter__(self) -> NodeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()


class NodeSDK:
    """The official TypeScript SDK, configured for one server and one token."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        trace_requests: bool = False,
        max_attempts: int | None = None,
        node: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """``max_attempts`` bounds the SDK's REST retries (its default is 5 attempts with
        1 s, 1.6 s, 2.56 s, 4.1 s waits); ``env`` adds environment variables for node."""
        self.base_url = base_url
        self.access_token = access_token
        self.trace_requests = trace_requests
        self.max_attempts = max_attempts
        self.node = node or shutil.which("node") or "node"
        self._env = _build_env(
            {
                "TRIGGER_API_URL": base_url,
                "TRIGGER_SECRET_KEY": access_token,
                **(env or {}),
            }
        )

    def __repr__(self) -> str:
        return f"NodeSDK(base_url={self.base_url!r}, access_token=<redacted>)"

    # -- availability --------------------------------------------------------------------------

    @staticmethod
    def available() -> bool:
        """True when node is on PATH and ``npm ci`` has installed the SDK beside the driver."""
        if shutil.which("node") is None:
            return False
        package = INTEROP_DIR / "node_modules" / "@trigger.dev" / "sdk" / "package.json"
        try:
            version = json.loads(package.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            return False
        return bool(version == SDK_VERSION and DRIVER.is_file())

    # -- plumbing ------------------------------------------------------------------------------

    def _command(self, args: Sequence[str], timeout: float | None, trace: bool | None) -> list[str]:
        cmd = [self.node, str(DRIVER), *args]
        if trace if trace is not None else self.trace_requests:
            cmd.append("--trace-requests")
        if self.max_attempts is not None:
            cmd += ["--max-attempts", str(self.max_attempts)]
        if timeout is not None:
            cmd += ["--timeout-ms", str(max(1, int(timeout * 1000)))]
        return cmd

    def start(
        self, *args: str, timeout: float | None = 20.0, trace_requests: bool | None = None
    ) -> NodeProcess:
        """Start the driver with raw arguments in the background.

        ``timeout`` is the driver's own deadline (it then prints ``timeout`` and exits 0); the
        process group is killed ``KILL_GRACE`` seconds later in any case.
        """
        cmd = self._command(args, timeout, trace_requests)
        hard = (timeout if timeout is not None else 60.0) + KILL_GRACE
        return NodeProcess(cmd, self._env, hard)

    def run(
        self, *args: str, timeout: float | None = 20.0, trace_requests: bool | None = None
    ) -> NodeResult:
        """Run the driver with raw arguments and wait for it."""
        return self.start(*args, timeout=timeout, trace_requests=trace_requests).wait()

    def _one(
        self, *args: str, event: str, timeout: float, trace_requests: bool | None
    ) -> JSONObject:
        result = self.run(*args, timeout=timeout, trace_requests=trace_requests)
        found = result.first(event)
        if not result.ok or found is None:
            raise NodeSDKError(result)
        return found

    # -- subscriptions -------------------------------------------------------------------------

    @staticmethod
    def _subscribe_args(
        command: str,
        target: str,
        *,
        skip_columns: Sequence[str] | None = None,
        created_at: str | None = None,
        max: int | None = None,
        stop_on_completion: bool = True,
        driver_stop: bool = True,
        public_api: bool = False,
    ) -> list[str]:
        args = [command, target]
        if skip_columns:
            args += ["--skip-columns", ",".join(skip_columns)]
        if created_at is not None:
            args += ["--created-at", created_at]
        if max is not None:
            args += ["--max", str(max)]
        if not stop_on_completion:
            args.append("--no-stop-on-completion")
        if not driver_stop:
            args.append("--no-driver-stop")
        if public_api:
            args.append("--public-api")
        return args

    def start_subscribe_run(
        self,
        run_id: str,
        *,
        skip_columns: Sequence[str] | None = None,
        max: int | None = None,
        timeout: float = 20.0,
        stop_on_completion: bool = True,
        driver_stop: bool = True,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeProcess:
        """``runs.subscribeToRun`` in the background.

        The driver ends right after the first yielded run with ``finishedAt`` set (``done``,
        reason ``finished``), after ``max`` runs, or at ``timeout``. ``driver_stop=False`` leaves
        stopping to the SDK (3.3.17 keeps polling 30 s after the finished run, then hangs).
        ``public_api=True`` uses the public ``runs.subscribeToRun`` wrapper, which cannot report
        fetch errors (a 4xx then shows up only as a timeout); by default the driver calls the same
        ApiClient method with ``onFetchError`` and prints ``fetch_error``.
        ``skip_columns`` is added to the shape URL by the driver (3.3.17 has no such option).
        """
        args = self._subscribe_args(
            "subscribe-run",
            run_id,
            skip_columns=skip_columns,
            max=max,
            stop_on_completion=stop_on_completion,
            driver_stop=driver_stop,
            public_api=public_api,
        )
        return self.start(*args, timeout=timeout, trace_requests=trace_requests)

    def subscribe_run(
        self,
        run_id: str,
        *,
        skip_columns: Sequence[str] | None = None,
        max: int | None = None,
        timeout: float = 20.0,
        stop_on_completion: bool = True,
        driver_stop: bool = True,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeResult:
        """``runs.subscribeToRun`` until done, ``max`` runs, an error or ``timeout``."""
        return self.start_subscribe_run(
            run_id,
            skip_columns=skip_columns,
            max=max,
            timeout=timeout,
            stop_on_completion=stop_on_completion,
            driver_stop=driver_stop,
            public_api=public_api,
            trace_requests=trace_requests,
        ).wait()

    def subscribe_run_streams(
        self, run_id: str, *, chunks: int, timeout: float = 20.0
    ) -> NodeResult:
        """``runs.subscribeToRun(run_id).withStreams()`` until a finished run and ``chunks``
        stream chunks were printed (``part`` events), an error, or ``timeout``."""
        return self.run("subscribe-run-streams", run_id, "--chunks", str(chunks), timeout=timeout)

    def start_subscribe_run_streams(
        self, run_id: str, *, chunks: int, timeout: float = 20.0
    ) -> NodeProcess:
        """``subscribe_run_streams`` in the background."""
        return self.start("subscribe-run-streams", run_id, "--chunks", str(chunks), timeout=timeout)

    def start_subscribe_tag(
        self,
        tags: str | Sequence[str],
        *,
        created_at: str | None = None,
        skip_columns: Sequence[str] | None = None,
        max: int | None = None,
        timeout: float = 20.0,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeProcess:
        """``runs.subscribeToRunsWithTag`` in the background (never ends on its own: it stops
        after ``max`` runs or at ``timeout``). ``created_at``/``skip_columns`` are added to the
        shape URL by the driver (3.3.17 has no such options)."""
        target = tags if isinstance(tags, str) else ",".join(tags)
        args = self._subscribe_args(
            "subscribe-tag",
            target,
            skip_columns=skip_columns,
            created_at=created_at,
            max=max,
            public_api=public_api,
        )
        return self.start(*args, timeout=timeout, trace_requests=trace_requests)

    def subscribe_tag(
        self,
        tags: str | Sequence[str],
        *,
        created_at: str | None = None,
        skip_columns: Sequence[str] | None = None,
        max: int | None = None,
        timeout: float = 20.0,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeResult:
        return self.start_subscribe_tag(
            tags,
            created_at=created_at,
            skip_columns=skip_columns,
            max=max,
            timeout=timeout,
            public_api=public_api,
            trace_requests=trace_requests,
        ).wait()

    def start_subscribe_batch(
        self,
        batch_id: str,
        *,
        max: int | None = None,
        timeout: float = 20.0,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeProcess:
        """``runs.subscribeToBatch`` in the background (stops after ``max`` runs or ``timeout``)."""
        args = self._subscribe_args("subscribe-batch", batch_id, max=max, public_api=public_api)
        return self.start(*args, timeout=timeout, trace_requests=trace_requests)

    def subscribe_batch(
        self,
        batch_id: str,
        *,
        max: int | None = None,
        timeout: float = 20.0,
        public_api: bool = False,
        trace_requests: bool | None = None,
    ) -> NodeResult:
        return self.start_subscribe_batch(
            batch_id, max=max, timeout=timeout, public_api=public_api, trace_requests=trace_requests
        ).wait()

    # -- one-shot calls (raise NodeSDKError on failure) ----------------------------------------

    def create_token_event(
        self,
        scopes: Mapping[str, Any] | None = None,
        expiration: str | int | datetime | None = None,
        *,
        timeout: float = 30.0,
        trace_requests: bool | None = None,
    ) -> JSONObject:
        """``auth.createPublicToken``: the ``token`` event (``token``, decoded ``header`` and
        ``claims``). ``expiration``: a jose duration string (``"15m"``), or an absolute time as
        epoch seconds or an aware ``datetime``; omitted -> the SDK default (15m)."""
        args = ["create-token"]
        if scopes is not None:
            args += ["--scopes", json.dumps(scopes)]
        if isinstance(expiration, datetime):
            expiration = int(expiration.timestamp())
        if expiration is not None:
            args += ["--expiration", str(expiration)]
        return self._one(*args, event="token", timeout=timeout, trace_requests=trace_requests)

    def create_token(
        self,
        scopes: Mapping[str, Any] | None = None,
        expiration: str | int | datetime | None = None,
        *,
        timeout: float = 30.0,
    ) -> str:
        """``auth.createPublicToken``: the JWT."""
        return str(self.create_token_event(scopes, expiration, timeout=timeout)["token"])

    def retrieve(
        self, run_id: str, *, timeout: float = 30.0, trace_requests: bool | None = None
    ) -> JSONObject:
        """``runs.retrieve``: the run as the driver serialised it."""
        event = self._one(
            "retrieve", run_id, event="run", timeout=timeout, trace_requests=trace_requests
        )
        run: JSONObject = event["run"]
        return run

    def trigger(
        self,
        task_id: str,
        payload: Any,
        options: Mapping[str, Any] | None = None,
        *,
        timeout: float = 30.0,
        trace_requests: bool | None = None,
    ) -> JSONObject:
        """``tasks.trigger``: the handle (``id``, ``publicAccessToken``).

        ``payload`` is tagged JSON (see ``TAGS``): ``{"$date": "..."}`` becomes a JS Date etc.
        """
        args = ["trigger", task_id, "--payload", json.dumps(payload)]
        if options is not None:
            args += ["--options", json.dumps(options)]
        event = self._one(*args, event="handle", timeout=timeout, trace_requests=trace_requests)
        handle: JSONObject = event["handle"]
        return handle

    def batch_trigger(
        self,
        task_id: str,
        items: Sequence[Mapping[str, Any]],
        options: Mapping[str, Any] | None = None,
        *,
        timeout: float = 30.0,
        trace_requests: bool | None = None,
    ) -> JSONObject:
        """``tasks.batchTrigger``: the batch handle (``batchId``, ``runs``, ...).

        ``items`` are ``{"payload": <tagged json>, "options": {...}}``.
        """
        args = ["batch-trigger", task_id, "--items", json.dumps(list(items))]
        if options is not None:
            args += ["--options", json.dumps(options)]
        event = self._one(*args, event="handle", timeout=timeout, trace_requests=trace_requests)
        handle: JSONObject = event["handle"]
        return handle

    def cancel(
        self, run_id: str, *, timeout: float = 30.0, trace_requests: bool | None = None
    ) -> JSONObject:
        """``runs.cancel``: ``{"id": ...}``."""
        event = self._one(
            "cancel", run_id, event="result", timeout=timeout, trace_requests=trace_requests
        )
        result: JSONObject = event["result"]
        return result

    def replay(
        self, run_id: str, *, timeout: float = 30.0, trace_requests: bool | None = None
    ) -> JSONObject:
        """``runs.replay``: ``{"id": <new run id>}``."""
        event = self._one(
            "replay", run_id, event="result", timeout=timeout, trace_requests=trace_requests
        )
        result: JSONObject = event["result"]
        return result

    def list_runs(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        max: int | None = None,
        timeout: float = 30.0,
        trace_requests: bool | None = None,
    ) -> list[JSONObject]:
        """``runs.list(filters)`` iterated over every page (or the first ``max`` runs)."""
        args = ["list", "--filters", json.dumps(dict(filters or {}))]
        if max is not None:
            args += ["--max", str(max)]
        result = self.run(*args, timeout=timeout, trace_requests=trace_requests)
        if not result.ok or result.done is None:
            raise NodeSDKError(result)
        return result.runs

    def parse_packet(self, data: str, data_type: str, *, timeout: float = 30.0) -> Any:
        """The SDK's own ``parsePacket`` (no server): the value, tagged."""
        event = self._one(
            "parse-packet",
            "--data",
            data,
            "--data-type",
            data_type,
            event="value",
            timeout=timeout,
            trace_requests=False,
        )
        return event.get("value")

    def stringify_packet(self, value: Any, *, timeout: float = 30.0) -> JSONObject:
        """The SDK's own ``stringifyIO`` (no server): ``{"data": ..., "dataType": ...}``.

        ``value`` is tagged JSON.
        """
        event = self._one(
            "stringify-packet",
            "--value",
            json.dumps(value),
            event="packet",
            timeout=timeout,
            trace_requests=False,
        )
        return {k: v for k, v in event.items() if k != "event"}


def decode_tagged(value: Any) -> Any:
    """Turn the driver's tagged JSON into Python values (a convenience; lossy by design).

    ``$date`` -> aware UTC ``datetime`` (``None`` for an invalid date); ``$bigint`` -> ``int``;
    ``$number`` -> ``float`` (nan, inf, -inf, -0.0); ``$undefined`` -> ``None``; ``$set`` ->
    ``list`` (JS sets may hold unhashable values); ``$map`` -> ``list`` of ``(key, value)``
    tuples; ``$bytes`` -> ``bytes``; ``$url``/``$regexp``/``$symbol``/``$function`` -> ``str``;
    ``$error`` -> ``dict`` with name and message; ``$typedarray`` -> ``list``; ``$object`` -> the
    escaped ``dict``. For exact comparisons, compare the tagged form instead.
    """
    if isinstance(value, list):
        return [decode_tagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag in TAGS:
            return _decode_tag(tag, inner)
    return {k: decode_tagged(v) for k, v in value.items()}


def _decode_tag(tag: str, inner: Any) -> Any:
    if tag == "$date":
        if inner is None:
            return None
        return datetime.fromisoformat(str(inner).replace("Z", "+00:00")).astimezone(UTC)
    if tag == "$bigint":
        return int(inner)
    if tag == "$number":
        return float(str(inner).replace("Infinity", "inf"))
    if tag == "$undefined":
        return None
    if tag == "$set":
        return [decode_tagged(v) for v in inner]
    if tag == "$map":
        return [(decode_tagged(k), decode_tagged(v)) for k, v in inner]
    if tag == "$bytes":
        return bytes(inner)
    if tag == "$typedarray":
        return [decode_tagged(v) for v in inner["values"]]
    if tag == "$error":
        return dict(inner)
    if tag == "$object":
        return {k: decode_tagged(v) for k, v in inner.items()}
    return inner
