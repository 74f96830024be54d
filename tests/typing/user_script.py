"""What a user's type checker sees: checked by mypy --strict and pyright (tests/typing/test_typing.py).

A line ending in ``# revealed: T`` must reveal type ``T`` under both checkers; a line ending in
``# error: MYPY_CODE PYRIGHT_RULE`` must be reported by each checker with that code, and no other
line may be reported. Nothing here runs: the checkers only read it.
"""

from typing import assert_type, reveal_type

import trigger_client
from trigger_client import AsyncTriggerClient, Run, RunHandle, RunStatus, TriggerClient


def follow_with_the_default_client() -> None:
    for run in trigger_client.runs.subscribe_to_run("run_1234"):
        reveal_type(run)  # revealed: Run
        assert_type(run.status, RunStatus)
    handle = trigger_client.tasks.trigger("generate-report", {"quarter": "2026-Q3"})
    assert_type(handle, RunHandle)
    assert_type(trigger_client.runs.retrieve(handle.id), Run)
    assert_type(trigger_client.configure(max_retries=0), TriggerClient)


def follow_with_a_client(client: TriggerClient) -> None:
    with client.runs.subscribe_to_run("run_1234", timeout=60) as subscription:
        for run in subscription:
            reveal_type(run)  # revealed: Run
    for listed in client.runs.list(status="COMPLETED"):
        assert_type(listed.id, str)


async def follow_asynchronously(client: AsyncTriggerClient) -> None:
    async for run in client.runs.subscribe_to_run("run_1234"):
        reveal_type(run)  # revealed: Run
    assert_type(await client.runs.wait("run_1234", timeout=60), Run)


def mistakes(client: TriggerClient) -> None:
    trigger_client.runs.subscribe_to_run(123)  # error: arg-type reportArgumentType
    trigger_client.configure(max_retries="3")  # error: arg-type reportArgumentType
    trigger_client.configure(api_key="tr_dev_x")  # error: call-arg reportCallIssue
    client.runs.subscribe_to_run("run_1234", timeout="60")  # error: arg-type reportArgumentType
    trigger_client.tasks.trigger(42)  # error: arg-type reportArgumentType
