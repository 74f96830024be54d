"""Rules read from the Trigger.dev server (b082e44) that decide retries, tokens and configuration.

Pure code: which failed calls may be retried safely, how long a "not found yet" answer is worth
waiting for, the request idempotency key, and which environment variables configure a client.
Each rule names the row of ``docs/server-conformance.md`` that pins it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

__all__ = [
    "NOT_FOUND_RETRY_SECONDS",
    "REQUEST_IDEMPOTENCY_HEADER",
    "NotFoundWindow",
    "env_branch",
    "lagging_not_found",
    "new_request_idempotency_key",
    "rejected_before_route",
    "should_retry_flag",
]

#: The header the trigger routes de-duplicate a retried request by (row R-IDEM-REQUEST).
REQUEST_IDEMPOTENCY_HEADER: Final = "x-trigger-request-idempotency-key"

#: How long a 404 marked ``x-should-retry: true`` (a run or batch the read replica has not seen
#: yet) is retried before it is raised as ``NotFoundError`` (row R-404-LAG).
NOT_FOUND_RETRY_SECONDS: Final = 5.0


def new_request_idempotency_key() -> str:
    """A fresh request idempotency key: a version-4 UUID (the server ignores any other form)."""
    import uuid  # (triggering only: uuid loads platform, which a subscription does not need)

    return str(uuid.uuid4())


def should_retry_flag(headers: Mapping[str, str] | None) -> bool | None:
    """The server's ``x-should-retry`` answer (any case of the header's name): True, False, or
    None when absent or neither ``true`` nor ``false``."""
    if headers is None:
        return None
    value = headers.get("x-should-retry")
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == "x-should-retry"), None)
    flag = None if value is None else value.strip().lower()
    return True if flag == "true" else False if flag == "false" else None


def rejected_before_route(status: int, headers: Mapping[str, str] | None) -> bool:
    """Whether a failed call never reached its route, so that retrying it cannot repeat its
    effect: a 429 from the API rate limiter, which runs before every ``/api`` route (row
    R-RATELIMIT-429). A 429 that says ``x-should-retry: false`` is not retried."""
    if status != 429:
        return False
    return should_retry_flag(headers) is not False


def lagging_not_found(status: int, headers: Mapping[str, str] | None) -> bool:
    """A 404 the server marks ``x-should-retry: true``: the resource may exist on the primary
    database but not yet on the read replica the route reads (row R-404-LAG)."""
    if status != 404:
        return False
    return should_retry_flag(headers) is True


# Written out rather than made by attrs: attrs compiles a class's methods when the module loads,
# and a subscription loads this module (issue 18, cold start).
class NotFoundWindow:
    """The bounded wait for a lagging 404: retries are allowed until ``seconds`` after the first
    lagging 404 in a row; ``reset`` after any other answer.

    Mutable state owned by one request or feed: compared by identity (nothing compares two).
    """

    __slots__ = ("_since", "seconds")

    def __init__(self, seconds: float = NOT_FOUND_RETRY_SECONDS) -> None:
        self.seconds = seconds
        self._since: float | None = None

    def __repr__(self) -> str:
        return f"NotFoundWindow(seconds={self.seconds!r}, since={self._since!r})"

    def allows_retry(self, now: float) -> bool:
        """Record a lagging 404 at ``now`` (monotonic seconds); True while within the window."""
        if self._since is None:
            self._since = now
        return now - self._since < self.seconds

    def left(self, now: float) -> float:
        """Seconds of the window left at ``now`` (0 when none was started or it is over)."""
        if self._since is None:
            return 0.0
        return max(0.0, self.seconds - (now - self._since))

    def reset(self) -> None:
        self._since = None


#: The dev-branch variable's value that means "the root development environment, no branch".
DEFAULT_DEV_BRANCH: Final = "default"


def env_branch(environ: Mapping[str, str] | None = None) -> str | None:
    """The branch from the environment, as the official client reads it (row R-BRANCH): the
    first of ``TRIGGER_PREVIEW_BRANCH`` and ``VERCEL_GIT_COMMIT_REF`` that is set (an empty one
    set means no branch), else ``TRIGGER_DEV_BRANCH`` unless empty or ``default``."""
    env = os.environ if environ is None else environ
    for name in ("TRIGGER_PREVIEW_BRANCH", "VERCEL_GIT_COMMIT_REF"):
        if name in env:
            return env[name] or None
    dev = env.get("TRIGGER_DEV_BRANCH")
    if dev and dev != DEFAULT_DEV_BRANCH:
        return dev
    return None
