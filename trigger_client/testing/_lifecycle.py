"""Engine-like run transitions, and named lifecycles played on a run at a given pace.

Statuses, timestamps, usage and cost move as the real run engine moves them:

* create: ``PENDING`` with ``queuedAt`` (or ``DELAYED`` with ``delayUntil`` and no ``queuedAt``);
* start: ``EXECUTING``, ``startedAt`` on the first attempt, attempt number + 1, task version;
* an attempt ending adds its wall time to ``usageDurationMs``; ``costInCents`` is usage times the
  machine's rate and ``baseCostInCents`` the per-run base cost;
* a final status sets ``completedAt`` (and ``expiredAt`` for ``EXPIRED``) and the error column.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ._clock import datetime_to_ms
from ._ids import friendly_id, new_cuid
from ._packets import (
    OFFLOAD_LIMIT,
    PAYLOAD_OFFLOAD_THRESHOLD,
    STORE_TYPE,
    Packet,
    encode_packet,
    packet_extension,
)
from ._state import Environment, Row, Store, TxWriter, new_run_ids
from ._statuses import FINAL_STATUSES, INTERNAL_STATUSES
from ._streams import RunStreams

__all__ = [
    "LIFECYCLES",
    "Engine",
    "InvalidTransition",
    "Playback",
    "parse_duration_ms",
    "task_run_error",
]

# Machine presets: dollars per second of compute, from the public pricing page.
_MACHINE_DOLLARS_PER_SECOND = {
    "micro": 0.0000169,
    "small-1x": 0.0000338,
    "small-2x": 0.0000675,
    "medium-1x": 0.0000850,
    "medium-2x": 0.0001690,
    "large-1x": 0.0003400,
    "large-2x": 0.0006800,
}
_BASE_COST_IN_CENTS = 0.0025  # $0.000025 per run
DEFAULT_VERSION = "20250101.1"
_UNFINISHED = frozenset(INTERNAL_STATUSES) - FINAL_STATUSES


class InvalidTransition(ValueError):
    """The run is not in a status that allows this transition."""


def cents_per_ms(machine: str | None) -> float:
    dollars = _MACHINE_DOLLARS_PER_SECOND.get(machine or "small-1x", 0.0000338)
    return dollars * 100 / 1000


_DURATION_UNITS_MS = {"w": 604_800_000, "d": 86_400_000, "hr": 3_600_000, "h": 3_600_000}
_DURATION_UNITS_MS |= {"m": 60_000, "s": 1000}


def parse_duration_ms(text: str) -> int | None:
    """``1h30m``, ``10s``, ``2d``, ``1w`` (groups of ``\\d+(w|d|hr|h|m|s)``) -> ms, or None."""
    text = text.strip()
    if not text or not re.fullmatch(r"(\d+(w|d|hr|h|m|s))+", text):
        return None
    total = 0
    for amount, unit in re.findall(r"(\d+)(w|d|hr|h|m|s)", text):
        total += int(amount) * _DURATION_UNITS_MS[unit]
    return total


def task_run_error(error: Any) -> dict[str, Any] | None:
    """A ``TaskRunError`` dict from a message, an exception, or a dict (kept as is)."""
    if error is None:
        return None
    if isinstance(error, Mapping):
        return dict(error)
    if isinstance(error, BaseException):
        name = type(error).__name__
        message = str(error)
        stack = "".join(traceback.format_exception(error)).strip() or f"{name}: {message}"
        return {"type": "BUILT_IN_ERROR", "name": name, "message": message, "stackTrace": stack}
    message = str(error)
    return {
        "type": "BUILT_IN_ERROR",
        "name": "Error",
        "message": message,
        "stackTrace": f"Error: {message}\n    at run (file:///src/trigger/task.ts:12:11)",
    }


def _when_ms(value: datetime | timedelta | float | int | str, now_ms: int) -> int:
    if isinstance(value, datetime):
        return datetime_to_ms(value)
    if isinstance(value, timedelta):
        return now_ms + int(value.total_seconds() * 1000)
    if isinstance(value, str):
        ms = parse_duration_ms(value)
        if ms is not None:
            return now_ms + ms
        return datetime_to_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return now_ms + int(float(value) * 1000)


class Engine:
    """Creates runs and batches and moves them through their statuses."""

    def __init__(self, store: Store, default_env: Callable[[], Environment]) -> None:
        self.store = store
        self._default_env = default_env
        self._attempt_started: dict[str, int] = {}
        self.on_http_trigger: Callable[[str], None] | None = None
        self.streams: RunStreams = RunStreams(store, store.clock)

    # -- creation -----------------------------------------------------------------------------
    def _env(self, environment: Environment | str | None) -> Environment:
        if environment is None:
            return self._default_env()
        if isinstance(environment, Environment):
            return environment
        with self.store.lock:
            env = self.store.environments.get(environment) or self.store.environment_by_key(
                environment
            )
        if env is None:
            raise KeyError(f"unknown environment {environment!r}")
        return env

    def create_run(
        self,
        task_identifier: str,
        payload: Any = None,
        *,
        tags: Iterable[str] | str = (),
        batch_id: str | None = None,
        payload_type: str | None = None,
        metadata: Any = None,
        metadata_type: str | None = None,
        idempotency_key: str | None = None,
        idempotency_key_ttl: str | None = None,
        ttl: str | int | None = "default",
        delay: datetime | timedelta | float | int | str | None = None,
        is_test: bool = False,
        machine: str | None = None,
        max_attempts: int | None = None,
        max_duration: int | None = None,
        queue: str | None = None,
        concurrency_key: str | None = None,
        version: str | None = None,
        environment: Environment | str | None = None,
        trigger_function: str = "trigger",
        replayed_from: str | None = None,
        status: str | None = None,
    ) -> str:
        """Create a run the way ``tasks.trigger`` does; returns its friendly id."""
        env = self._env(environment)
        with self.store.transaction() as tx:
            row = self._new_run_row(
                tx,
                env,
                task_identifier,
                payload,
                tags=[tags] if isinstance(tags, str) else list(tags),
                batch_id=batch_id,
                payload_type=payload_type,
                metadata=metadata,
                metadata_type=metadata_type,
                idempotency_key=idempotency_key,
                idempotency_key_ttl=idempotency_key_ttl,
                ttl=ttl,
                delay=delay,
                is_test=is_test,
                machine=machine,
                max_attempts=max_attempts,
                max_duration=max_duration,
                queue=queue,
                concurrency_key=concurrency_key,
                version=version,
                trigger_function=trigger_function,
                replayed_from=replayed_from,
                status=status,
            )
        return str(row["friendlyId"])

    def find_idempotent_run(self, env_id: str, task: str, key: str) -> Row | None:
        now = self.store.clock.now_ms()

        def match(r: Row) -> bool:
            expires = r.get("idempotencyKeyExpiresAt")
            return (
                r["runtimeEnvironmentId"] == env_id
                and r["taskIdentifier"] == task
                and r.get("idempotencyKey") == key
                and (expires is None or expires > now)
            )

        found = self.store.runs_where(match)
        return found[0] if found else None

    def _new_run_row(
        self,
        tx: TxWriter,
        env: Environment,
        task_identifier: str,
        payload: Any,
        *,
        tags: list[str],
        batch_id: str | None,
        payload_type: str | None,
        metadata: Any,
        metadata_type: str | None,
        idempotency_key: str | None,
        idempotency_key_ttl: str | None,
        ttl: str | int | None,
        delay: datetime | timedelta | float | int | str | None,
        is_test: bool,
        machine: str | None,
        max_attempts: int | None,
        max_duration: int | None,
        queue: str | None,
        concurrency_key: str | None,
        version: str | None,
        trigger_function: str,
        replayed_from: str | None,
        status: str | None,
    ) -> Row:
        now = tx.now_ms
        internal, friendly = new_run_ids()
        if ttl == "default":
            ttl = "10m" if env.type == "DEVELOPMENT" else None
        if isinstance(ttl, int):
            ttl = f"{ttl}s"
        delay_until = _when_ms(delay, now) if delay is not None else None
        batch_internal = None
        if batch_id is not None:
            batch = self.store.batch(batch_id)
            if batch is None:
                raise KeyError(f"unknown batch {batch_id!r}")
            batch_internal = batch["id"]
        key_expires = None
        if idempotency_key is not None:
            ttl_ms = parse_duration_ms(idempotency_key_ttl or "30d") or 30 * 86_400_000
            key_expires = now + ttl_ms
        if status is None:
            status = "DELAYED" if delay_until is not None and delay_until > now else "PENDING"
        payload_packet = encode_packet(payload, payload_type)
        metadata_packet = encode_packet(metadata, metadata_type) if metadata is not None else None
        row: Row = {
            "id": internal,
            "friendlyId": friendly,
            "taskIdentifier": task_identifier,
            "runtimeEnvironmentId": env.id,
            "projectId": env.project_id,
            "organizationId": env.organization_id,
            "createdAt": now,
            "updatedAt": now,
            "startedAt": None,
            "delayUntil": delay_until,
            "queuedAt": None if status == "DELAYED" else now,
            "expiredAt": None,
            "completedAt": None,
            "number": self.store.next_run_number(env.id, task_identifier),
            "isTest": bool(is_test),
            "status": status,
            "usageDurationMs": 0,
            "costInCents": 0.0,
            "baseCostInCents": 0.0,
            "ttl": ttl,
            "payload": "",
            "payloadType": payload_packet.data_type,
            "metadata": metadata_packet.data if metadata_packet else None,
            "metadataType": metadata_packet.data_type if metadata_packet else "application/json",
            "metadataVersion": 0,
            "output": None,
            "outputType": "application/json",
            "runTags": list(tags),
            "error": None,
            "realtimeStreams": [],
            "batchId": batch_internal,
            "idempotencyKey": idempotency_key,
            "idempotencyKeyExpiresAt": key_expires,
            "attemptNumber": None,
            "maxAttempts": max_attempts,
            "maxDurationInSeconds": max_duration,
            "taskVersion": version,
            "lockedToVersion": version,
            "queue": queue or f"task/{task_identifier}",
            "machinePreset": machine,
            "concurrencyKey": concurrency_key,
            "depth": 0,
            "parentTaskRunId": None,
            "rootTaskRunId": None,
            "triggerFunction": trigger_function,
            "replayedFromTaskRunFriendlyId": replayed_from,
        }
        data, data_type = self._maybe_offload(env.id, friendly, "payload", payload_packet)
        row["payload"] = data if data is not None else ""
        row["payloadType"] = data_type
        inserted = tx.insert_run(row)
        if batch_internal is not None:
            batch = self.store.batches[batch_internal]
            tx.update_batch(
                batch_internal,
                {"runIds": [*batch["runIds"], internal], "runCount": batch["runCount"] + 1},
            )
        return inserted

    def _maybe_offload(
        self, env_id: str, run_friendly: str, name: str, packet: Packet
    ) -> tuple[str | None, str]:
        limit = PAYLOAD_OFFLOAD_THRESHOLD if name == "payload" else OFFLOAD_LIMIT
        if packet.data is None or len(packet.data.encode()) < limit:
            return packet.data, packet.data_type
        if packet.data_type == STORE_TYPE:
            return packet.data, packet.data_type
        path = f"{run_friendly}/{name}.{packet_extension(packet.data_type)}"
        self.store.put_blob(env_id, path, packet.data.encode(), packet.data_type)
        return path, STORE_TYPE

    def create_batch(
        self,
        task_identifier: str | None = None,
        payloads: Sequence[Any] = (),
        *,
        environment: Environment | str | None = None,
        idempotency_key: str | None = None,
        **run_options: Any,
    ) -> tuple[str, list[str]]:
        """A batch with one run per payload: (batch friendly id, run friendly ids)."""
        env = self._env(environment)
        now = self.store.clock.now_ms()
        internal = new_cuid()
        with self.store.transaction() as tx:
            tx.insert_batch(
                {
                    "id": internal,
                    "friendlyId": friendly_id("batch", internal),
                    "runtimeEnvironmentId": env.id,
                    "status": "PENDING",
                    "runCount": 0,
                    "runIds": [],
                    "idempotencyKey": idempotency_key,
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
            run_ids = [
                self.create_run(
                    task_identifier or "task",
                    payload,
                    batch_id=friendly_id("batch", internal),
                    environment=env,
                    trigger_function="batchTrigger",
                    **run_options,
                )
                for payload in payloads
            ]
        return friendly_id("batch", internal), run_ids

    # -- transitions --------------------------------------------------------------------------
    def _row(self, run_id: str) -> Row:
        internal = self.store.run_internal_id(run_id)
        if internal is None:
            raise KeyError(f"unknown run {run_id!r}")
        return self.store.runs[internal]

    def _require(self, row: Row, allowed: Iterable[str], action: str) -> None:
        allowed = set(allowed)
        if row["status"] not in allowed:
            raise InvalidTransition(
                f"cannot {action} run {row['friendlyId']} in status {row['status']}"
                f" (allowed from: {', '.join(sorted(allowed))})"
            )

    def update(self, run_id: str, changes: Mapping[str, Any]) -> Row:
        """Raw column changes committed as one change (``updatedAt`` advances unless given)."""
        with self.store.transaction() as tx:
            row = self._row(run_id)
            return tx.update_run(row["id"], changes)

    def dequeue(self, run_id: str) -> Row:
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"PENDING"}, "dequeue")
            return tx.update_run(row["id"], {"status": "DEQUEUED"})

    def start(self, run_id: str, *, version: str | None = None) -> Row:
        """Start an attempt: ``EXECUTING``; ``startedAt`` and the base cost on the first one."""
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(
                row,
                {"PENDING", "DEQUEUED", "RETRYING_AFTER_FAILURE", "WAITING_TO_RESUME", "PAUSED"},
                "start",
            )
            now = tx.now_ms
            changes: dict[str, Any] = {"status": "EXECUTING"}
            if row["status"] not in ("WAITING_TO_RESUME", "PAUSED"):
                changes["attemptNumber"] = (row.get("attemptNumber") or 0) + 1
            if row["startedAt"] is None:
                changes["startedAt"] = now
            if row.get("taskVersion") is None:
                changes["taskVersion"] = version or DEFAULT_VERSION
            if not row["baseCostInCents"]:
                changes["baseCostInCents"] = _BASE_COST_IN_CENTS
            self._attempt_started[row["id"]] = now
            return tx.update_run(row["id"], changes)

    def _usage(self, row: Row, now: int) -> dict[str, Any]:
        started = self._attempt_started.pop(row["id"], None)
        if started is None or row["status"] != "EXECUTING":
            return {}
        usage = int(row["usageDurationMs"]) + max(0, now - started)
        return {
            "usageDurationMs": usage,
            "costInCents": usage * cents_per_ms(row.get("machinePreset")),
        }

    def set_metadata(self, run_id: str, metadata: Any, *, metadata_type: str | None = None) -> Row:
        packet = encode_packet(metadata, metadata_type)
        with self.store.transaction() as tx:
            row = self._row(run_id)
            return tx.update_run(
                row["id"],
                {
                    "metadata": packet.data,
                    "metadataType": packet.data_type,
                    "metadataVersion": int(row.get("metadataVersion") or 0) + 1,
                },
            )

    def fail_attempt(self, run_id: str, error: Any = "Attempt failed") -> Row:
        """The attempt failed and will be retried: ``RETRYING_AFTER_FAILURE``."""
        del error  # the run's error column is written only when the run finishes
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"EXECUTING"}, "retry")
            return tx.update_run(
                row["id"], {"status": "RETRYING_AFTER_FAILURE", **self._usage(row, tx.now_ms)}
            )

    def _finish(
        self,
        run_id: str,
        status: str,
        *,
        allowed: Iterable[str],
        error: dict[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Row:
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, allowed, status.lower())
            now = tx.now_ms
            changes: dict[str, Any] = {"status": status, "completedAt": now}
            changes.update(self._usage(row, now))
            if error is not None:
                changes["error"] = error
            if extra:
                changes.update(extra)
            new = tx.update_run(row["id"], changes)
            self._finish_batch(tx, new)
            return new

    def _finish_batch(self, tx: TxWriter, row: Row) -> None:
        batch_id = row.get("batchId")
        if not batch_id:
            return
        batch = self.store.batches.get(batch_id)
        if batch is None or batch["status"] == "COMPLETED":
            return
        runs = [self.store.runs[r] for r in batch["runIds"] if r in self.store.runs]
        if all(r["status"] in FINAL_STATUSES for r in runs):
            tx.update_batch(batch_id, {"status": "COMPLETED"})

    def complete(self, run_id: str, output: Any = None, *, output_type: str | None = None) -> Row:
        """Success: ``COMPLETED_SUCCESSFULLY`` with the output (offloaded when large)."""
        row = self._row(run_id)
        packet = encode_packet(output, output_type)
        data, data_type = self._maybe_offload(
            row["runtimeEnvironmentId"], row["friendlyId"], "output", packet
        )
        return self._finish(
            run_id,
            "COMPLETED_SUCCESSFULLY",
            allowed={"EXECUTING"},
            extra={"output": data, "outputType": data_type},
        )

    def fail(self, run_id: str, error: Any = "Task failed") -> Row:
        return self._finish(
            run_id,
            "COMPLETED_WITH_ERRORS",
            allowed={"EXECUTING", "RETRYING_AFTER_FAILURE"},
            error=task_run_error(error),
        )

    def cancel(self, run_id: str, reason: str = "Task run was cancelled by user") -> Row | None:
        """Cancel unless finished already (then nothing changes and None is returned)."""
        row = self._row(run_id)
        if row["status"] in FINAL_STATUSES:
            return None
        allowed = _UNFINISHED
        return self._finish(
            run_id, "CANCELED", allowed=allowed, error={"type": "STRING_ERROR", "raw": reason}
        )

    def crash(self, run_id: str, error: Any = None) -> Row:
        err = task_run_error(error) or {
            "type": "INTERNAL_ERROR",
            "code": "TASK_RUN_CRASHED",
            "message": "Worker crashed",
        }
        return self._finish(
            run_id, "CRASHED", allowed={"EXECUTING", "DEQUEUED", "PENDING"}, error=err
        )

    def system_failure(self, run_id: str, error: Any = None) -> Row:
        err = task_run_error(error) or {
            "type": "INTERNAL_ERROR",
            "code": "TASK_RUN_HEARTBEAT_TIMEOUT",
            "message": "The run stopped sending heartbeats",
        }
        allowed = _UNFINISHED
        return self._finish(run_id, "SYSTEM_FAILURE", allowed=allowed, error=err)

    def interrupt(self, run_id: str, error: Any = None) -> Row:
        err = task_run_error(error) or {"type": "STRING_ERROR", "raw": "Run was interrupted"}
        return self._finish(run_id, "INTERRUPTED", allowed={"EXECUTING"}, error=err)

    def expire(self, run_id: str) -> Row:
        """The TTL passed before the run started: ``EXPIRED``."""
        row = self._row(run_id)
        ttl = row.get("ttl") or "10m"
        now = self.store.clock.now_ms()
        return self._finish(
            run_id,
            "EXPIRED",
            allowed={"PENDING", "DELAYED", "WAITING_FOR_DEPLOY", "PENDING_VERSION"},
            error={
                "type": "STRING_ERROR",
                "raw": f"Run expired because the TTL ({ttl}) was reached",
            },
            extra={"expiredAt": now},
        )

    def time_out(self, run_id: str) -> Row:
        row = self._row(run_id)
        seconds = row.get("maxDurationInSeconds") or 60
        return self._finish(
            run_id,
            "TIMED_OUT",
            allowed={"EXECUTING"},
            error={
                "type": "INTERNAL_ERROR",
                "code": "MAX_DURATION_EXCEEDED",
                "message": f"Run exceeded maximum compute time (maxDuration) of {seconds} seconds",
            },
        )

    def delay(self, run_id: str, until: datetime | timedelta | float | int | str) -> Row:
        """``DELAYED`` until a time (a datetime, a timedelta or seconds from now, or ``1h``)."""
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"PENDING", "DELAYED"}, "delay")
            return tx.update_run(
                row["id"],
                {"status": "DELAYED", "delayUntil": _when_ms(until, tx.now_ms), "queuedAt": None},
            )

    def enqueue(self, run_id: str) -> Row:
        """A delayed (or waiting-for-deploy) run is queued: ``PENDING`` with ``queuedAt``."""
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"DELAYED", "WAITING_FOR_DEPLOY", "PENDING_VERSION"}, "enqueue")
            return tx.update_run(row["id"], {"status": "PENDING", "queuedAt": tx.now_ms})

    def wait_for_deploy(self, run_id: str) -> Row:
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"PENDING", "DEQUEUED"}, "wait for deploy")
            return tx.update_run(row["id"], {"status": "WAITING_FOR_DEPLOY"})

    def freeze(self, run_id: str) -> Row:
        """The attempt waits (``triggerAndWait``, ``wait.for``): ``WAITING_TO_RESUME``."""
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"EXECUTING"}, "freeze")
            return tx.update_run(
                row["id"], {"status": "WAITING_TO_RESUME", **self._usage(row, tx.now_ms)}
            )

    def resume(self, run_id: str) -> Row:
        return self.start(run_id)

    def reschedule(self, run_id: str, delay: datetime | timedelta | float | int | str) -> Row:
        with self.store.transaction() as tx:
            row = self._row(run_id)
            self._require(row, {"DELAYED"}, "reschedule")
            return tx.update_run(row["id"], {"delayUntil": _when_ms(delay, tx.now_ms)})

    def stream(
        self,
        run_id: str,
        key: str,
        chunks: Iterable[Any] = (),
        *,
        end: bool = True,
        chunk_interval: float = 0.0,
    ) -> None:
        """The ``"stream"`` lifecycle step: announce stream ``key`` and write ``chunks`` to it
        (``chunk_interval`` seconds apart), then end it unless ``end=False``."""
        self.streams.announce(run_id, key)
        for index, chunk in enumerate(chunks):
            if index and chunk_interval > 0:
                time.sleep(chunk_interval)
            self.streams.append(run_id, key, chunk)
        if end:
            self.streams.end(run_id, key)

    def add_tags(self, run_id: str, tags: Iterable[str]) -> Row:
        with self.store.transaction() as tx:
            row = self._row(run_id)
            merged = list(row["runTags"])
            merged += [t for t in tags if t not in merged]
            return tx.update_run(row["id"], {"runTags": merged})


# -- lifecycles --------------------------------------------------------------------------------

Step = str | tuple[str, Mapping[str, Any]] | Callable[[Engine, str], object]


def _progress_steps() -> list[Step]:
    steps: list[Step] = []
    for i, fraction in enumerate((0.25, 0.5, 0.75, 1.0), start=1):
        steps.append(("set_metadata", {"metadata": {"progress": fraction, "step": i}}))
    return steps


LIFECYCLES: dict[str, list[Step]] = {
    "success": ["dequeue", "start", "complete"],
    "failure": ["dequeue", "start", "fail"],
    "cancel": ["dequeue", "start", "cancel"],
    "retry": ["dequeue", "start", "fail_attempt", "start", "complete"],
    "retry_then_fail": ["dequeue", "start", "fail_attempt", "start", "fail"],
    "delayed": ["delay", "enqueue", "dequeue", "start", "complete"],
    "metadata_progress": ["dequeue", "start", *_progress_steps(), "complete"],
    "crash": ["dequeue", "start", "crash"],
    "system_failure": ["dequeue", "start", "system_failure"],
    "interrupt": ["dequeue", "start", "interrupt"],
    "expire": ["expire"],
    "timeout": ["dequeue", "start", "time_out"],
    "wait_for_deploy": ["wait_for_deploy", "enqueue", "dequeue", "start", "complete"],
    "frozen": ["dequeue", "start", "freeze", "resume", "complete"],
}
"""Named lifecycles for :meth:`TriggerEmulator.play`: lists of engine steps."""


@dataclass
class _Ctx:
    output: Any
    output_type: str | None
    error: Any
    delay: Any


def _run_step(engine: Engine, run_id: str, step: Step, ctx: _Ctx, interval: float) -> None:
    if callable(step):
        step(engine, run_id)
        return
    name, kwargs = (step, {}) if isinstance(step, str) else (step[0], dict(step[1]))
    row = engine._row(run_id)
    status = row["status"]
    # Skip a step the run has already passed, so a lifecycle can start from where the run is.
    if name == "dequeue" and status != "PENDING":
        return
    if name == "start" and status == "EXECUTING":
        return
    if name == "delay":
        if status == "DELAYED":
            return
        kwargs.setdefault("until", ctx.delay if ctx.delay is not None else interval)
    if name == "enqueue" and status not in ("DELAYED", "WAITING_FOR_DEPLOY", "PENDING_VERSION"):
        return
    if name == "complete":
        kwargs.setdefault("output", ctx.output)
        kwargs.setdefault("output_type", ctx.output_type)
    if name in ("fail", "fail_attempt", "crash", "system_failure") and ctx.error is not None:
        kwargs.setdefault("error", ctx.error)
    method = getattr(engine, name, None)
    if method is None or name.startswith("_"):
        raise ValueError(f"unknown lifecycle step {name!r}")
    method(run_id, **kwargs)


class Playback:
    """A lifecycle playing in a background thread."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self.error: BaseException | None = None
        self._done = threading.Event()

        def body() -> None:
            try:
                target()
            except BaseException as exc:  # reported by wait()
                self.error = exc
            finally:
                self._done.set()

        self._thread = threading.Thread(target=body, name=name, daemon=True)
        self._thread.start()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = 30.0) -> None:
        """Block until the lifecycle has finished; re-raise its error."""
        if not self._done.wait(timeout):
            raise TimeoutError("the lifecycle is still playing")
        if self.error is not None:
            raise self.error


def play_steps(
    engine: Engine,
    run_id: str,
    lifecycle: str | Sequence[Step],
    *,
    interval: float,
    output: Any = None,
    output_type: str | None = None,
    error: Any = None,
    delay: Any = None,
    stop: threading.Event | None = None,
) -> None:
    """Apply each step of a lifecycle, ``interval`` seconds apart (the first at once)."""
    if isinstance(lifecycle, str):
        if lifecycle not in LIFECYCLES:
            raise ValueError(
                f"unknown lifecycle {lifecycle!r}; known: {', '.join(sorted(LIFECYCLES))}"
            )
        steps = LIFECYCLES[lifecycle]
    else:
        steps = list(lifecycle)
    ctx = _Ctx(output=output, output_type=output_type, error=error, delay=delay)
    for index, step in enumerate(steps):
        if index:
            if stop is not None:
                if stop.wait(interval):
                    return
            else:
                time.sleep(interval)
        _run_step(engine, run_id, step, ctx, interval)
