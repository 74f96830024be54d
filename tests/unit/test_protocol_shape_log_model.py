"""ShapeLog against a small model of an Electric shape server, driven by hypothesis.

The server holds rows, a change log and a handle; it rotates the shape (409, with or without a new
handle), and answers long-polls with changes or a timeout. Like Electric, it answers a request past
``offset=-1`` only from the shape the request names, or with a 409: the handle of a non-snapshot
answer never changes without a 409 (at ``offset=-1`` the handle asked for is ignored, and a new one
is legitimate). A cache replays answers it served before: of expired handles, and of any other
shape (one the client never expired, after a 409 without a handle). A consumer applies what
ShapeLog emits. Invariants: at every up-to-date the consumer's view equals the server's rows; no
emitted row is older than one emitted before for the same key; requests are sorted, never live at
offset -1, never carry invented handles; cached answers of another shape are never merged; only
the documented error is ever raised.
"""

from __future__ import annotations

import json
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from trigger_client import RealtimeProtocolError
from trigger_client._protocol.shape_log import SELF_HEAL_AFTER, ShapeLog, ShapeRequest

SCHEMA = {"id": {"type": "text", "not_null": True}, "v": {"type": "int4"}, "tag": {"type": "text"}}
UP = {"headers": {"control": "up-to-date"}}
KEYS = ["a", "b", "c", "d"]


def shape_key(run_id: str) -> str:
    return f'"public"."TaskRun"/"{run_id}"'


Response = tuple[int, dict[str, str], bytes]


class ShapeServer:
    def __init__(self) -> None:
        self.generation = 1
        self.rows: dict[str, dict[str, str]] = {}
        self.lsn = 1
        self.log: list[tuple[int, dict[str, Any]]] = []
        self.handle_on_409 = True
        self.version = 0
        self.cursor = 1000
        self.cache: dict[str, list[Response]] = {}

    @property
    def handle(self) -> str:
        return f"{self.generation}-1721812114261"

    def change(self, run_id: str, operation: str) -> None:
        self.lsn += 1
        self.version += 1
        key = shape_key(run_id)
        if operation == "insert":
            row = {"id": run_id, "v": str(self.version), "tag": f"t{self.version}"}
            self.rows[key] = row
            message = {"key": key, "value": dict(row), "headers": {"operation": "insert"}}
        elif operation == "update":
            self.rows[key] = {**self.rows[key], "v": str(self.version)}
            value = {"id": run_id, "v": str(self.version)}  # partial: pk + changed column
            message = {"key": key, "value": value, "headers": {"operation": "update"}}
        else:
            del self.rows[key]
            message = {"key": key, "value": {"id": run_id}, "headers": {"operation": "delete"}}
        self.log.append((self.lsn, message))

    def rotate(self, with_handle: bool) -> None:
        self.generation += 1
        self.log = []
        self.handle_on_409 = with_handle

    def respond(self, request: ShapeRequest) -> Response:
        params = dict(request.params)
        assert params["log"] == "full"
        live = params.get("live") == "true"
        offset = params["offset"]
        if offset == "-1":
            messages = [
                {"key": key, "value": dict(row), "headers": {"operation": "insert"}}
                for key, row in self.rows.items()
            ]
            messages.append({"headers": {"control": "snapshot-end"}})
            return self._ok(messages, f"{self.lsn}_0", live=False)
        if params.get("handle") != self.handle:
            headers = {"electric-handle": self.handle} if self.handle_on_409 else {}
            return 409, headers, b'[{"headers":{"control":"must-refetch"}}]'
        since = int(offset.split("_")[0])
        changes = [message for lsn, message in self.log if lsn > since]
        return self._ok([*changes, UP], f"{self.lsn}_0", live=live)

    def _ok(self, messages: list[dict[str, Any]], offset: str, *, live: bool) -> Response:
        headers = {"electric-handle": self.handle, "electric-offset": offset}
        if live:
            self.cursor += 20
            headers["electric-cursor"] = str(self.cursor)
        else:
            headers["electric-schema"] = json.dumps(SCHEMA)
        response = (200, headers, json.dumps(messages).encode())
        self.cache.setdefault(self.handle, []).append(response)
        return response


class ShapeLogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = ShapeServer()
        tokens = iter(range(10**9))
        self.shape = ShapeLog({"tags": "x"}, random_token=lambda: f"t{next(tokens)}")
        self.view: dict[str, dict[str, Any]] = {}
        self.emitted_versions: dict[str, int] = {}
        self.cache_busters: list[str] = []
        self.synced_once = False
        #: Cached answers of another (not expired) shape since the last accepted answer.
        self.foreign_in_a_row = 0

    # -- server-side events ------------------------------------------------------------------

    @rule(run_id=st.sampled_from(KEYS))
    def insert(self, run_id: str) -> None:
        if shape_key(run_id) not in self.server.rows:
            self.server.change(run_id, "insert")

    @rule(run_id=st.sampled_from(KEYS), delete=st.booleans())
    def update_or_delete(self, run_id: str, delete: bool) -> None:
        if shape_key(run_id) in self.server.rows:
            self.server.change(run_id, "delete" if delete else "update")

    @rule(with_handle=st.booleans())
    def rotate(self, with_handle: bool) -> None:
        self.server.rotate(with_handle)

    # -- client-side events ------------------------------------------------------------------

    @rule()
    def exchange_twice(self) -> None:
        self.exchange()
        self.exchange()

    @rule()
    def exchange(self) -> None:
        request = self.shape.next_request()
        self.check_request(request)
        status, headers, body = self.server.respond(request)
        batch = self.shape.handle_response(status, headers, body)
        assert not batch.stale
        self.foreign_in_a_row = 0
        if status == 409:
            assert batch.must_refetch and not batch.rows
            self.view.clear()
            buster = dict(self.shape.next_request().params)["cache-buster"]
            assert buster not in self.cache_busters
            self.cache_busters.append(buster)
            return
        assert not batch.must_refetch
        self.consume(batch.rows, batch.deleted_keys)
        if batch.up_to_date:
            self.synced_once = True
            expected = {key: {**row, "v": int(row["v"])} for key, row in self.server.rows.items()}
            assert self.view == expected
            assert dict(self.shape.rows) == expected

    @rule()
    def network_timeout(self) -> None:
        # The request failed before a response: the same request is made again.
        assert self.shape.next_request() == self.shape.next_request()

    @precondition(lambda self: any(h in self.server.cache for h in self.shape.expired_handles))
    @rule(data=st.data())
    def stale_cached_response(self, data: st.DataObject) -> None:
        handles = sorted(h for h in self.shape.expired_handles if h in self.server.cache)
        handle = data.draw(st.sampled_from(handles))
        response = data.draw(st.sampled_from(self.server.cache[handle]))
        before = (self.shape.offset, self.shape.handle, dict(self.shape.rows))
        batch = self.shape.handle_response(*response)
        assert batch.stale and not batch.rows and not batch.deleted_keys
        assert (self.shape.offset, self.shape.handle, dict(self.shape.rows)) == before
        assert "cache-buster" in dict(self.shape.next_request().params)

    @precondition(lambda self: bool(self.shape.expired_handles))
    @rule(data=st.data())
    def cached_409_naming_an_expired_handle(self, data: st.DataObject) -> None:
        # A genuine 409 names the current shape; one naming a replaced shape was cached. It must
        # not expire the handle in use (every later answer of the live shape would be "stale").
        handle = data.draw(st.sampled_from(sorted(self.shape.expired_handles)))
        before = (self.shape.offset, self.shape.handle, dict(self.shape.rows))
        expired = self.shape.expired_handles
        batch = self.shape.handle_response(
            409, {"electric-handle": handle}, b'[{"headers":{"control":"must-refetch"}}]'
        )
        assert batch.stale and not batch.must_refetch
        assert (self.shape.offset, self.shape.handle, dict(self.shape.rows)) == before
        assert self.shape.expired_handles == expired
        assert "cache-buster" in dict(self.shape.next_request().params)

    @precondition(
        lambda self: (
            self.shape.offset != "-1" and any(h != self.shape.handle for h in self.server.cache)
        )
    )
    @rule(data=st.data())
    def cached_answer_of_another_shape(self, data: st.DataObject) -> None:
        # A cache (a CDN ignoring the query string) serves a request past the snapshot an answer
        # of another shape: an expired one, one the client never expired (a 409 without a handle
        # rotated it), or a newer one. Never merged; a run of them ends in a fresh snapshot.
        handles = sorted(h for h in self.server.cache if h != self.shape.handle)
        handle = data.draw(st.sampled_from(handles))
        response = data.draw(st.sampled_from(self.server.cache[handle]))
        before = (self.shape.offset, self.shape.handle, dict(self.shape.rows))
        batch = self.shape.handle_response(*response)
        assert batch.stale and not batch.rows and not batch.deleted_keys
        if batch.must_refetch:  # the self-heal
            assert handle not in self.shape.expired_handles
            assert (self.shape.offset, self.shape.handle, dict(self.shape.rows)) == ("-1", None, {})
            self.view.clear()
            self.foreign_in_a_row = 0
        else:
            assert (self.shape.offset, self.shape.handle, dict(self.shape.rows)) == before
            if handle not in self.shape.expired_handles:
                self.foreign_in_a_row += 1
                assert self.foreign_in_a_row < SELF_HEAL_AFTER
        assert "cache-buster" in dict(self.shape.next_request().params)

    @rule(
        kind=st.sampled_from(["object-body", "no-offset", "bad-json", "not-null"]),
        often=st.integers(0, 3),
    )
    def broken_response(self, kind: str, often: int) -> None:
        if often:  # keep broken responses rarer than real exchanges
            return
        request = self.shape.next_request()
        # The server's answer, mangled on the way: past the snapshot, a genuine answer carries the
        # handle the request named (another shape's answer would be a cache's, and stale).
        params = dict(request.params)
        handle = self.server.handle if params["offset"] == "-1" else params["handle"]
        headers = {"electric-handle": handle, "electric-offset": "999_0"}
        headers["electric-cursor" if request.live else "electric-schema"] = (
            "1" if request.live else json.dumps(SCHEMA)
        )
        body = b"[]"
        if kind == "object-body":
            body = b'{"error":"proxy"}'
        elif kind == "no-offset":
            del headers["electric-offset"]
        elif kind == "bad-json":
            body = b"[{"
        else:
            key = shape_key("a")
            body = json.dumps(
                [{"key": key, "value": {"id": None}, "headers": {"operation": "insert"}}]
            ).encode()
        with pytest.raises(RealtimeProtocolError):
            self.shape.handle_response(200, headers, body)
        assert self.shape.next_request() == request  # a rejected response changes nothing

    # -- checks --------------------------------------------------------------------------------

    def consume(self, rows: tuple[dict[str, Any], ...], deleted: tuple[str, ...]) -> None:
        for row in rows:
            key = shape_key(row["id"])
            assert isinstance(row["v"], int)
            assert row["v"] >= self.emitted_versions.get(key, 0), "an older row was emitted"
            self.emitted_versions[key] = row["v"]
            self.view[key] = row
        for key in deleted:
            self.view.pop(key, None)

    def check_request(self, request: ShapeRequest) -> None:
        names = [name for name, _ in request.params]
        assert names == sorted(names) and len(set(names)) == len(names)
        params = dict(request.params)
        assert params["tags"] == "x" and params["log"] == "full"
        assert request.live == (params.get("live") == "true")
        if request.live:
            assert params["offset"] != "-1" and "cursor" in params
        handle = params.get("handle")
        assert handle is None or not handle.endswith("-next")

    @invariant()
    def backoff_matches_the_count(self) -> None:
        assert self.shape.needs_backoff == (self.shape.consecutive_refetches >= 5)
        assert self.shape.handle not in self.shape.expired_handles


ShapeLogMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None
)
TestShapeLogModel = ShapeLogMachine.TestCase
