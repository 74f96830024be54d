"""Assembly of the Starlette application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from ._context import Context
from ._faults import FaultMiddleware
from ._ratelimit import RateLimitMiddleware
from ._realtime import realtime_routes
from ._rest import rest_routes
from ._streams import stream_routes

__all__ = ["build_app"]


async def _internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "Internal Server Error"}, status_code=500)


def build_app(ctx: Context) -> ASGIApp:
    """The emulator's ASGI app: REST and realtime routes behind the (optional) API rate
    limiter, behind fault injection and the request log."""
    app = Starlette(
        routes=[*rest_routes(), *realtime_routes(), *stream_routes()],
        exception_handlers={Exception: _internal_error},
    )
    app.state.ctx = ctx
    return FaultMiddleware(RateLimitMiddleware(app, ctx), ctx.faults, ctx.requests)
