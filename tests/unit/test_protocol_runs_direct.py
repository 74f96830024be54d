"""The direct row -> Run path gives what the reference path gives: the same run or the same error.

Reference: ``electric_values.parse_value`` column by column, then ``shape_row`` (cattrs into
``RunShapeRow``), each packet decoded (and downloaded) on its own, then ``run_from_row``: the path
every row took before the direct one existed. Rows come from the emulator's own encoders (both
wire dialects, skipped columns, nulls, arrays, jsonb errors, every status and an unknown one,
every packet type), and from parsed rows with values of unusual types.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trigger_client import RealtimeProtocolError, Run
from trigger_client._async._packets import AsyncPacketResolver
from trigger_client._async._transport import AsyncTransport
from trigger_client._protocol.electric_values import (
    parse_row,
    parse_schema_header,
    parse_value,
)
from trigger_client._protocol.packets import (
    StoreReference,
    decode_downloaded_packet,
    decode_packet,
    encode_packet,
)
from trigger_client._protocol.runs import STATUS_MAP, checked_row, run_from_row, shape_row
from trigger_client._sync._packets import PacketResolver
from trigger_client._sync._transport import Transport
from trigger_client.testing._columns import (
    COLUMN_NAMES,
    RESERVED_COLUMNS,
    electric_schema,
    encode_row,
    native_schema,
)

# -- the reference path ----------------------------------------------------------------------------

DOWNLOADED = b'{"downloaded":true}'


def reference_parse_row(
    value: Mapping[str, str | None], schema: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, text in value.items():
        try:
            row[column] = parse_value(text, schema.get(column))
        except RealtimeProtocolError as exc:
            raise RealtimeProtocolError(
                f"realtime column {column!r}: {exc.message}", body=dict(value)
            ) from None
    return row


def reference_run(row: Mapping[str, Any]) -> Run:
    raw = shape_row(row)

    def packet(data: str | None, data_type: str | None) -> Any:
        if not data_type:
            return None
        value = decode_packet(data, data_type)
        if isinstance(value, StoreReference):
            return decode_downloaded_packet(DOWNLOADED, "application/json")
        return value

    payload = packet(raw.payload, raw.payload_type)
    output = packet(raw.output, raw.output_type)
    metadata = (
        packet(raw.metadata, raw.metadata_type) if raw.metadata and raw.metadata_type else None
    )
    return run_from_row(raw, payload=payload, output=output, metadata=metadata)


class FakeTransport:
    """Presigns and downloads offloaded packets, counting the downloads."""

    def __init__(self) -> None:
        self.downloads: list[str] = []

    def get_json(self, path: str) -> Any:
        return {"presignedUrl": f"https://store.example{path}"}

    def download(self, url: str) -> httpx.Response:
        self.downloads.append(url)
        return httpx.Response(200, content=DOWNLOADED, headers={"content-type": "application/json"})


class AsyncFakeTransport:
    def __init__(self) -> None:
        self.sync = FakeTransport()
        self.downloads = self.sync.downloads

    async def get_json(self, path: str) -> Any:
        return self.sync.get_json(path)

    async def download(self, url: str) -> httpx.Response:
        return self.sync.download(url)


def resolver() -> tuple[PacketResolver, FakeTransport]:
    transport = FakeTransport()
    return PacketResolver(cast(Transport, transport)), transport


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", value)`` or ``("error", (type, message))``; fields typed, so 0 != 0.0 here."""
    try:
        value = call()
    except Exception as exc:
        return "error", (type(exc).__name__, str(exc))
    if value is None:
        return "ok", None
    return "ok", typed(value)


def typed(value: Run | Mapping[str, Any]) -> dict[str, tuple[type, Any]]:
    items = attrs.asdict(value, recurse=False) if isinstance(value, Run) else value
    return {k: (type(v), v) for k, v in items.items()}


def assert_same_run(row: dict[str, Any], *, direct_expected: bool | None = None) -> None:
    expected = outcome(lambda: reference_run(row))
    packets, _ = resolver()
    direct = outcome(lambda: packets.run_from_row_now(row))
    if direct == ("ok", None):
        assert direct_expected is not True, f"the direct path refused {row!r:.300}"
    else:
        assert direct == expected
    packets, _ = resolver()
    assert outcome(lambda: packets.runs_from_rows([row])[0]) == expected
    if direct_expected is False:
        assert checked_row(row) is None


