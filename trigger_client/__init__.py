"""trigger-client: the Python SDK for Trigger.dev's runs API.

Follow runs as they change (``runs.subscribe_to_run``), sync or async, with a secret key or a public
access token; retrieve, list, trigger and cancel runs; mint public tokens.
"""

from __future__ import annotations

from ._async import AsyncRunSubscription, AsyncTriggerClient
from ._default import auth, configure, runs
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
from ._protocol.retry import RetryPolicy
from ._protocol.scopes import Scopes, flatten_scopes
from ._protocol.tokens import PublicTokenClaims, decode_public_token
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
    "PublicTokenClaims",
    "RateLimitError",
    "RealtimeConnectionLimitError",
    "RealtimeProtocolError",
    "RetryPolicy",
    "Run",
    "RunStatus",
    "RunSubscription",
    "RunWaitTimeout",
    "Scopes",
    "SerializedError",
    "SubscriptionTimeout",
    "TriggerClient",
    "TriggerConfigurationError",
    "TriggerError",
    "UnprocessableEntityError",
    "__version__",
    "auth",
    "configure",
    "decode_public_token",
    "flatten_scopes",
    "runs",
]
