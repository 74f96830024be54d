"""A loopback HTTP relay in front of the emulator, for testing what the client's connections do.

It forwards every GET to the emulator (or, used as a forward proxy, to the absolute URL asked for)
and can compress the answers or close each connection after one answer, or terminate TLS
(``tls=`` a server ``ssl.SSLContext``: its URL is then ``https://``). It counts the TCP
connections it accepted (with TLS: those whose handshake succeeded; the failed ones are counted in
``handshake_failures``) and records each request's path and headers.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import socketserver
import ssl
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "proxy-connection",
    "host",
}


class Relay:
    def __init__(
        self,
        upstream: str,
        *,
        encoding: str | None = None,
        close_each: bool = False,
        prefix: str = "",
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ):
        self.upstream = upstream.rstrip("/")
        self.prefix = prefix
        self.encoding = encoding
        self.close_each = close_each
        self.connections = 0
        self.handshake_failures = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=60, trust_env=False)
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                if tls is not None:
                    self.request = relay._handshake(tls, self.request)
                super().setup()
                with relay._lock:
                    relay.connections += 1

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    if tls is not None:  # the TLS socket took over the accepted one: close it
                        self.request.close()

            def do_GET(self) -> None:
                relay._forward(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def handle_error(self, request: Any, client_address: Any) -> None:
                if isinstance(sys.exc_info()[1], _HandshakeFailed):
                    return  # counted; the client sees its own error
                super().handle_error(request, client_address)

        self._server = Server((host, 0), Handler)
        scheme = "http" if tls is None else "https"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handshake(self, tls: ssl.SSLContext, sock: socket.socket) -> ssl.SSLSocket:
        """The TLS handshake, in the connection's own thread (not the accepting one)."""
        sock.settimeout(10)
        try:
            wrapped = tls.wrap_socket(sock, server_side=True)
        except (OSError, ValueError) as exc:  # closed by wrap_socket
            with self._lock:
                self.handshake_failures += 1
            raise _HandshakeFailed from exc
        wrapped.settimeout(None)
        return wrapped

    def _forward(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = handler.path
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append((path, headers))
        if not path.startswith("http") and self.prefix:
            if not path.startswith(self.prefix + "/"):
                handler.send_error(404)
                return
            path = path[len(self.prefix) :]
        url = path if path.startswith("http") else self.upstream + path
        forwarded = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
        forwarded["accept-encoding"] = "identity"
        try:
            upstream = self._http.get(url, headers=forwarded)
        except httpx.HTTPError:
            handler.send_error(502)
            return
        body = upstream.content
        accepted = headers.get("accept-encoding", "")
        encoding = self.encoding if self.encoding and self.encoding in accepted else None
        if encoding == "gzip":
            body = gzip.compress(body)
        elif encoding == "deflate":
            body = zlib.compress(body)
        handler.send_response(upstream.status_code)
        for name, value in upstream.headers.multi_items():
            if name.lower() not in _HOP_BY_HOP:
                handler.send_header(name, value)
        if encoding:
            handler.send_header("content-encoding", encoding)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        if self.close_each:
            # Closed without a "connection: close" header: like a server whose keep-alive
            # timeout ran out while the connection sat idle.
            handler.close_connection = True

    def realtime_requests(self) -> list[tuple[str, dict[str, str]]]:
        with self._lock:
            return [r for r in self.requests if "/realtime/" in r[0]]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()


class _HandshakeFailed(Exception):
    pass


@contextmanager
def relay_to(upstream: str, **options: Any) -> Iterator[Relay]:
    relay = Relay(upstream, **options)
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()
