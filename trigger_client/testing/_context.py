"""What the routes share: the store, the engine, the backends and the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._clock import Clock
from ._faults import Faults, RequestLog
from ._lifecycle import Engine
from ._ratelimit import RateLimiter
from ._shapes import ElectricShapes, NativeFeeds
from ._state import Store

__all__ = ["Backend", "Context"]

Backend = Literal["electric", "native"]


@dataclass
class Context:
    store: Store
    clock: Clock
    engine: Engine
    electric: ElectricShapes
    native: NativeFeeds
    faults: Faults
    requests: RequestLog
    backend: Backend = "electric"
    long_poll_ms: int = 20_000
    realtime_concurrency_limit: int | None = 100_000
    realtime_max_created_at_age_ms: int = 24 * 3_600_000
    presign_secret: bytes = b""
    live_counts: dict[str, int] = field(default_factory=dict)  # per environment (loop thread)
    live_total: int = 0
    rate_limiter: RateLimiter | None = None  # the REST API rate limiter, when enabled
    #: How long a new run or batch stays invisible to the routes that read the read replica
    #: (row R-404-LAG); 0 = no lag.
    replica_lag_ms: int = 0
    #: Request idempotency: scoped ``x-trigger-request-idempotency-key`` -> run friendly id
    #: (row R-IDEM-REQUEST).
    request_keys: dict[str, str] = field(default_factory=dict)

    def on_replica(self, row: Mapping[str, Any]) -> bool:
        """Whether the read replica has caught up with ``row`` (a run or batch) yet."""
        return int(row["createdAt"]) + self.replica_lag_ms <= self.clock.now_ms()
