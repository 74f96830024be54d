"""Time, cancellation, sockets and the default HTTP client, async and sync: where the twins differ.

Async code calls ``await AsyncBackend.sleep(...)`` and uses ``AsyncAbortScope``; unasync's
``Async* -> Sync*`` rule turns those into ``SyncBackend.sleep(...)`` and ``SyncAbortScope`` in the
generated sync code, so the sync twin really sleeps and can really be interrupted.

Loaded by both clients, this module imports neither anyio (the async parts import it when they
run) nor httpx (the SDK's httpx client is built on its first REST call), and builds no TLS context
until an ``https`` connection needs one: a blocking client that subscribes over ``http://`` loads
none of them (tests/test_cold_start.py).
"""

from __future__ import annotations

import functools
import os
import random
import socket
import ssl
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import httpcore

if TYPE_CHECKING:
    import anyio
    import httpx

__all__ = [
    "AsyncAbortScope",
    "AsyncBackend",
    "RequestAborted",
    "SyncAbortScope",
    "SyncBackend",
    "proxy_may_apply",
    "uses_proxy",
]

T = TypeVar("T")


class RequestAborted(Exception):
    """Internal: the request or sleep in progress was aborted by ``close()``."""


class AsyncBackend:
    """Time for async code (asyncio or trio, through anyio)."""

    @staticmethod
    async def sleep(seconds: float) -> None:
        import anyio

        await anyio.sleep(max(0.0, seconds))

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def wall() -> float:
        return time.time()

    @staticmethod
    def random() -> float:
        return random.random()

    @staticmethod
    def default_http_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
        import httpx

        from ._config import DEFAULT_LIMITS

        return httpx.AsyncClient(
            limits=DEFAULT_LIMITS, timeout=timeout, follow_redirects=False, verify=_tls_context()
        )

    @staticmethod
    def network_backend() -> httpcore.AsyncNetworkBackend | None:
        """Sockets for the SDK's own realtime connections: httpcore's default (anyio)."""
        return None

    @staticmethod
    async def close_quietly(resource: Any) -> None:
        """Close ``resource`` even while being cancelled, ignoring errors from a broken one."""
        import anyio

        with anyio.CancelScope(shield=True):
            try:
                await resource.aclose()
            except Exception:
                pass


class SyncBackend:
    """Time for blocking code."""

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def wall() -> float:
        return time.time()

    @staticmethod
    def random() -> float:
        return random.random()

    @staticmethod
    def default_http_client(timeout: httpx.Timeout) -> httpx.Client:
        import httpx

        from ._config import DEFAULT_LIMITS

        client = httpx.Client(
            limits=DEFAULT_LIMITS, timeout=timeout, follow_redirects=False, verify=_tls_context()
        )
        # Let close() interrupt a blocked read: wrap the network backend of every pool the client
        # built (httpx<1 keeps its httpcore pool at ``transport._pool``; proxies from the
        # environment get their own mounted transports).
        for transport in (client._transport, *client._mounts.values()):
            pool = getattr(transport, "_pool", None)
            backend = getattr(pool, "_network_backend", None)
            if isinstance(backend, httpcore.NetworkBackend):
                pool._network_backend = _AbortableBackend(backend)  # type: ignore[union-attr]
        return client

    @staticmethod
    def network_backend() -> httpcore.NetworkBackend | None:
        """Sockets that an abort from another thread can interrupt mid-read."""
        return _abortable_backend()

    @staticmethod
    def close_quietly(resource: Any) -> None:
        """Close ``resource``, ignoring errors from a broken one."""
        try:
            resource.close()
        except Exception:
            pass


