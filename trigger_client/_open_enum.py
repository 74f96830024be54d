"""A forward-compatible string enum: unknown values become pseudo-members, never errors."""

from __future__ import annotations

import enum
import logging
import threading
from typing import Any, Self

__all__ = ["OpenStrEnum"]

_logger = logging.getLogger("trigger_client")
_lock = threading.Lock()
#: The unknown values already logged, per enum class.
_reported: set[tuple[type, str]] = set()


class OpenStrEnum(enum.StrEnum):
    """A ``str`` enum that accepts values it does not declare.

    ``RunStatus("PAUSED_FOREVER")`` returns a ``RunStatus`` equal to ``"PAUSED_FOREVER"`` (created once,
    then cached) instead of raising ``ValueError``, so a server that adds a status never breaks a
    client; ``from_server`` logs such a value once at WARNING when the server sends it. Declared members are unchanged and ``list(RunStatus)`` lists only
    them; ``member.is_known`` tells the two apart.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        with _lock:
            existing = cls._value2member_map_.get(value)
            if existing is not None:
                return existing  # type: ignore[return-value]
            pseudo = str.__new__(cls, value)
            pseudo._name_ = value
            pseudo._value_ = value
            cls._value2member_map_[value] = pseudo
        return pseudo

    @classmethod
    def from_server(cls, value: str) -> Self:
        """``cls(value)`` for a value the server sent: an unknown one is logged once at WARNING
        (a value built in your own code is not: only the server's are news)."""
        member = cls(value)
        if not member.is_known:
            key = (cls, value)
            with _lock:
                first = key not in _reported
                _reported.add(key)
            if first:
                _logger.warning(
                    "unknown %s value %r from the server; treating it as an open value",
                    cls.__name__,
                    value,
                )
        return member

    @property
    def is_known(self) -> bool:
        """Whether this value is one the SDK declares (not a pseudo-member for an unknown value)."""
        return self._name_ in type(self).__members__

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, tuple[str]]:
        return type(self), (self._value_,)
