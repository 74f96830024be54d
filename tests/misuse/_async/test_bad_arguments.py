"""Every public call, given a bad argument, raises one documented class before any request:
``InvalidArgumentError`` for a refused value, ``TriggerConfigurationError`` for the client's
configuration, ``TypeError`` for a value of the wrong type (the one exception that is not a
``TriggerError``, as the README says)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from trigger_client import (
    AsyncRunList,
    AsyncTriggerClient,
    InvalidArgumentError,
    Scopes,
    TriggerConfigurationError,
    TriggerError,
    decode_public_token,
    flatten_scopes,
)
from trigger_client.testing import TriggerEmulator

pytestmark = pytest.mark.anyio

Case = tuple[str, Callable[[AsyncTriggerClient], Any], type[Exception], str]

CASES: list[Case] = [
    # runs: ids
    ("retrieve('')", lambda c: c.runs.retrieve(""), InvalidArgumentError, "run_id"),
    ("retrieve(5)", lambda c: c.runs.retrieve(5), TypeError, "run_id"),
    ("cancel('..')", lambda c: c.runs.cancel(".."), InvalidArgumentError, "run_id"),
    ("replay('.')", lambda c: c.runs.replay("."), InvalidArgumentError, "run_id"),
    (
        "reschedule(delay='')",
        lambda c: c.runs.reschedule("run_1", delay=""),
        InvalidArgumentError,
        "delay",
    ),
    ("reschedule(delay=5)", lambda c: c.runs.reschedule("run_1", delay=5), TypeError, "delay"),
    (
        "wait(timeout=nan)",
        lambda c: c.runs.wait("run_1", timeout=math.nan),
        InvalidArgumentError,
        "timeout",
    ),
    # subscriptions
    (
        "subscribe_to_run('a\\nb')",
        lambda c: c.runs.subscribe_to_run("a\nb"),
        InvalidArgumentError,
        "run_id",
    ),
    (
        "subscribe_to_run(feed='ws')",
        lambda c: c.runs.subscribe_to_run("run_1", feed="ws"),
        InvalidArgumentError,
        "feed",
    ),
    (
        "subscribe_to_run(poll_interval=inf)",
        lambda c: c.runs.subscribe_to_run("run_1", feed="poll", poll_interval=math.inf),
        InvalidArgumentError,
        "poll_interval",
    ),
    (
        "subscribe_to_run(timeout='1')",
        lambda c: c.runs.subscribe_to_run("run_1", timeout="1"),
        TypeError,
        "timeout",
    ),
    (
        "subscribe_to_runs_with_tag('a,b')",
        lambda c: c.runs.subscribe_to_runs_with_tag("a,b"),
        InvalidArgumentError,
        "tags",
    ),
    (
        "subscribe_to_runs_with_tag([])",
        lambda c: c.runs.subscribe_to_runs_with_tag([]),
        InvalidArgumentError,
        "tags",
    ),
    (
        "subscribe_to_batch('')",
        lambda c: c.runs.subscribe_to_batch(""),
        InvalidArgumentError,
        "batch_id",
    ),
    # listing
    (
        "list_page(page_size=0)",
        lambda c: c.runs.list_page(page_size=0),
        InvalidArgumentError,
        "page_size",
    ),
    ("list_page(page_size='9')", lambda c: c.runs.list_page(page_size="9"), TypeError, "page_size"),
    (
        "list_page(after=, before=)",
        lambda c: c.runs.list_page(after="run_1", before="run_2"),
        InvalidArgumentError,
        "after or before",
    ),
    (
        "list(period=, created_after=)",
        lambda c: c.runs.list(period="1h", created_after=datetime(2026, 1, 1, tzinfo=UTC)),
        InvalidArgumentError,
        "period",
    ),
    ("list(tag='a,b')", lambda c: c.runs.list(tag="a,b"), InvalidArgumentError, "tag"),
    (
        "list(created_after='x')",
        lambda c: c.runs.list(created_after="x"),
        TypeError,
        "created_after",
    ),
    # tasks
    ("trigger('')", lambda c: c.tasks.trigger("", {}), InvalidArgumentError, "task_id"),
    ("trigger('..')", lambda c: c.tasks.trigger("..", {}), InvalidArgumentError, "task_id"),
    (
        "trigger(max_attempts=0)",
        lambda c: c.tasks.trigger("t", {}, max_attempts=0),
        InvalidArgumentError,
        "max_attempts",
    ),
    (
        "trigger(max_attempts=1.5)",
        lambda c: c.tasks.trigger("t", {}, max_attempts=1.5),
        TypeError,
        "max_attempts",
    ),
    ("trigger(ttl='')", lambda c: c.tasks.trigger("t", {}, ttl=""), InvalidArgumentError, "ttl"),
    ("trigger(payload=object())", lambda c: c.tasks.trigger("t", object()), TypeError, "object"),
    ("batch_trigger([])", lambda c: c.tasks.batch_trigger("t", []), InvalidArgumentError, "item"),
    # auth
    (
        "create_public_token(expiration_time='soon')",
        lambda c: c.auth.create_public_token(scopes=Scopes.read_run("r"), expiration_time="soon"),
        InvalidArgumentError,
        "soon",
    ),
    (
        "create_public_token(scopes=empty id)",
        lambda c: c.auth.create_public_token(scopes={"read": {"runs": [""]}}),
        InvalidArgumentError,
        "empty id",
    ),
    (
        "create_public_token(scopes=5)",
        lambda c: c.auth.create_public_token(scopes=5),
        TypeError,
        "scopes",
    ),
    (
        "create_public_token(realtime=5)",
        lambda c: c.auth.create_public_token(scopes=Scopes.read_run("r"), realtime=5),
        TypeError,
        "realtime",
    ),
    # the client's configuration
    (
        "with_options(base_url='ftp://x')",
        lambda c: c.with_options(base_url="ftp://x"),
        TriggerConfigurationError,
        "base_url",
    ),
    (
        "with_options(access_token=' ')",
        lambda c: c.with_options(access_token=" "),
        TriggerConfigurationError,
        "access token",
    ),
    (
        "with_options(timeout=-1)",
        lambda c: c.with_options(timeout=-1),
        InvalidArgumentError,
        "timeout",
    ),
    (
        "with_options(max_retries=2.0)",
        lambda c: c.with_options(max_retries=2.0),
        TypeError,
        "max_retries",
    ),
    # module functions
    ("decode_public_token('x')", lambda c: decode_public_token("x"), InvalidArgumentError, "JWT"),
    ("decode_public_token(5)", lambda c: decode_public_token(5), TypeError, "token"),
    (
        "flatten_scopes({'a:b': True})",
        lambda c: flatten_scopes({"a:b": True}),
        InvalidArgumentError,
        "':'",
    ),
    ("Scopes(read_runs=5)", lambda c: Scopes(read_runs=5), TypeError, "a scope must be"),
]


@pytest.mark.parametrize(("name", "call", "error", "named"), CASES, ids=[c[0] for c in CASES])
async def test_a_bad_argument_raises_its_documented_class_before_any_request(
    emulator: TriggerEmulator,
    name: str,
    call: Callable[[AsyncTriggerClient], Any],
    error: type[Exception],
    named: str,
) -> None:
    before = len(emulator.requests)
    async with AsyncTriggerClient(
        base_url=emulator.base_url, access_token=emulator.secret_key
    ) as client:
        with pytest.raises(Exception) as caught:  # the class is checked exactly below
            result = call(client)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, AsyncRunList):
                async for _ in result:
                    pass
    assert type(caught.value) is error, f"{name}: {type(caught.value).__name__}: {caught.value}"
    assert isinstance(caught.value, TriggerError) == (error is not TypeError)
    if error is InvalidArgumentError:
        assert isinstance(caught.value, ValueError)
    assert named in str(caught.value), f"{name}: {caught.value}"
    assert len(emulator.requests) == before, name
