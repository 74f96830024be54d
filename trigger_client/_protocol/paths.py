"""Identifiers in URL paths: each one validated and percent-encoded as exactly one path segment.

Every call that puts an id (a run, batch or task id, or any later one) into a URL goes through
``path_segment``, so that no id can leave its segment: ``/``, ``?``, ``#`` and ``%`` are encoded,
and ``.``/``..`` (which a URL resolver or proxy would turn into "this" or "the parent" segment) are
refused, as are empty ids, control characters and ids longer than ``MAX_ID_LENGTH``.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from .._exceptions import InvalidArgumentError

__all__ = ["MAX_ID_LENGTH", "path_segment"]

#: The longest id accepted, in characters. Trigger.dev's ids are ~30 characters
#: (``run_`` + a 25-character cuid); task ids are user names of a few dozen.
MAX_ID_LENGTH = 256

#: Left unencoded besides letters, digits and ``-_.~``: the characters JavaScript's
#: ``encodeURIComponent`` leaves alone, so a path is the one the official SDK sends.
_SAFE = "!*'()"


def path_segment(value: object, name: str) -> str:
    """``value`` percent-encoded (UTF-8) as one URL path segment; ``name`` is the argument's name
    in the ``InvalidArgumentError`` raised for an id that cannot be one (``TypeError`` for a value
    that is not a string)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string id, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"{name} must not be empty")
    if value in (".", ".."):
        raise InvalidArgumentError(f"{name} cannot be {value!r} (it would name another path)")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidArgumentError(
            f"{name} is {len(value)} characters long; an id has at most {MAX_ID_LENGTH}"
        )
    for char in value:
        # Cc: control characters (C0, DEL, C1); Cs: lone surrogates, which UTF-8 cannot carry.
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidArgumentError(
                f"{name} contains the character U+{ord(char):04X}, which no id has"
            )
    return quote(value, safe=_SAFE)
