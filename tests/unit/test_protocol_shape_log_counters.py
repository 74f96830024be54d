"""ShapeLog's counters and replay rules, exactly: refetch counts, cache-busters from a poor random
source, the replay count after a reset, what counts as progress, the first schema kept, the order of
re-inserted rows, and a 204's body (written from mutation survivors)."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_protocol_shape_log import (
    KEY1,
    KEY2,
    SCHEMA,
    UP,
    delete,
    insert,
    params,
    respond,
    up_to_date_log,
)
from trigger_client._protocol.shape_log import SELF_HEAL_AFTER, ShapeLog


def test_answers_of_another_shape_count_as_refetches_up_to_the_self_heal() -> None:
    log = up_to_date_log()
    assert log.consecutive_refetches == 0
    for count in range(1, SELF_HEAL_AFTER):
        batch = respond(log, [UP], handle="OTHER", offset="9_0", cursor="c9", schema=False)
        assert batch.stale and not batch.must_refetch
        assert log.consecutive_refetches == count
    healed = respond(log, [UP], handle="OTHER", offset="9_0", cursor="c9", schema=False)
    assert healed.stale and healed.must_refetch
    assert log.consecutive_refetches == SELF_HEAL_AFTER
    assert log.offset == "-1" and log.handle is None


def test_a_poor_random_source_still_changes_the_cache_buster() -> None:
    log = ShapeLog(random_token=lambda: "t")
    busters = []
    for count in range(1, 4):
        assert respond(log, [], status=409, handle="H2").must_refetch
        assert log.consecutive_refetches == count
        busters.append(params(log.next_request())["cache-buster"])
    # the same token twice in a row is made unique with the refetch count it comes with
    assert busters == ["t", "t-2", "t"]
    respond(log, [insert(KEY1, id="r1")], handle="H2", offset="0_0")
    assert "cache-buster" not in params(log.next_request())  # dropped once an answer is taken


def test_one_answer_that_does_not_move_is_not_a_replay_after_a_reset_either() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1")], offset="0_0")
    assert not respond(log, [], offset="0_0").stale  # the first repeat is tolerated
    respond(log, [], status=409, handle="H2")  # reset: the repeat count starts again
    assert not respond(log, [], handle="H2", offset="-1").stale
    assert respond(log, [], handle="H2", offset="-1").stale


def test_reserved_parameters_are_all_named() -> None:
    with pytest.raises(ValueError) as info:
        ShapeLog({"where": "x", "offset": "5", "live": "true"})
    assert str(info.value) == "reserved shape parameters cannot be set: live, offset"


def test_a_non_live_answer_with_changes_but_the_same_offset_does_not_move() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1")], offset="0_0")
    assert not respond(log, [insert(KEY2, id="r2")], offset="0_0").stale
    assert respond(log, [insert(KEY2, id="r2")], offset="0_0").stale


def test_an_up_to_date_at_the_same_offset_is_progress() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1")], offset="0_0")
    for _ in range(3):
        log.request_catch_up()  # non-live again
        batch = respond(log, [UP], offset="0_0")
        assert not batch.stale and batch.up_to_date


def test_a_204_is_progress_and_its_body_is_never_read() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1")], offset="0_0")
    for _ in range(3):
        log.request_catch_up()
        batch = respond(log, b"not json", offset="0_0", status=204)
        assert not batch.stale and batch.up_to_date
        assert [row["id"] for row in batch.rows] in (["r1"], [])


def test_the_first_schema_is_kept_and_live_answers_need_none() -> None:
    log = up_to_date_log()
    other = {**SCHEMA, "number": {"type": "text"}}
    batch = respond(
        log,
        [insert(KEY2, id="r2", number="2"), UP],
        offset="2_0",
        cursor="c2",
        schema=False,
    )
    assert batch.rows == ({"id": "r2", "number": 2},)
    log.request_catch_up()
    batch = respond(
        log,
        [insert(KEY2, id="r2", number="3"), UP],
        offset="3_0",
        extra={"electric-schema": json.dumps(other)},
        schema=False,
    )
    assert batch.rows == ({"id": "r2", "number": 3},)  # still an int4: the first schema
    assert log.schema == SCHEMA


def test_a_row_deleted_and_inserted_again_moves_to_the_end() -> None:
    log = ShapeLog()
    respond(log, [insert(KEY1, id="r1"), insert(KEY2, id="r2")], offset="0_0")
    batch = respond(log, [delete(KEY1), insert(KEY1, id="r1", number="5"), UP], offset="1_0")
    assert [row["id"] for row in batch.rows] == ["r2", "r1"]
    assert batch.rows[1] == {"id": "r1", "number": 5}
    assert batch.deleted_keys == ()
