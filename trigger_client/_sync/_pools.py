# Generated from trigger_client/_async/_pools.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The client's connections: one httpx client for REST, and the senders of realtime long-polls.

Realtime long-polls go through an ``http_client`` of yours when you passed one, through the SDK's
httpx client when a proxy from the environment applies to the API's URL (by httpx's own rules),
and over the SDK's own connections otherwise (one ``AsyncRealtimeConnections`` per origin). An
``http_client`` passed in is used as it is and never closed.
"""

from __future__ import annotations

import httpx

from .._backends import SyncBackend, _tls_context, uses_proxy
from .._protocol.shape_http import BaseUrl
from ._connection import RealtimeConnections, RealtimeHttpx, ShapeSender

__all__ = ["ConnectionPools"]


class ConnectionPools:
    """The httpx client (yours or the SDK's) and the realtime senders, shared by the transports
    of a client and its ``with_options`` copies."""

    def __init__(self, timeout: httpx.Timeout, http_client: httpx.Client | None = None) -> None:
        self._user_client = http_client
        self._closed = False
        self._realtime: dict[tuple[str, str, int], RealtimeConnections] = {}
        self.main: httpx.Client = http_client or SyncBackend.default_http_client(timeout)
        self._through_httpx = RealtimeHttpx(self.main)

    def realtime(self, base: BaseUrl) -> ShapeSender:
        """The sender of realtime requests to ``base``."""
        if self._user_client is not None or uses_proxy(self.main, base.url):
            return self._through_httpx
        key = (base.scheme, base.host, base.port)
        connections = self._realtime.get(key)
        if connections is None:
            if self._closed:  # what httpx raises for a closed client
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            connections = self._realtime[key] = RealtimeConnections(base, _tls_context())
        return connections

    def close(self) -> None:
        """Close the connections the SDK made (not a user's ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        for connections in list(self._realtime.values()):
            connections.close()
        if self._user_client is None:
            self.main.close()
