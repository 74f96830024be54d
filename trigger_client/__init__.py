"""trigger-client: the Python SDK for Trigger.dev's runs API.

Follow runs as they change (``runs.subscribe_to_run``), sync or async, with a secret key or a public
access token; retrieve, list, cancel, replay and reschedule runs; trigger tasks (``tasks.trigger``,
``tasks.batch_trigger``); mint public tokens.
"""

import importlib
from typing import TYPE_CHECKING

from ._default import auth, configure, runs, tasks
from ._version import __version__

# Every other public name is imported on first use, so that ``import trigger_client`` (and a
# script that only uses the sync client) does not load what it never touches: the async client,
# httpx, cattrs, PyJWT, ... The type checker reads the imports below; ``_LAZY`` repeats them for
# the interpreter (tests/unit/test_lazy_imports.py checks that the two agree).
if TYPE_CHECKING:
    from ._async._client import AsyncTriggerClient
    from ._async._pagination import AsyncRunList
    from ._async._streams import AsyncRunWithStreams, AsyncStreamSubscription
    from ._async._subscription import AsyncRunSubscription
    from ._exceptions import (
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        ConflictError,
        EventLoopError,
        InternalServerError,
        InvalidArgumentError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RealtimeConnectionLimitError,
        RealtimeProtocolError,
        RunWaitTimeout,
        SubscriptionTimeout,
        TriggerConfigurationError,
        TriggerError,
        UnprocessableEntityError,
    )
    from ._generated.models import Run, RunStatus, SerializedError
    from ._generated.rest_models import (
        CancelRunResponse,
        ListRunItem,
        QueueOptions,
        ReplayRunResponse,
    )
    from ._protocol.listing import RunPage
    from ._protocol.retry import RetryPolicy
    from ._protocol.scopes import Scopes, flatten_scopes
    from ._protocol.streams import RunUpdate, StreamChunk
    from ._protocol.superjson import SuperjsonError
    from ._protocol.tasks import BatchHandle, BatchItem, RunHandle, TriggerOptions
    from ._protocol.tokens import PublicTokenClaims, decode_public_token
    from ._sync._client import TriggerClient
    from ._sync._pagination import RunList
    from ._sync._streams import RunWithStreams, StreamSubscription
    from ._sync._subscription import RunSubscription

#: Module (relative to this package) -> the public names it provides, imported on first use.
_LAZY: dict[str, tuple[str, ...]] = {
    "._async._client": ("AsyncTriggerClient",),
    "._async._pagination": ("AsyncRunList",),
    "._async._streams": ("AsyncRunWithStreams", "AsyncStreamSubscription"),
    "._async._subscription": ("AsyncRunSubscription",),
    "._exceptions": (
        "APIConnectionError",
        "APIError",
        "APIResponseValidationError",
        "APIStatusError",
        "APITimeoutError",
        "AuthenticationError",
        "BadRequestError",
        "ClientClosedError",
        "ConflictError",
        "EventLoopError",
        "InternalServerError",
        "InvalidArgumentError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "RealtimeConnectionLimitError",
        "RealtimeProtocolError",
        "RunWaitTimeout",
        "SubscriptionTimeout",
        "TriggerConfigurationError",
        "TriggerError",
        "UnprocessableEntityError",
    ),
    "._generated.models": ("Run", "RunStatus", "SerializedError"),
    "._generated.rest_models": (
        "CancelRunResponse",
        "ListRunItem",
        "QueueOptions",
        "ReplayRunResponse",
    ),
    "._protocol.listing": ("RunPage",),
    "._protocol.retry": ("RetryPolicy",),
    "._protocol.scopes": ("Scopes", "flatten_scopes"),
    "._protocol.streams": ("RunUpdate", "StreamChunk"),
    "._protocol.superjson": ("SuperjsonError",),
    "._protocol.tasks": ("BatchHandle", "BatchItem", "RunHandle", "TriggerOptions"),
    "._protocol.tokens": ("PublicTokenClaims", "decode_public_token"),
    "._sync._client": ("TriggerClient",),
    "._sync._pagination": ("RunList",),
    "._sync._streams": ("RunWithStreams", "StreamSubscription"),
    "._sync._subscription": ("RunSubscription",),
}
_LAZY_MODULE = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncRunList",
    "AsyncRunSubscription",
    "AsyncRunWithStreams",
    "AsyncStreamSubscription",
    "AsyncTriggerClient",
    "AuthenticationError",
    "BadRequestError",
    "BatchHandle",
    "BatchItem",
    "CancelRunResponse",
    "ClientClosedError",
    "ConflictError",
    "EventLoopError",
    "InternalServerError",
    "InvalidArgumentError",
    "ListRunItem",
    "NotFoundError",
    "PermissionDeniedError",
    "PublicTokenClaims",
    "QueueOptions",
    "RateLimitError",
    "RealtimeConnectionLimitError",
    "RealtimeProtocolError",
    "ReplayRunResponse",
    "RetryPolicy",
    "Run",
    "RunHandle",
    "RunList",
    "RunPage",
    "RunStatus",
    "RunSubscription",
    "RunUpdate",
    "RunWithStreams",
    "RunWaitTimeout",
    "Scopes",
    "SerializedError",
    "StreamChunk",
    "StreamSubscription",
    "SubscriptionTimeout",
    "SuperjsonError",
    "TriggerClient",
    "TriggerConfigurationError",
    "TriggerError",
    "TriggerOptions",
    "UnprocessableEntityError",
    "__version__",
    "auth",
    "configure",
    "decode_public_token",
    "flatten_scopes",
    "runs",
    "tasks",
]


if not TYPE_CHECKING:  # the type checker sees the imports above, and no catch-all attribute

    def __getattr__(name: str) -> object:
        module = _LAZY_MODULE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # later lookups find it without coming here
        return value


def __dir__() -> list[str]:
    # The public names, not what the module imports for itself (importlib, TYPE_CHECKING).
    return sorted(__all__)
