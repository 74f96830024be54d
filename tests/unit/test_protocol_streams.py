"""Realtime streams, pure parts: chunk decoding, discovery, resumption headers, timeouts."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import Run, RunStatus
from trigger_client._protocol.streams import (
    SEEN_PART_IDS,
    StreamCursor,
    StreamDecoder,
    announced_streams,
    decode_chunk,
    stream_path,
    timeout_seconds,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_a_json_chunk_decodes_to_its_value(value: Any) -> None:
    assert decode_chunk(json.dumps(value)) == value


@given(st.text())
def test_a_chunk_that_is_not_json_is_its_text(text: str) -> None:
    try:
        expected = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        expected = text
    assert decode_chunk(text) == expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "[NaN]", "hello", "{'a':1}", ""])
def test_what_json_parse_refuses_stays_text(text: str) -> None:
    assert decode_chunk(text) == text


def _run(metadata: Any = None, streams: list[str] | None = None) -> Run:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    return Run(
        id="run_1",
        task_identifier="t",
        payload=None,
        created_at=now,
        updated_at=now,
        number=1,
        status=RunStatus.EXECUTING,
        duration_ms=0,
        cost_in_cents=0.0,
        base_cost_in_cents=0.0,
        tags=[],
        is_test=False,
        metadata=metadata,
        realtime_streams=streams or [],
    )


def test_discovery_prefers_the_v1_metadata_list_else_the_v2_column() -> None:
    assert announced_streams(_run({"$$streams": ["a", "b"]}, ["c"])) == ["a", "b"]
    assert announced_streams(_run(None, ["c"])) == ["c"]
    assert announced_streams(_run({"$$streams": []}, ["c"])) == ["c"]
    assert announced_streams(_run({"$$streams": ["a", 1]}, ["c"])) == ["c"]  # not all strings
    assert announced_streams(_run({"$$streams": "a"}, [])) == []
    assert announced_streams(_run({"other": 1})) == []


def test_stream_path_encodes_both_parts() -> None:
    assert stream_path("run_1", "answer") == "/realtime/v1/streams/run_1/answer"
    assert stream_path("run_1", "a b/c?") == "/realtime/v1/streams/run_1/a%20b%2Fc%3F"
    with pytest.raises(ValueError):
        stream_path("run_1", "")


def test_timeout_seconds_is_a_whole_number_from_1_to_600() -> None:
    assert timeout_seconds(None) is None
    assert timeout_seconds(1) == "1"
    assert timeout_seconds(1.2) == "2"
    assert timeout_seconds(600) == "600"
    for bad in (0, 0.5, 601, -1, math.nan, True, "5"):
        with pytest.raises(ValueError):
            timeout_seconds(bad)  # type: ignore[arg-type]


def test_cursor_resumes_after_the_last_event_with_an_id() -> None:
    cursor = StreamCursor(timeout="5")
    assert cursor.headers() == {"accept": "text/event-stream", "timeout-seconds": "5"}
    cursor.advance("1-0")
    cursor.advance("")  # an event without an id keeps the last one
    assert cursor.headers()["last-event-id"] == "1-0"
    cursor.advance("1-1")
    assert cursor.last_event_id == "1-1"


def _batch(*records: dict[str, Any]) -> str:
    return json.dumps({"records": list(records), "tail": {"seq_num": 9, "timestamp": 1}})


def test_v1_events_are_one_chunk_each() -> None:
    decoder = StreamDecoder(None)
    assert decoder.feed("message", '{"a":1}', "5-0") == [("5-0", {"a": 1}, False)]
    assert decoder.feed("message", "text", "") == [(None, "text", False)]


def test_v2_batches_skip_command_records_and_parts_seen_before() -> None:
    decoder = StreamDecoder("v2")
    body = json.dumps({"data": {"delta": "Hi"}, "id": "p1"})
    items = decoder.feed(
        "batch",
        _batch(
            {"body": body, "seq_num": 0, "timestamp": 1},
            {"body": "", "seq_num": 1, "timestamp": 1, "headers": [["", "trim"]]},
            {"body": body, "seq_num": 2, "timestamp": 1},  # the same part again
            {"body": json.dumps({"data": "x", "id": "p2"}), "seq_num": 3, "timestamp": 1},
            {"body": "not json", "seq_num": 4, "timestamp": 1},
        ),
        "",
    )
    assert items == [
        ("0", {"delta": "Hi"}, False),
        ("1", None, True),
        ("2", None, True),
        ("3", "x", False),
        ("4", None, False),  # the official client yields parsedBody?.data: undefined
    ]
    assert decoder.feed("ping", "{}", "") == []
    assert decoder.feed("batch", "not json", "") == []
    assert decoder.feed("batch", '{"records": 3}', "") == []


def test_discovery_skips_keys_that_are_not_non_empty_strings() -> None:
    assert announced_streams(_run(None, ["a", "", 3, None, "b"])) == ["a", "b"]  # type: ignore[list-item]
    assert announced_streams(_run({"$$streams": ["a", "", "b"]})) == ["a", "b"]
    assert announced_streams(_run({"$$streams": ["a", 3]}, ["c"])) == ["c"]


def test_stream_path_names_the_part_it_refuses() -> None:
    with pytest.raises(ValueError) as caught:
        stream_path("", "answer")
    assert str(caught.value) == "run_id must not be empty"
    with pytest.raises(ValueError) as caught:
        stream_path("run_1", "..")
    assert str(caught.value) == "stream_key cannot be '..' (it would name another path)"


def test_timeout_seconds_refusals_say_what_is_allowed() -> None:
    for bad in (math.nan, True, "5"):
        with pytest.raises(ValueError) as caught:
            timeout_seconds(bad)  # type: ignore[arg-type]
        assert str(caught.value) == "timeout must be a number of seconds (1 to 600) or None"
    for bad in (0, 0.999, 600.5, -1):
        with pytest.raises(ValueError) as caught:
            timeout_seconds(bad)
        assert str(caught.value) == "timeout must be between 1 and 600 seconds"


def test_the_decoder_version_is_v2_only_when_the_server_says_so() -> None:
    assert StreamDecoder("v2").version == "v2"
    for other in (None, "v1", "V2", "v3", ""):
        assert StreamDecoder(other).version == "v1"


def _part(part_id: object, data: object, seq: object) -> dict[str, Any]:
    return {"body": json.dumps({"data": data, "id": part_id}), "seq_num": seq, "timestamp": 1}


def test_v2_records_that_are_not_objects_are_skipped_and_the_rest_kept() -> None:
    decoder = StreamDecoder("v2")
    items = decoder.feed("batch", _batch("junk", _part("p1", "a", 1), 7, _part("p2", "b", 2)), "")
    assert items == [("1", "a", False), ("2", "b", False)]


@pytest.mark.parametrize("seq", [None, "7", True, 1.5, [1]])
def test_a_v2_position_is_only_an_integer_seq_num(seq: object) -> None:
    record = _part("p1", "a", seq)
    if seq is None:
        del record["seq_num"]
    assert StreamDecoder("v2").feed("batch", _batch(record), "") == [(None, "a", False)]


@pytest.mark.parametrize(
    "headers",
    [[], [[]], [["trigger-control", "x"]], "x", [["content-type", "application/json"], ["", "x"]]],
)
def test_only_a_first_header_with_an_empty_name_marks_a_command_record(headers: object) -> None:
    record = {**_part("p1", "a", 3), "headers": headers}
    assert StreamDecoder("v2").feed("batch", _batch(record), "") == [("3", "a", False)]


@pytest.mark.parametrize("body", [None, 5, {"data": "a", "id": "p1"}, ["a"]])
def test_a_v2_body_that_is_not_a_string_carries_no_chunk(body: object) -> None:
    record = {"body": body, "seq_num": 4, "timestamp": 1}
    assert StreamDecoder("v2").feed("batch", _batch(record), "") == [("4", None, False)]


def test_parts_without_a_string_id_are_never_dropped_as_seen() -> None:
    # the official client drops a repeated part only by a truthy id (``parsedBody?.id``)
    decoder = StreamDecoder("v2")
    items = decoder.feed(
        "batch", _batch(_part("", "a", 1), _part("", "b", 2), _part(None, "c", 3)), ""
    )
    assert items == [("1", "a", False), ("2", "b", False), ("3", "c", False)]
    assert decoder.feed("batch", _batch(_part("", "d", 4)), "") == [("4", "d", False)]


def test_the_last_5000_part_ids_are_remembered() -> None:
    decoder = StreamDecoder("v2")
    records = [_part(f"p{n}", n, n) for n in range(1, SEEN_PART_IDS + 2)]  # 5001 parts
    items = decoder.feed("batch", _batch(*records), "")
    assert [chunk for _, chunk, _ in items] == list(range(1, SEEN_PART_IDS + 2))
    # p1, the oldest, was forgotten when the 5001st arrived; p2 .. p5001 are remembered
    assert decoder.feed("batch", _batch(_part("p2", "again", 9000)), "") == [("9000", None, True)]
    assert decoder.feed("batch", _batch(_part("p5001", "again", 9001)), "") == [
        ("9001", None, True)
    ]
    assert decoder.feed("batch", _batch(_part("p1", "again", 9002)), "") == [
        ("9002", "again", False)
    ]
