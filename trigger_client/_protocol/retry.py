"""Retry decisions: classify a status or an exception, and compute the next delay.

Delays use exponential backoff with full jitter (1 s doubling to 32 s by default) and the server's
``Retry-After`` as a floor, as the Electric client does. REST calls give up after ``max_retries``;
realtime feeds retry transient failures until the caller's deadline.
"""

from __future__ import annotations

import math
import re
import ssl
import sys
from collections.abc import Callable, Mapping
from typing import Literal

import attrs

from .server_rules import NOT_FOUND_RETRY_SECONDS, should_retry_flag

__all__ = [
    "MAX_RETRY_AFTER",
    "Backoff",
    "RetryPolicy",
    "StatusClass",
    "classify_exception",
    "connection_error_message",
    "untrusted_certificate",
    "classify_status",
    "parse_retry_after",
]

#: The longest ``Retry-After`` honoured, in seconds.
MAX_RETRY_AFTER = 3600.0

StatusClass = Literal["ok", "transient", "auth", "fatal", "refetch"]

_SECONDS = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta seconds (decimals allowed) or an HTTP
    date relative to ``now`` (epoch seconds). Clamped to [0, 3600]; absent or invalid -> None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if _SECONDS.fullmatch(text):
        return min(float(text), MAX_RETRY_AFTER)
    from email.utils import parsedate_to_datetime  # (an HTTP date: rare, and email is slow to load)

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        delta = when.timestamp() - now
    except (OverflowError, OSError, ValueError):
        return None
    if math.isnan(delta):
        return None
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with full jitter; ``max_retries`` bounds REST calls only;
    ``not_found_seconds`` bounds the wait for a run or batch the server has not seen yet."""

    initial_delay: float = 1.0
    max_delay: float = 32.0
    multiplier: float = 2.0
    max_retries: int = 2
    #: How long a 404 marked ``x-should-retry: true`` is retried before ``NotFoundError``.
    not_found_seconds: float = NOT_FOUND_RETRY_SECONDS

    def delay(
        self, attempt: int, *, retry_after: float | None, random: Callable[[], float]
    ) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry):
        ``max(retry_after or 0, random() * min(max_delay, initial_delay * multiplier**attempt))``."""
        try:
            cap = min(self.max_delay, self.initial_delay * self.multiplier ** max(attempt, 0))
        except OverflowError:
            cap = self.max_delay
        jittered = random() * cap
        return max(retry_after or 0.0, jittered)


class Backoff:
    """One retry loop: how many retries so far, the next delay and what bounds the loop.

    ``max_retries`` bounds the number of retries (None: unbounded); ``deadline`` (a time of
    ``clock``, or None) bounds the time. Delays follow ``policy`` (full jitter, ``Retry-After`` as a
    floor); ``reset()`` starts over after a success.
    """

    __slots__ = ("attempt", "clock", "deadline", "max_retries", "policy", "random")

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        random: Callable[[], float],
        clock: Callable[[], float],
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> None:
        self.policy: RetryPolicy = policy
        self.random: Callable[[], float] = random
        self.clock: Callable[[], float] = clock
        self.max_retries: int | None = max_retries
        self.deadline: float | None = deadline
        self.attempt: int = 0

    def can_retry(self) -> bool:
        """False once ``max_retries`` retries were made."""
        return self.max_retries is None or self.attempt < self.max_retries

    def next_delay(self, retry_after: float | None = None) -> float:
        """The delay before the next retry, counting it."""
        delay = self.policy.delay(self.attempt, retry_after=retry_after, random=self.random)
        self.attempt += 1
        return delay

    def remaining(self) -> float | None:
        """Seconds left before the deadline (negative once passed), or None without one."""
        return None if self.deadline is None else self.deadline - self.clock()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def reset(self) -> None:
        self.attempt = 0


_AUTH = frozenset({401, 403})
_TRANSIENT = frozenset({408, 429})


def classify_status(status: int, *, headers: Mapping[str, str] | None = None) -> StatusClass:
    """What a response status means for the caller.

    2xx -> ``ok``; 401/403 -> ``auth`` (refresh the token once); 409 -> ``refetch`` (the realtime
    must-refetch); otherwise ``x-should-retry: true``/``false`` decides; else 408, 429 and 5xx ->
    ``transient`` and everything else (other 4xx, 1xx, 3xx) -> ``fatal``.
    """
    if 200 <= status < 300:
        return "ok"
    if status in _AUTH:
        return "auth"
    if status == 409:
        return "refetch"
    should_retry = should_retry_flag(headers)
    if should_retry is not None:
        return "transient" if should_retry else "fatal"
    if status in _TRANSIENT or 500 <= status < 600:
        return "transient"
    return "fatal"


def untrusted_certificate(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (its causes and contexts), if any:
    a connection failure that no retry can fix."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def connection_error_message(exc: BaseException) -> str:
    """The message of the ``APIConnectionError`` raised for the network failure ``exc``."""
    failure = untrusted_certificate(exc)
    if failure is not None:
        reason = failure.verify_message or failure.reason or "verification failed"
        return (
            f"Connection error: the server's TLS certificate is not trusted ({reason}). Point "
            "SSL_CERT_FILE at the CA bundle that signed it, or pass an http_client configured "
            "with verify=..."
        )
    return f"Connection error: {type(exc).__name__}"


def classify_exception(exc: BaseException) -> Literal["transient", "fatal"]:
    """``transient`` for network failures and timeouts (``httpx.TransportError``), ``fatal`` for
    everything else, including ``httpx.UnsupportedProtocol`` and ``httpx.LocalProtocolError``
    (a bad URL or a bad request never succeeds on retry)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:  # not loaded: ``exc`` is not one of its exceptions
        return "fatal"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return "fatal"
    if untrusted_certificate(exc) is not None:
        return "fatal"
    if isinstance(exc, httpx.TransportError):
        return "transient"
    return "fatal"
