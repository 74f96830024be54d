# Generated from trigger_client/_async/__init__.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The async client: the hand-written source of truth that ``make codegen`` turns into ``_sync``."""

from ._client import TriggerClient
from ._subscription import RunSubscription

__all__ = ["RunSubscription", "TriggerClient"]
