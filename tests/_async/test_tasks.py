"""tasks.trigger and tasks.batch_trigger against the emulator over real loopback HTTP, and the
serialisation rules they share with the official SDK 3.3.17."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from trigger_client import (
    AsyncTriggerClient,
    BatchHandle,
    BatchItem,
    QueueOptions,
    RunHandle,
    RunStatus,
    TriggerOptions,
    decode_public_token,
)
from trigger_client._protocol.tasks import (
    duration_text,
    encode_payload,
    idempotency_key,
    js_number,
)
from trigger_client.testing import TriggerEmulator, faults

pytestmark = pytest.mark.anyio


def client_for(emulator: TriggerEmulator, **options: object) -> AsyncTriggerClient:
    token = options.pop("access_token", emulator.secret_key)
    return AsyncTriggerClient(
        base_url=emulator.base_url,
        access_token=token,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- the whole loop --------------------------------------------------------------------------------


async def test_trigger_subscribe_and_read_the_output(emulator: TriggerEmulator) -> None:
    """A backend triggers a task, follows it with the handle's token, and reads its output."""
    task, tag = unique("hello-world"), unique("user")
    async with client_for(emulator) as backend:
        handle = await backend.tasks.trigger(task, {"name": "Ada"}, tags=[tag])
    assert isinstance(handle, RunHandle)
    assert handle.id.startswith("run_") and handle.task_identifier == task
    assert handle.public_access_token is not None
    claims = decode_public_token(handle.public_access_token)
    assert f"read:runs:{handle.id}" in claims.scopes
    assert claims.exp is not None and claims.iat is not None
    assert claims.exp - claims.iat == timedelta(hours=1)
    assert handle.public_access_token not in repr(handle)

    async with client_for(emulator, access_token=handle.public_access_token) as browser:
        statuses = []
        async for run in browser.runs.subscribe_to_run(handle, timeout=30):
            statuses.append(run.status)
            if len(statuses) == 1:
                emulator.start_play(handle.id, "success", interval=0.05, output={"hi": "Ada"})
    assert statuses[0] == RunStatus.QUEUED and statuses[-1] == RunStatus.COMPLETED
    assert run.output == {"hi": "Ada"} and run.payload == {"name": "Ada"}
    assert run.tags == [tag]


