"""Sleep and clocks, async and sync: the only place the two twins differ in time handling.

Async code calls ``await AsyncBackend.sleep(...)``; unasync's ``Async* -> Sync*`` rule turns that into
``SyncBackend.sleep(...)`` in the generated sync code, so the sync twin really sleeps.
"""

from __future__ import annotations

import random
import time

import anyio

__all__ = ["AsyncBackend", "SyncBackend"]


class AsyncBackend:
    """Time for async code (asyncio or trio, through anyio)."""

    @staticmethod
    async def sleep(seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def wall() -> float:
        return time.time()

    @staticmethod
    def random() -> float:
        return random.random()


class SyncBackend:
    """Time for blocking code."""

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @staticmethod
    def wall() -> float:
        return time.time()

    @staticmethod
    def random() -> float:
        return random.random()
