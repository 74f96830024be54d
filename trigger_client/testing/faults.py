"""Fault actions for :meth:`TriggerEmulator.inject` / ``emu.faults.add``.

>>> from trigger_client.testing import faults
>>> emu.inject("/realtime/v1/runs/*", faults.status(503, retry_after=1), times=2)
>>> emu.inject("/realtime/*", faults.drop_connection(), query={"live": "true"})
>>> emu.inject("/realtime/v1/streams/*", faults.drop_stream(after_events=3))
"""

from ._faults import (
    FaultAction,
    FaultRule,
    delay,
    drop_connection,
    missing_header,
    must_refetch,
    non_array_body,
    slow_body,
    stale_handle,
    status,
)
from ._streams import drop_stream, slow_stream

__all__ = [
    "FaultAction",
    "FaultRule",
    "delay",
    "drop_connection",
    "drop_stream",
    "missing_header",
    "must_refetch",
    "non_array_body",
    "slow_body",
    "slow_stream",
    "stale_handle",
    "status",
]
