"""The two realtime backends: Electric shape logs and the native backend's run feeds.

Both answer the same HTTP shape protocol (protocol-electric.md 1, protocol-trigger.md 1.5-1.9):

* :class:`ElectricShapes`: one shape per definition (filter + columns), a handle
  ``"<hash>-<unix µs>"``, a snapshot (inserts + ``snapshot-end`` at offset ``0_0``), then a log of
  replicated changes at offsets ``<lsn>_<op>``: partial updates (primary key + changed columns),
  inserts and deletes as rows enter and leave the filter, ``up-to-date`` at the head, live
  long-polls held until a commit touches the shape, 409 ``must-refetch`` after a rotation.
* :class:`NativeFeeds`: full rows, handles ``run-<id>`` / ``runs_<floorMs>_<seq>_<hex8>`` /
  ``batch_<id>_<seq>_<hex8>``, offsets ``<updatedAtMs>_<seq>``, no deletes, no 409, no
  ``electric-up-to-date``; a live timeout echoes the client's offset.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import itertools
import json
import math
import random
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._columns import electric_schema, encode_row, native_schema
from ._state import Row, Store, Transaction

__all__ = [
    "ElectricShape",
    "ElectricShapes",
    "FeedFilter",
    "LongPoll",
    "NativeFeeds",
    "ShapeRequest",
    "ShapeResponse",
    "format_offset",
    "parse_offset",
    "run_key",
]

INF = 2**63 - 1
Offset = tuple[int, int]
RELATION = ["public", "TaskRun"]
ELECTRIC_EXPOSED = (
    "electric-cursor, electric-handle, electric-has-data, electric-offset, electric-schema, "
    "electric-up-to-date, electric-internal-known-error, retry-after"
)
_ELECTRIC_EPOCH_S = 1728432000  # 2024-10-09T00:00:00Z, Electric's cursor epoch


def parse_offset(text: str) -> Offset | None:
    """``<tx>_<op>`` (op may be ``inf``) as a tuple; None when malformed."""
    tx, sep, op = text.partition("_")
    if not sep or not tx.isdigit() or not (op.isdigit() or op == "inf"):
        return None
    return int(tx), INF if op == "inf" else int(op)


def format_offset(offset: Offset) -> str:
    tx, op = offset
    return f"{tx}_{'inf' if op == INF else op}"


def run_key(run_id: str) -> str:
    """The merge key of a run row: ``"public"."TaskRun"/"<internal id>"``."""
    return f'"public"."TaskRun"/"{run_id}"'


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class FeedFilter:
    """Which runs a feed carries: one run, runs with all of some tags, or a batch's runs."""

    kind: Literal["run", "tags", "batch"]
    env_id: str
    run_id: str | None = None
    tags: tuple[str, ...] = ()
    created_after_ms: int | None = None
    batch_id: str | None = None

    def matches(self, row: Mapping[str, Any]) -> bool:
        if self.kind == "run":
            return bool(row["id"] == self.run_id)
        if row["runtimeEnvironmentId"] != self.env_id:
            return False
        if self.kind == "batch":
            return bool(row.get("batchId") == self.batch_id)
        run_tags = row.get("runTags") or []
        if any(tag not in run_tags for tag in self.tags):
            return False
        return self.created_after_ms is None or int(row["createdAt"]) > self.created_after_ms

    def where(self) -> str:
        """The where clause the real proxy sends to Electric (used for handles)."""
        if self.kind == "run":
            return f"id={_sql_quote(self.run_id or '')}"
        clause = f'"runtimeEnvironmentId"={_sql_quote(self.env_id)}'
        if self.kind == "batch":
            return clause + f' AND "batchId"={_sql_quote(self.batch_id or "")}'
        if self.tags:
            clause += ' AND "runTags" @> ARRAY[' + ",".join(_sql_quote(t) for t in self.tags) + "]"
        if self.created_after_ms is not None:
            clause += f' AND "createdAt" > {self.created_after_ms}'
        return clause


@dataclass(frozen=True)
class ShapeDefinition:
    filter: FeedFilter
    columns: tuple[str, ...]

    def stable_hash(self) -> int:
        text = "public.TaskRun|" + self.filter.where() + "|" + ",".join(self.columns)
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % 100_000_000


