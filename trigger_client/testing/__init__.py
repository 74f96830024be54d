"""A local Trigger.dev API emulator for tests, demos and offline development.

>>> from trigger_client.testing import TriggerEmulator
>>> with TriggerEmulator() as emu:
...     run_id = emu.create_run("hello-world", {"name": "Ada"})
...     emu.play(run_id, "success", output={"greeting": "Hi Ada"})

It serves the runs REST API, the realtime shape feeds (Electric or native backend), public-token
auth with scopes, offloaded packets, and fault injection, on 127.0.0.1. It needs the ``testing``
extra (``pip install 'trigger-client[testing]'``). Start it from the shell with
``python -m trigger_client.testing serve``, or use the ``trigger_emulator`` pytest fixture.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import faults
    from ._clock import Clock, ManualClock, WallClock
    from ._faults import FaultAction, FaultRule, RequestRecord, token_fingerprint
    from ._lifecycle import LIFECYCLES, InvalidTransition, Playback, Step
    from ._packets import OFFLOAD_LIMIT, UNDEFINED, Packet, superjson_stringify
    from ._ratelimit import RateLimit
    from ._server import TriggerEmulator
    from ._state import Environment

__all__ = [
    "LIFECYCLES",
    "OFFLOAD_LIMIT",
    "UNDEFINED",
    "Clock",
    "Environment",
    "FaultAction",
    "FaultRule",
    "InvalidTransition",
    "ManualClock",
    "Packet",
    "Playback",
    "RateLimit",
    "RequestRecord",
    "Step",
    "TriggerEmulator",
    "WallClock",
    "faults",
    "superjson_stringify",
    "token_fingerprint",
]

_LOCATIONS = {
    "Clock": "._clock",
    "ManualClock": "._clock",
    "WallClock": "._clock",
    "FaultAction": "._faults",
    "FaultRule": "._faults",
    "RequestRecord": "._faults",
    "token_fingerprint": "._faults",
    "LIFECYCLES": "._lifecycle",
    "InvalidTransition": "._lifecycle",
    "Playback": "._lifecycle",
    "Step": "._lifecycle",
    "OFFLOAD_LIMIT": "._packets",
    "UNDEFINED": "._packets",
    "Packet": "._packets",
    "superjson_stringify": "._packets",
    "RateLimit": "._ratelimit",
    "TriggerEmulator": "._server",
    "Environment": "._state",
}

MISSING_EXTRA = (
    "trigger_client.testing needs the 'testing' extra (starlette and uvicorn): "
    "pip install 'trigger-client[testing]'"
)


def __getattr__(name: str) -> Any:
    # Imported lazily so that the pytest plugin can load without starlette installed.
    if name == "faults":
        return _import(".faults")
    location = _LOCATIONS.get(name)
    if location is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_import(location), name)


def _import(module: str) -> Any:
    try:
        return importlib.import_module(module, __name__)
    except ModuleNotFoundError as exc:
        if exc.name in ("starlette", "uvicorn") or (exc.name or "").startswith("starlette."):
            raise ImportError(MISSING_EXTRA) from exc
        raise
