"""ShapeLog: the Electric shape-log state machine, exchange by exchange."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from trigger_client import RealtimeProtocolError
from trigger_client._protocol.shape_log import (
    SELF_HEAL_AFTER,
    ShapeBatch,
    ShapeLog,
    ShapeRequest,
)

SCHEMA = {
    "id": {"type": "text", "pk_index": 0, "not_null": True},
    "status": {"type": "TaskRunStatus"},
    "number": {"type": "int4"},
    "runTags": {"type": "text", "dims": 1},
}
SCHEMA_HEADER = json.dumps(SCHEMA)
KEY1 = '"public"."TaskRun"/"r1"'
KEY2 = '"public"."TaskRun"/"r2"'
UP = {"headers": {"control": "up-to-date", "global_last_seen_lsn": "100"}}
SNAPSHOT_END = {"headers": {"control": "snapshot-end", "xmin": "1", "xmax": "2", "xip_list": []}}
MUST_REFETCH = [{"headers": {"control": "must-refetch"}}]


def insert(key: str, **value: str | None) -> dict[str, Any]:
    return {"key": key, "value": value, "headers": {"operation": "insert", "relation": ["a", "b"]}}


def update(key: str, **value: str | None) -> dict[str, Any]:
    return {"key": key, "value": value, "headers": {"operation": "update", "txids": [1]}}


def delete(key: str, **value: str | None) -> dict[str, Any]:
    return {"key": key, "value": value, "headers": {"operation": "delete"}}


def counter_tokens() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"cb{next(numbers)}"


def respond(
    log: ShapeLog,
    messages: Any,
    *,
    handle: str | None = "H1",
    offset: str | None = "0_0",
    schema: bool = True,
    cursor: str | None = None,
    status: int = 200,
    extra: dict[str, str] | None = None,
) -> ShapeBatch:
    headers: dict[str, str] = dict(extra or {})
    if handle is not None:
        headers["electric-handle"] = handle
    if offset is not None:
        headers["electric-offset"] = offset
    if schema:
        headers["electric-schema"] = SCHEMA_HEADER
    if cursor is not None:
        headers["electric-cursor"] = cursor
    body = messages if isinstance(messages, bytes) else json.dumps(messages).encode()
    return log.handle_response(status, headers, body)


def params(request: ShapeRequest) -> dict[str, str]:
    return dict(request.params)


def up_to_date_log(**kwargs: Any) -> ShapeLog:
    """A log that has synced one row (r1) and is live at offset 1_0 with cursor c1."""
    log = ShapeLog(**kwargs)
    respond(log, [insert(KEY1, id="r1", status="PENDING", number="1", runTags="{a}")])
    respond(log, [UP], offset="1_0")
    respond(log, [UP], offset="1_0", schema=False, cursor="c1")
    return log


# -- requests ------------------------------------------------------------------------------------


def test_canonical_exchange_snapshot_catch_up_live() -> None:
    log = ShapeLog()
    first = log.next_request()
    assert first == ShapeRequest(params=(("log", "full"), ("offset", "-1")), live=False)

    batch = respond(
        log,
        [insert(KEY1, id="r1", status="PENDING", number="1", runTags='{a,"b c"}'), SNAPSHOT_END],
    )
    assert batch == ShapeBatch()  # no up-to-date yet: nothing emitted
    assert (log.offset, log.handle, log.is_up_to_date) == ("0_0", "H1", False)

    second = log.next_request()
    assert second.params == (("handle", "H1"), ("log", "full"), ("offset", "0_0"))
    assert not second.live

    batch = respond(log, [UP], offset="0_inf")
    assert batch.up_to_date and not batch.must_refetch and not batch.stale
    assert batch.rows == ({"id": "r1", "status": "PENDING", "number": 1, "runTags": ["a", "b c"]},)
    assert log.is_up_to_date

    third = log.next_request()
    assert third.params == (
        ("cursor", ""),
        ("handle", "H1"),
        ("live", "true"),
        ("log", "full"),
        ("offset", "0_inf"),
    )
    assert third.live

    # live long-poll timeout: same offset echoed, new cursor, no schema
    batch = respond(log, [UP], offset="0_inf", schema=False, cursor="58104520")
    assert batch == ShapeBatch(up_to_date=True)
    assert params(log.next_request())["cursor"] == "58104520"

    batch = respond(
        log, [update(KEY1, id="r1", status="EXECUTING"), UP], offset="5_2", schema=False, cursor="9"
    )
    assert batch.rows == (
        {"id": "r1", "status": "EXECUTING", "number": 1, "runTags": ["a", "b c"]},
    )
    assert params(log.next_request()) == {
        "cursor": "9",
        "handle": "H1",
        "live": "true",
        "log": "full",
        "offset": "5_2",
    }


def test_native_backend_exchange() -> None:
    """The native backend: the snapshot ends with up-to-date; live timeouts echo the offset."""
    log = ShapeLog()
    batch = respond(
        log,
        [insert(KEY1, id="r1", status="PENDING"), UP],
        handle="run-cm1",
        offset="1780740330123_17",
    )
    assert batch.rows == ({"id": "r1", "status": "PENDING"},) and batch.up_to_date
    assert params(log.next_request()) == {
        "cursor": "",
        "handle": "run-cm1",
        "live": "true",
        "log": "full",
        "offset": "1780740330123_17",
    }
    batch = respond(
        log, [UP], handle="run-cm1", offset="1780740330123_17", schema=False, cursor="42"
    )
    assert batch == ShapeBatch(up_to_date=True)
    # a full-row update (native never sends partial rows)
    batch = respond(
        log,
        [update(KEY1, id="r1", status="EXECUTING", number="1"), UP],
        handle="run-cm1",
        offset="1780740335000_43",
        schema=False,
        cursor="43",
    )
    assert batch.rows == ({"id": "r1", "status": "EXECUTING", "number": 1},)
    assert params(log.next_request())["cursor"] == "43"


def test_feed_params_are_kept_and_everything_is_sorted() -> None:
    log = ShapeLog({"tags": "a,b", "createdAt": "1h", "skipColumns": "payload,output"})
    request = log.next_request()
    names = [name for name, _ in request.params]
    assert names == sorted(names)
    assert dict(request.params) == {
        "createdAt": "1h",
        "log": "full",
        "offset": "-1",
        "skipColumns": "payload,output",
        "tags": "a,b",
    }
    assert log.params == {"tags": "a,b", "createdAt": "1h", "skipColumns": "payload,output"}


@pytest.mark.parametrize("name", ["offset", "handle", "live", "cursor", "log", "cache-buster"])
def test_reserved_params_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        ShapeLog({name: "x"})


def test_max_consecutive_refetches_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ShapeLog(max_consecutive_refetches=0)


def test_never_live_with_offset_minus_one() -> None:
    log = ShapeLog()
    # A (broken) server answering up-to-date with offset -1 must not make the next request live.
    batch = respond(log, [UP], offset="-1")
    assert batch.up_to_date
    request = log.next_request()
    assert not request.live and "live" not in params(request) and "cursor" not in params(request)


def test_next_request_is_repeatable() -> None:
    log = up_to_date_log()
    assert log.next_request() == log.next_request()


# -- rows ----------------------------------------------------------------------------------------


def test_partial_update_is_merged_into_the_full_row() -> None:
    log = up_to_date_log()
    batch = respond(
        log, [update(KEY1, id="r1", number="2"), UP], offset="2_0", schema=False, cursor="c2"
    )
    assert batch.rows == ({"id": "r1", "status": "PENDING", "number": 2, "runTags": ["a"]},)


def test_update_for_an_unknown_key_is_used_as_is() -> None:
    log = up_to_date_log()
    batch = respond(log, [update(KEY2, id="r2", status="EXECUTING"), UP], schema=False, cursor="c")
    assert batch.rows == ({"id": "r2", "status": "EXECUTING"},)


def test_insert_replaces_the_row() -> None:
    log = up_to_date_log()
    batch = respond(log, [insert(KEY1, id="r1", status="CANCELED"), UP], schema=False, cursor="c")
    assert batch.rows == ({"id": "r1", "status": "CANCELED"},)


def test_one_row_per_key_in_first_changed_order() -> None:
    log = up_to_date_log()
    batch = respond(
        log,
        [
            insert(KEY2, id="r2", status="PENDING"),
            update(KEY1, id="r1", status="EXECUTING"),
            update(KEY2, id="r2", status="EXECUTING"),
            update(KEY1, id="r1", status="COMPLETED_SUCCESSFULLY"),
            UP,
        ],
        offset="3_0",
        schema=False,
        cursor="c",
    )
    assert [row["id"] for row in batch.rows] == ["r2", "r1"]
    assert [row["status"] for row in batch.rows] == ["EXECUTING", "COMPLETED_SUCCESSFULLY"]


def test_rows_are_emitted_only_at_up_to_date_and_collected_across_responses() -> None:
    log = ShapeLog()
    assert respond(log, [insert(KEY1, id="r1", status="PENDING")]).rows == ()
    assert respond(log, [update(KEY1, id="r1", status="EXECUTING")], offset="0_1").rows == ()
    assert respond(log, [insert(KEY2, id="r2")], offset="0_2").rows == ()
    batch = respond(log, [update(KEY1, id="r1", number="4"), UP], offset="0_3")
    assert batch.rows == (
        {"id": "r1", "status": "EXECUTING", "number": 4},
        {"id": "r2"},
    )
    # emitted once: the next up-to-date has nothing new
    assert respond(log, [UP], offset="0_3", schema=False, cursor="c").rows == ()


def test_up_to_date_in_the_middle_still_emits_the_whole_batch() -> None:
    log = up_to_date_log()
    batch = respond(log, [UP, insert(KEY2, id="r2")], schema=False, cursor="c")
    assert [row["id"] for row in batch.rows] == ["r2"]
    assert not batch.up_to_date  # the response did not end with up-to-date
    assert log.is_up_to_date  # still live from before


def test_delete_removes_the_row_and_reports_the_key() -> None:
    log = up_to_date_log()
    respond(log, [insert(KEY2, id="r2"), UP], offset="2_0", schema=False, cursor="c")
    batch = respond(log, [delete(KEY1, id="r1"), UP], offset="3_0", schema=False, cursor="c")
    assert batch.rows == () and batch.deleted_keys == (KEY1,)
    assert set(log.rows) == {KEY2}


def test_delete_then_reinsert_before_up_to_date_is_a_change_not_a_delete() -> None:
    log = up_to_date_log()
    batch = respond(
        log,
        [delete(KEY1, id="r1"), insert(KEY1, id="r1", status="PENDING"), UP],
        schema=False,
        cursor="c",
    )
    assert batch.rows == ({"id": "r1", "status": "PENDING"},) and batch.deleted_keys == ()


def test_insert_then_delete_before_up_to_date_emits_no_row() -> None:
    log = up_to_date_log()
    batch = respond(
        log, [insert(KEY2, id="r2"), delete(KEY2, id="r2"), UP], schema=False, cursor="c"
    )
    assert batch.rows == () and batch.deleted_keys == (KEY2,)


def test_emitted_rows_are_copies() -> None:
    log = up_to_date_log()
    batch = respond(log, [update(KEY1, id="r1", number="7"), UP], schema=False, cursor="c")
    batch.rows[0]["number"] = 99
    assert log.rows[KEY1]["number"] == 7


def test_must_refetch_message_in_a_body_clears_the_rows() -> None:
    log = up_to_date_log()
    batch = respond(log, [*MUST_REFETCH, insert(KEY2, id="r2"), UP], schema=False, cursor="c")
    assert batch.rows == ({"id": "r2"},)
    assert set(log.rows) == {KEY2}


def test_unknown_messages_and_headers_are_ignored() -> None:
    log = up_to_date_log()
    batch = respond(
        log,
        [
            {"headers": {"event": "move-out", "patterns": []}},
            {"headers": {"control": "snapshot-end"}},
            {"headers": {"control": "something-new"}},
            {"key": KEY2, "value": {"id": "r2"}, "headers": {"operation": "upsert"}},
            {"key": KEY2, "value": {"id": "r2"}},
            {"unexpected": True},
            UP,
        ],
        schema=False,
        cursor="c",
        extra={"electric-has-data": "true", "electric-up-to-date": "", "x-other": "1"},
    )
    assert batch == ShapeBatch(up_to_date=True)


def test_204_is_up_to_date_with_no_messages() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1")])
    batch = respond(log, b"", status=204, offset="0_0")
    assert batch.up_to_date and batch.rows == ({"id": "r1"},)
    assert log.next_request().live


def test_empty_body_is_an_empty_array() -> None:
    log = up_to_date_log()
    assert respond(log, b"", schema=False, cursor="c", offset="1_0") == ShapeBatch()


def test_first_schema_is_kept_until_a_reset() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1", number="1")])
    other = json.dumps({"number": {"type": "text"}})
    batch = respond(
        log, [update(KEY1, number="2"), UP], offset="1_0", extra={"electric-schema": other}
    )
    assert batch.rows[0]["number"] == 2
    assert dict(log.schema or {}) == SCHEMA
    respond(log, MUST_REFETCH, status=409, handle="H2")
    assert log.schema is None
    respond(
        log,
        [insert(KEY1, number="3"), UP],
        handle="H2",
        schema=False,
        extra={"electric-schema": other},
    )
    assert log.rows[KEY1] == {"number": "3"}


def test_headers_are_case_insensitive_and_httpx_headers_work() -> None:
    log = ShapeLog()
    headers = httpx.Headers(
        {"Electric-Handle": "H1", "ELECTRIC-OFFSET": "0_0", "electric-schema": SCHEMA_HEADER}
    )
    log.handle_response(200, headers, json.dumps([insert(KEY1, id="r1"), UP]).encode())
    assert log.handle == "H1" and log.offset == "0_0"
    log.handle_response(
        200, {"Electric-Handle": "H1", "Electric-Offset": "1_0", "Electric-Cursor": "5"}, b"[]"
    )
    assert log.cursor == "5"


# -- protocol violations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("live", "drop", "missing"),
    [
        (False, "electric-offset", "electric-offset"),
        (False, "electric-handle", "electric-handle"),
        (False, "electric-schema", "electric-schema"),
        (True, "electric-cursor", "electric-cursor"),
        (True, "electric-offset", "electric-offset"),
    ],
)
def test_missing_required_headers(live: bool, drop: str, missing: str) -> None:
    log = up_to_date_log() if live else ShapeLog()
    before = log.next_request()
    headers = {
        "electric-handle": "H1",
        "electric-offset": "2_0",
        "electric-schema": SCHEMA_HEADER,
        "electric-cursor": "c9",
    }
    if live:
        del headers["electric-schema"]  # live responses need no schema
    del headers[drop]
    with pytest.raises(RealtimeProtocolError, match=missing) as info:
        log.handle_response(200, headers, json.dumps([UP]).encode())
    assert "proxy" in str(info.value)
    assert log.next_request() == before  # state unchanged


def test_empty_handle_counts_as_missing() -> None:
    with pytest.raises(RealtimeProtocolError, match="electric-handle"):
        respond(ShapeLog(), [UP], handle="")


def test_live_response_without_schema_is_fine_but_non_live_needs_it() -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError, match="electric-schema"):
        respond(log, [UP], schema=False, cursor="1")


@pytest.mark.parametrize(
    "body",
    [b'{"error": "nope"}', b'"text"', b"null", b"42", b"<html>", b"[1, 2", b"\xff\xfe\x00"],
)
def test_body_must_be_a_json_array(body: bytes) -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError, match="body"):
        respond(log, body)
    assert log.offset == "-1" and log.handle is None


@pytest.mark.parametrize(
    "message",
    [
        42,
        "up-to-date",
        None,
        {"key": 5, "value": {}, "headers": {"operation": "insert"}},
        {"key": KEY1, "value": "x", "headers": {"operation": "update"}},
        {"key": KEY1, "headers": {"operation": "insert"}},
    ],
)
def test_malformed_messages_are_protocol_errors(message: Any) -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError):
        respond(log, [message, UP])
    assert log.offset == "-1"


def test_a_value_error_leaves_the_state_unchanged() -> None:
    log = up_to_date_log()
    before = (log.next_request(), dict(log.rows))
    with pytest.raises(RealtimeProtocolError, match="'id'"):
        respond(log, [update(KEY1, id=None), UP], schema=False, cursor="c", offset="9_0")
    with pytest.raises(RealtimeProtocolError, match="'number'"):
        respond(log, [update(KEY1, number="x"), UP], schema=False, cursor="c", offset="9_0")
    assert (log.next_request(), dict(log.rows)) == before


def test_other_statuses_are_not_for_the_shape_log() -> None:
    with pytest.raises(ValueError):
        ShapeLog().handle_response(500, {}, b"")


# -- 409 must-refetch and stale caches -------------------------------------------------------------


def test_409_with_a_new_handle() -> None:
    log = up_to_date_log(random_token=counter_tokens())
    batch = respond(log, MUST_REFETCH, status=409, handle="H2", offset=None, schema=False)
    assert batch == ShapeBatch(must_refetch=True)
    assert log.rows == {} and log.offset == "-1" and log.cursor == "" and not log.is_up_to_date
    assert log.schema is None and log.expired_handles == {"H1"}
    request = log.next_request()
    assert not request.live
    assert params(request) == {
        "cache-buster": "cb1",
        "expired_handle": "H1",
        "handle": "H2",
        "log": "full",
        "offset": "-1",
    }
    # The fresh snapshot comes back; the cache-buster is dropped, expired_handle stays.
    assert respond(log, [insert(KEY1, id="r1", status="EXECUTING")], handle="H2").rows == ()
    batch = respond(log, [UP], handle="H2", offset="1_0")
    assert batch.rows == ({"id": "r1", "status": "EXECUTING"},)
    assert params(log.next_request()) == {
        "cursor": "",
        "expired_handle": "H1",
        "handle": "H2",
        "live": "true",
        "log": "full",
        "offset": "1_0",
    }


def test_409_without_a_handle_never_invents_one() -> None:
    log = up_to_date_log(random_token=counter_tokens())
    batch = log.handle_response(409, {}, json.dumps(MUST_REFETCH).encode())
    assert batch.must_refetch
    request = params(log.next_request())
    assert "handle" not in request
    # no new handle proves nothing about the old one: it is not marked expired, so a server that
    # still serves it (the 409 came from a proxy or a cache) is not answered "stale" forever
    assert request == {"cache-buster": "cb1", "log": "full", "offset": "-1"}
    assert not any("-next" in v for v in request.values())
    assert log.expired_handles == frozenset()
    fresh = log.handle_response(
        200,
        {"electric-handle": "H1", "electric-offset": "0_0", "electric-schema": "{}"},
        b"[]",
    )
    assert not fresh.stale


def test_consecutive_409s_produce_unique_urls_and_ask_for_backoff() -> None:
    log = up_to_date_log(max_consecutive_refetches=3)
    urls = set()
    for n in range(1, 6):
        batch = log.handle_response(409, {"electric-handle": "H1"} if n == 1 else {}, b"")
        assert batch.must_refetch
        assert log.consecutive_refetches == n
        assert log.needs_backoff == (n >= 3)
        urls.add(log.next_request().params)
    assert len(urls) == 5
    # progress (an up-to-date) resets the count
    respond(log, [insert(KEY1, id="r1"), UP], handle="H9")
    assert log.consecutive_refetches == 0 and not log.needs_backoff


def test_a_repeating_random_source_still_changes_the_url() -> None:
    log = up_to_date_log(random_token=lambda: "same")
    first = log.next_request()
    log.handle_response(409, {}, b"")
    second = log.next_request()
    log.handle_response(409, {}, b"")
    third = log.next_request()
    assert len({first.params, second.params, third.params}) == 3


def test_409_pointing_at_an_expired_handle_is_a_stale_cache() -> None:
    """A genuine 409 names the current shape and handles are never reused: a 409 naming a shape
    already replaced was cached. Taken as a 409 it would expire the live handle H2, and every
    later answer of the live shape would be discarded as stale."""
    log = up_to_date_log(random_token=counter_tokens())
    respond(log, MUST_REFETCH, status=409, handle="H2")
    respond(log, [insert(KEY1, id="r1")], handle="H2")
    before = (log.offset, log.handle, dict(log.rows))
    batch = respond(log, MUST_REFETCH, status=409, handle="H1", offset=None, schema=False)
    assert batch == ShapeBatch(stale=True)
    assert (log.offset, log.handle, dict(log.rows)) == before
    assert log.expired_handles == {"H1"}
    assert params(log.next_request())["cache-buster"] == "cb2"
    # the live shape's answer is still taken
    assert respond(log, [UP], handle="H2", offset="1_0").rows == ({"id": "r1"},)


def bare_409_then_new_snapshot(**kwargs: Any) -> ShapeLog:
    """H1 synced and live; a 409 without a handle (which expires nothing); the resync at
    ``offset=-1`` answered by a new shape H2 (its snapshot: r1 EXECUTING, at 0_0)."""
    log = up_to_date_log(**kwargs)
    assert log.handle_response(409, {}, json.dumps(MUST_REFETCH).encode()).must_refetch
    assert log.expired_handles == frozenset()
    assert respond(log, [insert(KEY1, id="r1", status="EXECUTING"), SNAPSHOT_END], handle="H2")
    assert log.offset == "0_0" and log.handle == "H2"
    return log


def test_an_answer_of_another_shape_past_the_snapshot_is_stale() -> None:
    """After a 409 without a handle the old handle H1 is not expired. A cache that serves the
    old shape's answer to the new shape's catch-up request (``handle=H2&offset=0_0``) must not
    have it merged: Electric answers a request past ``offset=-1`` from the shape it names (or
    with a 409), so an answer carrying another handle comes from a cache."""
    log = bare_409_then_new_snapshot(random_token=counter_tokens())
    before = (log.offset, log.handle, dict(log.rows), log.next_request())
    old_live_answer = [update(KEY1, status="PENDING"), UP]  # H1's, from before the 409
    batch = respond(log, old_live_answer, handle="H1", offset="7_0")
    assert batch == ShapeBatch(stale=True)
    assert (log.offset, log.handle, dict(log.rows)) == before[:3]
    request = params(log.next_request())
    assert request["offset"] == "0_0" and request["handle"] == "H2"
    assert request["cache-buster"] == "cb2" and before[3] != log.next_request()
    assert log.consecutive_refetches == 2 and log.expired_handles == frozenset()
    # even one that lacks headers a genuine answer needs: it is discarded, not fatal
    assert respond(log, [UP], handle="H1", offset="7_0", schema=False) == ShapeBatch(stale=True)
    # the new shape's own answer is taken
    batch = respond(log, [UP], handle="H2", offset="9_0")
    assert batch.rows == ({"id": "r1", "status": "EXECUTING"},)
    assert "cache-buster" not in params(log.next_request())


def test_a_live_answer_of_another_shape_is_stale() -> None:
    log = up_to_date_log()
    assert log.next_request().live
    old_answer = [update(KEY1, status="COMPLETED"), UP]
    batch = respond(log, old_answer, handle="H0", offset="5_0", schema=False, cursor="c2")
    assert batch == ShapeBatch(stale=True)
    assert log.offset == "1_0" and log.handle == "H1" and log.cursor == "c1"
    assert log.rows[KEY1]["status"] == "PENDING"


@pytest.mark.parametrize("known", [None, "H2"])
def test_a_new_handle_at_offset_minus_one_is_legitimate(known: str | None) -> None:
    """At ``offset=-1`` the server ignores the handle asked for: an answer carrying another one
    (the shape rotated again, or the 409 named none) is the new snapshot."""
    log = up_to_date_log()
    respond(log, MUST_REFETCH, status=409, handle=known, offset=None, schema=False)
    assert log.offset == "-1" and log.handle == known
    batch = respond(log, [insert(KEY1, id="r1", status="EXECUTING")], handle="H3")
    assert not batch.stale and log.handle == "H3" and log.offset == "0_0"


def test_answers_of_another_shape_again_and_again_start_a_fresh_snapshot() -> None:
    """The self-heal: if every answer to requests past the snapshot comes from another shape
    (say the deployment moved the feed to the native backend, whose handles differ), the log
    starts over at ``offset=-1``, where a new handle is legitimate, rather than discard answers
    until the deadline. Nothing of the other shape is merged on the way."""
    log = up_to_date_log(random_token=counter_tokens())
    native = [update(KEY1, id="r1", status="EXECUTING", number="1", runTags="{a}"), UP]

    def answer() -> ShapeBatch:
        return respond(log, native, handle="run-r1", offset="9_0", schema=False, cursor="43")

    for _ in range(SELF_HEAL_AFTER - 1):
        assert answer() == ShapeBatch(stale=True)
        assert log.offset == "1_0" and log.rows[KEY1]["status"] == "PENDING"
    batch = answer()
    assert batch == ShapeBatch(stale=True, must_refetch=True)
    assert log.offset == "-1" and log.handle is None and log.rows == {} and log.schema is None
    assert log.expired_handles == frozenset()  # nothing proves H1 gone
    assert params(log.next_request()) == {
        "cache-buster": f"cb{SELF_HEAL_AFTER}",
        "log": "full",
        "offset": "-1",
    }
    snapshot = [insert(KEY1, id="r1", status="EXECUTING"), UP]
    batch = respond(log, snapshot, handle="run-r1", offset="1780740335000_43")
    assert batch.rows == ({"id": "r1", "status": "EXECUTING"},) and log.handle == "run-r1"


def test_only_answers_of_another_shape_in_a_row_count_for_the_self_heal() -> None:
    log = up_to_date_log()
    for n in range(3):
        for _ in range(SELF_HEAL_AFTER - 1):
            assert respond(log, [UP], handle="H0", offset="5_0", schema=False, cursor="x").stale
        # the shape's own answer in between: the count starts over
        assert not respond(log, [UP], offset="1_0", schema=False, cursor=f"c{n + 2}").stale
    assert log.handle == "H1" and log.offset == "1_0"


def test_response_with_an_expired_handle_is_a_stale_cache_and_discarded() -> None:
    log = up_to_date_log(random_token=counter_tokens())
    respond(log, MUST_REFETCH, status=409, handle="H2")
    assert params(log.next_request())["cache-buster"] == "cb1"
    # the CDN replays the old shape's snapshot (even without the headers a fresh one needs)
    batch = respond(
        log, [insert(KEY1, id="r1", status="PENDING"), UP], handle="H1", offset="1_0", schema=False
    )
    assert batch == ShapeBatch(stale=True)
    assert log.offset == "-1" and log.handle == "H2" and log.rows == {}
    assert params(log.next_request())["cache-buster"] == "cb2"
    assert log.consecutive_refetches == 2
    # the real answer is accepted
    batch = respond(log, [insert(KEY1, id="r1", status="EXECUTING"), UP], handle="H2")
    assert batch.rows == ({"id": "r1", "status": "EXECUTING"},)
    assert "cache-buster" not in params(log.next_request())


def test_live_echo_of_the_same_offset_is_normal() -> None:
    log = up_to_date_log()
    for n in range(20):
        batch = respond(log, [UP], offset="1_0", schema=False, cursor=f"c{n}")
        assert batch == ShapeBatch(up_to_date=True)
    assert log.consecutive_refetches == 0
    assert "cache-buster" not in params(log.next_request())


def test_repeated_empty_non_live_response_at_the_same_offset_is_stale() -> None:
    log = ShapeLog(random_token=counter_tokens())
    respond(log, [insert(KEY1, id="r1")], offset="0_0")
    assert respond(log, [], offset="0_0") == ShapeBatch()  # once: tolerated
    batch = respond(log, [], offset="0_0")
    assert batch == ShapeBatch(stale=True)
    assert params(log.next_request())["cache-buster"] == "cb1"
    assert log.consecutive_refetches == 1
    # a response that moves on is accepted again
    batch = respond(log, [UP], offset="0_1")
    assert batch.rows == ({"id": "r1"},) and log.consecutive_refetches == 0


def test_reset_starts_a_fresh_snapshot_and_keeps_expired_handles() -> None:
    log = up_to_date_log(random_token=counter_tokens())
    respond(log, MUST_REFETCH, status=409, handle="H2")
    log.reset()
    assert log.offset == "-1" and log.handle is None and log.rows == {} and log.schema is None
    assert log.expired_handles == {"H1"}
    assert params(log.next_request()) == {
        "cache-buster": "cb2",
        "expired_handle": "H1",
        "log": "full",
        "offset": "-1",
    }


def test_request_catch_up_sends_one_non_live_request_then_live_again() -> None:
    log = ShapeLog()
    log.handle_response(
        200,
        {"electric-handle": "h", "electric-offset": "0_0", "electric-schema": "{}"},
        b'[{"headers":{"control":"up-to-date"}}]',
    )
    assert log.next_request().live
    log.request_catch_up()
    catch_up = log.next_request()
    assert not catch_up.live and ("live", "true") not in catch_up.params
    log.handle_response(
        200,
        {"electric-handle": "h", "electric-offset": "0_0", "electric-schema": "{}"},
        b'[{"headers":{"control":"up-to-date"}}]',
    )
    assert log.next_request().live
