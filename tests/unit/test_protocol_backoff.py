"""``Backoff``: one retry loop's count, delays (full jitter, Retry-After floor) and bounds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trigger_client._protocol.retry import Backoff, RetryPolicy

POLICY = RetryPolicy(initial_delay=1.0, max_delay=8.0, multiplier=2.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_delays_double_to_the_cap_and_count_attempts() -> None:
    backoff = Backoff(POLICY, random=lambda: 1.0, clock=Clock())
    assert [backoff.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff.attempt == 6
    backoff.reset()
    assert (backoff.attempt, backoff.next_delay()) == (0, 1.0)


def test_retry_after_is_a_floor_not_a_cap() -> None:
    backoff = Backoff(POLICY, random=lambda: 0.5, clock=Clock())
    assert backoff.next_delay(retry_after=3.0) == 3.0  # above the jittered 0.5
    assert backoff.next_delay(retry_after=0.2) == 1.0  # below the jittered 1.0
    assert backoff.next_delay(retry_after=None) == 2.0


def test_max_retries_bounds_the_count() -> None:
    backoff = Backoff(POLICY, random=lambda: 0.0, clock=Clock(), max_retries=2)
    allowed = 0
    while backoff.can_retry():
        backoff.next_delay()
        allowed += 1
    assert allowed == 2
    assert Backoff(POLICY, random=lambda: 0.0, clock=Clock(), max_retries=0).can_retry() is False
    unbounded = Backoff(POLICY, random=lambda: 0.0, clock=Clock())
    for _ in range(1000):
        unbounded.next_delay()
    assert unbounded.can_retry()


def test_the_deadline_is_measured_on_the_clock() -> None:
    clock = Clock()
    backoff = Backoff(POLICY, random=lambda: 0.0, clock=clock, deadline=105.0)
    assert backoff.remaining() == 5.0 and not backoff.expired()
    clock.now = 104.5
    assert backoff.remaining() == 0.5 and not backoff.expired()  # half a second is still time
    clock.now = 105.0
    assert backoff.remaining() == 0.0 and backoff.expired()
    clock.now = 106.5
    assert backoff.remaining() == -1.5 and backoff.expired()
    without = Backoff(POLICY, random=lambda: 0.0, clock=clock)
    assert without.remaining() is None and not without.expired()


@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30),
    st.one_of(st.none(), st.floats(min_value=0.0, max_value=100.0)),
)
def test_every_delay_is_within_jitter_bounds(draws: list[float], retry_after: float | None) -> None:
    values = iter(draws)
    backoff = Backoff(POLICY, random=lambda: next(values), clock=Clock())
    for attempt, draw in enumerate(draws):
        cap = min(POLICY.max_delay, POLICY.initial_delay * POLICY.multiplier**attempt)
        delay = backoff.next_delay(retry_after)
        assert delay == max(retry_after or 0.0, draw * cap)
        assert (retry_after or 0.0) <= delay <= max(retry_after or 0.0, cap)
    assert backoff.attempt == len(draws)
