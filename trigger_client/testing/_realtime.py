"""The three realtime routes: one run, runs with tags, runs in a batch.

Pipeline as in the real route builder (protocol-trigger.md 1.2): CORS preflight, authenticate
(401), validate the query (400), find the resource in the environment (404), authorize (403),
count live requests against the concurrency limit (429), then the backend answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._auth import AuthError, Credentials, authenticate
from ._columns import projected_columns
from ._context import Context
from ._lifecycle import parse_duration_ms
from ._shapes import FeedFilter, LongPoll, ShapeRequest, ShapeResponse
from ._statuses import CURRENT_API_VERSION

__all__ = ["json_error", "realtime_routes", "run_resources"]

_UNSAFE_TAG = re.compile(r'[\x00-\x1f\x7f\\"]')
_CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
    "access-control-allow-headers": "*",
    "access-control-expose-headers": "x-trigger-jwt, x-trigger-jwt-claims",
}


def json_error(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def run_resources(row: dict[str, Any], batch_friendly: str | None) -> list[tuple[str, str | None]]:
    """The resources a run read is authorized against (any one suffices)."""
    resources: list[tuple[str, str | None]] = [
        ("runs", row["friendlyId"]),
        ("tasks", row["taskIdentifier"]),
    ]
    resources += [("tags", tag) for tag in row.get("runTags") or []]
    if batch_friendly:
        resources.append(("batch", batch_friendly))
    return resources


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _preflight() -> Response:
    return Response(status_code=204, headers=_CORS)


def _authenticate(request: Request, ctx: Context) -> Credentials:
    return authenticate(
        ctx.store,
        ctx.clock,
        request.headers.get("authorization"),
        allow_jwt=True,
        branch=request.headers.get("x-trigger-branch"),
    )


async def run_feed(request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    ctx = _ctx(request)
    try:
        creds = _authenticate(request, ctx)
        row = ctx.store.find_run(creds.environment.id, request.path_params["run_id"])
        if row is None:
            # realtime.v1.runs.$runId.ts:17-35 (re-reads the primary) and apiBuilder.server.ts
            # :391-399 at b082e44 (rows R-404-LAG, R-404-ORDER)
            return json_error(404, {"error": "Not found"}, {"x-should-retry": "false"})
        batch = ctx.store.batch(row["batchId"]) if row.get("batchId") else None
        creds.require_any("read", run_resources(row, batch["friendlyId"] if batch else None))
    except AuthError as err:
        return json_error(err.status, err.body)
    filt = FeedFilter("run", creds.environment.id, run_id=row["id"])
    return await _serve(request, ctx, creds, filt)


def _created_after(ctx: Context, value: str | None) -> tuple[int | None, int]:
    """(electric floor, native floor) in epoch ms for a ``createdAt`` look-back window."""
    now = ctx.clock.now_ms()
    max_age = ctx.realtime_max_created_at_age_ms
    native_floor = now - max_age
    if value is None:
        age = min(24 * 3_600_000, max_age)
        return now - age, now - age
    parsed = parse_duration_ms(value)
    if parsed is None:
        # Electric: no time filter at all; native: the maximum age.
        return None, native_floor
    age = min(parsed, max_age)
    return now - age, now - age


async def tags_feed(request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    ctx = _ctx(request)
    try:
        creds = _authenticate(request, ctx)
    except AuthError as err:
        return json_error(err.status, err.body)
    raw = request.query_params.get("tags")
    tags: tuple[str, ...] = ()
    if raw:
        # realtime.v1.runs.ts:7-29 at b082e44 (row R-REALTIME-SHAPES): split on "," without
        # trimming; the first empty or unsafe tag is a 400 naming it
        tags = tuple(raw.split(","))
        bad = [t for t in tags if not t or _UNSAFE_TAG.search(t)]
        if bad:
            details = [
                {
                    "code": "custom",
                    "message": f"Invalid tag: {json.dumps(bad[0], ensure_ascii=False)}",
                    "path": ["tags"],
                }
            ]
            return json_error(400, {"error": "Query Error", "details": details})
    try:
        resources: list[tuple[str, str | None]] = [("runs", None), ("tags", None)]
        resources += [("tags", tag) for tag in tags]
        creds.require_any("read", resources)
    except AuthError as err:
        return json_error(err.status, err.body)
    electric_floor, native_floor = _created_after(ctx, request.query_params.get("createdAt"))
    floor = native_floor if ctx.backend == "native" else electric_floor
    filt = FeedFilter("tags", creds.environment.id, tags=tags, created_after_ms=floor)
    return await _serve(request, ctx, creds, filt)


async def batch_feed(request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight()
    ctx = _ctx(request)
    try:
        creds = _authenticate(request, ctx)
        batch = ctx.store.find_batch(creds.environment.id, request.path_params["batch_id"])
        if batch is None:
            # realtime.v1.batches.$batchId.ts:14-20 at b082e44 (row R-404-LAG); the route reads
            # the primary on a replica miss, so no lag is modelled here
            return json_error(404, {"error": "Not found"}, {"x-should-retry": "true"})
        creds.require_any("read", [("batch", batch["friendlyId"]), ("runs", None)])
    except AuthError as err:
        return json_error(err.status, err.body)
    filt = FeedFilter("batch", creds.environment.id, batch_id=batch["id"])
    return await _serve(request, ctx, creds, filt)


def _skip_columns(request: Request, creds: Credentials) -> list[str]:
    claim = creds.skip_columns_claim
    if claim is not None:
        return claim
    raw = request.query_params.get("skipColumns") or ""
    return [c.strip() for c in raw.split(",") if c.strip()]


async def _serve(request: Request, ctx: Context, creds: Credentials, filt: FeedFilter) -> Response:
    params = dict(request.query_params)
    modern = bool(request.headers.get("x-trigger-electric-version"))
    if not modern:
        params["handle"] = params.get("shape_id", "")
    counted = params.get("live") == "true" and bool(params.get("handle"))
    env_id = creds.environment.id
    if counted:
        limit = ctx.realtime_concurrency_limit
        current = ctx.live_counts.get(env_id, 0)
        if limit is not None and current >= limit:
            # realtimeClient.server.ts:423 at b082e44 (row R-REALTIME-LIMIT)
            return json_error(429, {"error": "Too many concurrent requests"})
        ctx.live_counts[env_id] = current + 1
        ctx.live_total += 1
    poll = LongPoll(ctx.store, request.receive)
    shape_request = ShapeRequest(
        filter=filt,
        columns=projected_columns(_skip_columns(request, creds)),
        params=params,
        long_poll_s=ctx.long_poll_ms / 1000,
        poll=poll,
        path=request.url.path,
        fault=request.scope.get("trigger_emulator.fault"),
    )
    backend = ctx.native if ctx.backend == "native" else ctx.electric
    try:
        result = await backend.serve(shape_request)
    finally:
        poll.close()
        if counted:
            ctx.live_counts[env_id] -= 1
            ctx.live_total -= 1
    backend.record(request.url.path, result)
    return _finish(result, request, modern)


def _finish(result: ShapeResponse, request: Request, modern: bool) -> Response:
    body = result.body
    if request.headers.get("x-trigger-api-version") != CURRENT_API_VERSION:
        body = body.replace('"status":"DEQUEUED"', '"status":"EXECUTING"')
    headers = dict(result.headers)
    if not modern:
        if "electric-handle" in headers:
            headers["electric-shape-id"] = headers.pop("electric-handle")
        if "electric-offset" in headers:
            headers["electric-chunk-last-offset"] = headers.pop("electric-offset")
    return Response(body.encode(), status_code=result.status, headers=headers)


def realtime_routes() -> list[Route]:
    methods = ["GET", "OPTIONS"]
    return [
        Route("/realtime/v1/runs/{run_id}", run_feed, methods=methods),
        Route("/realtime/v1/runs", tags_feed, methods=methods),
        Route("/realtime/v1/batches/{batch_id}", batch_feed, methods=methods),
    ]
