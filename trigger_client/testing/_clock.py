"""Clocks for the emulator: the wall clock by default, a manual one for deterministic tests.

Every timestamp the emulator stores is an integer of milliseconds since the Unix epoch (UTC), the
precision of the real database's ``timestamp(3)`` columns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "ManualClock", "WallClock", "as_clock", "datetime_to_ms", "ms_to_datetime"]


def datetime_to_ms(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime (a naive one is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def ms_to_datetime(ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


class Clock:
    """A source of the current time. Subclasses implement :meth:`now_ms`."""

    def now_ms(self) -> int:
        raise NotImplementedError

    def now(self) -> datetime:
        """The current time as an aware UTC datetime (millisecond precision)."""
        return ms_to_datetime(self.now_ms())


class WallClock(Clock):
    """The system clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "WallClock()"


class ManualClock(Clock):
    """A clock that moves only when told to: ``advance(seconds)`` or ``set(datetime)``.

    JWT expiry, ``createdAt`` windows, delays and every timestamp written by the emulator follow it.
    Long-poll holds still use real time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        start = start or datetime(2025, 1, 1, tzinfo=UTC)
        self._ms = datetime_to_ms(start)

    def now_ms(self) -> int:
        with self._lock:
            return self._ms

    def advance(self, seconds: float = 0.0, *, ms: int = 0) -> datetime:
        """Move forward by ``seconds`` (plus ``ms`` milliseconds); returns the new time."""
        with self._lock:
            self._ms += int(round(seconds * 1000)) + ms
            return ms_to_datetime(self._ms)

    def set(self, value: datetime) -> None:
        """Jump to ``value`` (backwards too)."""
        with self._lock:
            self._ms = datetime_to_ms(value)

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"


class _CallableClock(Clock):
    def __init__(self, func: Callable[[], datetime | float | int]) -> None:
        self._func = func

    def now_ms(self) -> int:
        value = self._func()
        if isinstance(value, datetime):
            return datetime_to_ms(value)
        return int(value * 1000)


def as_clock(value: Clock | Callable[[], datetime | float | int] | None) -> Clock:
    """A :class:`Clock` from a clock, a callable returning a datetime or epoch seconds, or None."""
    if value is None:
        return WallClock()
    if isinstance(value, Clock):
        return value
    return _CallableClock(value)
