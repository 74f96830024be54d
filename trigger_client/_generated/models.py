# Generated from openapi/trigger.yaml by `make codegen` (datamodel-codegen with codegen/templates).
# Do not edit: change the schema or the templates and regenerate; `make codegen-check` fails on edits.
# The models a subscription uses (the closure of codegen/gen_models.py REALTIME_ROOTS);
# every other model is in rest_models.py, which loads with the first REST call needing it.

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from trigger_client._model import Model
from trigger_client._open_enum import OpenStrEnum
from trigger_client._run_helpers import RunHelpers


class RunStatus(OpenStrEnum):
    """
    The public status of a run. Unknown values sent by a newer server are kept as open enum pseudo-members and count as not finished.
    """

    WAITING_FOR_DEPLOY = "WAITING_FOR_DEPLOY"
    """
    The task is not deployed yet; the run waits for a deploy before it can execute.
    """
    QUEUED = "QUEUED"
    """
    The run waits in its queue for a worker.
    """
    EXECUTING = "EXECUTING"
    """
    A worker is executing the run.
    """
    REATTEMPTING = "REATTEMPTING"
    """
    An attempt failed and the run waits to be retried.
    """
    FROZEN = "FROZEN"
    """
    The system paused the run (a checkpoint); the system will resume it.
    """
    COMPLETED = "COMPLETED"
    """
    The run finished successfully.
    """
    CANCELED = "CANCELED"
    """
    The run was canceled by a user.
    """
    FAILED = "FAILED"
    """
    The run finished with an error after its last attempt.
    """
    CRASHED = "CRASHED"
    """
    The run crashed and will not be retried, usually because the worker ran out of resources.
    """
    INTERRUPTED = "INTERRUPTED"
    """
    The run was interrupted during execution, mostly in development environments.
    """
    SYSTEM_FAILURE = "SYSTEM_FAILURE"
    """
    The run could not complete because of an error in the system.
    """
    DELAYED = "DELAYED"
    """
    The run is scheduled to start at a later time (delayed_until).
    """
    EXPIRED = "EXPIRED"
    """
    The run expired (its ttl passed) before it started and will not execute.
    """
    TIMED_OUT = "TIMED_OUT"
    """
    The run reached its maxDuration and was stopped.
    """


class TaskRunStatus(OpenStrEnum):
    """
    The internal status column of a run as the realtime endpoint streams it. The SDK maps it to RunStatus.
    """

    PENDING = "PENDING"
    PENDING_VERSION = "PENDING_VERSION"
    WAITING_FOR_DEPLOY = "WAITING_FOR_DEPLOY"
    DELAYED = "DELAYED"
    DEQUEUED = "DEQUEUED"
    EXECUTING = "EXECUTING"
    WAITING_TO_RESUME = "WAITING_TO_RESUME"
    RETRYING_AFTER_FAILURE = "RETRYING_AFTER_FAILURE"
    PAUSED = "PAUSED"
    CANCELED = "CANCELED"
    INTERRUPTED = "INTERRUPTED"
    COMPLETED_SUCCESSFULLY = "COMPLETED_SUCCESSFULLY"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    SYSTEM_FAILURE = "SYSTEM_FAILURE"
    CRASHED = "CRASHED"
    EXPIRED = "EXPIRED"
    TIMED_OUT = "TIMED_OUT"


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class SerializedError(Model):
    """
    The error of a failed run, as the SDK shows it.
    """

    message: str
    """
    What went wrong.
    """
    name: str | None = attrs.field(default=None)
    """
    The error class name, such as Error or TypeError.
    """
    stack_trace: str | None = attrs.field(default=None, metadata={"json": "stackTrace"})
    """
    The stack trace text, when there is one.
    """


