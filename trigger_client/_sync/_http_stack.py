# Generated from trigger_client/_async/_http_stack.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""A client's HTTP stack: the httpx client for REST, and the choice of realtime sender.

Realtime long-polls go through an ``http_client`` of yours when you passed one, through the SDK's
httpx client when a proxy from the environment applies to the API's URL (by httpx's own rules),
and over the SDK's own httpcore connections otherwise (one ``AsyncHttpcoreSender`` per origin).
An ``http_client`` passed in is used as it is and never closed.

The SDK's httpx client is built on first use (a REST call, or a proxy to decide on): a process
that only subscribes, with no proxy variable in its environment, never imports httpx.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._backends import SyncBackend, _tls_context, proxy_may_apply, uses_proxy
from .._protocol.shape_http import BaseUrl
from ._realtime_senders import HttpcoreSender, HttpxSender, RealtimeSender

if TYPE_CHECKING:
    import httpx

__all__ = ["HttpStack"]


class HttpStack:
    """The httpx client (yours or the SDK's) and the realtime senders, shared by the transports
    of a client and its ``with_options`` copies."""

    def __init__(
        self,
        timeout: Callable[[], httpx.Timeout],
        http_client: httpx.Client | None = None,
    ) -> None:
        self._user_http_client = http_client
        self._closed = False
        self._httpcore_senders: dict[tuple[str, str, int], HttpcoreSender] = {}
        self._timeout = timeout
        self._lock = threading.Lock()
        self._http_client: httpx.Client | None = http_client
        # httpx reads the proxies at the client's creation: with a proxy variable set, create it
        # now, as before; without one, no proxy applies and it waits for the first REST call.
        self._proxy_variables = http_client is None and proxy_may_apply()
        if self._proxy_variables:
            self._http_client = SyncBackend.default_http_client(timeout())

    @property
    def http_client(self) -> httpx.Client:
        """The httpx client of REST calls (yours, or the SDK's, built on first use under a lock)."""
        client = self._http_client
        if client is None:
            with self._lock:
                client = self._http_client
                if client is None:
                    if self._closed:  # what httpx raises for a closed client
                        raise RuntimeError("Cannot send a request, as the client has been closed.")
                    client = self._http_client = SyncBackend.default_http_client(self._timeout())
        return client

    def realtime_sender(self, base: BaseUrl) -> RealtimeSender:
        """The sender of realtime requests to ``base``."""
        if self._user_http_client is not None or (
            self._proxy_variables and uses_proxy(self.http_client, base.url)
        ):
            return HttpxSender(self.http_client)
        key = (base.scheme, base.host, base.port)
        sender = self._httpcore_senders.get(key)
        if sender is None:
            if self._closed:  # what httpx raises for a closed client
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            tls = _tls_context() if base.scheme == "https" else None
            sender = self._httpcore_senders[key] = HttpcoreSender(base, tls)
        return sender

    def close(self) -> None:
        """Close the senders and the httpx client the SDK made (not a user's ``http_client``)."""
        if self._closed:
            return
        self._closed = True
        for sender in list(self._httpcore_senders.values()):
            sender.close()
        with self._lock:
            http_client = self._http_client
        if self._user_http_client is None and http_client is not None:
            http_client.close()
