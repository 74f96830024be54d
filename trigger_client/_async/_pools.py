"""The client's connections: httpx pools for REST, and the realtime connections.

When the SDK owns the HTTP stack, realtime long-polls use ``AsyncRealtimeConnections`` (one per
origin, see ``_connection``). When they must go through httpx (a proxy from the environment
applies), each subscription is placed on a pool serving at most ``shard_size`` at once: one httpx
pool handing out thousands of concurrent requests spends time that grows with the square of the
number waiting (httpcore re-examines every queued request against every connection when one is
released; at 2,000 subscriptions, shards of 64 spent 34 s of CPU where shards of 8 spent 10 s).
Pools are created on demand and share one TLS context; REST calls use the first. An
``http_client`` passed in by the user is used for everything as it is (and never closed).
"""

from __future__ import annotations

import httpcore
import httpx

from .._backends import AsyncBackend, _tls_context
from ._connection import AsyncRealtimeConnections

__all__ = ["AsyncConnectionPools"]

#: Concurrent subscriptions per connection pool.
SHARD_SIZE = 8


class AsyncConnectionPools:
    """A growing set of httpx clients, each serving a bounded number of subscriptions."""

    def __init__(
        self,
        timeout: httpx.Timeout,
        http_client: httpx.AsyncClient | None = None,
        *,
        shard_size: int = SHARD_SIZE,
    ) -> None:
        self._timeout = timeout
        self._shard_size = shard_size
        self._user_client = http_client
        self._shards: list[httpx.AsyncClient] = []
        self._load: dict[int, int] = {}
        self._closed = False
        self._realtime: dict[tuple[bytes, bytes, int], AsyncRealtimeConnections] = {}
        self.main: httpx.AsyncClient = http_client or self._new_shard()

    @property
    def owns_http(self) -> bool:
        """True when the SDK built the HTTP stack (no ``http_client`` was passed in)."""
        return self._user_client is None

    def realtime(self, origin: httpcore.Origin) -> AsyncRealtimeConnections:
        """The realtime connections to ``origin`` (used when the SDK owns the HTTP stack)."""
        key = (origin.scheme, origin.host, origin.port)
        connections = self._realtime.get(key)
        if connections is None:
            connections = self._realtime[key] = AsyncRealtimeConnections(origin, _tls_context())
        return connections

    def _new_shard(self) -> httpx.AsyncClient:
        client = AsyncBackend.default_http_client(self._timeout)
        self._shards.append(client)
        self._load[id(client)] = 0
        return client

    @property
    def shard_count(self) -> int:
        return len(self._shards)

    def acquire(self) -> httpx.AsyncClient:
        """A pool for one more subscription (the least loaded one, or a new one)."""
        if self._user_client is not None:
            return self._user_client
        best = min(self._shards, key=lambda c: self._load[id(c)])
        if self._load[id(best)] >= self._shard_size:
            best = self._new_shard()
        self._load[id(best)] += 1
        return best

    def release(self, client: httpx.AsyncClient) -> None:
        """The subscription using ``client`` ended."""
        key = id(client)
        if key in self._load and self._load[key] > 0:
            self._load[key] -= 1

    async def aclose(self) -> None:
        """Close the pools the SDK created (not a user's ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        for connections in list(self._realtime.values()):
            await connections.aclose()
        for client in self._shards:
            await client.aclose()
