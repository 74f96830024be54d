"""Numeric arguments checked where they are given: seconds, counts, timeouts, retry policies.

A ``nan`` poll interval would poll without pause and an infinite timeout overflows the clock, so
every number is checked when it is passed: finite, positive (or zero where zero means something),
an ``int`` where it counts something. A refused value is an ``InvalidArgumentError`` (a
``ValueError``) naming the argument; a value of the wrong type a ``TypeError``.
"""

from __future__ import annotations

import math

from .._config import is_httpx_timeout
from .._exceptions import InvalidArgumentError
from .retry import RetryPolicy

__all__ = ["check_count", "check_retry_policy", "check_seconds", "check_timeout"]


def check_seconds(value: object, name: str, *, zero: bool = False) -> float:
    """``value`` as seconds: a finite number above 0 (or equal to 0 when ``zero``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise InvalidArgumentError(f"{name} must be a finite number of seconds, not {value!r}")
    if seconds < 0 or (seconds == 0 and not zero):
        bound = "0 or more" if zero else "above 0"
        raise InvalidArgumentError(f"{name} must be {bound} seconds, not {value!r}")
    return seconds


def check_count(value: object, name: str, *, minimum: int = 0) -> int:
    """``value`` as a count: an ``int`` of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, not {value}")
    return value


def check_timeout(value: object, name: str = "timeout") -> None:
    """A client timeout: None, positive seconds, or an ``httpx.Timeout`` whose every limit is None
    or positive seconds (a zero limit would fail every request, and be retried)."""
    if value is None:
        return
    if is_httpx_timeout(value):  # (without importing httpx)
        for part in ("connect", "read", "write", "pool"):
            limit = getattr(value, part)
            if limit is not None:
                check_seconds(limit, f"{name}.{part}")
        return
    check_seconds(value, name)


def check_retry_policy(policy: object) -> None:
    """A ``RetryPolicy`` with finite delays (and not-found window) of 0 or more and a multiplier of
    at least 1."""
    if not isinstance(policy, RetryPolicy):
        raise TypeError(f"retry_policy must be a RetryPolicy, not {type(policy).__name__}")
    check_seconds(policy.initial_delay, "retry_policy.initial_delay", zero=True)
    check_seconds(policy.max_delay, "retry_policy.max_delay", zero=True)
    check_seconds(policy.not_found_seconds, "retry_policy.not_found_seconds", zero=True)
    multiplier = check_seconds(policy.multiplier, "retry_policy.multiplier")
    if multiplier < 1:
        raise InvalidArgumentError(f"retry_policy.multiplier must be at least 1, not {multiplier}")
