"""Shared test configuration: async tests run on asyncio and trio."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator

import pytest

from trigger_client.testing import TriggerEmulator


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def no_leaked_sockets() -> Iterator[None]:
    """Collect garbage after the test, so that a socket it left open fails it (a ResourceWarning,
    an error under filterwarnings) rather than whichever later test the collector runs in."""
    yield
    gc.collect()


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


# ------------------------------------------------------------------------------------------------
# No secret ever reaches the logs: everything the SDK logs at DEBUG, in every test, is checked.

_SECRET_PATTERNS = re.compile(
    r"tr_(?:dev|prod|stg|preview|pr)_[A-Za-z0-9_]{12,}"  # a whole secret key
    r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"  # a whole JWT
)


class _CapturingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.texts.append(text)


_capture = _CapturingHandler()
_sdk_logger = logging.getLogger("trigger_client")
_sdk_logger.addHandler(_capture)
_sdk_logger.setLevel(logging.DEBUG)


@pytest.fixture(autouse=True)
def _no_branch_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The branch variables a CI machine (Vercel, a dev session) may set would reach every client
    made in a test: tests set them themselves when they mean to."""
    for name in ("TRIGGER_PREVIEW_BRANCH", "VERCEL_GIT_COMMIT_REF", "TRIGGER_DEV_BRANCH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_secret_in_logs() -> Iterator[None]:
    start = len(_capture.texts)
    yield
    leaked = [t for t in _capture.texts[start:] if _SECRET_PATTERNS.search(t)]
    if leaked:
        pytest.fail(f"a secret appeared in the SDK's logs: {leaked[0][:200]!r}", pytrace=False)


def test_the_log_leak_check_sees_debug_records() -> None:
    """The capture is live (otherwise the leak check would pass vacuously)."""
    _sdk_logger.debug("probe %s", "value")
    assert _capture.texts[-1] == "probe value"
