"""How the ``trigger-client`` command line shows runs: pure functions, no I/O.

A run becomes a status line (``run_1234  EXECUTING  0:07  [#####-----] 50%``), a final summary
(its output or its error), a JSON line for ``--json``, and an exit code.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

from ._generated.models import Run
from ._serde import unstructure

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_RUN_FAILED",
    "EXIT_SUCCESS",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "colorize_status",
    "describe_progress",
    "exit_code_for",
    "feed_line",
    "final_lines",
    "format_elapsed",
    "json_line",
    "progress_fraction",
    "run_elapsed",
    "status_line",
    "to_json",
]

EXIT_SUCCESS: Final = 0
"""The run completed successfully (``COMPLETED``); or a tag/batch feed was watched to the end."""
EXIT_RUN_FAILED: Final = 1
"""The run finished without success: FAILED, CRASHED, SYSTEM_FAILURE, INTERRUPTED, TIMED_OUT,
EXPIRED, CANCELED, or a finished run with a status this version does not know."""
EXIT_USAGE: Final = 2
"""Bad arguments, or missing configuration (no access token)."""
EXIT_API_ERROR: Final = 3
"""The API refused or failed: unknown run (404), bad or expired token (401), missing scope (403),
a network error after retries, a response the SDK cannot read."""
EXIT_TIMEOUT: Final = 4
"""``--timeout`` passed before the run finished (the run itself goes on)."""
EXIT_INTERRUPTED: Final = 130
"""Ctrl+C (the shell's convention: 128 + SIGINT)."""

_BAR_WIDTH: Final = 10
_ANSI: Final = {"green": "\x1b[32m", "red": "\x1b[31m", "yellow": "\x1b[33m", "dim": "\x1b[2m"}
_RESET: Final = "\x1b[0m"
_MAX_INLINE_JSON: Final = 100
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def exit_code_for(run: Run) -> int:
    """0 for a successful run, 1 for any other finished run (see the ``EXIT_*`` constants)."""
    return EXIT_SUCCESS if run.is_success else EXIT_RUN_FAILED


def run_elapsed(run: Run, now: datetime) -> float:
    """Seconds from the run's creation to its end (or to ``now`` while it goes on), never < 0."""
    end = run.finished_at if run.finished_at is not None else now
    return max(0.0, (end - run.created_at).total_seconds())


def format_elapsed(seconds: float) -> str:
    """``0.4s``, ``12.3s``, ``1:05``, ``2:03:04``: short while short, clock-like once a minute."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def progress_fraction(metadata: object) -> float | None:
    """The run's progress in [0, 1] from ``metadata["progress"]``, when it holds a number.

    Tasks report progress in their metadata by convention: a fraction (``0.25``) or a percentage
    (``25``; any value above 1 is read as a percentage). Anything else gives None.
    """
    if not isinstance(metadata, Mapping):
        return None
    value = metadata.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    fraction = value / 100 if value > 1 else value
    return min(1.0, max(0.0, float(fraction)))


def describe_progress(metadata: object, *, bar: bool = False) -> str:
    """``50%`` (or ``[#####-----] 50%`` with ``bar``), then the metadata's ``step`` or
    ``message`` when it has one; empty without progress metadata."""
    if not isinstance(metadata, Mapping):
        return ""
    parts: list[str] = []
    fraction = progress_fraction(metadata)
    if fraction is not None:
        percent = f"{fraction * 100:.0f}%"
        if bar:
            filled = round(fraction * _BAR_WIDTH)
            percent = f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {percent}"
        parts.append(percent)
    elif isinstance(metadata.get("progress"), str):
        parts.append(_clean(str(metadata["progress"])))
    for key in ("step", "message", "stage"):
        value = metadata.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            parts.append(f"{key} {_clean(str(value))}" if key == "step" else _clean(str(value)))
            break
    return "  ".join(parts)


def status_line(run: Run, now: datetime, *, bar: bool = False) -> str:
    """One line for the run: id, status, elapsed time, progress."""
    parts = [run.id, f"{run.status!s:<14}", format_elapsed(run_elapsed(run, now))]
    progress = describe_progress(run.metadata, bar=bar)
    if progress:
        parts.append(progress)
    return "  ".join(parts)


def colorize_status(line: str, run: Run) -> str:
    """``line`` with the run's status in color: green for success, red for another end, yellow
    while an attempt waits to be retried, dim while queued."""
    color = _status_color(run)
    status = str(run.status)
    if not color or status not in line:
        return line
    return line.replace(status, _paint(status, color), 1)


def feed_line(run: Run, now: datetime) -> str:
    """A line for one update of a tag or batch feed (many runs): time, id, task, status, progress."""
    clock = now.astimezone(UTC).strftime("%H:%M:%S")
    parts = [clock, run.id, _clean(run.task_identifier), f"{run.status!s:<14}"]
    progress = describe_progress(run.metadata)
    if progress:
        parts.append(progress)
    if run.is_finished:
        parts.append(_outcome(run))
    return "  ".join(parts).rstrip()


def final_lines(run: Run, *, stack_trace: bool = False) -> list[str]:
    """What to say once the run finished: how it ended and how long it took, then its output (a
    success) or its error."""
    took = format_elapsed(run_elapsed(run, run.finished_at or run.updated_at))
    lines = [f"{run.id} {run.status} after {took} ({run.task_identifier})"]
    if run.is_success:
        lines.extend(_labelled("output", run.output))
    elif run.error is not None:
        name = f"{run.error.name}: " if run.error.name else ""
        lines.append(f"error: {name}{_clean(run.error.message)}")
        if stack_trace and run.error.stack_trace:
            lines.extend("  " + _clean(line) for line in run.error.stack_trace.splitlines())
    return lines


def json_line(run: Run) -> str:
    """The run as one line of JSON: the API's camelCase field names, ISO timestamps, fields that
    are not set left out (as the official SDK's ``JSON.stringify`` writes a run)."""
    return json.dumps(to_json(unstructure(run)), ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of a decoded packet: datetimes as ISO text, sets and tuples as
    lists, bytes as base64, non-finite floats as strings, anything else as its ``str``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        items = [to_json(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _labelled(label: str, value: Any) -> list[str]:
    text = json.dumps(to_json(value), ensure_ascii=False)
    if len(text) <= _MAX_INLINE_JSON:
        return [f"{label}: {text}"]
    pretty = json.dumps(to_json(value), ensure_ascii=False, indent=2)
    return [f"{label}:", *pretty.splitlines()]


def _outcome(run: Run) -> str:
    if run.is_success:
        text = json.dumps(to_json(run.output), ensure_ascii=False)
        if len(text) > _MAX_INLINE_JSON:
            text = text[: _MAX_INLINE_JSON - 3] + "..."
        return f"output {text}"
    if run.error is not None:
        return f"error {_clean(run.error.message)}"
    return ""


def _status_color(run: Run) -> str:
    if run.is_success:
        return "green"
    if run.is_finished:
        return "red"
    if str(run.status) == "REATTEMPTING":
        return "yellow"
    return "dim" if run.is_queued else ""


def _paint(text: str, color: str) -> str:
    return f"{_ANSI[color]}{text}{_RESET}" if color else text


def _clean(text: str) -> str:
    """Text from the server, with control characters (which could move the cursor) removed."""
    return _CONTROL.sub("", text)
