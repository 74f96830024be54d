"""pytest fixtures for the Trigger.dev emulator (registered through the ``pytest11`` entry point).

* ``trigger_emulator``: a running :class:`~trigger_client.testing.TriggerEmulator`, fresh for each
  test. Configure it with ``@pytest.mark.trigger_emulator(backend="native", long_poll_ms=500)``.
* ``trigger_emulator_factory``: call it with options to start more emulators; all are stopped at
  the end of the test.

Importing this module is cheap and works without the ``testing`` extra; the fixtures then fail
with a message naming the extra to install.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import TriggerEmulator

__all__ = ["trigger_emulator", "trigger_emulator_factory"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "trigger_emulator(**options): options for the trigger_emulator fixture "
        "(backend, long_poll_ms, clock, realtime_concurrency_limit, ...)",
    )


def _emulator_class() -> type[TriggerEmulator]:
    try:
        from ._server import TriggerEmulator
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("starlette", "uvicorn"):
            pytest.fail(
                "the trigger_emulator fixture needs the 'testing' extra: "
                "pip install 'trigger-client[testing]'",
                pytrace=False,
            )
        raise
    return TriggerEmulator


@pytest.fixture
def trigger_emulator_factory() -> Iterator[Callable[..., TriggerEmulator]]:
    """Start emulators with any options; they are stopped after the test."""
    started: list[TriggerEmulator] = []

    def factory(**options: Any) -> TriggerEmulator:
        emulator = _emulator_class()(**options).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in reversed(started):
        emulator.stop()


@pytest.fixture
def trigger_emulator(
    request: pytest.FixtureRequest, trigger_emulator_factory: Callable[..., TriggerEmulator]
) -> TriggerEmulator:
    """A running emulator; options from the ``trigger_emulator`` marker."""
    marker = request.node.get_closest_marker("trigger_emulator")
    options = dict(marker.kwargs) if marker else {}
    return trigger_emulator_factory(**options)
