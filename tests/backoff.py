"""Bounds on request timings and counts derived from a ``RetryPolicy``, for the tests that check
that a client backs off.

A client that backs off sleeps ``policy.delay(k)`` between two consecutive failed requests, ``k``
counting up from ``first_attempt``: full jitter, ``U * cap(k)`` with ``U`` uniform in [0, 1) and
``cap(k) = min(max_delay, initial_delay * multiplier**k)``. Round trips and a loaded machine only
make requests later, never earlier, so every bound on *how many* requests fit in a window is an
upper bound that load cannot break; the lower bounds take a latency allowance.
"""

from __future__ import annotations

import math

from trigger_client import RetryPolicy

#: A sleep may end this much before its nominal time (timer granularity).
CLOCK_SLACK = 0.002
#: The chance that a client backing off correctly still exceeds ``most_requests`` (its false
#: failure rate): one in a billion.
FALSE_FAILURE = 1e-9


def cap(policy: RetryPolicy, attempt: int) -> float:
    """The largest delay before retry number ``attempt`` (0 for the first retry)."""
    return min(policy.max_delay, policy.initial_delay * policy.multiplier**attempt)


def caps(policy: RetryPolicy, count: int, *, first_attempt: int = 0) -> list[float]:
    return [cap(policy, first_attempt + k) for k in range(count)]


def most_requests_at_cap(
    policy: RetryPolicy, window: float, *, first_attempt: int = 0, free: int = 0
) -> int:
    """The most requests in ``window`` seconds when every delay is exactly its cap (``random()``
    pinned to 1.0), plus ``free`` requests sent without a delay. Exact: a client whose delays are
    any shorter (by half, say) makes more."""
    total, delays = 0.0, 0
    while True:
        total += cap(policy, first_attempt + delays) - CLOCK_SLACK
        if total > window:
            return delays + 1 + free
        delays += 1


def chance_of_fitting(caps_: list[float], window: float) -> float:
    """An upper bound on the chance that delays ``U_k * caps_[k]`` (``U_k`` independent, uniform
    in [0, 1)) sum to at most ``window``: the volume of the simplex ``sum c_k u_k <= window``,
    ``u >= 0``, which contains that event, ``window**n / (n! * prod(c_k))``."""
    n = len(caps_)
    log_volume = n * math.log(window) - math.lgamma(n + 1) - sum(math.log(c) for c in caps_)
    return min(1.0, math.exp(log_volume))


def most_requests(
    policy: RetryPolicy,
    window: float,
    *,
    first_attempt: int = 0,
    free: int = 0,
    false_failure: float = FALSE_FAILURE,
) -> int:
    """The most requests in ``window`` seconds from a client with full jitter, but for a chance
    of at most ``false_failure``, plus ``free`` requests sent without a delay.

    ``r`` requests need ``r - 1`` delays summing to at most ``window`` (plus the timer slack);
    the smallest ``r`` for which that chance (``chance_of_fitting``) drops below
    ``false_failure`` cannot be reached but by that chance."""
    delays = 1
    while True:
        slack = window + delays * CLOCK_SLACK
        if chance_of_fitting(caps(policy, delays, first_attempt=first_attempt), slack) <= (
            false_failure
        ):
            return delays + free  # ``delays + 1`` requests are (almost) impossible
        delays += 1


def fewest_requests(
    policy: RetryPolicy, window: float, *, first_attempt: int = 0, latency: float = 0.25
) -> int:
    """The fewest requests in ``window`` seconds from a client that retries at all: every delay
    at its cap and every round trip taking ``latency`` (a loaded 2-core machine), at least 1."""
    total, requests = latency, 1
    while True:
        total += cap(policy, first_attempt + requests - 1) + latency
        if total > window:
            return requests
        requests += 1
