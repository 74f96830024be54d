"""trigger-client: the Python SDK for Trigger.dev's runs API.

Follow runs as they change (``runs.subscribe_to_run``), sync or async, with a secret key or a public
access token; retrieve, list, trigger and cancel runs; mint public tokens.
"""

from __future__ import annotations

from ._async import AsyncRunSubscription, AsyncTriggerClient
from ._default import configure, runs
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
from ._generated.models import Run, RunStatus, SerializedError
from ._sync import RunSubscription, TriggerClient
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncRunSubscription",
    "AsyncTriggerClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeConnectionLimitError",
    "RealtimeProtocolError",
    "Run",
    "RunStatus",
    "RunSubscription",
    "RunWaitTimeout",
    "SerializedError",
    "SubscriptionTimeout",
    "TriggerClient",
    "TriggerConfigurationError",
    "TriggerError",
    "UnprocessableEntityError",
    "__version__",
    "configure",
    "runs",
]
