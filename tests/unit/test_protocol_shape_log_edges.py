"""ShapeLog edges that mutation testing (docs/testing.md) found unchecked: the protocol errors a
user reads (whole, with the body they carry), the snapshot and 204 rules, and argument checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.test_protocol_shape_log import KEY1, UP, insert, respond, up_to_date_log, update
from trigger_client import RealtimeProtocolError
from trigger_client._protocol.shape_log import ShapeLog


def test_a_body_that_is_not_json_is_a_protocol_error_carrying_the_body() -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError) as info:
        respond(log, b"<html>" + b"x" * 2000)
    assert str(info.value).startswith("the realtime response body is not JSON: ")
    assert info.value.body == b"<html>" + b"x" * 994  # the first 1000 bytes


def test_a_body_that_is_not_an_array_is_a_protocol_error_carrying_the_body() -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError) as info:
        respond(log, {"messages": []})
    assert str(info.value) == (
        "the realtime response body is not a JSON array of messages; a proxy or CDN between the"
        " SDK and the API may have rewritten it"
    )
    assert info.value.body == {"messages": []}


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (3, "a realtime message is not a JSON object: 3"),
        (
            {"key": 7, "headers": {"operation": "insert"}},
            "a realtime change message has no string key: {'key': 7, 'headers': {'operation': "
            "'insert'}}",
        ),
        (
            {"key": KEY1, "headers": {"operation": "update"}},
            "a realtime update message has no value object",
        ),
    ],
)
def test_a_malformed_message_is_a_protocol_error_carrying_the_messages(
    message: Any, text: str
) -> None:
    log = ShapeLog()
    with pytest.raises(RealtimeProtocolError) as info:
        respond(log, [message])
    assert str(info.value) == text
    assert info.value.body == [message]


def test_missing_headers_are_named_singular_and_plural() -> None:
    with pytest.raises(RealtimeProtocolError) as one:
        respond(ShapeLog(), [], schema=False)
    assert str(one.value) == (
        "the realtime response (to a non-live request) is missing the required header"
        " electric-schema; a proxy or CDN between the SDK and the API may strip it"
    )
    with pytest.raises(RealtimeProtocolError) as two:
        respond(ShapeLog(), [], handle=None, offset=None)
    assert str(two.value) == (
        "the realtime response (to a non-live request) is missing the required headers"
        " electric-offset, electric-handle; a proxy or CDN between the SDK and the API may strip"
        " them"
    )
    log = up_to_date_log()
    with pytest.raises(RealtimeProtocolError) as live:
        respond(log, [UP], offset="1_0", schema=False)
    assert str(live.value) == (
        "the realtime response (to a live request) is missing the required header"
        " electric-cursor; a proxy or CDN between the SDK and the API may strip it"
    )


@pytest.mark.parametrize("status", [300, 301, 404, 199])
def test_only_2xx_and_409_are_handled(status: int) -> None:
    with pytest.raises(
        ValueError, match=f"^handle_response takes 2xx and 409 responses, not {status}$"
    ):
        respond(ShapeLog(), [], status=status)


def test_at_least_one_refetch_before_backing_off() -> None:
    with pytest.raises(ValueError, match="^max_consecutive_refetches must be at least 1$"):
        ShapeLog(max_consecutive_refetches=0)
    log = ShapeLog(max_consecutive_refetches=1)
    assert not log.needs_backoff
    respond(log, [{"headers": {"control": "must-refetch"}}], status=409)
    assert log.needs_backoff


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_a_snapshot_answer_with_updates_or_deletes_is_stale(operation: str) -> None:
    log = ShapeLog()
    message = {"key": KEY1, "value": {"id": "r1"}, "headers": {"operation": operation}}
    batch = respond(log, [message, UP])
    assert batch.stale and not batch.rows
    assert log.offset == "-1"  # nothing committed


def test_a_snapshot_answer_with_inserts_is_taken() -> None:
    log = ShapeLog()
    batch = respond(log, [insert(KEY1, id="r1", status="PENDING", number="1", runTags="{}"), UP])
    assert not batch.stale and batch.up_to_date and len(batch.rows) == 1


def test_a_204_moves_a_catch_up_to_up_to_date() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1", status="PENDING", number="1", runTags="{}")])
    batch = respond(log, b"", status=204)  # same offset, no body: still progress
    assert batch.up_to_date and not batch.stale
    assert log.is_up_to_date


def test_a_repeated_non_live_answer_without_up_to_date_is_stale_the_second_time() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1", status="PENDING", number="1", runTags="{}")])
    assert not respond(log, []).stale  # the same offset once: taken
    assert respond(log, []).stale  # twice: a replayed cache
    log.reset()
    respond(log, [insert(KEY1, id="r1", status="PENDING", number="1", runTags="{}")], offset="0_0")
    assert not respond(log, []).stale  # a fresh start forgets the repeats


def test_an_update_after_up_to_date_is_emitted() -> None:
    log = up_to_date_log()
    batch = respond(
        log, [update(KEY1, status="EXECUTING"), UP], offset="2_0", schema=False, cursor="c2"
    )
    assert batch.rows == ({"id": "r1", "status": "EXECUTING", "number": 1, "runTags": ["a"]},)
    assert json.dumps(batch.rows[0])  # plain values
