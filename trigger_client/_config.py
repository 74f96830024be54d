"""Client configuration shared by both clients: environment variables, defaults, headers, redaction."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Awaitable, Callable
from typing import Final

import httpx

from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_LIVE_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ELECTRIC_VERSION",
    "NOT_GIVEN",
    "AccessToken",
    "NotGiven",
    "TOKEN_VARIABLES",
    "base_headers",
    "env_access_token",
    "env_base_url",
    "redact",
]

DEFAULT_BASE_URL: Final = "https://api.trigger.dev"
#: REST calls: generous read time, quick connect.
DEFAULT_TIMEOUT: Final = httpx.Timeout(60.0, connect=10.0)
#: Live realtime requests are held up to ~20 s by the server (17-23 s on the native backend):
#: the read timeout must stay well above that, or every quiet period looks like a failure.
DEFAULT_LIVE_TIMEOUT: Final = 50.0
DEFAULT_MAX_RETRIES: Final = 2
#: The SDK's httpx client may carry thousands of concurrent requests (realtime streams, and
#: long-polls when a proxy applies): never cap or queue them in its pool.
DEFAULT_LIMITS: Final = httpx.Limits(
    max_connections=None, max_keepalive_connections=None, keepalive_expiry=30.0
)
#: The Electric protocol version the official SDK announces; the server picks header names by it.
ELECTRIC_VERSION: Final = "1.0.0-beta.1"

AccessToken = str | Callable[[], str] | Callable[[], Awaitable[str]]


class NotGiven:
    """The type of ``NOT_GIVEN``: an argument that was not passed (``None`` may be meaningful)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


#: The environment variables an access token is read from, first match wins.
TOKEN_VARIABLES: Final = ("TRIGGER_SECRET_KEY", "TRIGGER_ACCESS_TOKEN")


def env_access_token() -> str | None:
    """``TRIGGER_SECRET_KEY``, else ``TRIGGER_ACCESS_TOKEN`` (the first one set and not empty; the
    official client's order, row R-ENV-TOKEN of docs/server-conformance.md), without surrounding
    whitespace; else None. A blank or unusable value raises
    ``TriggerConfigurationError`` naming the variable."""
    from ._protocol.credentials import clean_token

    for name in TOKEN_VARIABLES:
        value = os.environ.get(name)
        if value:
            return clean_token(value, name)
    return None


def env_base_url() -> str:
    """``TRIGGER_API_URL``, else the Trigger.dev cloud API."""
    return (os.environ.get("TRIGGER_API_URL") or DEFAULT_BASE_URL).rstrip("/")


def user_agent() -> str:
    return (
        f"trigger-client-python/{__version__} httpx/{httpx.__version__} "
        f"{platform.python_implementation()}/{platform.python_version()}"
    )


def base_headers(branch: str | None) -> dict[str, str]:
    """Headers sent on every request (the bearer token is added per request)."""
    headers = {
        "trigger-version": __version__,
        "user-agent": user_agent(),
        "x-trigger-source": "sdk",
    }
    if branch:
        headers["x-trigger-branch"] = branch
    return headers


_SECRET = re.compile(
    r"(tr_[a-z]+_[A-Za-z0-9_]{4})[A-Za-z0-9_]+|(eyJ[\w-]{4})[\w-]*\.[\w-]+\.[\w-]+"
)


def redact(text: str) -> str:
    """``text`` with secret keys and JWTs shortened to a recognisable, useless prefix."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)
