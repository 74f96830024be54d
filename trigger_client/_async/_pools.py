"""The client's connections: one httpx client for REST, and the senders of realtime long-polls.

Realtime long-polls go through an ``http_client`` of yours when you passed one, through the SDK's
httpx client when a proxy from the environment applies to the API's URL (by httpx's own rules),
and over the SDK's own connections otherwise (one ``AsyncRealtimeConnections`` per origin). An
``http_client`` passed in is used as it is and never closed.

The SDK's httpx client is built on first use (a REST call, or a proxy to decide on): a process
that only subscribes, with no proxy variable in its environment, never imports httpx.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._backends import AsyncBackend, _tls_context, proxy_may_apply, uses_proxy
from .._protocol.shape_http import BaseUrl
from ._connection import AsyncRealtimeConnections, AsyncRealtimeHttpx, AsyncShapeSender

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncConnectionPools"]


class AsyncConnectionPools:
    """The httpx client (yours or the SDK's) and the realtime senders, shared by the transports
    of a client and its ``with_options`` copies."""

    def __init__(
        self,
        timeout: Callable[[], httpx.Timeout],
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._user_client = http_client
        self._closed = False
        self._realtime: dict[tuple[str, str, int], AsyncRealtimeConnections] = {}
        self._timeout = timeout
        self._lock = threading.Lock()
        self._main: httpx.AsyncClient | None = http_client
        # httpx reads the proxies at the client's creation: with a proxy variable set, create it
        # now, as before; without one, no proxy applies and it waits for the first REST call.
        self._proxy_variables = http_client is None and proxy_may_apply()
        if self._proxy_variables:
            self._main = AsyncBackend.default_http_client(timeout())

    @property
    def main(self) -> httpx.AsyncClient:
        """The httpx client of REST calls (yours, or the SDK's, built on first use under a lock)."""
        client = self._main
        if client is None:
            with self._lock:
                client = self._main
                if client is None:
                    if self._closed:  # what httpx raises for a closed client
                        raise RuntimeError("Cannot send a request, as the client has been closed.")
                    client = self._main = AsyncBackend.default_http_client(self._timeout())
        return client

    def realtime(self, base: BaseUrl) -> AsyncShapeSender:
        """The sender of realtime requests to ``base``."""
        if self._user_client is not None or (
            self._proxy_variables and uses_proxy(self.main, base.url)
        ):
            return AsyncRealtimeHttpx(self.main)
        key = (base.scheme, base.host, base.port)
        connections = self._realtime.get(key)
        if connections is None:
            if self._closed:  # what httpx raises for a closed client
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            tls = _tls_context() if base.scheme == "https" else None
            connections = self._realtime[key] = AsyncRealtimeConnections(base, tls)
        return connections

    async def aclose(self) -> None:
        """Close the connections the SDK made (not a user's ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        for connections in list(self._realtime.values()):
            await connections.aclose()
        with self._lock:
            main = self._main
        if self._user_client is None and main is not None:
            await main.aclose()
