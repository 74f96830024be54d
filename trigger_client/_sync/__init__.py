# Generated from trigger_client/_async/__init__.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The async client: the hand-written source of truth that ``make codegen`` turns into ``_sync``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import TriggerClient

# The subscription (and with it the models, the feeds and cattrs) loads on first use, so that
# importing the client stays cheap (tests/unit/test_lazy_imports.py).
if TYPE_CHECKING:
    from ._subscription import RunSubscription

__all__ = ["RunSubscription", "TriggerClient"]


if not TYPE_CHECKING:  # the type checker sees the import above, and no catch-all attribute

    def __getattr__(name: str) -> Any:
        if name != "RunSubscription":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from ._subscription import RunSubscription

        globals()[name] = RunSubscription
        return RunSubscription
