"""The async client: the hand-written source of truth that ``make codegen`` turns into ``_sync``."""

from ._client import AsyncTriggerClient
from ._subscription import AsyncRunSubscription

__all__ = ["AsyncRunSubscription", "AsyncTriggerClient"]
