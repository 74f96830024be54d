"""Assembly of the Starlette application."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ._context import Context
from ._faults import FaultMiddleware
from ._ratelimit import RateLimitMiddleware
from ._realtime import realtime_routes
from ._rest import rest_routes
from ._streams import stream_routes

__all__ = ["build_app"]


async def _internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "Internal Server Error"}, status_code=500)


def router_path(raw_path: str) -> str:
    """The path the server's router matches, from the request's raw (still encoded) path.

    The webapp routes with ``@remix-run/router`` 1.23 (``apps/webapp/package.json:112`` at
    triggerdotdev/trigger.dev ``b082e44``), whose ``decodePath`` decodes each segment on its own
    and keeps a decoded ``/`` as ``%2F`` (an encoded slash stays inside its segment), and whose
    route patterns end in ``\\/*$`` (trailing slashes are ignored, not redirected):
    remix-run/react-router ``packages/router/utils.ts``, ``compilePath`` and ``decodePath``
    (commit ``00eec6c``). A segment that does not decode (bad UTF-8) leaves the path as it came.
    Starlette would instead route on the fully decoded path and redirect a trailing slash (307).
    """
    try:
        path = "/".join(
            unquote(segment, errors="strict").replace("/", "%2F") for segment in raw_path.split("/")
        )
    except UnicodeDecodeError:
        path = raw_path
    return path.rstrip("/") or "/"


class _RouterPaths:
    """Routes each request on ``router_path`` of its raw path, as the server does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw:
            scope = {**scope, "path": router_path(raw.decode("latin-1"))}
        await self.app(scope, receive, send)


def build_app(ctx: Context) -> ASGIApp:
    """The emulator's ASGI app: REST and realtime routes behind the (optional) API rate
    limiter, behind fault injection and the request log."""
    app = Starlette(
        routes=[*rest_routes(), *realtime_routes(), *stream_routes()],
        exception_handlers={Exception: _internal_error},
    )
    app.state.ctx = ctx
    return FaultMiddleware(RateLimitMiddleware(_RouterPaths(app), ctx), ctx.faults, ctx.requests)
