"""The module-level default client, so scripts can call ``trigger_client.runs.subscribe_to_run``
and ``trigger_client.tasks.trigger``.

It is a blocking ``TriggerClient`` configured from the environment on first use (async code should
create its own ``AsyncTriggerClient``: an async client must not be shared across event loops).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # imported when first needed: `import trigger_client` stays cheap
    import httpx

    from ._config import AccessToken
    from ._protocol.retry import RetryPolicy
    from ._sync._auth import AuthResource
    from ._sync._client import TriggerClient
    from ._sync._resources import RunsResource
    from ._sync._tasks import TasksResource

__all__ = ["auth", "configure", "default_client", "runs", "tasks"]

_lock = threading.Lock()
_client: TriggerClient | None = None


def default_client() -> TriggerClient:
    """The default client, created from the environment the first time it is needed."""
    global _client
    with _lock:
        if _client is None:
            from ._sync._client import TriggerClient

            _client = TriggerClient()
        return _client


def configure(
    *,
    access_token: AccessToken | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout | None = None,
    max_retries: int = 2,
    http_client: httpx.Client | None = None,
    branch: str | None = None,
    live_timeout: float = 50.0,
    retry_policy: RetryPolicy | None = None,
) -> TriggerClient:
    """Replace the default client with a ``TriggerClient`` made with these arguments (like the
    official SDK's ``configure``); returns it. The arguments are ``TriggerClient``'s, with its
    defaults (tests/unit/test_public_api.py checks that the two signatures agree)."""
    global _client
    from ._sync._client import TriggerClient

    client = TriggerClient(
        access_token=access_token,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_client=http_client,
        branch=branch,
        live_timeout=live_timeout,
        retry_policy=retry_policy,
    )
    with _lock:
        previous, _client = _client, client
    if previous is not None:
        previous.close()
    return client


class _DefaultResource:
    """Forwards attribute access to a resource of the default client (whichever client that is
    when the attribute is read, so ``configure`` applies to names imported before it)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(getattr(default_client(), self._name), attribute)

    def __repr__(self) -> str:
        return f"<default client .{self._name}>"

    def __dir__(self) -> list[str]:
        return dir(getattr(default_client(), self._name))


# Typed as the resources they forward to: a type checker sees the real methods and their types.
runs: RunsResource = cast("RunsResource", _DefaultResource("runs"))
"""``runs`` of the default client: ``trigger_client.runs.subscribe_to_run("run_1234")``."""

tasks: TasksResource = cast("TasksResource", _DefaultResource("tasks"))
"""``tasks`` of the default client: ``trigger_client.tasks.trigger("my-task", {"n": 1})``."""

auth: AuthResource = cast("AuthResource", _DefaultResource("auth"))
"""``auth`` of the default client: ``trigger_client.auth.create_public_token(scopes=...)``."""