@dataclass
class ShapeResponse:
    """A response before the route's common rewrites (legacy header names, DEQUEUED)."""

    status: int
    headers: dict[str, str]
    body: str
    handle: str | None = None


class LongPoll:
    """Waits for store notifications and notices when the client goes away."""

    def __init__(self, store: Store, receive: Callable[[], Awaitable[Mapping[str, Any]]]) -> None:
        self._store = store
        self._receive = receive
        self._watcher: asyncio.Task[None] | None = None
        self.disconnected: bool = False

    async def _watch(self) -> None:
        while True:
            message = await self._receive()
            if message.get("type") == "http.disconnect":
                self.disconnected = True
                return

    async def wait(self, keys: Sequence[Hashable], timeout: float) -> bool:
        """True when one of ``keys`` was notified, False on timeout or disconnect."""
        if self.disconnected or timeout <= 0 or self._closing():
            self.disconnected = self.disconnected or self._closing()
            return False
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch())
        notifier = self._store.notifier
        fut = notifier.wait(keys)
        waiting: set[asyncio.Future[Any]] = {fut, self._watcher}
        try:
            done, _ = await asyncio.wait(
                waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            notifier.discard(fut, keys)
            if not fut.done():
                fut.cancel()
        if self._closing():
            self.disconnected = True
            return False
        return fut in done and not fut.cancelled()

    def _closing(self) -> bool:
        return self._store.closing

    def close(self) -> None:
        if self._watcher is not None and not self._watcher.done():
            self._watcher.cancel()


@dataclass
class ShapeRequest:
    """One realtime request after authentication and resource lookup."""

    filter: FeedFilter
    columns: tuple[str, ...]
    params: Mapping[str, str]
    long_poll_s: float
    poll: LongPoll
    path: str
    fault: Any = None  # a realtime fault action (stale handle, must-refetch), if one fired

    @property
    def handle(self) -> str | None:
        handle = self.params.get("handle")
        if handle is None:
            handle = self.params.get("shape_id")
        return handle or None


def _json(messages: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(messages, ensure_ascii=False, separators=(",", ":"))


def _up_to_date(lsn: int | None = None) -> dict[str, Any]:
    headers: dict[str, Any] = {"control": "up-to-date"}
    if lsn is not None:
        headers["global_last_seen_lsn"] = str(lsn)
    return {"headers": headers}


MUST_REFETCH_BODY = _json([{"headers": {"control": "must-refetch"}}])


# ---------------------------------------------------------------------------------------------
# Electric


class ElectricShape:
    """A shape: its snapshot chunks and its log of replicated changes."""

    def __init__(
        self,
        handle: str,
        definition: ShapeDefinition,
        rows: Iterable[Row],
        xid: int,
        chunk_rows: int | None,
    ) -> None:
        self.handle = handle
        self.definition = definition
        inserts = [
            {
                "key": run_key(row["id"]),
                "value": encode_row(row, definition.columns, "electric-snapshot"),
                "headers": {"operation": "insert", "relation": RELATION},
            }
            for row in rows
        ]
        size = chunk_rows if chunk_rows and chunk_rows > 0 else max(1, len(inserts))
        self.chunks: list[list[dict[str, Any]]] = [
            inserts[i : i + size] for i in range(0, len(inserts), size)
        ] or [[]]
        self.chunks[-1].append(
            {
                "headers": {
                    "control": "snapshot-end",
                    "xmin": str(xid),
                    "xmax": str(xid),
                    "xip_list": [],
                }
            }
        )
        self.offsets: list[Offset] = []
        self.entries: list[dict[str, Any]] = []
        self.expired = False
        self.replaced_by: str | None = None
        self.last_used: float = time.monotonic()

    @property
    def last_offset(self) -> Offset:
        return self.offsets[-1] if self.offsets else (0, INF)

    def entries_after(self, offset: Offset) -> tuple[list[dict[str, Any]], Offset]:
        """Log entries after ``offset`` and the offset of the last one (or the log head)."""
        index = bisect.bisect_right(self.offsets, offset)
        if index >= len(self.offsets):
            return [], self.last_offset
        return self.entries[index:], self.offsets[-1]


class ElectricShapes:
    """Electric's shape cache for the ``TaskRun`` table."""

    def __init__(self, store: Store, *, chunk_rows: int | None = None) -> None:
        self.store = store
        self.chunk_rows = chunk_rows
        self.by_handle: dict[str, ElectricShape] = {}
        self.current: dict[ShapeDefinition, str] = {}
        self._last_us = 0
        self._counter = itertools.count(1)
        self._recorded: dict[str, OrderedDict[str, ShapeResponse]] = {}
        # The current shapes indexed by what a row must carry to match them, so that a commit
        # reaches only the shapes it can change: run id, batch id, one of the feed's tags; the
        # rest (a tag feed without tags) is offered every change.
        self._by_run: dict[str, dict[str, None]] = {}
        self._by_batch: dict[str, dict[str, None]] = {}
        self._by_tag: dict[str, dict[str, None]] = {}
        self._unindexed: dict[str, None] = {}
        self._next_eviction = 0.0
        store.add_commit_listener(self._on_commit)

    # -- shape cache (call with the store lock held) ------------------------------------------
    def _new_handle(self, definition: ShapeDefinition) -> str:
        now_us = time.time_ns() // 1000
        self._last_us = max(now_us, self._last_us + 1)
        return f"{definition.stable_hash()}-{self._last_us}"

    def get_or_create(self, definition: ShapeDefinition) -> ElectricShape:
        with self.store.lock:
            handle = self.current.get(definition)
            if handle is not None:
                shape = self.by_handle[handle]
                shape.last_used = time.monotonic()
                return shape
            self._evict_idle()
            filt = definition.filter
            if filt.kind == "run" and filt.run_id is not None:
                row = self.store.runs.get(filt.run_id)
                rows = [row] if row is not None and filt.matches(row) else []
            else:
                rows = [r for r in self.store.runs.values() if filt.matches(r)]
            shape = ElectricShape(
                self._new_handle(definition), definition, rows, self.store.xid, self.chunk_rows
            )
            self.by_handle[shape.handle] = shape
            self._set_current(definition, shape.handle)
            return shape

    def _index_slot(self, filt: FeedFilter) -> dict[str, None]:
        """The index bucket a current shape with this filter lives in (created on demand)."""
        if filt.kind == "run" and filt.run_id is not None:
            return self._by_run.setdefault(filt.run_id, {})
        if filt.kind == "batch" and filt.batch_id is not None:
            return self._by_batch.setdefault(filt.batch_id, {})
        if filt.kind == "tags" and filt.tags:
            # A row must carry every tag of the feed: indexing by one of them is enough.
            return self._by_tag.setdefault(filt.tags[0], {})
        return self._unindexed

    def _set_current(self, definition: ShapeDefinition, handle: str) -> None:
        self.current[definition] = handle
        self._index_slot(definition.filter)[handle] = None

    def _drop_current(self, definition: ShapeDefinition) -> None:
        handle = self.current.pop(definition)
        filt = definition.filter
        slot = self._index_slot(filt)
        slot.pop(handle, None)
        if not slot and slot is not self._unindexed:
            if filt.kind == "run":
                del self._by_run[filt.run_id or ""]
            elif filt.kind == "batch":
                del self._by_batch[filt.batch_id or ""]
            else:
                del self._by_tag[filt.tags[0]]

    def _candidates(self, row: Mapping[str, Any] | None, into: dict[str, None]) -> None:
        """Add the handles of the current shapes ``row`` may belong to."""
        if row is None:
            return
        slot = self._by_run.get(row["id"])
        if slot:
            into.update(slot)
        batch_id = row.get("batchId")
        if batch_id is not None and self._by_batch:
            slot = self._by_batch.get(batch_id)
            if slot:
                into.update(slot)
        if self._by_tag:
            for tag in row.get("runTags") or ():
                slot = self._by_tag.get(tag)
                if slot:
                    into.update(slot)

    def _evict_idle(self, max_idle_s: float = 900.0) -> None:
        now = time.monotonic()
        if now < self._next_eviction:  # a sweep looks at every shape: at most one a minute
            return
        self._next_eviction = now + 60.0
        cutoff = now - max_idle_s
        for handle, shape in list(self.by_handle.items()):
            if shape.last_used < cutoff:
                del self.by_handle[handle]
                if self.current.get(shape.definition) == handle:
                    self._drop_current(shape.definition)

    def rotate(
        self, predicate: Callable[[ElectricShape], bool] | None = None, *, recreate: bool = True
    ) -> list[str]:
        """Expire matching current shapes (as a truncate or a restart would); returns handles."""
        rotated: list[str] = []
        with self.store.lock:
            for definition, handle in list(self.current.items()):
                shape = self.by_handle[handle]
                if predicate is not None and not predicate(shape):
                    continue
                shape.expired = True
                self._drop_current(definition)
                if recreate:
                    shape.replaced_by = self.get_or_create(definition).handle
                rotated.append(handle)
        self.store.notifier.notify([("shape", h) for h in rotated])
        return rotated

    def _on_commit(self, tx: Transaction) -> list[Hashable]:
        touched: list[Hashable] = []
        run_changes = [c for c in tx.changes if c.table == "TaskRun"]
        if not run_changes:
            return touched
        # The last message appended to each shape, in the order the shapes were first touched.
        last: dict[str, dict[str, Any]] = {}
        for index, change in enumerate(run_changes):
            # A change can concern a shape through its old row (the row leaves: a delete) or
            # its new row (it enters or changes), so both rows' keys pick the candidates.
            candidates = dict(self._unindexed)
            self._candidates(change.old, candidates)
            self._candidates(change.new, candidates)
            for handle in candidates:
                shape = self.by_handle[handle]
                message = _change_message(shape.definition, change.old, change.new)
                if message is None:
                    continue
                message["headers"].update(
                    {"txids": [tx.xid], "lsn": str(tx.lsn), "op_position": index * 2}
                )
                shape.offsets.append((tx.lsn, index * 2))
                shape.entries.append(message)
                last[handle] = message
        for handle, message in last.items():
            message["headers"]["last"] = True
            touched.append(("shape", handle))
        return touched

    # -- recorded responses for the stale-handle fault --------------------------------------
    def record(self, path: str, response: ShapeResponse) -> None:
        if response.status != 200 or not response.handle:
            return
        with self.store.lock:
            recorded = self._recorded.setdefault(path, OrderedDict())
            recorded[response.handle] = response
            recorded.move_to_end(response.handle)
            while len(recorded) > 16:
                recorded.popitem(last=False)

    def stale_response(self, req: ShapeRequest, definition: ShapeDefinition) -> ShapeResponse:
        """A cached 200 carrying an expired handle, as a misbehaving CDN would serve it."""
        with self.store.lock:
            recorded = self._recorded.get(req.path, OrderedDict())
            wanted = req.params.get("expired_handle")
            candidate = recorded.get(wanted) if wanted else None
            if candidate is None:
                for handle in reversed(recorded):
                    shape = self.by_handle.get(handle)
                    if shape is None or shape.expired:
                        candidate = recorded[handle]
                        break
        if candidate is None:
            current = self.get_or_create(definition)
            self.rotate(lambda s: s.handle == current.handle)
            with self.store.lock:
                candidate = self._recorded.get(req.path, OrderedDict()).get(current.handle)
            if candidate is None:
                candidate = ShapeResponse(
                    200,
                    {"electric-offset": "0_inf", "content-type": "application/json"},
                    _json([_up_to_date(self.store.lsn)]),
                    handle=current.handle,
                )
        headers = dict(candidate.headers)
        headers["electric-handle"] = candidate.handle or ""
        live = _is_live_electric(req.params)
        if live and "electric-cursor" not in headers:
            headers["electric-cursor"] = "0"
        if not live and "electric-schema" not in headers:
            headers["electric-schema"] = json.dumps(electric_schema(definition.columns))
        return ShapeResponse(200, headers, candidate.body, handle=candidate.handle)

    # -- serving --------------------------------------------------------------------------------
    def _cursor(self, req: ShapeRequest) -> str:
        period = int(req.long_poll_s)
        if period <= 0:
            return "0"
        next_cursor = math.ceil((time.time() - _ELECTRIC_EPOCH_S) / period) * period
        try:
            previous = int(req.params.get("cursor") or 0)
        except ValueError:
            previous = 0
        if next_cursor > previous:
            return str(next_cursor)
        return str(previous + random.randint(1, 3600))

    def _definition_for(self, req: ShapeRequest) -> ShapeDefinition:
        """The request's shape definition; a tag feed keeps the window its handle was made with."""
        filt = req.filter
        handle = req.handle
        if filt.kind == "tags" and handle:
            with self.store.lock:
                shape = self.by_handle.get(handle)
            if shape is not None:
                known = shape.definition.filter
                if known.kind == "tags" and (known.env_id, known.tags) == (filt.env_id, filt.tags):
                    filt = known
        return ShapeDefinition(filt, req.columns)

    def _conflict(self, definition: ShapeDefinition, new_handle: str | None) -> ShapeResponse:
        headers = {
            "content-type": "application/json; charset=utf-8",
            "cache-control": "public, max-age=60, must-revalidate"
            if new_handle
            else "public, max-age=1, must-revalidate",
            "access-control-expose-headers": ELECTRIC_EXPOSED,
        }
        if new_handle:
            headers["electric-handle"] = new_handle
        return ShapeResponse(409, headers, MUST_REFETCH_BODY, handle=new_handle)

    def _bad_request(self, errors: Mapping[str, list[str]]) -> ShapeResponse:
        return ShapeResponse(
            400,
            {
                "content-type": "application/json; charset=utf-8",
                "cache-control": "no-store",
                "surrogate-control": "no-store",
            },
            json.dumps({"message": "Invalid request", "errors": dict(errors)}),
        )

    def _ok(
        self,
        req: ShapeRequest,
        shape: ElectricShape,
        messages: list[dict[str, Any]],
        *,
        request_offset: str,
        offset: Offset | str,
        live: bool,
        has_data: bool,
    ) -> ShapeResponse:
        offset_text = offset if isinstance(offset, str) else format_offset(offset)
        up_to_date = bool(messages) and messages[-1]["headers"].get("control") == "up-to-date"
        etag = f'"{shape.handle}:{request_offset}:{offset_text}'
        if not has_data:
            etag += f":{next(self._counter)}"
        headers = {
            "content-type": "application/json; charset=utf-8",
            "electric-handle": shape.handle,
            "electric-offset": offset_text,
            "electric-has-data": "true" if has_data else "false",
            "etag": etag + '"',
            "access-control-expose-headers": ELECTRIC_EXPOSED,
        }
        if request_offset == "-1":
            headers["cache-control"] = (
                "public, max-age=604800, s-maxage=3600, stale-while-revalidate=2629746"
            )
        elif live:
            headers["cache-control"] = "public, max-age=5, stale-while-revalidate=5"
        else:
            headers["cache-control"] = "public, max-age=60, stale-while-revalidate=300"
        if live:
            headers["electric-cursor"] = self._cursor(req)
        else:
            headers["electric-schema"] = json.dumps(
                electric_schema(shape.definition.columns), separators=(",", ":")
            )
        if up_to_date:
            headers["electric-up-to-date"] = ""
        return ShapeResponse(200, headers, _json(messages), handle=shape.handle)

    async def serve(self, req: ShapeRequest) -> ShapeResponse:
        params = req.params
        offset_text = params.get("offset")
        live = _is_live_electric(params)
        if offset_text is None or offset_text == "":
            return self._bad_request({"offset": ["can't be blank"]})
        if offset_text not in ("-1", "now") and parse_offset(offset_text) is None:
            return self._bad_request({"offset": ["has invalid format"]})
        if live and offset_text == "-1":
            return self._bad_request({"live": ["can't be true when offset == -1"]})
        if live and offset_text == "now":
            return self._bad_request({"live": ["can't be true when offset is 'now'"]})
        definition = self._definition_for(req)
        fault = getattr(req.fault, "kind", None)
        if fault == "stale_handle":
            return self.stale_response(req, definition)
        if fault == "must_refetch":
            new_handle: str | None = None
            without_handle = bool(getattr(req.fault, "without_handle", False))
            rotate = getattr(req.fault, "rotate", None)
            if rotate is None:
                rotate = not without_handle
            if rotate:
                current = self.get_or_create(definition)
                self.rotate(lambda s: s.handle == current.handle)
            if not without_handle:
                new_handle = self.get_or_create(definition).handle
            return self._conflict(definition, new_handle)

        if offset_text in ("-1", "now"):
            shape = self.get_or_create(definition)
            if offset_text == "now":
                return self._ok(
                    req,
                    shape,
                    [_up_to_date(self.store.lsn)],
                    request_offset=offset_text,
                    offset=shape.last_offset,
                    live=False,
                    has_data=False,
                )
            return self._ok(
                req,
                shape,
                list(shape.chunks[0]),
                request_offset="-1",
                offset=(0, 0),
                live=False,
                has_data=True,
            )

        handle = req.handle
        if not handle:
            return self._bad_request({"handle": ["can't be blank when offset != -1"]})
        with self.store.lock:
            shape_or_none = self.by_handle.get(handle)
        if shape_or_none is None or shape_or_none.expired or shape_or_none.definition != definition:
            return self._conflict(definition, self.get_or_create(definition).handle)
        shape = shape_or_none
        shape.last_used = time.monotonic()
        requested = parse_offset(offset_text)
        assert requested is not None
        if requested[0] == 0 and requested[1] < len(shape.chunks) - 1:
            chunk = requested[1] + 1
            return self._ok(
                req,
                shape,
                list(shape.chunks[chunk]),
                request_offset=offset_text,
                offset=(0, chunk),
                live=False,
                has_data=True,
            )
        deadline = time.monotonic() + req.long_poll_s
        while True:
            with self.store.lock:
                if shape.expired:
                    return self._conflict(
                        definition, shape.replaced_by or self.current.get(definition)
                    )
                entries, end = shape.entries_after(requested)
                head = shape.last_offset
                lsn = self.store.lsn
            if requested > head and requested[0] != 0:
                # Out of bounds: wait half the long-poll time in case the data appears.
                await req.poll.wait([("shape", handle)], req.long_poll_s / 2)
                with self.store.lock:
                    if shape.last_offset < requested:
                        return self._bad_request({"offset": ["out of bounds for this shape"]})
                continue
            if entries or not live:
                return self._ok(
                    req,
                    shape,
                    [*entries, _up_to_date(lsn)],
                    request_offset=offset_text,
                    offset=end if entries else head,
                    live=live,
                    has_data=True,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or req.poll.disconnected:
                break
            await req.poll.wait([("shape", handle)], remaining)
        with self.store.lock:
            lsn = self.store.lsn
        return self._ok(
            req,
            shape,
            [_up_to_date(lsn)],
            request_offset=offset_text,
            offset=offset_text,
            live=True,
            has_data=False,
        )


def _is_live_electric(params: Mapping[str, str]) -> bool:
    return "live" in params and params["live"] != "false"


def _change_message(
    definition: ShapeDefinition, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    filt = definition.filter
    old_in = old is not None and filt.matches(old)
    new_in = new is not None and filt.matches(new)
    columns = definition.columns
    if old_in and new_in:
        assert old is not None and new is not None
        changed = [c for c in columns if c != "id" and old.get(c) != new.get(c)]
        if not changed:
            return None
        value = encode_row(new, ("id", *changed), "electric")
        return {
            "key": run_key(new["id"]),
            "value": value,
            "headers": {"operation": "update", "relation": RELATION},
        }
    if new_in:
        assert new is not None
        return {
            "key": run_key(new["id"]),
            "value": encode_row(new, columns, "electric"),
            "headers": {"operation": "insert", "relation": RELATION},
        }
    if old_in:
        assert old is not None
        return {
            "key": run_key(old["id"]),
            "value": {"id": old["id"]},
            "headers": {"operation": "delete", "relation": RELATION},
        }
    return None


# ---------------------------------------------------------------------------------------------
# Native


@dataclass
class _WorkingSet:
    sent: dict[str, int] = field(default_factory=dict)
    touched: float = field(default_factory=time.monotonic)


class NativeFeeds:
    """The native backend: run feeds answered from the rows, without Electric."""

    WORKING_SET_TTL_S = 300.0
    WORKING_SET_MAX = 10_000
    TAG_RESULT_CAP = 1000

    def __init__(self, store: Store, *, jitter_ratio: float = 0.15) -> None:
        self.store = store
        self.jitter_ratio = jitter_ratio
        self._seq = itertools.count(1)
        self._working_sets: OrderedDict[str, _WorkingSet] = OrderedDict()
        # The last 200 per path and kind: a cache keys live answers (``live=true&cursor=``) apart
        # from snapshots, so a stale live answer is a recorded live one, cursor and all.
        self._recorded: dict[tuple[str, bool], ShapeResponse] = {}

    def _hold_s(self, base: float) -> float:
        if self.jitter_ratio <= 0:
            return base
        return base * (1 + random.uniform(-self.jitter_ratio, self.jitter_ratio))

    def _response(
        self,
        rows: Sequence[tuple[Row, str]],
        columns: Sequence[str],
        *,
        handle: str,
        offset: str,
        live: bool,
        seq: int,
    ) -> ShapeResponse:
        messages: list[dict[str, Any]] = [
            {
                "key": run_key(row["id"]),
                "value": encode_row(row, columns, "native"),
                "headers": {"operation": op},
            }
            for row, op in rows
        ]
        messages.append(_up_to_date())
        headers = {
            "content-type": "application/json",
            "cache-control": "no-store",
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "*",
            "electric-handle": handle,
            "electric-offset": offset,
        }
        if live:
            headers["electric-cursor"] = str(seq)
        else:
            headers["electric-schema"] = json.dumps(native_schema(columns), separators=(",", ":"))
        return ShapeResponse(200, headers, _json(messages), handle=handle)

    @staticmethod
    def _offset_ms(offset: str | None) -> int:
        if not offset:
            return 0
        first = offset.split("_", 1)[0]
        try:
            value = int(first)
        except ValueError:
            return 0
        return value if value > 0 else 0

    def record(self, path: str, response: ShapeResponse) -> None:
        if response.status == 200:
            live = "electric-cursor" in response.headers
            with self.store.lock:
                self._recorded[(path, live)] = response

    def stale_response(self, req: ShapeRequest) -> ShapeResponse | None:
        """A recorded 200 for this path, as a cache would serve it again (None: none yet).

        A live request gets the last live answer, with the ``electric-cursor`` it was sent with;
        without one, the last snapshot made into a live answer (the cursor is the ``<seq>`` of
        its offset, as the live answer minted with it would carry). A non-live request gets the
        last snapshot, or else the last live answer with its schema instead of its cursor.
        """
        live = req.params.get("live") == "true"
        with self.store.lock:
            recorded = self._recorded.get((req.path, live))
            other = self._recorded.get((req.path, not live))
        if recorded is not None:
            return recorded
        if other is None:
            return None
        headers = dict(other.headers)
        if live:
            headers.pop("electric-schema", None)
            offset = headers.get("electric-offset", "")
            seq = offset.rpartition("_")[2]
            headers["electric-cursor"] = seq if seq.isdigit() else "0"
        else:
            headers.pop("electric-cursor", None)
            headers["electric-schema"] = json.dumps(
                native_schema(req.columns), separators=(",", ":")
            )
        return ShapeResponse(other.status, headers, other.body, handle=other.handle)

    async def serve(self, req: ShapeRequest) -> ShapeResponse:
        fault = getattr(req.fault, "kind", None)
        if fault == "must_refetch":
            headers = {"content-type": "application/json", "cache-control": "no-store"}
            return ShapeResponse(409, headers, MUST_REFETCH_BODY)
        if fault == "stale_handle":
            recorded = self.stale_response(req)
            if recorded is not None:
                return recorded
        if req.filter.kind == "run":
            return await self._serve_run(req)
        return await self._serve_run_set(req)

    async def _serve_run(self, req: ShapeRequest) -> ShapeResponse:
        run_id = req.filter.run_id or ""
        handle = f"run-{run_id}"
        offset = req.params.get("offset") or "-1"
        live = req.params.get("live") == "true"
        row = self.store.run(run_id)
        if offset == "-1" or not req.handle or not live:
            seq = next(self._seq)
            rows = [(row, "insert")] if row is not None else []
            off = f"{row['updatedAt'] if row else 0}_{seq}"
            return self._response(rows, req.columns, handle=handle, offset=off, live=False, seq=seq)
        seen_ms = self._offset_ms(offset)
        deadline = time.monotonic() + self._hold_s(req.long_poll_s)
        while True:
            row = self.store.run(run_id)
            if row is not None and row["updatedAt"] > seen_ms:
                seq = next(self._seq)
                return self._response(
                    [(row, "update")],
                    req.columns,
                    handle=handle,
                    offset=f"{row['updatedAt']}_{seq}",
                    live=True,
                    seq=seq,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or req.poll.disconnected:
                break
            await req.poll.wait([("TaskRun", run_id)], remaining)
        seq = next(self._seq)
        return self._response([], req.columns, handle=handle, offset=offset, live=True, seq=seq)

    def _matching(self, req: ShapeRequest, filt: FeedFilter) -> list[Row]:
        rows = self.store.runs_where(filt.matches)
        if filt.kind == "tags":
            rows.sort(key=lambda r: r["createdAt"], reverse=True)
            rows = rows[: self.TAG_RESULT_CAP]
        return rows

    def _working_set(self, handle: str) -> _WorkingSet:
        with self.store.lock:
            now = time.monotonic()
            for key, old in list(self._working_sets.items()):
                if now - old.touched > self.WORKING_SET_TTL_S:
                    del self._working_sets[key]
            ws = self._working_sets.get(handle)
            if ws is None:
                ws = _WorkingSet()
                self._working_sets[handle] = ws
                while len(self._working_sets) > self.WORKING_SET_MAX:
                    self._working_sets.popitem(last=False)
            ws.touched = now
            self._working_sets.move_to_end(handle)
            return ws

    def _filter_from_handle(self, req: ShapeRequest) -> FeedFilter:
        filt = req.filter
        handle = req.handle
        if filt.kind == "tags" and handle and handle.startswith("runs_"):
            parts = handle.split("_")
            if len(parts) == 4 and parts[1].isdigit():
                floor = int(parts[1])
                if filt.created_after_ms is not None:
                    floor = max(floor, filt.created_after_ms)
                return FeedFilter("tags", filt.env_id, tags=filt.tags, created_after_ms=floor)
        return filt

    async def _serve_run_set(self, req: ShapeRequest) -> ShapeResponse:
        offset = req.params.get("offset") or "-1"
        live = req.params.get("live") == "true"
        handle = req.handle
        filt = req.filter
        if offset == "-1" or not handle or not live:
            if handle and offset != "-1":
                filt = self._filter_from_handle(req)
            seq = next(self._seq)
            if not handle or offset == "-1":
                if filt.kind == "tags":
                    floor = filt.created_after_ms or 0
                    floor -= floor % 60_000
                    filt = FeedFilter("tags", filt.env_id, tags=filt.tags, created_after_ms=floor)
                    handle = f"runs_{floor}_{seq}_{secrets.token_hex(4)}"
                else:
                    handle = f"batch_{filt.batch_id}_{seq}_{secrets.token_hex(4)}"
            rows = self._matching(req, filt)
            ws = self._working_set(handle)
            with self.store.lock:
                ws.sent = {r["id"]: r["updatedAt"] for r in rows}
            top = max((r["updatedAt"] for r in rows), default=0)
            return self._response(
                [(r, "insert") for r in rows],
                req.columns,
                handle=handle,
                offset=f"{top}_{seq}",
                live=False,
                seq=seq,
            )
        filt = self._filter_from_handle(req)
        ws = self._working_set(handle)
        deadline = time.monotonic() + self._hold_s(req.long_poll_s)
        while True:
            rows = self._matching(req, filt)
            changes: list[tuple[Row, str]] = []
            with self.store.lock:
                for row in rows:
                    sent = ws.sent.get(row["id"])
                    if sent is None:
                        changes.append((row, "insert"))
                    elif row["updatedAt"] > sent:
                        changes.append((row, "update"))
                for row, _ in changes:
                    ws.sent[row["id"]] = row["updatedAt"]
            if changes:
                seq = next(self._seq)
                top = max(r["updatedAt"] for r, _ in changes)
                return self._response(
                    changes, req.columns, handle=handle, offset=f"{top}_{seq}", live=True, seq=seq
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or req.poll.disconnected:
                break
            await req.poll.wait([("env", filt.env_id)], remaining)
        seq = next(self._seq)
        return self._response([], req.columns, handle=handle, offset=offset, live=True, seq=seq)
