"""A client's HTTP stack: the httpx client for REST, and the choice of realtime sender.

Realtime long-polls go through an ``http_client`` of yours when you passed one, through the SDK's
httpx client when a proxy from the environment applies to the API's URL (by httpx's own rules),
and over the SDK's own httpcore connections otherwise (one ``AsyncHttpcoreSender`` per origin).
An ``http_client`` passed in is used as it is and never closed.
"""

from __future__ import annotations

import httpx

from .._backends import AsyncBackend, _tls_context, uses_proxy
from .._protocol.shape_http import BaseUrl
from ._realtime_senders import AsyncHttpcoreSender, AsyncHttpxSender, AsyncRealtimeSender

__all__ = ["AsyncHttpStack"]


class AsyncHttpStack:
    """The httpx client (yours or the SDK's) and the realtime senders, shared by the transports
    of a client and its ``with_options`` copies."""

    def __init__(
        self, timeout: httpx.Timeout, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self._user_http_client = http_client
        self._closed = False
        self._httpcore_senders: dict[tuple[str, str, int], AsyncHttpcoreSender] = {}
        self.http_client: httpx.AsyncClient = http_client or AsyncBackend.default_http_client(
            timeout
        )
        self._httpx_sender = AsyncHttpxSender(self.http_client)

    def realtime_sender(self, base: BaseUrl) -> AsyncRealtimeSender:
        """The sender of realtime requests to ``base``."""
        if self._user_http_client is not None or uses_proxy(self.http_client, base.url):
            return self._httpx_sender
        key = (base.scheme, base.host, base.port)
        sender = self._httpcore_senders.get(key)
        if sender is None:
            if self._closed:  # what httpx raises for a closed client
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            sender = self._httpcore_senders[key] = AsyncHttpcoreSender(base, _tls_context())
        return sender

    async def aclose(self) -> None:
        """Close the senders and the httpx client the SDK made (not a user's ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        for sender in list(self._httpcore_senders.values()):
            await sender.aclose()
        if self._user_http_client is None:
            await self.http_client.aclose()
