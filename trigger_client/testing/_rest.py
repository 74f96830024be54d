"""REST routes: runs (retrieve, list, cancel, replay, reschedule, metadata, tags), trigger and
batch trigger, batches, the JWT claims endpoint, and packets with presigned URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._auth import FORBIDDEN_BODY, AuthError, Credentials, authenticate, sign_public_token
from ._clock import datetime_to_ms
from ._columns import iso_z
from ._context import Context
from ._errors import serialized_error
from ._lifecycle import InvalidTransition, parse_duration_ms
from ._packets import STORE_TYPE, Packet, encode_packet, js_json, packet_json_value
from ._realtime import json_error, run_resources
from ._state import Row
from ._statuses import (
    CURRENT_API_VERSION,
    LIST_FILTER_STATUSES,
    api_status,
    boolean_helpers,
    internal_statuses_for,
)

__all__ = ["rest_routes", "run_view"]

_STREAM_KEYS = ("$$streams", "$$streamsVersion", "$$streamsBaseUrl")
PRESIGN_TTL_S = 300


class _BadRequest(Exception):
    def __init__(self, body: Any, status: int = 400) -> None:
        super().__init__(str(body))
        self.body = body
        self.status = status


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def _auth(request: Request, *, allow_jwt: bool, legacy: bool = False) -> Credentials:
    ctx = _ctx(request)
    return authenticate(
        ctx.store,
        ctx.clock,
        request.headers.get("authorization"),
        allow_jwt=allow_jwt,
        legacy=legacy,
        branch=request.headers.get("x-trigger-branch"),
    )


def _current_api(request: Request) -> bool:
    return request.headers.get("x-trigger-api-version") == CURRENT_API_VERSION


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise _BadRequest({"error": "Invalid request body"}) from None


def _presign(ctx: Context, request: Request, env_id: str, path: str, method: str) -> str:
    expires = ctx.clock.now_ms() // 1000 + PRESIGN_TTL_S
    signature = _signature(ctx, method, env_id, path, expires)
    base = str(request.base_url).rstrip("/")
    return (
        f"{base}/packets-blob/{env_id}/{quote(path)}?method={method}"
        f"&expires={expires}&signature={signature}"
    )


def _signature(ctx: Context, method: str, env_id: str, path: str, expires: int) -> str:
    message = f"{method}\n{env_id}/{path}\n{expires}".encode()
    return hmac.new(ctx.presign_secret, message, hashlib.sha256).hexdigest()


# -- views -------------------------------------------------------------------------------------


def _iso(ms: int | None) -> str | None:
    return iso_z(ms) if ms is not None else None


def _common_fields(ctx: Context, row: Row, current: bool) -> dict[str, Any]:
    status = api_status(row["status"], current=current)
    view: dict[str, Any] = {"id": row["friendlyId"], "status": status}
    view["taskIdentifier"] = row["taskIdentifier"]
    if row.get("idempotencyKey"):
        view["idempotencyKey"] = row["idempotencyKey"]
    if row.get("taskVersion"):
        view["version"] = row["taskVersion"]
    view.update(boolean_helpers(status))
    view["isTest"] = bool(row["isTest"])
    view["createdAt"] = iso_z(row["createdAt"])
    view["updatedAt"] = iso_z(row["updatedAt"])
    for out, column in (
        ("startedAt", "startedAt"),
        ("finishedAt", "completedAt"),
        ("delayedUntil", "delayUntil"),
        ("expiredAt", "expiredAt"),
    ):
        if row.get(column) is not None:
            view[out] = _iso(row[column])
    if row.get("ttl"):
        view["ttl"] = row["ttl"]
    view["tags"] = sorted(row.get("runTags") or [])
    view["costInCents"] = row["costInCents"]
    view["baseCostInCents"] = row["baseCostInCents"]
    view["durationMs"] = row["usageDurationMs"]
    present, metadata = packet_json_value(row.get("metadata"), row.get("metadataType") or "")
    if present and isinstance(metadata, dict):
        view["metadata"] = metadata
    return view


def _batch_friendly(ctx: Context, row: Row) -> str | None:
    if not row.get("batchId"):
        return None
    batch = ctx.store.batch(row["batchId"])
    return batch["friendlyId"] if batch else None


def run_view(ctx: Context, request: Request, row: Row, *, current: bool) -> dict[str, Any]:
    """The ``GET /api/v3/runs/{id}`` body of a run."""
    view = _common_fields(ctx, row, current)
    view["depth"] = row.get("depth") or 0
    view["triggerFunction"] = row.get("triggerFunction") or "trigger"
    batch = _batch_friendly(ctx, row)
    if batch:
        view["batchId"] = batch
    env_id = row["runtimeEnvironmentId"]
    for name in ("payload", "output"):
        if name == "output" and row["status"] != "COMPLETED_SUCCESSFULLY":
            continue
        data, data_type = row.get(name), row.get(f"{name}Type") or "application/json"
        if data_type == STORE_TYPE and data:
            view[f"{name}PresignedUrl"] = _presign(ctx, request, env_id, data, "GET")
            continue
        present, value = packet_json_value(data, data_type)
        if present:
            view[name] = value
    if row.get("error"):
        view["error"] = serialized_error(row["error"])
    view["relatedRuns"] = {"children": []}
    view["attemptCount"] = row.get("attemptNumber") or 0
    view["attempts"] = []
    return view


def _list_item(ctx: Context, row: Row, current: bool) -> dict[str, Any]:
    view = _common_fields(ctx, row, current)
    env = ctx.store.environments.get(row["runtimeEnvironmentId"])
    view["env"] = {"id": row["runtimeEnvironmentId"], "name": env.slug if env else "dev"}
    view["depth"] = row.get("depth") or 0
    view["taskKind"] = "STANDARD"
    metadata = view.get("metadata")
    if isinstance(metadata, dict):
        view["metadata"] = {k: v for k, v in metadata.items() if k not in _STREAM_KEYS}
    return view


# -- runs --------------------------------------------------------------------------------------


def _find_run_or_404(ctx: Context, creds: Credentials, run_id: str) -> Row:
    row = ctx.store.find_run(creds.environment.id, run_id)
    if row is None:
        raise _BadRequest({"error": "Run not found"}, 404)
    return row


async def retrieve_run(request: Request) -> Response:
    """api.v3.runs.$runId.ts at b082e44 (rows R-404-LAG, R-404-ORDER, R-REST-STATUS,
    R-ERROR-OBJECT)."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    row = ctx.store.find_run(creds.environment.id, request.path_params["run_id"])
    if row is None or not ctx.on_replica(row):
        # apps/webapp/app/routes/api.v3.runs.$runId.ts:14-18 + apiBuilder.server.ts:391-399
        # at b082e44: the route reads the replica and marks its 404 retryable (row R-404-LAG)
        return json_error(404, {"error": "Not found"}, {"x-should-retry": "true"})
    creds.require_any("read", run_resources(row, _batch_friendly(ctx, row)))
    return JSONResponse(run_view(ctx, request, row, current=_current_api(request)))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


