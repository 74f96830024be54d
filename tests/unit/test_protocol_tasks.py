"""Triggering tasks, the pure part (trigger_client/_protocol/tasks.py): payload text, idempotency
keys, option bodies and batch items, each checked value by value and error by error.

The expected texts are the official SDK 3.3.17's (tests/parity/test_rest_parity.py compares the
same requests with the SDK itself over HTTP); here they are fast enough for mutation testing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from trigger_client import BatchItem, QueueOptions, TriggerOptions
from trigger_client._protocol.tasks import (
    JSON,
    SUPERJSON,
    TEXT,
    batch_items,
    delay_text,
    duration_text,
    encode_payload,
    idempotency_key,
    js_number,
    js_stringify,
    json_value,
    merge_options,
    trigger_item_body,
    trigger_options_body,
)

# -- numbers and JSON text --------------------------------------------------------------------

#: (value, JavaScript's String(value))
NUMBERS = [
    (0.0, "0"),
    (-0.0, "0"),
    (1.0, "1"),
    (-1.0, "-1"),
    (100.0, "100"),
    (0.1, "0.1"),
    (-2.5, "-2.5"),
    (123.456, "123.456"),
    (0.30000000000000004, "0.30000000000000004"),
    (1e-6, "0.000001"),
    (1.5e-6, "0.0000015"),
    (1e-7, "1e-7"),
    (-1.5e-7, "-1.5e-7"),
    (1.2345e-7, "1.2345e-7"),
    (0.000123, "0.000123"),
    (1e20, "100000000000000000000"),
    (123456789012345680000.0, "123456789012345680000"),
    (1e21, "1e+21"),
    (1.25e21, "1.25e+21"),
    (-1e22, "-1e+22"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (12.0, "12"),
    (1234.5, "1234.5"),
    (1e15, "1000000000000000"),
    (9007199254740993.0, "9007199254740992"),
]


@pytest.mark.parametrize(("value", "text"), NUMBERS, ids=[t for _, t in NUMBERS])
def test_js_number(value: float, text: str) -> None:
    assert js_number(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_number_is_null(value: float) -> None:
    assert js_number(value) == "null"


def test_js_stringify_writes_json_as_javascript_does() -> None:
    value = {"a": [1, 2.5, 1.0, None, True, False, "é\u2028"], "b": {}, "c": [], "d": (1, "x")}
    assert (
        js_stringify(value) == '{"a":[1,2.5,1,null,true,false,"é\u2028"],"b":{},"c":[],"d":[1,"x"]}'
    )
    assert js_stringify({"z": 1, "a": 2}) == '{"z":1,"a":2}'  # insertion order kept
    assert js_stringify('q"\\') == '"q\\"\\\\"'
    assert js_stringify(10**20) == "100000000000000000000"


def test_js_stringify_rejects_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match="JSON object keys must be strings, not int"):
        js_stringify({1: "x"})
    with pytest.raises(TypeError, match="cannot write a set as JSON"):
        js_stringify({"s": {1}})


def test_encode_payload() -> None:
    assert encode_payload("hello") == ("hello", TEXT)
    assert encode_payload({"a": 1.0}) == ('{"json":{"a":1}}', SUPERJSON)
    assert encode_payload(None) == ('{"json":null}', SUPERJSON)
    data, kind = encode_payload({"at": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)})
    assert kind == SUPERJSON
    assert data == (
        '{"json":{"at":"2024-01-02T03:04:05.678Z"},"meta":{"values":{"at":["Date"]},"v":1}}'
    )


def test_json_value() -> None:
    at = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert json_value({"a": (1, at), "b": None, "c": 1.5, "d": True}, "metadata") == {
        "a": [1, "2024-01-02T03:04:05.678Z"],
        "b": None,
        "c": 1.5,
        "d": True,
    }
    with pytest.raises(TypeError, match="^metadata keys must be strings, not int$"):
        json_value({1: 2}, "metadata")
    with pytest.raises(
        TypeError,
        match=r"^metadata must be JSON \(dict, list, str, number, bool, None, datetime\), not set$",
    ):
        json_value({"s": {1}}, "metadata")


# -- idempotency keys ---------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_idempotency_key() -> None:
    assert idempotency_key(None) is None
    assert idempotency_key("") is None
    assert idempotency_key("k1") == _sha("k1")
    assert idempotency_key(["a", "b"]) == _sha("a-b")
    assert idempotency_key(("é",)) == _sha("é")
    hashed = "a" * 64
    assert idempotency_key(hashed) == hashed  # taken as already hashed
    assert idempotency_key("a" * 63) == _sha("a" * 63)
    assert idempotency_key("a" * 65) == _sha("a" * 65)
    for bad in ([], ["a", 1]):
        with pytest.raises(
            TypeError, match="^idempotency_key must be a string or a non-empty list of strings$"
        ):
            idempotency_key(bad)  # type: ignore[arg-type]


# -- durations and delays -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1h", "1h"),
        (" 5m", " 5m"),
        (timedelta(minutes=90), "90m"),
        (timedelta(days=2), "2d"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=1, seconds=1), "3601s"),
        (timedelta(seconds=0.2), "1s"),
        (timedelta(seconds=59.5), "1m"),
        (timedelta(days=1, hours=1), "25h"),
    ],
)
def test_duration_text(value: str | timedelta, text: str) -> None:
    assert duration_text(value, "ttl") == text


def test_duration_text_errors() -> None:
    with pytest.raises(ValueError, match="^ttl must not be empty$"):
        duration_text(" ", "ttl")
    with pytest.raises(ValueError, match=r"^ttl must be positive, not datetime.timedelta\(0\)$"):
        duration_text(timedelta(0), "ttl")
    with pytest.raises(ValueError, match="^ttl must be positive"):
        duration_text(timedelta(seconds=-5), "ttl")
    with pytest.raises(
        TypeError, match='^ttl must be a duration such as "1h" or a timedelta, not 5$'
    ):
        duration_text(5, "ttl")  # type: ignore[arg-type]


def test_delay_text() -> None:
    assert delay_text(datetime(2031, 1, 1, tzinfo=UTC)) == "2031-01-01T00:00:00.000Z"
    assert delay_text(datetime(2031, 1, 1)) == "2031-01-01T00:00:00.000Z"  # naive: UTC
    assert delay_text(timedelta(minutes=90)) == "90m"
    assert delay_text("1h") == "1h"
    with pytest.raises(ValueError, match="^delay must not be empty$"):
        delay_text("")
    with pytest.raises(ValueError, match="^when must not be empty$"):
        delay_text("", "when")


# -- option bodies ------------------------------------------------------------------------------

EVERY_OPTION = TriggerOptions(
    idempotency_key="k1",
    idempotency_key_ttl=timedelta(hours=2),
    delay="1h",
    ttl=3600,
    tags="user:1",
    metadata={"at": datetime(2024, 1, 2, tzinfo=UTC), "n": 1},
    queue=QueueOptions(name="emails", concurrency_limit=3),
    concurrency_key="user-1",
    max_attempts=4,
    max_duration=timedelta(minutes=5),
    machine="small-2x",
    test=True,
    lock_to_version="20250208.1",
)


def test_every_option_in_the_official_order() -> None:
    body = trigger_options_body(EVERY_OPTION, payload_type=SUPERJSON, default_version="v0")
    assert body == {
        "queue": {"name": "emails", "concurrencyLimit": 3},
        "concurrencyKey": "user-1",
        "test": True,
        "payloadType": SUPERJSON,
        "idempotencyKey": _sha("k1"),
        "idempotencyKeyTTL": "2h",
        "delay": "1h",
        "ttl": 3600,
        "tags": ["user:1"],
        "maxAttempts": 4,
        "metadata": {"at": "2024-01-02T00:00:00.000Z", "n": 1},
        "maxDuration": 300,
        "machine": "small-2x",
        "lockToVersion": "20250208.1",
    }
    assert list(body) == [
        "queue", "concurrencyKey", "test", "payloadType", "idempotencyKey", "idempotencyKeyTTL",
        "delay", "ttl", "tags", "maxAttempts", "metadata", "maxDuration", "machine",
        "lockToVersion",
    ]  # fmt: skip


def test_no_option_sends_only_the_payload_type() -> None:
    assert trigger_options_body(TriggerOptions(), payload_type=JSON, default_version=None) == {
        "payloadType": JSON
    }
    assert trigger_options_body(TriggerOptions(), payload_type=TEXT, default_version="") == {
        "payloadType": TEXT
    }


def test_the_default_version_applies_when_none_is_locked() -> None:
    body = trigger_options_body(TriggerOptions(), payload_type=JSON, default_version="20250101.1")
    assert body == {"payloadType": JSON, "lockToVersion": "20250101.1"}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (TriggerOptions(test=False), {"test": False}),
        (TriggerOptions(ttl=0), {"ttl": 0}),
        (TriggerOptions(ttl="5m"), {"ttl": "5m"}),
        (TriggerOptions(ttl=timedelta(seconds=1.5)), {"ttl": 2}),
        (TriggerOptions(queue="emails"), {"queue": {"name": "emails"}}),
        (TriggerOptions(queue=QueueOptions(name="q")), {"queue": {"name": "q"}}),
        (TriggerOptions(tags=["a", "b"]), {"tags": ["a", "b"]}),
        (TriggerOptions(tags=("a",)), {"tags": ["a"]}),
        (TriggerOptions(max_attempts=1), {"maxAttempts": 1}),
        (TriggerOptions(max_duration=1), {"maxDuration": 1}),
        (TriggerOptions(max_duration=timedelta(seconds=0.5)), {"maxDuration": 1}),
        (TriggerOptions(idempotency_key=""), {}),
        (TriggerOptions(metadata={}), {"metadata": {}}),
        (TriggerOptions(delay=timedelta(minutes=90)), {"delay": "90m"}),
        (TriggerOptions(concurrency_key=""), {"concurrencyKey": ""}),
    ],
)
def test_each_option(options: TriggerOptions, expected: dict[str, object]) -> None:
    body = trigger_options_body(options, payload_type=JSON, default_version=None)
    body.pop("payloadType")
    assert body == expected


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (TriggerOptions(ttl=-1), ValueError, "^ttl must be at least 0, not -1$"),
        (TriggerOptions(ttl=True), TypeError, "^ttl must be whole seconds"),
        (
            TriggerOptions(ttl=1.5),
            TypeError,
            r"^ttl must be whole seconds \(an int\) or a timedelta, not 1.5$",
        ),  # type: ignore[arg-type]
        (TriggerOptions(max_attempts=0), ValueError, "^max_attempts must be at least 1, not 0$"),
        (TriggerOptions(max_attempts=True), TypeError, "^max_attempts must be an int, not True$"),
        (TriggerOptions(max_attempts=2.0), TypeError, "^max_attempts must be an int"),  # type: ignore[arg-type]
        (TriggerOptions(max_duration=0), ValueError, "^max_duration must be at least 1, not 0$"),
        (
            TriggerOptions(max_duration=timedelta(0)),
            ValueError,
            "^max_duration must be at least 1, not 0$",
        ),
        (TriggerOptions(queue=""), ValueError, "^queue must not be empty$"),
        (TriggerOptions(queue=3), TypeError, "^queue must be a name or QueueOptions, not int$"),  # type: ignore[arg-type]
        (TriggerOptions(tags=["a", ""]), TypeError, "^tags must be non-empty strings$"),
        (TriggerOptions(tags=["a", 1]), TypeError, "^tags must be non-empty strings$"),  # type: ignore[list-item]
        (
            TriggerOptions(metadata=[1]),
            TypeError,
            r"^metadata must be a mapping \(a JSON object\)$",
        ),  # type: ignore[arg-type]
        (
            TriggerOptions(idempotency_key_ttl=""),
            ValueError,
            "^idempotency_key_ttl must not be empty$",
        ),
        (TriggerOptions(delay=" "), ValueError, "^delay must not be empty$"),
    ],
)
def test_bad_options_are_clear_errors(
    options: TriggerOptions, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        trigger_options_body(options, payload_type=JSON, default_version=None)


def test_merge_options() -> None:
    base = TriggerOptions(tags=["a"], ttl="1h")
    assert merge_options(None, {}) == TriggerOptions()
    assert merge_options(base, {"ttl": None}) is base
    assert merge_options(base, {"ttl": "5m", "delay": None}) == TriggerOptions(tags=["a"], ttl="5m")
    assert merge_options(None, {"machine": "small-1x"}) == TriggerOptions(machine="small-1x")
    with pytest.raises(TypeError, match="^options must be a TriggerOptions, not dict$"):
        merge_options({"ttl": 1}, {})  # type: ignore[arg-type]


# -- items and batches --------------------------------------------------------------------------


def test_trigger_item_body() -> None:
    options = TriggerOptions(tags=["t"])
    assert trigger_item_body({"n": 1}, options, default_version=None, omit_payload=False) == {
        "payload": '{"json":{"n":1}}',
        "options": {"payloadType": SUPERJSON, "tags": ["t"]},
    }
    assert trigger_item_body("x", options, default_version="v1", omit_payload=False) == {
        "payload": "x",
        "options": {"payloadType": TEXT, "tags": ["t"], "lockToVersion": "v1"},
    }
    assert trigger_item_body(None, options, default_version=None, omit_payload=True) == {
        "options": {"payloadType": JSON, "tags": ["t"]}
    }


def test_batch_items() -> None:
    items = [{"n": 1}, BatchItem("text", TriggerOptions(delay="1h")), BatchItem(2, task="t")]
    assert batch_items(items, "t", default_version=None) == [
        {"task": "t", "payload": '{"json":{"n":1}}', "options": {"payloadType": SUPERJSON}},
        {"task": "t", "payload": "text", "options": {"payloadType": TEXT, "delay": "1h"}},
        {"task": "t", "payload": '{"json":2}', "options": {"payloadType": SUPERJSON}},
    ]
    by_id = batch_items(
        [BatchItem(1, task="a"), BatchItem(2, task="b")], None, default_version="v2"
    )
    assert [(i["task"], i["options"]["lockToVersion"]) for i in by_id] == [("a", "v2"), ("b", "v2")]
    assert list(by_id[0]) == ["task", "payload", "options"]


def test_batch_item_errors() -> None:
    with pytest.raises(
        ValueError,
        match=(
            r"^item 1 names task 'b' in a batch of 'a': use tasks.batch_trigger_by_id to trigger "
            r"several tasks in one batch$"
        ),
    ):
        batch_items([1, BatchItem(2, task="b")], "a", default_version=None)
    with pytest.raises(
        ValueError, match=r"^item 0 has no task: pass BatchItem\(payload, task='...'\)$"
    ):
        batch_items([1], None, default_version=None)
    with pytest.raises(ValueError, match="^a batch needs at least one item$"):
        batch_items([], "a", default_version=None)
    with pytest.raises(ValueError, match="^task must be a task id such as 'my-task', not ''$"):
        BatchItem(1, task="")
    assert batch_items([BatchItem(1, task="a")], "a", default_version=None)[0]["task"] == "a"


def test_non_ascii_keys_are_written_as_is() -> None:
    assert js_stringify({"é": "ü"}) == '{"é":"ü"}'


def test_a_bad_nested_metadata_value_is_named() -> None:
    with pytest.raises(TypeError, match="^metadata keys must be strings, not int$"):
        trigger_options_body(
            TriggerOptions(metadata={"a": [{1: 2}]}), payload_type=JSON, default_version=None
        )
    with pytest.raises(TypeError, match="^metadata must be JSON .*, not set$"):
        trigger_options_body(
            TriggerOptions(metadata={"a": [{1}]}), payload_type=JSON, default_version=None
        )