async def test_trigger_then_wait(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(unique("wait"), [1, 2, 3])
        emulator.start_play(handle.id, "success", interval=0.05, output=6)
        run = await client.runs.wait(handle, timeout=30)
    assert run.id == handle.id and run.output == 6 and run.payload == [1, 2, 3]


# -- payloads --------------------------------------------------------------------------------------


async def test_payloads_reach_the_task_as_the_official_sdk_sends_them(
    emulator: TriggerEmulator,
) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    payload = {"at": when, "ids": {1, 2}, "big": 2**70, "raw": b"\x00\x01", "n": 1.5}
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(unique("payload"), payload)
        text = await client.tasks.trigger(unique("payload"), "plain text")
        nothing = await client.tasks.trigger(unique("payload"))
        null = await client.tasks.trigger(unique("payload"), None)
        # realtime revives superjson values, as a task would see them
        async with client.runs.subscribe_to_run(handle, timeout=10) as subscription:
            async for run in subscription:
                assert run.payload == payload
                break
        assert (await client.runs.retrieve(text)).payload == "plain text"
        assert (await client.runs.retrieve(nothing)).payload is None
        assert (await client.runs.retrieve(null)).payload is None
    rows = {h.id: emulator.get_run(h.id) for h in (handle, text, nothing, null)}
    assert rows[handle.id]["payloadType"] == "application/super+json"
    assert rows[text.id]["payloadType"] == "text/plain"
    assert rows[nothing.id]["payloadType"] == "application/json"
    assert rows[null.id]["payload"] == '{"json":null}'


async def test_a_large_payload_is_offloaded_by_the_server(emulator: TriggerEmulator) -> None:
    payload = {"blob": "z" * (512 * 1024)}
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(unique("big"), payload)
        assert emulator.get_run(handle.id)["payloadType"] == "application/store"
        assert (await client.runs.retrieve(handle)).payload == payload
        async with client.runs.subscribe_to_run(handle, timeout=10) as subscription:
            async for run in subscription:
                assert run.payload == payload
                break


async def test_payloads_that_cannot_be_serialised_fail_before_sending(
    emulator: TriggerEmulator,
) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(TypeError):
            await client.tasks.trigger(unique("bad"), {"x": object()})
        with pytest.raises(ValueError):
            await client.tasks.trigger("", {})
    assert not [r for r in emulator.requests if r.path.endswith("/bad/trigger")]


# -- options ---------------------------------------------------------------------------------------


async def test_options_reach_the_run(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(
            unique("options"),
            {"n": 1},
            tags=["a", "b"],
            ttl="5m",
            metadata={"step": 1, "at": datetime(2024, 1, 1, tzinfo=UTC)},
            queue=QueueOptions(name="emails", concurrency_limit=2),
            concurrency_key="user-1",
            max_attempts=4,
            max_duration=timedelta(minutes=2),
            machine="small-2x",
            test=True,
            lock_to_version="20250202.1",
        )
        run = await client.runs.retrieve(handle)
    row = emulator.get_run(handle.id)
    assert run.tags == ["a", "b"] and run.ttl == "5m" and run.is_test
    assert run.metadata == {"step": 1, "at": "2024-01-01T00:00:00.000Z"}
    assert row["queue"] == "emails" and row["concurrencyKey"] == "user-1"
    assert row["maxAttempts"] == 4 and row["maxDurationInSeconds"] == 120
    assert row["machinePreset"] == "small-2x" and row["lockedToVersion"] == "20250202.1"


async def test_delay_and_ttl_forms(emulator: TriggerEmulator) -> None:
    when = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    async with client_for(emulator) as client:
        later = await client.tasks.trigger(unique("delay"), {}, delay=timedelta(hours=2))
        at = await client.tasks.trigger(unique("delay"), {}, delay=when, ttl=timedelta(hours=1))
        run = await client.runs.retrieve(later)
        assert run.status == RunStatus.DELAYED and run.delayed_until is not None
        assert run.delayed_until - run.created_at == timedelta(hours=2)
        run = await client.runs.retrieve(at)
        assert run.delayed_until == when and run.ttl in ("3600s", "1h")


async def test_an_options_object_and_keywords_merge(emulator: TriggerEmulator) -> None:
    options = TriggerOptions(tags=["from-options"], machine="micro", ttl="1m")
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(unique("merge"), {}, options, tags=["keyword"])
        run = await client.runs.retrieve(handle)
    assert run.tags == ["keyword"] and run.ttl == "1m"
    assert emulator.get_run(handle.id)["machinePreset"] == "micro"


async def test_an_idempotency_key_returns_the_same_run(emulator: TriggerEmulator) -> None:
    task, key = unique("idem"), unique("order")
    async with client_for(emulator) as client:
        first = await client.tasks.trigger(task, {"n": 1}, idempotency_key=key)
        second = await client.tasks.trigger(task, {"n": 2}, idempotency_key=key)
        other = await client.tasks.trigger(task, {"n": 3}, idempotency_key=[key, "2"])
    assert second.id == first.id and second.is_cached and not first.is_cached
    assert other.id != first.id
    assert first.idempotency_key == hashlib.sha256(key.encode()).hexdigest()
    assert other.idempotency_key == hashlib.sha256(f"{key}-2".encode()).hexdigest()
    assert emulator.get_run(first.id)["idempotencyKey"] == first.idempotency_key


async def test_the_trigger_version_environment_variable_locks_the_version(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIGGER_VERSION", "20240101.7")
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(unique("version"), {})
        pinned = await client.tasks.trigger(unique("version"), {}, lock_to_version="1.2")
    assert emulator.get_run(handle.id)["lockedToVersion"] == "20240101.7"
    assert emulator.get_run(pinned.id)["lockedToVersion"] == "1.2"


async def test_a_task_id_is_escaped_in_the_path(emulator: TriggerEmulator) -> None:
    task = unique("my task") + " (v2)!"
    async with client_for(emulator) as client:
        handle = await client.tasks.trigger(task, {})
        run = await client.runs.retrieve(handle)
    assert run.task_identifier == handle.task_identifier == task


# -- batches -------------------------------------------------------------------------------------


async def test_batch_trigger(emulator: TriggerEmulator) -> None:
    task = unique("batch")
    async with client_for(emulator) as client:
        batch = await client.tasks.batch_trigger(
            task,
            [
                {"n": 1},
                "text",
                BatchItem({"n": 3}, TriggerOptions(tags=["third"], delay="1h")),
            ],
        )
        assert isinstance(batch, BatchHandle)
        assert batch.batch_id.startswith("batch_") and len(batch.runs) == 3
        assert all(run.task_identifier == task for run in batch.runs)
        assert batch.public_access_token is not None
        assert decode_public_token(batch.public_access_token).scopes == [
            f"read:batch:{batch.batch_id}"
        ]
        third = await client.runs.retrieve(batch.runs[2])
        assert third.tags == ["third"] and third.status == RunStatus.DELAYED
        assert (await client.runs.retrieve(batch.runs[1])).payload == "text"

    # the batch token follows the whole batch, and reads each of its runs
    async with client_for(emulator, access_token=batch.public_access_token) as browser:
        seen: dict[str, RunStatus] = {}
        played = False
        async with browser.runs.subscribe_to_batch(batch, timeout=30) as subscription:
            async for run in subscription:
                seen[run.id] = run.status
                if len(seen) == 3 and not played:
                    played = True
                    emulator.play(batch.runs[0].id, "success", interval=0)
                if seen.get(batch.runs[0].id) == RunStatus.COMPLETED:
                    break
        one = await browser.runs.retrieve(batch.runs[1])
    assert set(seen) == {run.id for run in batch.runs}
    assert one.payload == "text"
    assert all(run.public_access_token == batch.public_access_token for run in batch.runs)


async def test_batch_trigger_by_id_triggers_several_tasks(emulator: TriggerEmulator) -> None:
    first, second = unique("first"), unique("second")
    async with client_for(emulator) as client:
        batch = await client.tasks.batch_trigger_by_id(
            [BatchItem({"n": 1}, task=first), BatchItem("two", task=second)]
        )
        runs = [await client.runs.retrieve(run) for run in batch.runs]
    assert [run.task_identifier for run in runs] == [first, second]
    assert [run.payload for run in runs] == [{"n": 1}, "two"]


async def test_batch_arguments_are_checked(emulator: TriggerEmulator) -> None:
    async with client_for(emulator) as client:
        with pytest.raises(ValueError):
            await client.tasks.batch_trigger("t", [])
        with pytest.raises(ValueError):
            await client.tasks.batch_trigger("t", [BatchItem({}, task="other")])
        with pytest.raises(ValueError):
            await client.tasks.batch_trigger_by_id([BatchItem({})])
        with pytest.raises(TypeError):
            await client.tasks.batch_trigger_by_id([{"task": "t"}])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            BatchItem({}, {"tags": ["a"]})  # type: ignore[arg-type]


async def test_a_batch_idempotency_key_is_sent_as_headers(emulator: TriggerEmulator) -> None:
    key = unique("batch-key")
    async with client_for(emulator) as client:
        emulator.inject("/api/v1/tasks/batch", faults.status(503), times=1)
        batch = await client.tasks.batch_trigger(
            unique("batch-idem"), [1], idempotency_key=key, idempotency_key_ttl=timedelta(days=1)
        )
    requests = [r for r in emulator.requests if r.path == "/api/v1/tasks/batch"][-2:]
    assert [r.status for r in requests] == [503, 202]  # retried: it carries a key
    assert requests[-1].headers["idempotency-key"] == hashlib.sha256(key.encode()).hexdigest()
    assert requests[-1].headers["idempotency-key-ttl"] == "1d"
    assert len(batch.runs) == 1


async def test_handles_with_a_public_trigger_token(emulator: TriggerEmulator) -> None:
    """With a public token the client cannot sign: the server's token is used."""
    task = unique("public")
    token = emulator.create_token([f"trigger:tasks:{task}", f"batchTrigger:tasks:{task}"])
    async with client_for(emulator, access_token=token) as client:
        handle = await client.tasks.trigger(task, {"n": 1})
        batch = await client.tasks.batch_trigger(task, [1, 2])
    assert handle.public_access_token is not None
    assert f"read:runs:{handle.id}" in decode_public_token(handle.public_access_token).scopes
    assert batch.public_access_token is not None
    assert decode_public_token(batch.public_access_token).scopes == [f"read:batch:{batch.batch_id}"]


def test_the_module_level_default_client_has_tasks(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trigger_client
    from trigger_client import _default

    monkeypatch.setattr(_default, "_client", None)
    client = trigger_client.configure(base_url=emulator.base_url, access_token=emulator.secret_key)
    try:
        handle = trigger_client.tasks.trigger(unique("module"), {"n": 1})
        assert trigger_client.runs.retrieve(handle).payload == {"n": 1}
    finally:
        client.close()


# -- serialisation rules (pure) --------------------------------------------------------------------


def test_payload_encoding_matches_stringify_io() -> None:
    assert encode_payload("text") == ("text", "text/plain")
    assert encode_payload({"a": 1}) == ('{"json":{"a":1}}', "application/super+json")
    assert encode_payload(None) == ('{"json":null}', "application/super+json")
    assert encode_payload({"at": datetime(2024, 1, 1, tzinfo=UTC), "s": {1}}) == (
        '{"json":{"at":"2024-01-01T00:00:00.000Z","s":[1]},'
        '"meta":{"values":{"at":["Date"],"s":["set"]},"v":1}}',
        "application/super+json",
    )
    assert encode_payload({"é": "\u2028\x01"})[0] == '{"json":{"é":"\u2028\\u0001"}}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-2.0, "-2"),
        (0.1, "0.1"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (1e21, "1e+21"),
        (1.2345678901234568e20, "123456789012345680000"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-0.0, "0"),
    ],
)
def test_numbers_are_written_as_javascript_writes_them(value: float, text: str) -> None:
    assert js_number(value) == text


def test_idempotency_keys_are_hashed_like_the_official_sdk() -> None:
    assert idempotency_key("k1") == (
        "6ab9f1eb8f7d3388f4f9d586f66e99fd54080df2c446f0e58668b09c08a16dd0"
    )
    assert idempotency_key(["a", "b"]) == hashlib.sha256(b"a-b").hexdigest()
    already = "f" * 64
    assert idempotency_key(already) == already
    assert idempotency_key(None) is None and idempotency_key("") is None


def test_durations() -> None:
    assert duration_text("1h", "delay") == "1h"
    assert duration_text(timedelta(minutes=90), "delay") == "90m"
    assert duration_text(timedelta(days=2), "delay") == "2d"
    assert duration_text(timedelta(seconds=1.2), "delay") == "2s"
    with pytest.raises(ValueError):
        duration_text(timedelta(0), "delay")
    with pytest.raises(TypeError):
        duration_text(5, "delay")  # type: ignore[arg-type]