async def list_runs(request: Request) -> Response:
    """api.v1.runs.ts and ApiRunListPresenter at b082e44 (row R-LIST-STATUS)."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    q = request.query_params
    tasks = _split(q.get("filter[taskIdentifier]"))
    if not creds.can_any("read", [("runs", None), ("tasks", None)]) and not creds.can_every(
        "read", [("tasks", t) for t in tasks]
    ):
        raise AuthError(403, FORBIDDEN_BODY)
    try:
        size = int(q.get("page[size]") or 25)
    except ValueError:
        size = 0
    if not 1 <= size <= 100:
        raise _BadRequest({"error": "Query Error", "details": [{"path": ["page[size]"]}]})
    statuses: set[str] | None = None
    if q.get("filter[status]"):
        # ApiRunListSearchParams (ApiRunListPresenter.server.ts:30-66 at b082e44): split on ","
        # (no trimming), an unknown value is a 400 Query Error naming it (row R-LIST-STATUS)
        values = q["filter[status]"].split(",")
        invalid = [v for v in values if v not in LIST_FILTER_STATUSES]
        if invalid:
            issue = {
                "code": "custom",
                "message": f"Invalid status values: {', '.join(invalid)}",
                "path": ["filter[status]"],
            }
            raise _BadRequest({"error": "Query Error", "details": [issue]})
        statuses = set()
        for value in values:
            statuses |= internal_statuses_for(value)
    tags = _split(q.get("filter[tag]"))
    versions = _split(q.get("filter[version]"))
    is_test = q.get("filter[isTest]")
    batch_filter = q.get("filter[batch]")
    created_from = _epoch_ms_param(q.get("filter[createdAt][from]"))
    created_to = _epoch_ms_param(q.get("filter[createdAt][to]"))
    period = q.get("filter[createdAt][period]")
    if period:
        period_ms = parse_duration_ms(period)
        if period_ms is not None:
            created_from = ctx.clock.now_ms() - period_ms
    env_id = creds.environment.id
    batch_internal = None
    if batch_filter:
        batch = ctx.store.find_batch(env_id, batch_filter)
        batch_internal = batch["id"] if batch else "<none>"

    def keep(r: Row) -> bool:
        if r["runtimeEnvironmentId"] != env_id:
            return False
        if statuses is not None and r["status"] not in statuses:
            return False
        if tasks and r["taskIdentifier"] not in tasks:
            return False
        if tags and not set(tags) & set(r.get("runTags") or []):
            return False
        if versions and r.get("taskVersion") not in versions:
            return False
        if is_test in ("true", "false") and bool(r["isTest"]) != (is_test == "true"):
            return False
        if batch_internal is not None and r.get("batchId") != batch_internal:
            return False
        if created_from is not None and r["createdAt"] < created_from:
            return False
        return not (created_to is not None and r["createdAt"] > created_to)

    rows = ctx.store.runs_where(keep)
    rows.sort(key=lambda r: (r["createdAt"], r["id"]), reverse=True)
    ids = [r["friendlyId"] for r in rows]
    after, before = q.get("page[after]"), q.get("page[before]")
    if after and after in ids:
        start = ids.index(after) + 1
    elif before and before in ids:
        start = max(0, ids.index(before) - size)
        rows = rows[: ids.index(before)]
    else:
        start = 0
    page = rows[start : start + size]
    pagination: dict[str, str] = {}
    if start + size < len(rows) and page:
        pagination["next"] = page[-1]["friendlyId"]
    if start > 0 and page:
        pagination["previous"] = page[0]["friendlyId"]
    current = _current_api(request)
    return JSONResponse(
        {"data": [_list_item(ctx, r, current) for r in page], "pagination": pagination}
    )


def _epoch_ms_param(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return datetime_to_ms(parsed)


async def cancel_run(request: Request) -> Response:
    """api.v2.runs.$runParam.cancel.ts:17-85 at b082e44 (row R-404-ORDER): an action route checks
    the scope before the resource (a missing run is 403 for a token without ``write`` on it)
    and answers a missing run 404 ``Resource not found`` (apiBuilder.server.ts:1270-1320)."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    run_id = request.path_params["run_id"]
    row = ctx.store.find_run(creds.environment.id, run_id)
    if row is None:
        creds.require_any("write", [("runs", run_id)])
        raise _BadRequest({"error": "Resource not found"}, 404)
    creds.require_any("write", [("runs", row["friendlyId"]), ("tasks", row["taskIdentifier"])])
    ctx.engine.cancel(row["id"])
    return JSONResponse({"id": row["friendlyId"]})


