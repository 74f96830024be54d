# Generated from trigger_client/_async/_tasks.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The ``tasks`` resource: trigger runs of deployed tasks, one at a time or in batches."""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._backends import SyncBackend
from .._config import NOT_GIVEN
from .._exceptions import TriggerConfigurationError
from .._generated.rest_models import BatchTriggerResponse, QueueOptions, TriggerTaskResponse
from .._protocol.paths import path_segment
from .._protocol.server_rules import REQUEST_IDEMPOTENCY_HEADER, new_request_idempotency_key
from .._protocol.tasks import (
    BatchHandle,
    BatchItem,
    RunHandle,
    TriggerOptions,
    batch_items,
    duration_text,
    idempotency_key,
    merge_options,
    trigger_item_body,
)
from .._protocol.tokens import (
    build_public_token_claims,
    is_additional_api_key,
    is_public_token,
    sign_public_token,
)
from .._serde import structure
from ._transport import decode_json

if TYPE_CHECKING:
    import httpx

    from ._transport import Transport

__all__ = ["TasksResource"]

logger = logging.getLogger("trigger_client")

#: Public access tokens of handles live one hour, as in the official SDK.
HANDLE_TOKEN_SECONDS = 3600


class TasksResource:
    """Trigger tasks: each call returns handles carrying the run ids and public access tokens.

    Payloads are serialised as the official SDK 3.3.17 serialises them: a ``str`` is sent as
    ``text/plain``, anything else as superjson (``application/super+json``), so a task receives
    ``datetime`` as ``Date``, ``set`` as ``Set``, ``bytes`` as ``Buffer``, big ``int`` as
    ``BigInt``. A payload of 512 KiB or more is sent inline too, and the server offloads it to its
    object store (the official SDK does the same); runs.retrieve and the subscriptions download it.

    Retries: every call sends one ``x-trigger-request-idempotency-key`` (the same on each
    attempt), by which the server's trigger route returns the run an earlier attempt already
    made, so ``trigger`` retries 429, 5xx and dropped connections like any other call. The
    batch endpoint does not read that header: ``batch_trigger`` retries a 429 (the rate limiter
    refuses before the route runs), and 5xx or dropped connections only with an
    ``idempotency_key``. A 429 waits for the limiter's ``x-ratelimit-reset``.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def trigger(
        self,
        task_id: str,
        payload: Any = NOT_GIVEN,
        options: TriggerOptions | None = None,
        *,
        idempotency_key: str | Sequence[str] | None = None,
        idempotency_key_ttl: str | timedelta | None = None,
        delay: str | timedelta | datetime | None = None,
        ttl: str | int | timedelta | None = None,
        tags: str | Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        queue: str | QueueOptions | None = None,
        concurrency_key: str | None = None,
        max_attempts: int | None = None,
        max_duration: int | timedelta | None = None,
        machine: str | None = None,
        test: bool | None = None,
        lock_to_version: str | None = None,
    ) -> RunHandle:
        """Trigger one run of ``task_id`` with ``payload``; returns its ``RunHandle``.

        Omit ``payload`` for a task that takes none (``None`` is sent as JSON ``null``). Options
        come as a ``TriggerOptions`` or as keywords (keywords win); see ``TriggerOptions`` for
        each. ``handle.public_access_token`` reads this run for one hour: hand it to a browser.
        """
        _check_task_id(task_id)
        opts = merge_options(
            options,
            {
                "idempotency_key": idempotency_key,
                "idempotency_key_ttl": idempotency_key_ttl,
                "delay": delay,
                "ttl": ttl,
                "tags": tags,
                "metadata": metadata,
                "queue": queue,
                "concurrency_key": concurrency_key,
                "max_attempts": max_attempts,
                "max_duration": max_duration,
                "machine": machine,
                "test": test,
                "lock_to_version": lock_to_version,
            },
        )
        body = trigger_item_body(
            payload,
            opts,
            default_version=_env_version(),
            omit_payload=payload is NOT_GIVEN,
        )
        key = body["options"].get("idempotencyKey")
        response = self._transport.request(
            "POST",
            f"/api/v1/tasks/{path_segment(task_id, 'task_id')}/trigger",
            json_body=body,
            idempotent=True,  # the route de-duplicates by the request idempotency key
            extra_headers={REQUEST_IDEMPOTENCY_HEADER: new_request_idempotency_key()},
        )
        result = decode_json(response)
        parsed = structure(result, TriggerTaskResponse, what="trigger response")
        token = self._handle_token(response, f"read:runs:{parsed.id}", parsed.id)
        return RunHandle(
            id=parsed.id,
            public_access_token=token,
            task_identifier=task_id,
            is_cached=_is_cached(result),
            idempotency_key=key,
        )

    def batch_trigger(
        self,
        task_id: str,
        items: Iterable[Any],
        *,
        idempotency_key: str | Sequence[str] | None = None,
        idempotency_key_ttl: str | timedelta | None = None,
    ) -> BatchHandle:
        """Trigger one run of ``task_id`` per item, as one batch; returns its ``BatchHandle``.

        Each item is a payload, or ``BatchItem(payload, TriggerOptions(...))`` for per-run options.
        ``idempotency_key`` (and its ``idempotency_key_ttl``) applies to the whole batch: the same
        key returns the batch already made. The server accepts up to 500 items (3.3.17's API).
        """
        _check_task_id(task_id)
        return self._batch(
            batch_items(items, task_id, default_version=_env_version()),
            idempotency_key,
            idempotency_key_ttl,
        )

    def batch_trigger_by_id(
        self,
        items: Iterable[BatchItem],
        *,
        idempotency_key: str | Sequence[str] | None = None,
        idempotency_key_ttl: str | timedelta | None = None,
    ) -> BatchHandle:
        """Trigger runs of several tasks as one batch: each item is a
        ``BatchItem(payload, options, task="...")`` naming its task (the official SDK's
        ``batch.trigger``)."""
        item_list = list(items)
        for index, item in enumerate(item_list):
            if not isinstance(item, BatchItem):
                raise TypeError(
                    f"item {index} must be a BatchItem(payload, task=...), "
                    f"not {type(item).__name__}"
                )
        return self._batch(
            batch_items(item_list, None, default_version=_env_version()),
            idempotency_key,
            idempotency_key_ttl,
        )

    def _batch(
        self,
        items: list[dict[str, Any]],
        key: str | Sequence[str] | None,
        key_ttl: str | timedelta | None,
    ) -> BatchHandle:
        hashed = idempotency_key(key)
        headers = {REQUEST_IDEMPOTENCY_HEADER: new_request_idempotency_key()}
        if hashed is not None:
            headers["idempotency-key"] = hashed
        if key_ttl is not None:
            headers["idempotency-key-ttl"] = duration_text(key_ttl, "idempotency_key_ttl")
        response = self._transport.request(
            "POST",
            "/api/v1/tasks/batch",
            json_body={"items": items},
            idempotent=hashed is not None,  # /api/v1/tasks/batch dedupes by idempotency-key only
            extra_headers=headers,
        )
        parsed = structure(decode_json(response), BatchTriggerResponse, what="batch response")
        token = self._handle_token(response, f"read:batch:{parsed.id}", parsed.id)
        return BatchHandle(
            batch_id=parsed.id,
            runs=[
                RunHandle(
                    id=run.id,
                    public_access_token=token,
                    task_identifier=run.task_identifier,
                    is_cached=run.is_cached,
                    idempotency_key=run.idempotency_key,
                )
                for run in parsed.runs
            ],
            public_access_token=token,
            is_cached=parsed.is_cached,
            idempotency_key=parsed.idempotency_key,
        )

    def _handle_token(self, response: httpx.Response, scope: str, what: str) -> str | None:
        """The handle's public access token: the server's ``x-trigger-jwt`` when it sent one,
        else one signed here with our secret key (never with an additional API key, whose
        tokens the server would refuse: ``TriggerConfigurationError``)."""
        sent: str | None = response.headers.get("x-trigger-jwt")
        if sent:
            return sent
        secret_key = self._transport.token.get()
        if is_additional_api_key(secret_key):
            raise TriggerConfigurationError(
                f"{what} was triggered, but the server sent no public access token for it and "
                "an additional API key (tr_<env>_sk_...) cannot sign one: upgrade the server "
                "or use the environment's secret key"
            )
        return self._sign(response, scope)

    def _sign(self, response: httpx.Response, scope: str) -> str | None:
        """A one-hour public token for ``scope``, signed with our secret key from the claims the
        server sent in ``x-trigger-jwt-claims`` (as 3.3.17 does); None when we hold no secret key
        or the claims are not a JSON object."""
        secret_key = self._transport.token.get()
        if is_public_token(secret_key):
            return None
        claims: object = {}
        header = response.headers.get("x-trigger-jwt-claims")
        if header:
            try:
                claims = json.loads(header)
            except ValueError:
                claims = None
        if not isinstance(claims, dict):
            logger.debug("x-trigger-jwt-claims is not a JSON object: no public access token")
            return None
        now = math.floor(SyncBackend.wall())
        payload = build_public_token_claims(
            claims, scopes=[scope], realtime=None, exp=now + HANDLE_TOKEN_SECONDS, iat=now
        )
        return sign_public_token(payload, secret_key)


#: What JavaScript's encodeURIComponent leaves unescaped, besides letters, digits and "_.-~".
def _check_task_id(task_id: str) -> None:
    path_segment(task_id, "task_id")


def _env_version() -> str | None:
    return os.environ.get("TRIGGER_VERSION") or None


def _is_cached(body: object) -> bool:
    return isinstance(body, dict) and body.get("isCached") is True
