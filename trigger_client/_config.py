"""Client configuration shared by both clients: environment variables, defaults, headers, redaction."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, cast

from ._version import __version__

if TYPE_CHECKING:
    import httpx

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
#: REST calls: generous read time, quick connect (``DEFAULT_TIMEOUT``, an ``httpx.Timeout``, is
#: made of these on first use: httpx loads with the first REST call, not with the client).
DEFAULT_TIMEOUT_SECONDS: Final = 60.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
#: Live realtime requests are held up to ~20 s by the server (17-23 s on the native backend):
#: the read timeout must stay well above that, or every quiet period looks like a failure.
DEFAULT_LIVE_TIMEOUT: Final = 50.0
DEFAULT_MAX_RETRIES: Final = 2
#: Seconds an idle kept-alive connection is kept (REST pool and realtime connections).
KEEPALIVE_EXPIRY: Final = 30.0
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


#: ``platform.python_implementation()`` without loading ``platform`` (whose ``python_version()`` is
#: the first word of ``sys.version``, as used below).
_IMPLEMENTATION: Final = {"cpython": "CPython", "pypy": "PyPy"}.get(
    sys.implementation.name, sys.implementation.name
)


def user_agent(library: str = "httpx") -> str:
    """``trigger-client-python/V httpx/V CPython/V``: ``library`` names the HTTP library that sends
    the request (``httpcore`` for the SDK's own realtime connections), an imported one."""
    version = getattr(sys.modules.get(library), "__version__", "unknown")
    return (
        f"trigger-client-python/{__version__} {library}/{version} "
        f"{_IMPLEMENTATION}/{sys.version.split()[0]}"
    )


def base_headers(branch: str | None, library: str = "httpx") -> dict[str, str]:
    """Headers sent on every request (the bearer token is added per request); ``library``: the
    HTTP library sending it, named in the user agent."""
    headers = {
        "trigger-version": __version__,
        "user-agent": user_agent(library),
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


# -- httpx's objects, made when httpx is first needed ------------------------------------------

_httpx_lock = threading.Lock()
_httpx_defaults: dict[str, Any] = {}

if TYPE_CHECKING:
    #: REST calls: generous read time, quick connect.
    DEFAULT_TIMEOUT: httpx.Timeout
    #: Thousands of concurrent long-polls share one client: never cap or queue them in the pool.
    DEFAULT_LIMITS: httpx.Limits


def is_httpx_timeout(value: object) -> bool:
    """Whether ``value`` is an ``httpx.Timeout``, without importing httpx (an object cannot be one
    unless httpx was imported)."""
    module = sys.modules.get("httpx")
    return module is not None and isinstance(value, module.Timeout)


def timeout_limits(
    timeout: float | httpx.Timeout | None,
) -> tuple[float | None, float | None, float | None, float | None]:
    """``(connect, read, write, pool)`` seconds of a client's ``timeout=``, as ``as_httpx_timeout``
    gives them, without importing httpx."""
    if timeout is None:
        return (
            DEFAULT_CONNECT_TIMEOUT,
            DEFAULT_TIMEOUT_SECONDS,
            DEFAULT_TIMEOUT_SECONDS,
            DEFAULT_TIMEOUT_SECONDS,
        )
    if is_httpx_timeout(timeout):
        limits = cast("httpx.Timeout", timeout)
        return (limits.connect, limits.read, limits.write, limits.pool)
    seconds = float(cast(float, timeout))
    return (min(DEFAULT_CONNECT_TIMEOUT, seconds), seconds, seconds, seconds)


def as_httpx_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """A client's ``timeout=`` as the ``httpx.Timeout`` of its REST calls (imports httpx)."""
    import httpx

    if timeout is None:
        return __getattr__("DEFAULT_TIMEOUT")  # type: ignore[no-any-return]
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(float(timeout), connect=min(DEFAULT_CONNECT_TIMEOUT, float(timeout)))


def __getattr__(name: str) -> Any:
    """``DEFAULT_TIMEOUT`` and ``DEFAULT_LIMITS``, made (once, under a lock) on first use: they
    import httpx, which a subscription does not need."""
    if name not in ("DEFAULT_TIMEOUT", "DEFAULT_LIMITS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _httpx_lock:
        if not _httpx_defaults:
            import httpx

            _httpx_defaults["DEFAULT_TIMEOUT"] = httpx.Timeout(
                DEFAULT_TIMEOUT_SECONDS, connect=DEFAULT_CONNECT_TIMEOUT
            )
            # The SDK's httpx client may carry thousands of concurrent requests (realtime
            # streams, and long-polls when a proxy applies): never cap or queue them in its pool.
            _httpx_defaults["DEFAULT_LIMITS"] = httpx.Limits(
                max_connections=None,
                max_keepalive_connections=None,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            )
        return _httpx_defaults[name]