# -- wire rows from the emulator's encoders --------------------------------------------------------

SCHEMAS = {
    "electric": electric_schema(COLUMN_NAMES),
    "electric-snapshot": electric_schema(COLUMN_NAMES),
    "native": native_schema(COLUMN_NAMES),
}
SKIPPABLE = [name for name in COLUMN_NAMES if name not in RESERVED_COLUMNS]

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
epoch_ms = st.integers(0, 4_102_444_800_000)  # 1970 .. 2100
PACKETS: list[tuple[str | None, str | None]] = [
    ('{"a":1,"b":[1,2]}', "application/json"),
    ('"plain"', "application/json"),
    ("null", "application/json"),
    ('{"a":1}', "Application/JSON; charset=utf-8"),
    ("hello", "text/plain"),
    (encode_packet(datetime(2026, 6, 6, tzinfo=UTC))[0], "application/super+json"),
    ("packets/run_1/payload.json", "application/store"),
    ('{"truncated', "application/json"),
    ("NaN", "application/json"),
    ("raw text", "application/x-unknown"),
    ("", "application/json"),
    (None, "application/json"),
    (None, None),
]
ERRORS: list[Any] = [
    None,
    {"type": "BUILT_IN_ERROR", "name": "Error", "message": "boom", "stackTrace": "at x"},
    {"type": "BUILT_IN_ERROR", "name": "E"},
    {"type": "STRING_ERROR", "raw": "x"},
    {"type": "CUSTOM_ERROR", "raw": '{"foo":1}'},
    {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"},
    {
        "type": "INTERNAL_ERROR",
        "code": "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE",
        "message": "SIGTERM",
    },
    {"type": "BRAND_NEW_KIND", "detail": {"x": "é"}},
    {"message": "no type"},
    "just a string",
    [1, 2],
]
STATUSES = sorted(STATUS_MAP) + ["SOMETHING_NEW_INTERNAL"]
ZONES = [None, UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))]
timestamp_texts = st.builds(
    lambda when, zone, separator: when.replace(tzinfo=zone).isoformat(sep=separator),
    st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)),
    st.sampled_from(ZONES),
    st.sampled_from([" ", "T"]),
)


@given(timestamp_texts)
def test_timestamps_convert_as_the_reference_does(text: str) -> None:
    assert_same_run({**base_row(), "createdAt": text, "completedAt": text})


@st.composite
def wire_rows(draw: st.DrawFn) -> tuple[dict[str, str | None], str]:
    dialect = draw(st.sampled_from(sorted(SCHEMAS)))
    run = draw(st.from_regex(r"[a-z0-9]{8}", fullmatch=True))
    nullable_ms = st.none() | epoch_ms
    payload, payload_type = draw(st.sampled_from(PACKETS))
    output, output_type = draw(st.sampled_from(PACKETS))
    metadata, metadata_type = draw(st.sampled_from(PACKETS))
    values: dict[str, Any] = {
        "id": run,
        "taskIdentifier": draw(st.sampled_from(["my-task", "a b"])),
        "createdAt": draw(epoch_ms),
        "updatedAt": draw(epoch_ms),
        "startedAt": draw(nullable_ms),
        "delayUntil": draw(nullable_ms),
        "queuedAt": draw(nullable_ms),
        "expiredAt": draw(nullable_ms),
        "completedAt": draw(nullable_ms),
        "friendlyId": f"run_{run}",
        "number": draw(st.integers(0, 2**31 - 1)),
        "isTest": draw(st.booleans()),
        "status": draw(st.sampled_from(STATUSES)),
        "usageDurationMs": draw(st.integers(0, 2**31 - 1)),
        "costInCents": draw(st.floats(0, 1e9, allow_nan=False)),
        "baseCostInCents": draw(st.sampled_from([0, 0.0025, 1.5])),
        "ttl": draw(st.sampled_from([None, "10m", "1h 2m"])),
        "payload": payload,
        "payloadType": payload_type,
        "metadata": metadata,
        "metadataType": metadata_type,
        "output": output,
        "outputType": output_type,
        "runTags": draw(st.lists(texts, max_size=3)),
        "error": draw(st.sampled_from(ERRORS)),
        "realtimeStreams": draw(st.lists(texts, max_size=2)),
    }
    skipped = draw(st.sets(st.sampled_from(SKIPPABLE), max_size=4))
    columns = [name for name in COLUMN_NAMES if name not in skipped]
    wire = encode_row(values, columns, cast(Any, dialect))
    # Forms the encoders never write, but a server might: offsets, microseconds, odd values.
    for name in ("createdAt", "updatedAt", "startedAt", "completedAt"):
        if wire.get(name) is not None and draw(st.booleans()):
            wire[name] = draw(timestamp_texts)
    tweak = draw(st.integers(0, 9))
    column = draw(st.sampled_from(columns))
    if tweak == 0:
        wire[column] = None
    elif tweak == 1 and column in ("createdAt", "updatedAt", "startedAt", "queuedAt"):
        wire[column] = draw(
            st.sampled_from(
                [
                    "2026-06-06T10:00:00.123456+02:00",
                    "2026-06-06 10:00:00.999999",
                    "0001-01-01T00:30:00+01:00",
                    "not a date",
                ]
            )
        )
    elif tweak == 2:
        wire[column] = draw(st.sampled_from(["", "{NULL}", '{"a b",NULL}', "{", "x", " 7 ", "t"]))
    return wire, dialect