def _tls_context() -> ssl.SSLContext:
    """The TLS context of every pool and realtime connection, trusting what httpx would.

    Like httpx with ``trust_env``: the CA bundle file ``SSL_CERT_FILE`` if set, else the CA
    directory ``SSL_CERT_DIR`` if set, else certifi's bundle. Cached per value of those variables
    (building a context loads the CA bundle: ~10 ms), so a changed environment is seen; built
    when the first ``https`` connection (or the SDK's httpx client) needs it, once, under a lock.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    with _tls_lock:
        return _tls_context_for(cafile, capath)


_tls_lock = threading.Lock()


@functools.cache
def _abortable_backend() -> httpcore.NetworkBackend:
    return _AbortableBackend(httpcore.SyncBackend())


#: The proxy variables httpx reads (``urllib.request.getproxies``, any case); ``no_proxy`` only
#: removes proxies, so without one of these no proxy applies.
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def proxy_may_apply() -> bool:
    """Whether a proxy from the environment may apply to some URL, without importing httpx.

    httpx takes its proxies from ``urllib.request.getproxies()``: on Linux and other POSIX systems
    the environment only, where only non-empty ``HTTP_PROXY``, ``HTTPS_PROXY`` and ``ALL_PROXY``
    (in any case) make one; on macOS and Windows also the system's settings, which only httpx's own
    rules read. False means httpx would find no proxy; True means ask httpx (``uses_proxy``).
    """
    if sys.platform == "darwin" or os.name == "nt":
        return True
    return any(value and name.lower() in _PROXY_VARIABLES for name, value in os.environ.items())


def uses_proxy(client: httpx.Client | httpx.AsyncClient, url: str) -> bool:
    """Whether ``client`` sends requests for ``url`` through a proxy, by httpx's own rules (the
    proxies it read from the environment, with ``NO_PROXY``)."""
    import httpx

    return client._transport_for_url(httpx.URL(url)) is not client._transport


@functools.lru_cache(maxsize=8)
def _tls_context_for(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AsyncAbortScope:
    """Runs one request (or sleep) at a time so that ``abort()`` from another task stops it now."""

    def __init__(self) -> None:
        self._scope: anyio.CancelScope | None = None
        self.aborted: bool = False

    async def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        if self.aborted:
            raise RequestAborted
        import anyio

        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                return await fn()
            finally:
                self._scope = None
        raise RequestAborted  # the scope was cancelled by abort()

    async def sleep(self, seconds: float) -> None:
        await self.run(lambda: AsyncBackend.sleep(seconds))

    def abort(self) -> None:
        self.aborted = True
        if self._scope is not None:
            self._scope.cancel()


class SyncAbortScope:
    """Runs one request (or sleep) at a time so that ``abort()`` from another thread stops it now.

    A request sent over sockets of the SDK's (its own realtime connections, or an httpx client it
    built) is interrupted by shutting down the socket it is reading, which this scope holds only
    while that read lasts: an abort never shuts a socket that another request is using. With an
    ``http_client`` of yours a request ends at its read timeout instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading: httpcore.NetworkStream | None = None
        self._wake = threading.Event()
        self.aborted: bool = False

    def run(self, fn: Callable[[], T]) -> T:
        if self.aborted:
            raise RequestAborted
        previous = getattr(_running, "scope", None)
        _running.scope = self
        try:
            return fn()
        except Exception:
            if self.aborted:
                raise RequestAborted from None
            raise
        finally:
            _running.scope = previous

    def sleep(self, seconds: float) -> None:
        if self.aborted or self._wake.wait(max(0.0, seconds)):
            raise RequestAborted

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            if self._reading is not None:
                _shutdown(self._reading)
        self._wake.set()

    def _read_started(self, stream: httpcore.NetworkStream) -> None:
        with self._lock:
            if self.aborted:
                _shutdown(stream)
            self._reading = stream

    def _read_ended(self) -> None:
        with self._lock:
            self._reading = None


# -- interrupting a blocked socket read from another thread -------------------------------------

#: The scope whose ``run`` this thread is in, if any.
_running = threading.local()


def _shutdown(stream: httpcore.NetworkStream) -> None:
    """Shut the stream's socket down: a read blocked on it (in any thread) returns at once."""
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        try:
            # socket.socket's own shutdown, also for a TLS socket (whose own shutdown would drop
            # its TLS state under a read in progress).
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


class _AbortableStream(httpcore.NetworkStream):
    """A network stream whose reads the running ``SyncAbortScope`` can interrupt, and whose
    ``close()`` also ends a read in progress in another thread."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        scope: SyncAbortScope | None = getattr(_running, "scope", None)
        if scope is None:
            return self._inner.read(max_bytes, timeout)
        scope._read_started(self._inner)
        try:
            return self._inner.read(max_bytes, timeout)
        finally:
            scope._read_ended()

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        _shutdown(self._inner)
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _AbortableStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AbortableBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _AbortableStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _AbortableStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
