"""The module-level default client, so scripts can call ``trigger_client.runs.subscribe_to_run``
and ``trigger_client.tasks.trigger``.

It is a blocking ``TriggerClient`` configured from the environment on first use (async code should
create its own ``AsyncTriggerClient``: an async client must not be shared across event loops).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when first needed: `import trigger_client` stays cheap
    from ._sync._client import TriggerClient

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


def configure(**options: Any) -> TriggerClient:
    """Replace the default client with ``TriggerClient(**options)`` (like the TS ``configure``)."""
    global _client
    from ._sync._client import TriggerClient

    client = TriggerClient(**options)
    with _lock:
        previous, _client = _client, client
    if previous is not None:
        previous.close()
    return client


class _DefaultResource:
    """Forwards attribute access to a resource of the default client."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(getattr(default_client(), self._name), attribute)

    def __repr__(self) -> str:
        return f"<default client .{self._name}>"

    def __dir__(self) -> list[str]:
        return dir(getattr(default_client(), self._name))


runs: Any = _DefaultResource("runs")
"""``runs`` of the default client: ``trigger_client.runs.subscribe_to_run("run_1234")``."""

tasks: Any = _DefaultResource("tasks")
"""``tasks`` of the default client: ``trigger_client.tasks.trigger("my-task", {"n": 1})``."""

auth: Any = _DefaultResource("auth")
"""``auth`` of the default client: ``trigger_client.auth.create_public_token(scopes=...)``."""