def parse_both(
    wire: Mapping[str, str | None], dialect: str
) -> tuple[tuple[str, Any], tuple[str, Any]]:
    schema = SCHEMAS[dialect]
    header = parse_schema_header(json.dumps(schema))
    return (
        outcome(lambda: parse_row(wire, header)),
        outcome(lambda: reference_parse_row(wire, schema)),
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wire_rows())
def test_wire_rows_parse_and_convert_as_the_reference_does(
    case: tuple[dict[str, Any], str],
) -> None:
    wire, dialect = case
    planned, expected = parse_both(wire, dialect)
    assert planned == expected
    # a plain mapping as the schema (compiled on each call) agrees too
    assert outcome(lambda: parse_row(wire, SCHEMAS[dialect])) == expected
    if expected[0] == "ok":
        row = parse_row(wire, parse_schema_header(json.dumps(SCHEMAS[dialect])))
        assert_same_run(row)


# -- parsed rows with values of unusual types ------------------------------------------------------

BASE_WIRE: dict[str, str | None] = {
    "id": "cm1",
    "taskIdentifier": "my-task",
    "createdAt": "2026-06-06 10:00:00.123999",  # sub-millisecond digits are dropped
    "updatedAt": "2026-06-06 10:00:05.5",
    "startedAt": "2026-06-06T12:00:01.000999+02:00",
    "delayUntil": None,
    "queuedAt": "2026-06-06 10:00:00.2",
    "expiredAt": None,
    "completedAt": None,
    "friendlyId": "run_cm1",
    "number": "7",
    "isTest": "f",
    "status": "EXECUTING",
    "usageDurationMs": "4000",
    "costInCents": "0.55",
    "baseCostInCents": "0",
    "ttl": "10m",
    "payload": '{"a":1}',
    "payloadType": "application/json",
    "metadata": '{"m":true}',
    "metadataType": "application/json",
    "output": None,
    "outputType": "application/json",
    "runTags": '{user_1,"a b"}',
    "error": None,
    "realtimeStreams": "{}",
}


def base_row() -> dict[str, Any]:
    return parse_row(BASE_WIRE, SCHEMAS["electric"])


