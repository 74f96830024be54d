"""Identifier formats the real service uses: cuid-like internal ids, friendly ids, secret keys."""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time

__all__ = ["friendly_id", "new_cuid", "new_secret_key", "from_friendly_id"]

_ALNUM = string.ascii_lowercase + string.digits
_counter = itertools.count(secrets.randbelow(1 << 20))
_lock = threading.Lock()


def _base36(value: int, width: int) -> str:
    digits = []
    while value:
        value, rem = divmod(value, 36)
        digits.append(_ALNUM[rem + 26] if rem < 10 else _ALNUM[rem - 10])
    text = "".join(reversed(digits)) or "0"
    return text.rjust(width, "0")[-width:]


def new_cuid() -> str:
    """A 25-character lowercase alphanumeric id starting with ``c``, like ``@bugsnag/cuid``.

    Layout: ``c`` + 8 chars of millisecond time + 4 of a counter + 4 of a fingerprint + 8 random.
    """
    with _lock:
        count = next(_counter)
    return (
        "c"
        + _base36(time.time_ns() // 1_000_000, 8)
        + _base36(count, 4)
        + _base36(_FINGERPRINT, 4)
        + "".join(secrets.choice(_ALNUM) for _ in range(8))
    )


_FINGERPRINT = secrets.randbelow(36**4)


def friendly_id(entity: str, internal_id: str) -> str:
    """``<entity>_<internal id>``, e.g. ``run_cm1...``."""
    return f"{entity}_{internal_id}"


def from_friendly_id(value: str, entity: str) -> str | None:
    """The internal id of a friendly id of ``entity``, or None when it is not one."""
    prefix = f"{entity}_"
    if not value.startswith(prefix) or value.count("_") != 1 or len(value) == len(prefix):
        return None
    return value[len(prefix) :]


def new_secret_key(env_type: str = "dev") -> str:
    """A root secret key such as ``tr_dev_<24 alphanumerics>``."""
    alphabet = string.ascii_letters + string.digits
    return f"tr_{env_type}_" + "".join(secrets.choice(alphabet) for _ in range(20))
