"""The Electric shape-log state machine for one shape: requests to make, responses to apply.

Requests: ``offset`` starts at ``-1``; ``log=full`` always; ``handle`` once known; ``live=true`` and
``cursor`` (the last ``electric-cursor``, ``""`` at first) only once up to date, never with offset
``-1``; after a 409, ``expired_handle=<old>`` and a fresh random ``cache-buster`` (kept until the next
accepted response). Parameters are sorted by name, with the feed's own (``tags``, ``skipColumns``,
...) among them.

Responses (2xx): ``electric-offset`` and ``electric-handle`` are required, plus ``electric-schema`` on
non-live and ``electric-cursor`` on live responses; the body is a JSON array of messages (empty body:
``[]``; 204: up to date, no messages). The first schema is kept until a reset. ``insert`` replaces a
row, ``update`` is shallow-merged into it (or used as is), ``delete`` removes it; a ``must-refetch``
message clears the rows; ``up-to-date`` marks a consistent point. Unknown messages and headers are
ignored. Protocol violations raise ``RealtimeProtocolError`` and leave the state unchanged.

Emission: changed rows (one merged row per key, in first-changed order) and deleted keys are
collected across responses and handed out only when a response contains ``up-to-date`` (or is a
204), as the 4.x SDKs do. The 3.3.17 SDK emits after every response instead; since Electric never
ends an ``offset=-1`` snapshot with ``up-to-date``, gating delays the first rows by one request but
never shows a half-applied snapshot or a stale row after a must-refetch.

409 (must-refetch): the old handle is remembered as expired when the 409 names a different one;
the new ``electric-handle`` is adopted if the response has one (no handle is ever invented); offset,
cursor, schema, up-to-date and rows are reset. A 409 that names an already expired handle is a
cached one (handles are never reused, and a genuine 409 names the current shape): stale.

Stale cached responses are discarded (``stale=True``, nothing merged, the offset not taken) and the
next request carries a fresh ``cache-buster``: a 2xx carrying an expired handle; a 2xx to a request
past ``offset=-1`` carrying another handle than the one the request named (the server answers a
handle it no longer serves with a 409, never with another shape's log: only a cache serves that;
at ``offset=-1`` the server ignores the handle and a new one is legitimate); a second non-live
response that does not move the offset; a live response echoing its cursor; updates or deletes in
the answer to ``offset=-1``. After ``SELF_HEAL_AFTER`` answers of another shape in a row (say the
deployment moved the feed to another backend, whose handles differ) the log starts over from a
fresh snapshot (``stale`` and ``must_refetch``): another shape's log is never merged, but the
subscription is not stuck either. 409s and stale responses are counted until the next
``up-to-date``; ``needs_backoff`` tells the caller to pause before the next request. A live response
that echoes the same offset (a long-poll timeout) is normal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal

from .._exceptions import RealtimeProtocolError
from .._model import Record
from .electric_values import parse_row, parse_schema_header

__all__ = ["RESERVED_PARAMS", "SELF_HEAL_AFTER", "ShapeBatch", "ShapeLog", "ShapeRequest"]

#: Query parameters the state machine owns; a feed may not set them.
RESERVED_PARAMS = frozenset(
    {"offset", "handle", "live", "cursor", "log", "expired_handle", "cache-buster"}
)

_OFFSET = "electric-offset"
_HANDLE = "electric-handle"
_SCHEMA = "electric-schema"
_CURSOR = "electric-cursor"

#: Answers of another shape in a row (to requests past ``offset=-1``) before a fresh snapshot.
SELF_HEAL_AFTER = 3

_Op = tuple[Literal["insert", "update", "delete", "must-refetch", "up-to-date"], str, Any]


# The two records below are ``Record``s (``_model.py``), not attrs classes: a subscription loads
# this module, and attrs would build them at import (issue 18, cold start). A ShapeBatch holding
# rows, which are dicts, cannot be hashed.


class ShapeRequest(Record):
    """The next request: its full query parameters, sorted by name, and whether it long-polls."""

    __slots__ = ("live", "params")
    __match_args__ = ("params", "live")

    params: tuple[tuple[str, str], ...]
    live: bool

    def __init__(self, params: tuple[tuple[str, str], ...], live: bool) -> None:
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "live", live)


class ShapeBatch(Record):
    """What one response changed, for the caller."""

    __slots__ = ("deleted_keys", "must_refetch", "rows", "stale", "up_to_date")
    __match_args__ = ("rows", "up_to_date", "must_refetch", "stale", "deleted_keys")

    #: Merged full rows (parsed values) to emit now, one per changed key, in first-changed order.
    rows: tuple[dict[str, Any], ...]
    #: The response ended with ``up-to-date`` (or was a 204).
    up_to_date: bool
    #: A 409 (or a self-heal after answers of another shape) reset the state, rows included; the
    #: next request is a fresh snapshot.
    must_refetch: bool
    #: The response was a stale cached one and was discarded.
    stale: bool
    #: Keys deleted since the last emission (and not re-inserted), emitted with ``rows``.
    deleted_keys: tuple[str, ...]

    def __init__(
        self,
        *,
        rows: tuple[dict[str, Any], ...] = (),
        up_to_date: bool = False,
        must_refetch: bool = False,
        stale: bool = False,
        deleted_keys: tuple[str, ...] = (),
    ) -> None:
        object.__setattr__(self, "rows", rows)
        object.__setattr__(self, "up_to_date", up_to_date)
        object.__setattr__(self, "must_refetch", must_refetch)
        object.__setattr__(self, "stale", stale)
        object.__setattr__(self, "deleted_keys", deleted_keys)


def _default_token() -> str:
    # what secrets.token_hex(8) returns, without loading secrets (hmac, hashlib, OpenSSL's hashes)
    return os.urandom(8).hex()


class ShapeLog:
    """The protocol state of one shape subscription (see the module docstring)."""

    def __init__(
        self,
        params: Mapping[str, str] | None = None,
        *,
        random_token: Callable[[], str] | None = None,
        max_consecutive_refetches: int = 5,
    ) -> None:
        own = dict(params or {})
        reserved = sorted(RESERVED_PARAMS.intersection(own))
        if reserved:
            raise ValueError(f"reserved shape parameters cannot be set: {', '.join(reserved)}")
        if max_consecutive_refetches < 1:
            raise ValueError("max_consecutive_refetches must be at least 1")
        self._params = own
        self._random_token = random_token or _default_token
        self._max_refetches = max_consecutive_refetches
        self._expired: set[str] = set()
        self._expired_param: str | None = None
        self._cache_buster: str | None = None
        self._consecutive_refetches = 0
        self._catch_up = False
        self._start_fresh()

    def _start_fresh(self) -> None:
        self._offset = "-1"
        self._handle: str | None = None
        self._cursor = ""
        self._schema: dict[str, dict[str, Any]] | None = None
        self._up_to_date = False
        self._rows: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, None] = {}
        self._deleted: dict[str, None] = {}
        self._empty_repeats = 0
        self._foreign_answers = 0

    # -- state ----------------------------------------------------------------------------------

    @property
    def params(self) -> Mapping[str, str]:
        """The feed's own query parameters."""
        return MappingProxyType(self._params)

    @property
    def offset(self) -> str:
        return self._offset

    @property
    def handle(self) -> str | None:
        return self._handle

    @property
    def cursor(self) -> str:
        return self._cursor

    @property
    def schema(self) -> Mapping[str, Mapping[str, Any]] | None:
        return None if self._schema is None else MappingProxyType(self._schema)

    @property
    def is_up_to_date(self) -> bool:
        return self._up_to_date

    @property
    def rows(self) -> Mapping[str, Mapping[str, Any]]:
        """The current rows by key (including changes not emitted yet)."""
        return MappingProxyType(self._rows)

    @property
    def expired_handles(self) -> frozenset[str]:
        return frozenset(self._expired)

    @property
    def consecutive_refetches(self) -> int:
        """409s and stale responses since the last ``up-to-date``."""
        return self._consecutive_refetches

    @property
    def needs_backoff(self) -> bool:
        """Whether to pause before the next request (too many consecutive refetches)."""
        return self._consecutive_refetches >= self._max_refetches

    def reset(self) -> None:
        """Forget the shape (offset, handle, cursor, schema, rows) and start from a fresh snapshot
        with a fresh ``cache-buster``. Expired handles and the refetch count are kept."""
        self._start_fresh()
        self._cache_buster = self._new_cache_buster()

    # -- requests -------------------------------------------------------------------------------

    def request_catch_up(self) -> None:
        """Make the next request a non-live catch-up (for example after the machine slept:
        a live request sent before may be dead); live requests resume after its response."""
        self._catch_up = True

    def _live(self) -> bool:
        # never live=true with offset -1
        return self._up_to_date and self._offset != "-1" and not self._catch_up

    def next_request(self) -> ShapeRequest:
        """The request to make now (the same one again until a response is handled)."""
        live = self._live()
        params = dict(self._params)
        params["log"] = "full"
        params["offset"] = self._offset
        if self._handle is not None:
            params["handle"] = self._handle
        if live:
            params["live"] = "true"
            params["cursor"] = self._cursor
        if self._expired_param is not None:
            params["expired_handle"] = self._expired_param
        if self._cache_buster is not None:
            params["cache-buster"] = self._cache_buster
        return ShapeRequest(params=tuple(sorted(params.items())), live=live)

    # -- responses ------------------------------------------------------------------------------

    def handle_response(self, status: int, headers: Mapping[str, str], body: bytes) -> ShapeBatch:
        """Apply a 2xx or 409 response to the request from ``next_request``."""
        lowered = {name.lower(): value for name, value in headers.items()}
        if status == 409:
            return self._must_refetch(lowered.get(_HANDLE) or None)
        if not 200 <= status < 300:
            raise ValueError(f"handle_response takes 2xx and 409 responses, not {status}")
        answered = lowered.get(_HANDLE)
        if answered in self._expired:  # a cached response from before a 409
            return self._stale()
        if (
            self._offset != "-1"
            and self._handle is not None
            and answered
            and answered != self._handle
        ):
            # The request named a handle past the snapshot: Electric answers it from that shape's
            # log or with a 409, never with another shape's log. A cache served this answer (an old
            # shape's after a 409 without a handle, which does not expire it): merging its changes
            # into this shape's rows makes states the run never had.
            return self._foreign()
        live = self._live()
        self._check_headers(lowered, live)
        handle, offset = lowered[_HANDLE], lowered[_OFFSET]
        if live and self._cursor and lowered[_CURSOR] == self._cursor and offset == self._offset:
            # A live answer never carries the cursor it was asked with (the server moves it on):
            # this one was replayed by a cache. Bust it rather than re-ask the same URL at once.
            return self._stale()

        schema = self._schema
        if schema is None and _SCHEMA in lowered:
            schema = parse_schema_header(lowered[_SCHEMA])
        ops = self._parse_messages([] if status == 204 else _messages(body), schema or {})
        if self._offset == "-1" and any(op in ("update", "delete") for op, _, _ in ops):
            # The answer to a fresh snapshot holds inserts only: updates or deletes mean a cache
            # replayed another request's answer (a partial row must never be taken for a run).
            return self._stale()
        progress = (
            status == 204 or offset != self._offset or any(op == "up-to-date" for op, _, _ in ops)
        )
        if not live and not progress:  # a non-live answer that does not move: a replayed cache
            self._empty_repeats += 1
            if self._empty_repeats >= 2:
                return self._stale()
        else:
            self._empty_repeats = 0

        # Everything is valid: commit.
        self._catch_up = False
        self._foreign_answers = 0
        self._handle = handle
        self._offset = offset
        if _CURSOR in lowered:
            self._cursor = lowered[_CURSOR]
        self._schema = schema
        self._cache_buster = None
        ended_up_to_date = status == 204 or bool(ops and ops[-1][0] == "up-to-date")
        saw_up_to_date = status == 204 or any(op == "up-to-date" for op, _, _ in ops)
        self._apply(ops)
        if ended_up_to_date:
            self._up_to_date = True
        if not saw_up_to_date:
            return ShapeBatch(up_to_date=ended_up_to_date)
        self._consecutive_refetches = 0
        rows = tuple(dict(self._rows[key]) for key in self._pending if key in self._rows)
        deleted = tuple(key for key in self._deleted if key not in self._rows)
        self._pending.clear()
        self._deleted.clear()
        return ShapeBatch(rows=rows, up_to_date=ended_up_to_date, deleted_keys=deleted)

    @staticmethod
    def _check_headers(headers: Mapping[str, str], live: bool) -> None:
        required = [_OFFSET, _HANDLE, _CURSOR if live else _SCHEMA]
        missing = [
            name
            for name in required
            if name not in headers or (name in (_OFFSET, _HANDLE) and not headers[name])
        ]
        if missing:
            kind = "live" if live else "non-live"
            raise RealtimeProtocolError(
                f"the realtime response (to a {kind} request) is missing the required"
                f" header{'s' if len(missing) > 1 else ''} {', '.join(missing)}; a proxy or CDN"
                f" between the SDK and the API may strip {'them' if len(missing) > 1 else 'it'}"
            )

    @staticmethod
    def _parse_messages(messages: list[Any], schema: Mapping[str, Mapping[str, Any]]) -> list[_Op]:
        ops: list[_Op] = []
        for message in messages:
            if not isinstance(message, dict):
                raise RealtimeProtocolError(
                    f"a realtime message is not a JSON object: {message!r:.100}", body=messages
                )
            headers = message.get("headers")
            if not isinstance(headers, dict):
                headers = {}
            if "key" in message:
                key = message["key"]
                operation = headers.get("operation")
                if not isinstance(key, str):
                    raise RealtimeProtocolError(
                        f"a realtime change message has no string key: {message!r:.100}",
                        body=messages,
                    )
                if operation in ("insert", "update"):
                    value = message.get("value")
                    if not isinstance(value, dict):
                        raise RealtimeProtocolError(
                            f"a realtime {operation} message has no value object", body=messages
                        )
                    ops.append((operation, key, parse_row(value, schema)))
                elif operation == "delete":
                    ops.append(("delete", key, None))
            else:
                control = headers.get("control")
                if control == "up-to-date":
                    ops.append(("up-to-date", "", None))
                elif control == "must-refetch":
                    ops.append(("must-refetch", "", None))
        return ops

    def _apply(self, ops: list[_Op]) -> None:
        for op, key, value in ops:
            if op == "insert":
                self._rows[key] = value
            elif op == "update":
                existing = self._rows.get(key)
                self._rows[key] = value if existing is None else {**existing, **value}
            elif op == "delete":
                self._rows.pop(key, None)
                self._pending.pop(key, None)
                self._deleted[key] = None
                continue
            elif op == "must-refetch":
                self._rows.clear()
                self._pending.clear()
                self._deleted.clear()
                continue
            else:
                continue
            self._pending[key] = None
            self._deleted.pop(key, None)

    def _must_refetch(self, new_handle: str | None) -> ShapeBatch:
        if new_handle is not None and new_handle in self._expired:
            # A genuine 409 names the current shape, and handles are never reused: one naming a
            # shape already replaced was cached. It proves nothing about the handle in use (taking
            # it as a 409 would expire a live handle, and every later answer would be "stale").
            return self._stale()
        # Only a 409 that names a different handle proves the old one is gone. One without a
        # handle may come from a proxy or a cache while the shape lives on: expiring the only
        # handle the server has would discard every later answer as stale (no self-heal needed).
        if self._handle is not None and new_handle is not None and new_handle != self._handle:
            self._expired.add(self._handle)
            self._expired_param = self._handle
        self._start_fresh()
        self._handle = new_handle
        self._cache_buster = self._new_cache_buster()
        self._consecutive_refetches += 1
        return ShapeBatch(must_refetch=True)

    def _foreign(self) -> ShapeBatch:
        self._foreign_answers += 1
        if self._foreign_answers < SELF_HEAL_AFTER:
            return self._stale()
        # Only answers of another shape, again and again, whatever the cache-buster: the shape
        # may really be served under another handle now (a deployment that switched backends
        # answers with its own). At offset -1 a new handle is legitimate: start over there.
        self._start_fresh()
        self._cache_buster = self._new_cache_buster()
        self._consecutive_refetches += 1
        return ShapeBatch(must_refetch=True, stale=True)

    def _stale(self) -> ShapeBatch:
        self._cache_buster = self._new_cache_buster()
        self._consecutive_refetches += 1
        return ShapeBatch(stale=True)

    def _new_cache_buster(self) -> str:
        token = self._random_token()
        if token == self._cache_buster:  # a poor random source must still change the URL
            token = f"{token}-{self._consecutive_refetches + 1}"
        return token


def _messages(body: bytes) -> list[Any]:
    if not body.strip():
        return []
    try:
        messages = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RealtimeProtocolError(
            f"the realtime response body is not JSON: {exc}", body=body[:1000]
        ) from None
    if not isinstance(messages, list):
        raise RealtimeProtocolError(
            "the realtime response body is not a JSON array of messages; a proxy or CDN between"
            " the SDK and the API may have rewritten it",
            body=messages,
        )
    return messages