class TaskRunErrorType(OpenStrEnum):
    """
    The kind of a raw run error.
    """

    BUILT_IN_ERROR = "BUILT_IN_ERROR"
    CUSTOM_ERROR = "CUSTOM_ERROR"
    STRING_ERROR = "STRING_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class TaskRunError(Model):
    """
    The raw error column of a run (jsonb). BUILT_IN_ERROR has name, message and stackTrace; CUSTOM_ERROR and STRING_ERROR have raw; INTERNAL_ERROR has code and maybe message and stackTrace.
    """

    type: TaskRunErrorType
    name: str | None = attrs.field(default=None)
    message: str | None = attrs.field(default=None)
    stack_trace: str | None = attrs.field(default=None, metadata={"json": "stackTrace"})
    raw: str | None = attrs.field(default=None)
    code: str | None = attrs.field(default=None)


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class Run(RunHelpers, Model):
    """
    A run of a task, as runs.subscribe_to_run yields it. Timestamps are timezone-aware UTC. payload, output and metadata are decoded packets (JSON values, or richer Python values for superjson packets).
    """

    id: str
    """
    The run id, such as run_1234.
    """
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    """
    The id of the task this run executes.
    """
    payload: Any
    """
    The input payload of the run.
    """
    created_at: datetime = attrs.field(metadata={"json": "createdAt"})
    """
    When the run was created.
    """
    updated_at: datetime = attrs.field(metadata={"json": "updatedAt"})
    """
    When the run last changed.
    """
    number: int
    """
    The sequential number of the run within its task.
    """
    status: RunStatus
    duration_ms: int = attrs.field(metadata={"json": "durationMs"})
    """
    Compute time used so far, in milliseconds.
    """
    cost_in_cents: float = attrs.field(metadata={"json": "costInCents"})
    """
    Compute cost so far, in cents.
    """
    base_cost_in_cents: float = attrs.field(metadata={"json": "baseCostInCents"})
    """
    Base cost of the run in cents, before compute.
    """
    tags: list[str]
    """
    The tags of the run.
    """
    is_test: bool = attrs.field(metadata={"json": "isTest"})
    """
    Whether this is a test run.
    """
    output: Any | None = attrs.field(default=None)
    """
    The output of the run, once it completed successfully.
    """
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})
    """
    The idempotency key the run was triggered with.
    """
    expired_at: datetime | None = attrs.field(default=None, metadata={"json": "expiredAt"})
    """
    When the run expired.
    """
    ttl: str | None = attrs.field(default=None)
    """
    How long the run may wait in the queue, such as 10m.
    """
    finished_at: datetime | None = attrs.field(default=None, metadata={"json": "finishedAt"})
    """
    When the run finished.
    """
    started_at: datetime | None = attrs.field(default=None, metadata={"json": "startedAt"})
    """
    When the run started executing.
    """
    delayed_until: datetime | None = attrs.field(default=None, metadata={"json": "delayedUntil"})
    """
    When a delayed run will be queued.
    """
    queued_at: datetime | None = attrs.field(default=None, metadata={"json": "queuedAt"})
    """
    When the run entered its queue.
    """
    metadata: dict[str, Any] | None = attrs.field(default=None)
    """
    The metadata of the run.
    """
    error: SerializedError | None = attrs.field(default=None)
    """
    What went wrong, when the run failed.
    """
    realtime_streams: list[str] = attrs.field(factory=list, metadata={"json": "realtimeStreams"})
    """
    The keys of the realtime streams the run opened (the realtimeStreams column; empty when polled from the REST API).
    """


@attrs.define(frozen=True, kw_only=True, eq=False, repr=False)
class RunShapeRow(Model):
    """
    One TaskRun row as the realtime endpoint streams it, after the electric value parser applied electric-schema. Columns other than the five reserved ones may be skipped.
    """

    id: str
    """
    The internal run id (the friendly id without run_).
    """
    task_identifier: str = attrs.field(metadata={"json": "taskIdentifier"})
    created_at: datetime = attrs.field(metadata={"json": "createdAt"})
    friendly_id: str = attrs.field(metadata={"json": "friendlyId"})
    status: TaskRunStatus
    updated_at: datetime | None = attrs.field(default=None, metadata={"json": "updatedAt"})
    started_at: datetime | None = attrs.field(default=None, metadata={"json": "startedAt"})
    delay_until: datetime | None = attrs.field(default=None, metadata={"json": "delayUntil"})
    queued_at: datetime | None = attrs.field(default=None, metadata={"json": "queuedAt"})
    expired_at: datetime | None = attrs.field(default=None, metadata={"json": "expiredAt"})
    completed_at: datetime | None = attrs.field(default=None, metadata={"json": "completedAt"})
    number: int = attrs.field(default=0)
    is_test: bool = attrs.field(default=False, metadata={"json": "isTest"})
    usage_duration_ms: int = attrs.field(default=0, metadata={"json": "usageDurationMs"})
    cost_in_cents: float = attrs.field(default=0, metadata={"json": "costInCents"})
    base_cost_in_cents: float = attrs.field(default=0, metadata={"json": "baseCostInCents"})
    ttl: str | None = attrs.field(default=None)
    payload: str | None = attrs.field(default=None)
    """
    The serialized payload packet.
    """
    payload_type: str | None = attrs.field(default=None, metadata={"json": "payloadType"})
    """
    The packet type, such as application/json.
    """
    metadata: str | None = attrs.field(default=None)
    metadata_type: str | None = attrs.field(default=None, metadata={"json": "metadataType"})
    output: str | None = attrs.field(default=None)
    output_type: str | None = attrs.field(default=None, metadata={"json": "outputType"})
    run_tags: list[str] | None = attrs.field(default=None, metadata={"json": "runTags"})
    """
    The tags; an empty set arrives as null.
    """
    error: TaskRunError | None = attrs.field(default=None)
    realtime_streams: list[str] | None = attrs.field(
        default=None, metadata={"json": "realtimeStreams"}
    )
    idempotency_key: str | None = attrs.field(default=None, metadata={"json": "idempotencyKey"})
