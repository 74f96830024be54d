"""Time, cancellation and the default HTTP client, async and sync: the only place the twins differ.

Async code calls ``await AsyncBackend.sleep(...)`` and uses ``AsyncAbortScope``; unasync's
``Async* -> Sync*`` rule turns those into ``SyncBackend.sleep(...)`` and ``SyncAbortScope`` in the
generated sync code, so the sync twin really sleeps and can really be interrupted.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio
import httpcore
import httpx

from ._config import DEFAULT_LIMITS

__all__ = [
    "AsyncAbortScope",
    "AsyncBackend",
    "RequestAborted",
    "SyncAbortScope",
    "SyncBackend",
]

T = TypeVar("T")


class RequestAborted(Exception):
    """Internal: the request or sleep in progress was aborted by ``close()``."""


class AsyncBackend:
    """Time for async code (asyncio or trio, through anyio)."""

    @staticmethod
    async def sleep(seconds: float) -> None:
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
        return httpx.AsyncClient(
            limits=DEFAULT_LIMITS, timeout=timeout, follow_redirects=False, verify=_tls_context()
        )

    @staticmethod
    def realtime_network_backend() -> httpcore.AsyncNetworkBackend:
        """Sockets for realtime connections: a lean asyncio stream under asyncio, httpcore's
        anyio backend under trio."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not asyncio: trio
            return httpcore.AnyIOBackend()
        return _asyncio_backend()

    @staticmethod
    async def close_quietly(resource: Any) -> None:
        """Close ``resource`` even while being cancelled, ignoring errors from a broken one."""
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
    def realtime_network_backend() -> httpcore.NetworkBackend:
        """Sockets that ``close()`` from another thread can interrupt mid-read."""
        return _AbortableBackend(httpcore.SyncBackend())

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
    (building a context loads the CA bundle: ~10 ms), so a changed environment is seen.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    return _tls_context_for(cafile, capath)


@functools.cache
def _asyncio_backend() -> httpcore.AsyncNetworkBackend:
    from ._asyncio_stream import AsyncioBackend

    return AsyncioBackend()


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

    A request sent through the SDK's own HTTP client is interrupted by shutting its socket down;
    with an ``http_client`` of yours it ends at its read timeout instead.
    """

    def __init__(self) -> None:
        self._thread: int | None = None
        self._wake = threading.Event()
        self.aborted: bool = False

    def run(self, fn: Callable[[], T]) -> T:
        if self.aborted:
            raise RequestAborted
        self._thread = threading.get_ident()
        try:
            return fn()
        except Exception:
            if self.aborted:
                raise RequestAborted from None
            raise
        finally:
            self._thread = None

    def sleep(self, seconds: float) -> None:
        if self.aborted or self._wake.wait(max(0.0, seconds)):
            raise RequestAborted

    def abort(self) -> None:
        self.aborted = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread != threading.get_ident():
            _interrupt(thread)


# -- interrupting a blocked socket read from another thread -------------------------------------

_reading: dict[int, httpcore.NetworkStream] = {}


def _interrupt(thread: int) -> None:
    stream = _reading.get(thread)
    if stream is None:
        return
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _AbortableStream(httpcore.NetworkStream):
    """A network stream that records which thread is blocked reading it."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        thread = threading.get_ident()
        _reading[thread] = self._inner
        try:
            return self._inner.read(max_bytes, timeout)
        finally:
            _reading.pop(thread, None)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
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
