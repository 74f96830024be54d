"""Shared test configuration: async tests run on asyncio and trio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trigger_client.testing import TriggerEmulator


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[TriggerEmulator]:
    """One emulator for the session (runs are independent; faults are cleared per test)."""
    with TriggerEmulator(long_poll_ms=3000) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_session: TriggerEmulator) -> Iterator[TriggerEmulator]:
    emulator_session.faults.clear()
    yield emulator_session
    emulator_session.faults.clear()


def pytest_sessionstart(session: pytest.Session) -> None:
    """CI sets TRIGGER_REQUIRE_INTEROP=1: the interop tests must run there, never skip."""
    import os

    from tests.interop.node_sdk import NodeSDK

    if os.environ.get("TRIGGER_REQUIRE_INTEROP") == "1" and not NodeSDK.available():
        raise pytest.UsageError(
            "TRIGGER_REQUIRE_INTEROP=1 but the official TypeScript SDK is not installed: "
            "run `make setup` (needs node and npm)"
        )
