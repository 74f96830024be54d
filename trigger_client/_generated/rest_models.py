# Generated from openapi/trigger.yaml by `make codegen` (datamodel-codegen with codegen/templates).
# Do not edit: change the schema or the templates and regenerate; `make codegen-check` fails on edits.
# The models a subscription does not use (REST bodies, the shape message envelope); the
# split is made by codegen/gen_models.py.

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from trigger_client._generated.models import RunStatus, SerializedError
from trigger_client._model import Model


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ShapeMessageHeaders(Model):
    """
    The headers of a shape message.
    """

    operation: str | None = attrs.field(default=None)
    """
    insert, update or delete (change messages).
    """
    control: str | None = attrs.field(default=None)
    """
    up-to-date, must-refetch or snapshot-end (control messages).
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ShapeMessage(Model):
    """
    A change message (with key and value) or a control message.
    """

    headers: ShapeMessageHeaders
    key: str | None = attrs.field(default=None)
    value: dict[str, str | None] | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RunEnvironment(Model):
    id: str
    name: str
    user: str | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RunSchedule(Model):
    id: str
    external_id: str | None = attrs.field(default=None, metadata={"json": "externalId"})
    deduplication_key: str | None = attrs.field(default=None, metadata={"json": "deduplicationKey"})
    generator: dict[str, Any] | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RelatedRun(Model):
    """
    A run related to the retrieved one (root, parent or child), without packets.
    """

    id: str
    status: RunStatus
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    created_at: datetime = attrs.field(metadata={"json": "createdAt"})
    updated_at: datetime = attrs.field(metadata={"json": "updatedAt"})
    depth: int | None = attrs.field(default=None)
    batch_id: str | None = attrs.field(default=None, metadata={"json": "batchId"})
    is_test: bool | None = attrs.field(default=None, metadata={"json": "isTest"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RelatedRuns(Model):
    root: RelatedRun | None = attrs.field(default=None)
    parent: RelatedRun | None = attrs.field(default=None)
    children: list[RelatedRun] | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RetrieveRunResponse(Model):
    """
    The body of GET /api/v3/runs/{runId}.
    """

    id: str
    status: RunStatus
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    is_test: bool = attrs.field(metadata={"json": "isTest"})
    created_at: datetime = attrs.field(metadata={"json": "createdAt"})
    updated_at: datetime = attrs.field(metadata={"json": "updatedAt"})
    tags: list[str]
    cost_in_cents: float = attrs.field(metadata={"json": "costInCents"})
    base_cost_in_cents: float = attrs.field(metadata={"json": "baseCostInCents"})
    duration_ms: int = attrs.field(metadata={"json": "durationMs"})
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})
    version: str | None = attrs.field(default=None)
    is_queued: bool | None = attrs.field(default=None, metadata={"json": "isQueued"})
    is_executing: bool | None = attrs.field(default=None, metadata={"json": "isExecuting"})
    is_completed: bool | None = attrs.field(default=None, metadata={"json": "isCompleted"})
    is_success: bool | None = attrs.field(default=None, metadata={"json": "isSuccess"})
    is_failed: bool | None = attrs.field(default=None, metadata={"json": "isFailed"})
    is_cancelled: bool | None = attrs.field(default=None, metadata={"json": "isCancelled"})
    started_at: datetime | None = attrs.field(default=None, metadata={"json": "startedAt"})
    finished_at: datetime | None = attrs.field(default=None, metadata={"json": "finishedAt"})
    delayed_until: datetime | None = attrs.field(default=None, metadata={"json": "delayedUntil"})
    ttl: str | None = attrs.field(default=None)
    expired_at: datetime | None = attrs.field(default=None, metadata={"json": "expiredAt"})
    metadata: dict[str, Any] | None = attrs.field(default=None)
    depth: int | None = attrs.field(default=None)
    trigger_function: str | None = attrs.field(default=None, metadata={"json": "triggerFunction"})
    batch_id: str | None = attrs.field(default=None, metadata={"json": "batchId"})
    payload: Any | None = attrs.field(default=None)
    """
    The payload as plain JSON (superjson is not revived here).
    """
    payload_presigned_url: str | None = attrs.field(
        default=None, metadata={"json": "payloadPresignedUrl"}
    )
    """
    Set instead of payload when it was offloaded.
    """
    output: Any | None = attrs.field(default=None)
    """
    The output as plain JSON, only for successful runs.
    """
    output_presigned_url: str | None = attrs.field(
        default=None, metadata={"json": "outputPresignedUrl"}
    )
    """
    Set instead of output when it was offloaded.
    """
    error: SerializedError | None = attrs.field(default=None)
    schedule: RunSchedule | None = attrs.field(default=None)
    related_runs: RelatedRuns | None = attrs.field(default=None, metadata={"json": "relatedRuns"})
    attempt_count: int = attrs.field(default=0, metadata={"json": "attemptCount"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ListRunItem(Model):
    """
    One run in a list page (no payload or output).
    """

    id: str
    status: RunStatus
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    is_test: bool = attrs.field(metadata={"json": "isTest"})
    created_at: datetime = attrs.field(metadata={"json": "createdAt"})
    updated_at: datetime = attrs.field(metadata={"json": "updatedAt"})
    tags: list[str]
    cost_in_cents: float = attrs.field(metadata={"json": "costInCents"})
    base_cost_in_cents: float = attrs.field(metadata={"json": "baseCostInCents"})
    duration_ms: int = attrs.field(metadata={"json": "durationMs"})
    env: RunEnvironment
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})
    version: str | None = attrs.field(default=None)
    is_queued: bool | None = attrs.field(default=None, metadata={"json": "isQueued"})
    is_executing: bool | None = attrs.field(default=None, metadata={"json": "isExecuting"})
    is_completed: bool | None = attrs.field(default=None, metadata={"json": "isCompleted"})
    is_success: bool | None = attrs.field(default=None, metadata={"json": "isSuccess"})
    is_failed: bool | None = attrs.field(default=None, metadata={"json": "isFailed"})
    is_cancelled: bool | None = attrs.field(default=None, metadata={"json": "isCancelled"})
    started_at: datetime | None = attrs.field(default=None, metadata={"json": "startedAt"})
    finished_at: datetime | None = attrs.field(default=None, metadata={"json": "finishedAt"})
    delayed_until: datetime | None = attrs.field(default=None, metadata={"json": "delayedUntil"})
    ttl: str | None = attrs.field(default=None)
    expired_at: datetime | None = attrs.field(default=None, metadata={"json": "expiredAt"})
    metadata: dict[str, Any] | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class Pagination(Model):
    next: str | None = attrs.field(default=None)
    """
    Cursor for page[after]; absent on the last page.
    """
    previous: str | None = attrs.field(default=None)
    """
    Cursor for page[before]; absent on the first page.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ListRunsResponse(Model):
    data: list[ListRunItem]
    pagination: Pagination


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class CancelRunResponse(Model):
    """
    The result of cancelling a run.
    """

    id: str
    """
    The canceled run.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ReplayRunResponse(Model):
    """
    The result of replaying a run.
    """

    id: str
    """
    The new run.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RescheduleRunRequest(Model):
    delay: str
    """
    A duration such as 1h, or an ISO-8601 date.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class QueueOptions(Model):
    """
    The queue a triggered run goes to, and that queue's concurrency limit.
    """

    name: str | None = attrs.field(default=None)
    concurrency_limit: int | None = attrs.field(default=None, metadata={"json": "concurrencyLimit"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class TriggerTaskOptions(Model):
    """
    Options of a triggered run.
    """

    concurrency_key: str | None = attrs.field(default=None, metadata={"json": "concurrencyKey"})
    delay: str | None = attrs.field(default=None)
    """
    A duration such as 1h, or an ISO-8601 date.
    """
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})
    idempotency_key_ttl: str | None = attrs.field(
        default=None, metadata={"json": "idempotencyKeyTTL"}
    )
    lock_to_version: str | None = attrs.field(default=None, metadata={"json": "lockToVersion"})
    machine: str | None = attrs.field(default=None)
    max_attempts: int | None = attrs.field(default=None, metadata={"json": "maxAttempts"})
    max_duration: int | None = attrs.field(default=None, metadata={"json": "maxDuration"})
    metadata: Any | None = attrs.field(default=None)
    """
    Initial metadata (a serialized packet when metadataType is set).
    """
    metadata_type: str | None = attrs.field(default=None, metadata={"json": "metadataType"})
    payload_type: str | None = attrs.field(default=None, metadata={"json": "payloadType"})
    queue: QueueOptions | None = attrs.field(default=None)
    tags: list[str] | None = attrs.field(default=None)
    test: bool | None = attrs.field(default=None)
    ttl: str | None = attrs.field(default=None)
    """
    A duration such as 10m.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class TriggerTaskRequest(Model):
    payload: Any
    """
    The payload packet: JSON, or a string for other packet types.
    """
    context: Any | None = attrs.field(default=None)
    options: TriggerTaskOptions | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class TriggerTaskResponse(Model):
    id: str
    """
    The new run.
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class BatchTriggerItem(Model):
    task: str
    payload: Any
    context: Any | None = attrs.field(default=None)
    options: TriggerTaskOptions | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class BatchTriggerRequest(Model):
    items: list[BatchTriggerItem]


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class BatchTriggerRun(Model):
    id: str
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    is_cached: bool = attrs.field(metadata={"json": "isCached"})
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class BatchTriggerResponse(Model):
    id: str
    """
    The batch id, such as batch_1234.
    """
    is_cached: bool = attrs.field(metadata={"json": "isCached"})
    runs: list[BatchTriggerRun]
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class JwtClaimsResponse(Model):
    """
    The base claims of a public access token.
    """

    sub: str
    """
    The environment id.
    """
    pub: bool


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class PresignedUrlResponse(Model):
    presigned_url: str = attrs.field(metadata={"json": "presignedUrl"})


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class ApiErrorBody(Model):
    """
    The error body the API sends with 4xx and 5xx responses.
    """

    error: str
    code: str | None = attrs.field(default=None)
    param: str | None = attrs.field(default=None)
    type: str | None = attrs.field(default=None)
    details: Any | None = attrs.field(default=None)
