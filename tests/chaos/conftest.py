"""The chaos module's own emulators: one per backend, with a short long-poll hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trigger_client.testing import TriggerEmulator

from .scenario import LONG_POLL_MS, NATIVE_JITTER, Backend, History


class Lab:
    """Both chaos emulators and their run histories."""

    def __init__(self, electric: TriggerEmulator, native: TriggerEmulator) -> None:
        self.emulators: dict[Backend, TriggerEmulator] = {"electric": electric, "native": native}
        self.histories: dict[Backend, History] = {
            "electric": History(electric),
            "native": History(native),
        }

    def reset(self) -> None:
        for emulator in self.emulators.values():
            emulator.faults.clear()
            emulator.clear_requests()


@pytest.fixture
def lab() -> Iterator[Lab]:
    """Fresh emulators for each test: creating an Electric shape scans every run of the emulator,
    so thousands of runs left by earlier tests would slow the later ones down."""
    with (
        TriggerEmulator(backend="electric", long_poll_ms=LONG_POLL_MS) as electric,
        TriggerEmulator(
            backend="native", long_poll_ms=LONG_POLL_MS, native_jitter=NATIVE_JITTER
        ) as native,
    ):
        yield Lab(electric, native)
