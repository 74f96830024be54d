"""Behaviour of the generated ``Run`` model: status helpers, kept out of the generated file."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from ._generated.models import RunStatus

__all__ = ["FINISHED_STATUSES", "RunHelpers"]

#: Statuses after which a run never changes status again.
FINISHED_STATUSES = frozenset(
    {
        "COMPLETED",
        "CANCELED",
        "FAILED",
        "CRASHED",
        "INTERRUPTED",
        "SYSTEM_FAILURE",
        "EXPIRED",
        "TIMED_OUT",
    }
)
_FAILED_STATUSES = frozenset(
    {"FAILED", "CRASHED", "INTERRUPTED", "SYSTEM_FAILURE", "EXPIRED", "TIMED_OUT"}
)
_QUEUED_STATUSES = frozenset({"QUEUED", "WAITING_FOR_DEPLOY", "DELAYED"})
_EXECUTING_STATUSES = frozenset({"EXECUTING", "REATTEMPTING", "FROZEN"})


class RunHelpers:
    """Convenience properties of a run, derived from its status and ``finished_at``."""

    __slots__ = ()

    if TYPE_CHECKING:
        status: RunStatus
        finished_at: datetime | None

    @property
    def is_finished(self) -> bool:
        """The run will not change status again: ``finished_at`` is set or the status is final."""
        return self.finished_at is not None or self.status in FINISHED_STATUSES

    @property
    def is_success(self) -> bool:
        """The run completed successfully (``COMPLETED``)."""
        return self.status == "COMPLETED"

    @property
    def is_failed(self) -> bool:
        """The run finished without success, other than by being canceled."""
        return self.status in _FAILED_STATUSES

    @property
    def is_cancelled(self) -> bool:
        """The run was canceled."""
        return self.status == "CANCELED"

    @property
    def is_executing(self) -> bool:
        """A worker is executing the run, or it waits between attempts or at a checkpoint."""
        return self.status in _EXECUTING_STATUSES

    @property
    def is_queued(self) -> bool:
        """The run has not started: queued, delayed or waiting for a deploy."""
        return self.status in _QUEUED_STATUSES
