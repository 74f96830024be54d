"""Tokens as they come from files and environments: trimmed; a blank or unsendable one is a
``TriggerConfigurationError`` naming its source and never showing it."""

from __future__ import annotations

import pytest

from trigger_client import AsyncTriggerClient, TriggerConfigurationError
from trigger_client.testing import TriggerEmulator

pytestmark = pytest.mark.anyio

SECRET_PART = "s3cr3tPART"


@pytest.fixture(autouse=True)
def _no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRIGGER_ACCESS_TOKEN", "TRIGGER_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("padding", ["\n", "\r\n", "  ", "\t", " \n "])
async def test_a_token_with_surrounding_whitespace_works_from_every_source(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, padding: str
) -> None:
    run_id = emulator.create_run("tokens")
    padded = padding + emulator.secret_key + padding
    clients = [
        AsyncTriggerClient(base_url=emulator.base_url, access_token=padded),
        AsyncTriggerClient(base_url=emulator.base_url, access_token=lambda: padded),
    ]
    for name in ("TRIGGER_ACCESS_TOKEN", "TRIGGER_SECRET_KEY"):
        monkeypatch.setenv(name, padded)
        clients.append(AsyncTriggerClient(base_url=emulator.base_url))
        monkeypatch.delenv(name)
    for client in clients:
        async with client:
            assert (await client.runs.retrieve(run_id)).id == run_id
            subscription = client.runs.subscribe_to_run(run_id, timeout=10)
            async with subscription:
                async for run in subscription:
                    assert run.id == run_id
                    break
    # a per-call token too
    async with AsyncTriggerClient(base_url=emulator.base_url, access_token="tr_dev_other") as c:
        assert (await c.runs.retrieve(run_id, access_token=padded)).id == run_id
    fingerprints = {r.token_fingerprint for r in emulator.requests if run_id in r.path}
    assert len(fingerprints) == 1  # every request carried the same, trimmed token


BAD_TOKENS = [
    ("", "is empty"),
    ("   ", "is empty"),
    ("\n", "is empty"),
    (f"tr_dev_{SECRET_PART}é", "a non-ASCII character at position 18"),
    (f"tr_dev_{SECRET_PART} x", "whitespace at position 18"),
    (f"tr_dev_{SECRET_PART}\x00", "a control character at position 18"),
    (f"tr_dev_{SECRET_PART}\nx", "whitespace at position 18"),
]


@pytest.mark.parametrize(("token", "why"), BAD_TOKENS)
async def test_an_unusable_token_argument_is_refused_at_once_naming_the_argument(
    emulator: TriggerEmulator, token: str, why: str
) -> None:
    before = len(emulator.requests)
    with pytest.raises(TriggerConfigurationError) as caught:
        AsyncTriggerClient(base_url=emulator.base_url, access_token=token)
    message = str(caught.value)
    assert "the access_token argument" in message and why in message
    assert SECRET_PART not in message and SECRET_PART not in repr(caught.value)
    async with AsyncTriggerClient(base_url=emulator.base_url, access_token="tr_dev_x") as client:
        with pytest.raises(TriggerConfigurationError, match="the access_token argument"):
            await client.runs.retrieve("run_1", access_token=token)
        with pytest.raises(TriggerConfigurationError, match="the access_token argument"):
            client.runs.subscribe_to_run("run_1", access_token=token)
    assert len(emulator.requests) == before


@pytest.mark.parametrize("name", ["TRIGGER_ACCESS_TOKEN", "TRIGGER_SECRET_KEY"])
# (an environment variable cannot hold a NUL)
@pytest.mark.parametrize(("token", "why"), [t for t in BAD_TOKENS if t[0] and "\x00" not in t[0]])
async def test_an_unusable_token_in_the_environment_is_refused_naming_the_variable(
    emulator: TriggerEmulator, monkeypatch: pytest.MonkeyPatch, name: str, token: str, why: str
) -> None:
    monkeypatch.setenv(name, token)
    with pytest.raises(TriggerConfigurationError) as caught:
        AsyncTriggerClient(base_url=emulator.base_url)
    message = str(caught.value)
    assert f"from {name} " in message and why in message
    assert SECRET_PART not in message


@pytest.mark.parametrize(("token", "why"), [t for t in BAD_TOKENS if t[0].strip()])
async def test_an_unusable_token_from_a_callable_is_refused_before_any_request(
    emulator: TriggerEmulator, token: str, why: str
) -> None:
    before = len(emulator.requests)
    async with AsyncTriggerClient(base_url=emulator.base_url, access_token=lambda: token) as c:
        with pytest.raises(TriggerConfigurationError) as caught:
            await c.runs.retrieve("run_1")
    assert "the access_token callable" in str(caught.value) and why in str(caught.value)
    assert SECRET_PART not in str(caught.value)
    assert len(emulator.requests) == before


async def test_an_access_token_that_is_no_string_nor_callable_is_refused() -> None:
    with pytest.raises(TriggerConfigurationError, match="string or a callable"):
        AsyncTriggerClient(base_url="http://127.0.0.1:9", access_token=1234)  # type: ignore[arg-type]
