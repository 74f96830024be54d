"""The access token of a client: a fixed string, or a callable that can mint a fresh one."""

from __future__ import annotations

import inspect

from .._config import AccessToken
from .._exceptions import TriggerConfigurationError
from .._guard import AsyncClientGuard
from .._protocol.credentials import clean_token

__all__ = ["AsyncTokenSource"]

_MISSING = (
    "No access token: pass access_token=... to the client, or set TRIGGER_ACCESS_TOKEN or "
    "TRIGGER_SECRET_KEY in the environment."
)


class AsyncTokenSource:
    """Hands out the bearer token; a callable token is called again to refresh it after a 401/403.

    Every request asks it for the token first, so it also holds the client's guard (shared with
    the token sources of per-call ``access_token`` overrides): a request after the client was
    closed raises ``ClientClosedError``, and one from another event loop than the client's first
    ``EventLoopError``, before anything is sent.
    """

    __slots__ = ("_current", "_token", "guard")

    def __init__(
        self,
        token: AccessToken | None,
        *,
        source: str = "the access_token argument",
        guard: AsyncClientGuard | None = None,
    ) -> None:
        """``source`` names where a string ``token`` came from in the error for an unusable one."""
        self.guard: AsyncClientGuard = guard or AsyncClientGuard()
        if isinstance(token, str):
            token = clean_token(token, source)
        elif token is not None and not callable(token):
            raise TriggerConfigurationError(
                "access_token must be a string or a callable returning one, "
                f"not {type(token).__name__}"
            )
        self._token = token
        self._current: str | None = token if isinstance(token, str) else None

    def __repr__(self) -> str:
        kind = "none" if self._token is None else "callable" if self.refreshable else "static"
        return f"<{type(self).__name__} {kind}>"

    @property
    def value(self) -> AccessToken | None:
        """The token as configured: a trimmed string, a callable, or None."""
        return self._token

    @property
    def refreshable(self) -> bool:
        """Whether a fresh token can be asked for."""
        return callable(self._token)

    @property
    def configured(self) -> bool:
        return self._token is not None

    async def get(self) -> str:
        """The current token, minting the first one from a callable."""
        self.guard.check()
        if self._current is None:
            return await self.refresh()
        return self._current

    async def refresh(self) -> str:
        """Ask the callable for a fresh token (a fixed string is returned as it is)."""
        self.guard.check()
        token = self._token
        if token is None:
            raise TriggerConfigurationError(_MISSING)
        if isinstance(token, str):
            value: object = token
        else:
            value = token()
            if inspect.isawaitable(value):
                value = await value
            if _unawaited(value):  # an async callable given to the blocking client
                raise TriggerConfigurationError(
                    "the access_token callable is async: use it with AsyncTriggerClient, or pass "
                    "a plain function to TriggerClient"
                )
        if not isinstance(value, str) or not value:
            raise TriggerConfigurationError("the access_token callable returned no token")
        value = clean_token(value, "the access_token callable")
        self._current = value
        return value


def _unawaited(value: object) -> bool:
    """Whether ``value`` is an awaitable nobody will await (it is closed, to avoid a warning)."""
    if not inspect.isawaitable(value):
        return False
    close = getattr(value, "close", None)
    if callable(close):
        close()
    return True
