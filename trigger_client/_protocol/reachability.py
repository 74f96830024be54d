"""Whether a subscription keeps trying to reach the server, and when it says so.

A subscription that has never reached the server (a wrong ``TRIGGER_API_URL``, a closed port, an
unknown host) gives up as a REST call does: after ``max_retries`` retries, with the
``APIConnectionError``. Once the server has been reached, any later failure is retried until the
subscription's deadline (servers restart; networks drop). Either way the first failure to reach
the server, and every later one at least ``WARN_INTERVAL`` seconds after the last warning, are
logged at WARNING, with the URL (without credentials) and the error's class.
"""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit, urlunsplit

import httpcore

from .._model import Record

__all__ = ["WARN_INTERVAL", "FailureDecision", "Reachability", "is_unreachable", "public_url"]

#: Seconds between two warnings about the same subscription's failures.
WARN_INTERVAL = 60.0

_CONNECT_FAILURES: tuple[type[BaseException], ...] = (
    httpcore.ConnectError,
    httpcore.ConnectTimeout,
    ConnectionRefusedError,
    socket.gaierror,
)


def _connect_failures() -> tuple[type[BaseException], ...]:
    """The connect failures, with httpx's once it is loaded (before, none of its exceptions can
    have been raised)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:
        return _CONNECT_FAILURES
    return (httpx.ConnectError, httpx.ConnectTimeout, *_CONNECT_FAILURES)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or one of its causes) is a failure to connect at all: refused, unknown
    host, connect timeout. A connection dropped after it was made is not: a server was there."""
    failures = _connect_failures()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, failures):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def public_url(url: str) -> str:
    """``url`` without credentials, query or fragment: safe for a log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# The two classes below are not attrs classes: a subscription loads this module, and attrs would
# build them at import (issue 18, cold start). FailureDecision is a ``Record`` (``_model.py``).


class FailureDecision(Record):
    """What to do about one failure: immutable, equal (and hashed) by its two fields."""

    __slots__ = ("give_up", "warn")
    __match_args__ = ("give_up", "warn")

    give_up: bool
    """Raise the error now: the server was never reached and the retries are spent."""
    warn: bool
    """Log this failure at WARNING."""

    def __init__(self, *, give_up: bool, warn: bool) -> None:
        object.__setattr__(self, "give_up", give_up)
        object.__setattr__(self, "warn", warn)


class Reachability:
    """One subscription's record of reaching the server; ``failed`` decides about a failure.

    Mutable state owned by one feed: compared by identity (nothing compares two of them).
    """

    __slots__ = ("failures", "last_warning", "max_retries", "reached", "warn_interval")

    def __init__(self, max_retries: int, warn_interval: float = WARN_INTERVAL) -> None:
        self.max_retries = max_retries
        self.warn_interval = warn_interval
        self.reached = False
        self.failures = 0
        self.last_warning: float | None = None

    def __repr__(self) -> str:
        return (
            f"Reachability(max_retries={self.max_retries!r}, "
            f"warn_interval={self.warn_interval!r}, reached={self.reached!r}, "
            f"failures={self.failures!r}, last_warning={self.last_warning!r})"
        )

    def answered(self) -> None:
        """The server answered (any status): from now on failures are retried to the deadline."""
        self.reached = True

    def failed(self, exc: BaseException, *, now: float) -> FailureDecision:
        """A request failed with ``exc`` at monotonic time ``now``."""
        if not is_unreachable(exc):
            self.reached = True  # something answered the connection
        self.failures += 1
        give_up = not self.reached and self.failures > self.max_retries
        warn = self.last_warning is None or now - self.last_warning >= self.warn_interval
        if warn:
            self.last_warning = now
        return FailureDecision(give_up=give_up, warn=warn)