async def replay_run(request: Request) -> Response:
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False)
    row = _find_run_or_404(ctx, creds, request.path_params["run_id"])
    payload: Any = encode_packet(None)
    if row["payloadType"] == STORE_TYPE:
        blob = ctx.store.get_blob(row["runtimeEnvironmentId"], row["payload"])
        if blob is not None:
            payload = Packet(blob.content.decode(), blob.content_type)
    else:
        payload = Packet(row["payload"] or None, row["payloadType"])
    new_id = ctx.engine.create_run(
        row["taskIdentifier"],
        payload,
        tags=row.get("runTags") or [],
        is_test=bool(row["isTest"]),
        machine=row.get("machinePreset"),
        environment=creds.environment,
        replayed_from=row["friendlyId"],
    )
    _after_http_trigger(ctx, new_id)
    return JSONResponse({"id": new_id})


async def reschedule_run(request: Request) -> Response:
    """api.v1.runs.$runParam.reschedule.ts:20-160 at b082e44 (row R-RESCHEDULE): the body and
    the delay are checked before the run is looked up; a run that is not DELAYED is a 400."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False)
    body = await _json_body(request)
    delay = body.get("delay") if isinstance(body, dict) else None
    if not isinstance(delay, str) or not delay:
        raise _BadRequest({"error": "Invalid request body"})
    if parse_duration_ms(delay) is None:
        try:
            datetime.fromisoformat(delay.replace("Z", "+00:00"))
        except ValueError:
            raise _BadRequest({"error": f"Invalid delay: {delay}"}) from None
    row = _find_run_or_404(ctx, creds, request.path_params["run_id"])
    try:
        ctx.engine.reschedule(row["id"], delay)
    except InvalidTransition:
        raise _BadRequest({"error": "Cannot reschedule a run that is not delayed"}, 400) from None
    updated = ctx.store.run(row["id"])
    assert updated is not None
    return JSONResponse(run_view(ctx, request, updated, current=_current_api(request)))


async def run_metadata(request: Request) -> Response:
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False)
    row = _find_run_or_404(ctx, creds, request.path_params["run_id"])
    if request.method == "PUT":
        body = await _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
            raise _BadRequest({"error": "Invalid request body"})
        ctx.engine.set_metadata(row["id"], body["metadata"], metadata_type=body.get("metadataType"))
        row = ctx.store.run(row["id"]) or row
    present, metadata = packet_json_value(row.get("metadata"), row.get("metadataType") or "")
    return JSONResponse({"metadata": metadata if present else {}})


async def add_tags(request: Request) -> Response:
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False)
    body = await _json_body(request)
    row = _find_run_or_404(ctx, creds, request.path_params["run_id"])
    tags = body.get("tags") if isinstance(body, dict) else None
    tags = [tags] if isinstance(tags, str) else tags
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _BadRequest({"error": "Invalid request body"})
    merged = list(row.get("runTags") or []) + [t for t in tags if t not in (row["runTags"] or [])]
    if len(merged) > 10:
        raise _BadRequest({"error": "Runs can only have 10 tags"}, 422)
    ctx.engine.add_tags(row["id"], tags)
    return JSONResponse({"message": f"Successfully set {len(merged)} new tags."})


# -- trigger -----------------------------------------------------------------------------------


def _after_http_trigger(ctx: Context, run_id: str) -> None:
    hook = ctx.engine.on_http_trigger
    if hook is not None:
        hook(run_id)


def _jwt_headers(
    ctx: Context, creds: Credentials, scopes: list[str], *, claims_scopes: bool = False
) -> dict[str, str]:
    """``x-trigger-jwt`` (one hour, signed with the environment's root key) and
    ``x-trigger-jwt-claims``: with the scopes (and the caller's ``realtime`` claim) after a
    trigger (api.v1.tasks.$taskId.trigger.ts:208-231), without after a batch
    (publicAccessTokenResponse.server.ts:10-33) at b082e44 (row R-TOKEN-HEADER)."""
    env = creds.environment
    now_s = ctx.clock.now_ms() // 1000
    token = sign_public_token(env, scopes=scopes, expires_at_s=now_s + 3600, issued_at_s=now_s)
    claims: dict[str, Any] = {"sub": env.id, "pub": True}
    if claims_scopes:
        claims["scopes"] = scopes
        realtime = creds.claims.get("realtime") if creds.kind == "jwt" else None
        if realtime is not None:
            claims["realtime"] = realtime
    return {"x-trigger-jwt": token, "x-trigger-jwt-claims": js_json(claims)}


def _payload_packet(payload: Any, payload_type: str | None) -> Packet:
    data_type = payload_type or "application/json"
    if payload is None:
        return Packet(None, data_type)
    if isinstance(payload, str):
        return Packet(payload, data_type)
    return Packet(js_json(payload), data_type)


def _check_body_schema(item: object, where: str = "") -> None:
    """The parts of the body schema the route builder checks before the scope (a 400): an
    options object, and RunTags (packages/core/src/v3/schemas/api.ts:237-238) rejecting a tag
    over 128 characters (apiBuilder.server.ts:1255-1266 at b082e44; row R-TAGS)."""
    options = item.get("options") if isinstance(item, dict) else None
    if options is None:
        return
    if not isinstance(options, dict):
        raise _BadRequest({"error": "Invalid request body"})
    tags = options.get("tags") or []
    for index, tag in enumerate([tags] if isinstance(tags, str) else list(tags)):
        if not isinstance(tag, str) or len(tag) > 128:
            raise _BadRequest(
                {
                    "error": "Validation error: Tags must be less than 128 characters at "
                    f'"{where}options.tags[{index}]"'
                }
            )


def _trigger_options(item: dict[str, Any]) -> dict[str, Any]:
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise _BadRequest({"error": "Invalid request body"})
    tags = options.get("tags") or []
    tags = [tags] if isinstance(tags, str) else list(tags)
    # more than 10 tags is the trigger validator's 422, after the scope check
    # (runEngine/validators/triggerTaskValidator.ts:30-36 at b082e44; row R-TAGS)
    if len(tags) > 10:
        raise _BadRequest(
            {"error": f"Runs can only have 10 tags, you're trying to set {len(tags)}."}, 422
        )
    delay = options.get("delay")
    if delay is not None and isinstance(delay, str) and parse_duration_ms(delay) is None:
        try:
            datetime.fromisoformat(delay.replace("Z", "+00:00"))
        except ValueError:
            raise _BadRequest({"error": f"Invalid delay: {delay}"}) from None
    ttl = options.get("ttl")
    metadata = options.get("metadata")
    queue = options.get("queue")
    return {
        "tags": tags,
        "payload_type": options.get("payloadType"),
        "metadata": _payload_packet(metadata, options.get("metadataType"))
        if metadata is not None
        else None,
        "idempotency_key": options.get("idempotencyKey"),
        "idempotency_key_ttl": options.get("idempotencyKeyTTL"),
        "ttl": ttl if ttl is not None else "default",
        "delay": delay,
        "is_test": bool(options.get("test")),
        "machine": options.get("machine"),
        "max_attempts": options.get("maxAttempts"),
        "max_duration": options.get("maxDuration"),
        "queue": queue.get("name") if isinstance(queue, dict) else None,
        "concurrency_key": options.get("concurrencyKey"),
        "version": options.get("lockToVersion"),
    }


def _can_trigger(creds: Credentials, action: str, task: str) -> bool:
    """``trigger:tasks[:<id>]`` (``batchTrigger:...`` for batches), ``*:...`` or ``admin``: the
    action-specific scope of the route builder (api.v1.tasks.$taskId.trigger.ts:55-58 at
    b082e44). There is no ``write:tasks`` super-scope (row R-SCOPE-TRIGGER)."""
    return creds.can_any(action, [("tasks", task)])


def _scoped_request_key(key: str | None, scope: list[str]) -> str | None:
    """The request idempotency key as the server stores it: only a version-4 UUID counts
    (requestIdempotency.server.ts:118-125), scoped by sha256 of ``[key, *scope]``
    (utils/requestIdempotencyKey.ts) at b082e44 (row R-IDEM-REQUEST)."""
    if not key:
        return None
    try:
        parsed = uuid.UUID(key)
    except ValueError:
        return None
    if parsed.version != 4 or str(parsed) != key.lower():
        return None
    return hashlib.sha256(json.dumps([key, *scope], separators=(",", ":")).encode()).hexdigest()


#: TASK_PAYLOAD_MAXIMUM_SIZE and BATCH_TASK_PAYLOAD_MAXIMUM_SIZE (env.server.ts:1008-1009 at
#: b082e44): a larger body is a 413 before it is read (apiBuilder.server.ts; row R-BODY-LIMIT).
TRIGGER_BODY_LIMIT = 3_145_728
BATCH_BODY_LIMIT = 1_000_000


def _check_body_size(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if not length or not length.isdigit() or int(length) > limit:
        raise _BadRequest({"error": "Request body too large"}, 413)


async def trigger_task(request: Request) -> Response:
    """api.v1.tasks.$taskId.trigger.ts at b082e44 (rows R-TRIGGER, R-IDEM-REQUEST, R-IDEM-KEY,
    R-SCOPE-TRIGGER, R-TOKEN-HEADER, R-TAGS, R-BODY-LIMIT, R-OFFLOAD)."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    task = request.path_params["task_id"]
    _check_body_size(request, TRIGGER_BODY_LIMIT)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise _BadRequest({"error": "Invalid request body"})
    _check_body_schema(body)
    if not _can_trigger(creds, "trigger", task):
        raise AuthError(403, FORBIDDEN_BODY)
    options = _trigger_options(body)
    request_key = _scoped_request_key(
        request.headers.get("x-trigger-request-idempotency-key"), [creds.environment.id, task]
    )
    cached_id = ctx.request_keys.get(request_key) if request_key else None
    if cached_id is not None and ctx.store.find_run(creds.environment.id, cached_id) is not None:
        # api.v1.tasks.$taskId.trigger.ts:92-121 at b082e44: the run a retried request made
        headers = _jwt_headers(
            ctx,
            creds,
            [f"read:runs:{cached_id}", f"write:inputStreams:{cached_id}"],
            claims_scopes=True,
        )
        return JSONResponse({"id": cached_id, "isCached": False}, headers=headers)
    key = options["idempotency_key"]
    if key:
        existing = ctx.engine.find_idempotent_run(creds.environment.id, task, key)
        if existing is not None:
            fid = existing["friendlyId"]
            headers = _jwt_headers(
                ctx, creds, [f"read:runs:{fid}", f"write:inputStreams:{fid}"], claims_scopes=True
            )
            return JSONResponse({"id": fid, "isCached": True}, headers=headers)
    packet = _payload_packet(body.get("payload"), options.pop("payload_type"))
    run_id = ctx.engine.create_run(task, packet, environment=creds.environment, **options)
    if request_key:
        ctx.request_keys[request_key] = run_id
    _after_http_trigger(ctx, run_id)
    headers = _jwt_headers(
        ctx, creds, [f"read:runs:{run_id}", f"write:inputStreams:{run_id}"], claims_scopes=True
    )
    return JSONResponse({"id": run_id, "isCached": False}, headers=headers)


async def batch_trigger(request: Request) -> Response:
    """api.v1.tasks.batch.ts at b082e44 (rows R-BATCH, R-TOKEN-HEADER, R-BODY-LIMIT)."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    _check_body_size(request, BATCH_BODY_LIMIT)
    body = await _json_body(request)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise _BadRequest({"error": "Invalid request body"})
    tasks = [item.get("task") for item in items if isinstance(item, dict)]
    if len(tasks) != len(items) or not all(isinstance(t, str) and t for t in tasks):
        raise _BadRequest({"error": "Invalid request body"})
    for index, item in enumerate(items):
        _check_body_schema(item, f"items[{index}].")
    # the body schema, then the scope of every task (everyResource of no task denies every
    # caller, apiBuilder.server.ts:202-218), then the route's own checks
    # (api.v1.tasks.batch.ts:19-66 at b082e44; row R-BATCH)
    if not tasks or not all(_can_trigger(creds, "batchTrigger", str(t)) for t in tasks):
        raise AuthError(403, FORBIDDEN_BODY)
    if len(items) > 500:
        raise _BadRequest(
            {
                "error": f"Batch size of {len(items)} is too large. "
                "Maximum allowed batch size is 500."
            }
        )
    prepared = [_trigger_options(item) for item in items]
    batch_id, _ = ctx.engine.create_batch(environment=creds.environment)
    runs: list[dict[str, Any]] = []
    created: list[str] = []
    for item, options in zip(items, prepared, strict=True):
        packet = _payload_packet(item.get("payload"), options.pop("payload_type"))
        key = options.get("idempotency_key")
        existing = (
            ctx.engine.find_idempotent_run(creds.environment.id, str(item["task"]), key)
            if key
            else None
        )
        if existing is not None:  # like a single trigger: the run made with that key before
            runs.append(
                {
                    "id": existing["friendlyId"],
                    "taskIdentifier": item["task"],
                    "isCached": True,
                    "idempotencyKey": key,
                }
            )
            continue
        run_id = ctx.engine.create_run(
            str(item["task"]),
            packet,
            batch_id=batch_id,
            environment=creds.environment,
            trigger_function="batchTrigger",
            **options,
        )
        entry: dict[str, Any] = {"id": run_id, "taskIdentifier": item["task"], "isCached": False}
        if options.get("idempotency_key"):
            entry["idempotencyKey"] = options["idempotency_key"]
        runs.append(entry)
        created.append(run_id)
    for run_id in created:
        _after_http_trigger(ctx, run_id)
    headers = _jwt_headers(ctx, creds, [f"read:batch:{batch_id}"])
    # api.v1.tasks.batch.ts:130-136 at b082e44: 202 Accepted
    return JSONResponse(
        {"id": batch_id, "isCached": False, "runs": runs}, status_code=202, headers=headers
    )


async def retrieve_batch(request: Request) -> Response:
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=True)
    batch = ctx.store.find_batch(creds.environment.id, request.path_params["batch_id"])
    if batch is None or not ctx.on_replica(batch):
        # apps/webapp/app/routes/api.v1.batches.$batchId.ts:19 (shouldRetryNotFound) at b082e44
        return json_error(404, {"error": "Not found"}, {"x-should-retry": "true"})
    creds.require_any("read", [("batch", batch["friendlyId"]), ("runs", None)])
    view: dict[str, Any] = {
        "id": batch["friendlyId"],
        "status": batch["status"],
        "createdAt": iso_z(batch["createdAt"]),
        "updatedAt": iso_z(batch["updatedAt"]),
        "runCount": batch["runCount"],
        # api.v1.batches.$batchId.ts:38-60 at b082e44 (row R-BATCH-RETRIEVE): the run ids
        "runs": [
            run["friendlyId"]
            for run in (ctx.store.run(r) for r in batch["runIds"])
            if run is not None
        ],
    }
    if batch.get("idempotencyKey"):
        view["idempotencyKey"] = batch["idempotencyKey"]
    return JSONResponse(view)


# -- auth --------------------------------------------------------------------------------------


async def jwt_claims(request: Request) -> Response:
    """api.v1.auth.jwt.claims.ts at b082e44 (row R-TOKEN-CLAIMS)."""
    creds = _auth(request, allow_jwt=False, legacy=True)
    return JSONResponse({"sub": creds.environment.id, "pub": True})


async def mint_jwt(request: Request) -> Response:
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False, legacy=True)
    body = await _json_body(request)
    claims = body.get("claims") if isinstance(body, dict) else None
    scopes = claims.get("scopes") if isinstance(claims, dict) else None
    expiration = body.get("expirationTime") if isinstance(body, dict) else None
    now_s = ctx.clock.now_ms() // 1000
    exp = now_s + 3600
    if isinstance(expiration, int | float):
        exp = int(expiration)
    elif isinstance(expiration, str):
        ms = parse_duration_ms(expiration)
        if ms is None:
            raise _BadRequest({"error": "Invalid expiration time"})
        exp = now_s + ms // 1000
    token = sign_public_token(
        creds.environment,
        scopes=[str(s) for s in scopes] if isinstance(scopes, list) else None,
        expires_at_s=exp,
        issued_at_s=now_s,
    )
    return JSONResponse({"token": token})


_RELATIVE_TIME = re.compile(
    r"^(\+|-)? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w"
    r"|years?|yrs?|y)(?: (ago|from now))?$",
    re.IGNORECASE,
)
_MAX_PUBLIC_TOKEN_SECONDS = 30 * 24 * 60 * 60


def _public_token_expiry(value: Any, now_s: int) -> int | None:
    """``expirationTimestamp`` of services/publicTokens.server.ts:25-52 at b082e44."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _RELATIVE_TIME.match(value) if isinstance(value, str) else None
    if match is None or (match.group(4) and match.group(1)):
        return None
    unit = match.group(3).lower()
    size = next(
        (
            n
            for prefix, n in (("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800))
            if unit.startswith(prefix)
        ),
        round(365.25 * 86400),
    )
    seconds = round(float(match.group(2)) * size)
    past = match.group(1) == "-" or (match.group(4) or "").lower() == "ago"
    return now_s - seconds if past else now_s + seconds


async def public_tokens(request: Request) -> Response:
    """``POST /api/v1/auth/public-tokens``: the server mints a public token for an API key (root
    or additional), within the key's access (services/publicTokens.server.ts:55-150 at b082e44;
    row R-TOKEN-MINT). Public JWTs cannot mint."""
    ctx = _ctx(request)
    creds = _auth(request, allow_jwt=False)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise _BadRequest({"error": "Invalid request body"}) from None
    scopes = body.get("scopes") if isinstance(body, dict) else None
    realtime = body.get("realtime") if isinstance(body, dict) else None
    if (
        not isinstance(scopes, list)
        or not scopes
        or not all(isinstance(x, str) for x in scopes)
        or (realtime is not None and not isinstance(realtime, dict))
    ):
        raise _BadRequest({"error": "Invalid request body", "issues": []})
    now_s = ctx.clock.now_ms() // 1000
    expires = _public_token_expiry(body.get("expirationTime", "15m"), now_s)
    if expires is None:
        raise _BadRequest({"error": "Invalid expiration time"})
    if expires <= now_s:
        raise _BadRequest({"error": "Expiration time must be in the future"})
    if expires - now_s > _MAX_PUBLIC_TOKEN_SECONDS:
        raise _BadRequest({"error": "Expiration time cannot exceed 30 days"})
    token = sign_public_token(
        creds.environment,
        scopes=scopes,
        expires_at_s=expires,
        issued_at_s=now_s,
        realtime=realtime,
        one_time_use=body.get("oneTimeUse") is True,
    )
    return JSONResponse({"token": token})


# -- packets -----------------------------------------------------------------------------------


async def packet_url(request: Request) -> Response:
    ctx = _ctx(request)
    path = request.path_params["path"]
    if request.method == "PUT":
        creds = _auth(request, allow_jwt=False)
        url = _presign(ctx, request, creds.environment.id, path, "PUT")
        return JSONResponse({"presignedUrl": url})
    creds = _auth(request, allow_jwt=True)
    return JSONResponse({"presignedUrl": _presign(ctx, request, creds.environment.id, path, "GET")})


async def packet_blob(request: Request) -> Response:
    ctx = _ctx(request)
    env_id = request.path_params["env_id"]
    path = request.path_params["path"]
    q = request.query_params
    try:
        expires = int(q.get("expires") or "0")
    except ValueError:
        expires = 0
    method = q.get("method") or "GET"
    expected = _signature(ctx, method, env_id, path, expires)
    if method != request.method or not hmac.compare_digest(expected, q.get("signature") or ""):
        return Response("SignatureDoesNotMatch", status_code=403, media_type="text/plain")
    if expires < ctx.clock.now_ms() // 1000:
        return Response("Request has expired", status_code=403, media_type="text/plain")
    if request.method == "PUT":
        body = await request.body()
        content_type = request.headers.get("content-type") or "application/octet-stream"
        ctx.store.put_blob(env_id, path, body, content_type)
        return Response(status_code=200)
    blob = ctx.store.get_blob(env_id, path)
    if blob is None:
        return Response("NoSuchKey", status_code=404, media_type="text/plain")
    return Response(blob.content, headers={"content-type": blob.content_type})


async def healthcheck(request: Request) -> Response:
    return Response("OK", media_type="text/plain")


def _handle_errors(endpoint: Any) -> Any:
    async def wrapper(request: Request) -> Response:
        try:
            response: Response = await endpoint(request)
        except AuthError as err:
            return json_error(err.status, err.body)
        except _BadRequest as err:
            return json_error(err.status, err.body)
        return response

    wrapper.__name__ = endpoint.__name__
    return wrapper


def rest_routes() -> list[Route]:
    table: list[tuple[str, Any, list[str]]] = [
        ("/api/v3/runs/{run_id}", retrieve_run, ["GET"]),
        ("/api/v1/runs", list_runs, ["GET"]),
        ("/api/v2/runs/{run_id}/cancel", cancel_run, ["POST"]),
        ("/api/v1/runs/{run_id}/replay", replay_run, ["POST"]),
        ("/api/v1/runs/{run_id}/reschedule", reschedule_run, ["POST"]),
        ("/api/v1/runs/{run_id}/metadata", run_metadata, ["GET", "PUT"]),
        ("/api/v1/runs/{run_id}/tags", add_tags, ["POST"]),
        ("/api/v1/tasks/batch", batch_trigger, ["POST"]),
        ("/api/v1/tasks/{task_id}/trigger", trigger_task, ["POST"]),
        ("/api/v1/batches/{batch_id}", retrieve_batch, ["GET"]),
        ("/api/v1/auth/jwt/claims", jwt_claims, ["POST"]),
        ("/api/v1/auth/jwt", mint_jwt, ["POST"]),
        ("/api/v1/auth/public-tokens", public_tokens, ["POST"]),
        ("/api/v1/packets/{path:path}", packet_url, ["GET", "PUT"]),
        ("/packets-blob/{env_id}/{path:path}", packet_blob, ["GET", "PUT"]),
        ("/healthcheck", healthcheck, ["GET"]),
    ]
    return [Route(path, _handle_errors(fn), methods=methods) for path, fn, methods in table]
