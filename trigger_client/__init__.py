"""trigger-client: the Python SDK for Trigger.dev's runs API.

Follow runs as they change (``runs.subscribe_to_run``), sync or async, with a secret key or a public
access token; retrieve, list, cancel, replay and reschedule runs; trigger tasks (``tasks.trigger``,
``tasks.batch_trigger``); mint public tokens.
"""

from __future__ import annotations

from ._async import AsyncRunSubscription, AsyncTriggerClient
from ._async._pagination import AsyncRunList
from ._default import auth, configure, runs, tasks
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
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
from ._generated.models import (
    CancelRunResponse,
    ListRunItem,
    QueueOptions,
    ReplayRunResponse,
    Run,
    RunStatus,
    SerializedError,
)
from ._protocol.listing import RunPage
from ._protocol.retry import RetryPolicy
from ._protocol.scopes import Scopes, flatten_scopes
from ._protocol.superjson import SuperjsonError
from ._protocol.tasks import BatchHandle, BatchItem, RunHandle, TriggerOptions
from ._protocol.tokens import PublicTokenClaims, decode_public_token
from ._sync import RunSubscription, TriggerClient
from ._sync._pagination import RunList
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncRunList",
    "AsyncRunSubscription",
    "AsyncTriggerClient",
    "AuthenticationError",
    "BadRequestError",
    "BatchHandle",
    "BatchItem",
    "CancelRunResponse",
    "ConflictError",
    "InternalServerError",
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
    "RunWaitTimeout",
    "Scopes",
    "SerializedError",
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