UNUSUAL: list[tuple[str, Any]] = [
    ("createdAt", datetime(2026, 6, 6, 10, 0, 0, 123456, tzinfo=UTC)),
    ("createdAt", None),
    ("createdAt", 5),
    ("updatedAt", None),
    ("updatedAt", "2026-06-06T10:00:00Z"),
    ("startedAt", "yesterday"),
    ("number", 3.0),
    ("number", 3.5),
    ("number", True),
    ("number", "3"),
    ("number", None),
    ("usageDurationMs", 2**70),
    ("costInCents", 1),
    ("costInCents", 2**1100),
    ("costInCents", "0.5"),
    ("costInCents", False),
    ("baseCostInCents", None),
    ("isTest", "t"),
    ("isTest", 1),
    ("isTest", None),
    ("status", None),
    ("status", 3),
    ("status", "BRAND_NEW_STATUS"),
    ("friendlyId", None),
    ("friendlyId", 17),
    ("id", None),
    ("taskIdentifier", ["x"]),
    ("runTags", ("a", "b")),
    ("runTags", ["a", None]),
    ("runTags", "abc"),
    ("runTags", {"a": 1}),
    ("runTags", []),
    ("realtimeStreams", [1]),
    ("realtimeStreams", None),
    ("ttl", 10),
    ("idempotencyKey", "key-1"),
    ("idempotencyKey", 1),
    ("payload", 5),
    ("payloadType", None),
    ("metadataType", ["application/json"]),
    ("error", {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CRASHED"}),
    ("error", 5),
    ("extraColumn", object()),
]


@pytest.mark.parametrize(("column", "value"), UNUSUAL, ids=[f"{c}={v!r:.20}" for c, v in UNUSUAL])
def test_unusual_parsed_values_give_the_reference_result(column: str, value: Any) -> None:
    row = base_row()
    row[column] = value
    assert_same_run(row)


@pytest.mark.parametrize("column", [c for c in COLUMN_NAMES if c not in RESERVED_COLUMNS])
def test_every_skippable_column_may_be_missing(column: str) -> None:
    row = base_row()
    del row[column]
    assert_same_run(row, direct_expected=column != "updatedAt")


@pytest.mark.parametrize("status", STATUSES)
def test_every_status(status: str) -> None:
    row = base_row()
    row["status"] = status
    assert_same_run(row, direct_expected=status in STATUS_MAP)


def test_the_usual_row_takes_the_direct_path() -> None:
    assert checked_row(base_row()) is not None
    assert_same_run(base_row(), direct_expected=True)


def test_tags_are_never_shared_with_the_row() -> None:
    row = base_row()
    packets, _ = resolver()
    run = packets.run_from_row_now(row)
    assert run is not None and run.tags == row["runTags"] and run.tags is not row["runTags"]


# -- the resolver: cache and downloads ---------------------------------------------------------


def test_versions_of_a_run_decode_unchanged_packets_once_and_download_once() -> None:
    packets, transport = resolver()
    first = {**base_row(), "output": "packets/run_cm1/out.json", "outputType": "application/store"}
    second = {**first, "updatedAt": "2026-06-06 10:00:09", "metadata": '{"m":2}'}
    third = {**second, "payload": '{"a":2}'}
    runs = packets.runs_from_rows([first, second, third])
    assert [r.output for r in runs] == [{"downloaded": True}] * 3
    assert len(transport.downloads) == 1
    assert runs[1].payload is runs[0].payload  # unchanged text: the cached value
    assert runs[2].payload == {"a": 2} and runs[1].metadata == {"m": 2}
    assert [typed(run) for run in runs] == [
        typed(reference_run(row)) for row in (first, second, third)
    ]


def test_a_new_store_path_is_downloaded_again_and_forget_drops_the_cache() -> None:
    packets, transport = resolver()
    row = {**base_row(), "payload": "p/1", "payloadType": "application/store"}
    packets.runs_from_rows([row, row, {**row, "payload": "p/2"}])
    assert len(transport.downloads) == 2
    packets.forget("run_cm1")
    packets.runs_from_rows([row])
    assert len(transport.downloads) == 3


def test_no_direct_run_when_a_packet_must_be_downloaded() -> None:
    packets, transport = resolver()
    row = {**base_row(), "metadata": "m/1", "metadataType": "application/store"}
    assert packets.run_from_row_now(row) is None and not transport.downloads
    assert packets.run_from_row(row).metadata == {"downloaded": True}
    # downloaded once, then cached: the direct path takes it from now on
    direct = packets.run_from_row_now(row)
    assert direct is not None and direct.metadata == {"downloaded": True}
    assert len(transport.downloads) == 1


def test_invalid_packets_fail_the_direct_path_as_they_fail_the_reference() -> None:
    row = {**base_row(), "payload": "{nope"}
    packets, _ = resolver()
    assert outcome(lambda: packets.run_from_row_now(row)) == outcome(lambda: reference_run(row))
    assert outcome(lambda: reference_run(row))[0] == "error"


def test_the_async_resolver_agrees() -> None:
    rows = [
        base_row(),
        {**base_row(), "output": "o/1", "outputType": "application/store"},
        {**base_row(), "status": "BRAND_NEW_STATUS"},
    ]
    transport = AsyncFakeTransport()
    packets = AsyncPacketResolver(cast(AsyncTransport, transport))
    runs = asyncio.run(packets.runs_from_rows(rows))
    assert [typed(run) for run in runs] == [typed(reference_run(row)) for row in rows]
    assert len(transport.downloads) == 1
