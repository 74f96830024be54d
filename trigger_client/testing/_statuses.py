"""The database ``TaskRunStatus`` enum and how the REST API presents it."""

from __future__ import annotations

__all__ = [
    "CURRENT_API_VERSION",
    "FINAL_STATUSES",
    "INTERNAL_STATUSES",
    "LIST_FILTER_STATUSES",
    "api_status",
    "boolean_helpers",
    "internal_statuses_for",
]

CURRENT_API_VERSION = "2025-07-16"

INTERNAL_STATUSES: tuple[str, ...] = (
    "DELAYED",
    "PENDING",
    "PENDING_VERSION",
    "WAITING_FOR_DEPLOY",
    "DEQUEUED",
    "EXECUTING",
    "WAITING_TO_RESUME",
    "RETRYING_AFTER_FAILURE",
    "PAUSED",
    "CANCELED",
    "INTERRUPTED",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_WITH_ERRORS",
    "SYSTEM_FAILURE",
    "CRASHED",
    "EXPIRED",
    "TIMED_OUT",
)

FINAL_STATUSES = frozenset(
    {
        "CANCELED",
        "INTERRUPTED",
        "COMPLETED_SUCCESSFULLY",
        "COMPLETED_WITH_ERRORS",
        "SYSTEM_FAILURE",
        "CRASHED",
        "EXPIRED",
        "TIMED_OUT",
    }
)

# REST status for clients that do not send the current API version (the seed's names):
# ApiRetrieveRunPresenter.apiStatusFromRunStatusV1, :348-401 at b082e44 (row R-REST-STATUS).
_LEGACY = {
    "DELAYED": "DELAYED",
    "PENDING": "QUEUED",
    "PENDING_VERSION": "PENDING_VERSION",
    "WAITING_FOR_DEPLOY": "WAITING_FOR_DEPLOY",
    "DEQUEUED": "EXECUTING",
    "EXECUTING": "EXECUTING",
    "WAITING_TO_RESUME": "FROZEN",
    "RETRYING_AFTER_FAILURE": "REATTEMPTING",
    "PAUSED": "FROZEN",
    "CANCELED": "CANCELED",
    "INTERRUPTED": "INTERRUPTED",
    "COMPLETED_SUCCESSFULLY": "COMPLETED",
    "COMPLETED_WITH_ERRORS": "FAILED",
    "SYSTEM_FAILURE": "SYSTEM_FAILURE",
    "CRASHED": "CRASHED",
    "EXPIRED": "EXPIRED",
    "TIMED_OUT": "TIMED_OUT",
}

# REST status for clients sending ``x-trigger-api-version: 2025-07-16``.
_CURRENT = {
    "DELAYED": "DELAYED",
    "PENDING": "QUEUED",
    "PENDING_VERSION": "PENDING_VERSION",
    "WAITING_FOR_DEPLOY": "PENDING_VERSION",
    "DEQUEUED": "DEQUEUED",
    "EXECUTING": "EXECUTING",
    "WAITING_TO_RESUME": "WAITING",
    "RETRYING_AFTER_FAILURE": "EXECUTING",
    "PAUSED": "WAITING",
    "CANCELED": "CANCELED",
    "INTERRUPTED": "FAILED",
    "COMPLETED_SUCCESSFULLY": "COMPLETED",
    "COMPLETED_WITH_ERRORS": "FAILED",
    "SYSTEM_FAILURE": "SYSTEM_FAILURE",
    "CRASHED": "CRASHED",
    "EXPIRED": "EXPIRED",
    "TIMED_OUT": "TIMED_OUT",
}


def api_status(internal: str, *, current: bool) -> str:
    """The REST status of a database status, legacy or current API version."""
    table = _CURRENT if current else _LEGACY
    return table.get(internal, internal)


# ApiRunListPresenter.apiStatusToRunStatuses (presenters/v3/ApiRunListPresenter.server.ts:368-430
# at b082e44): what a ``filter[status]`` value selects. It is not the inverse of either view:
# EXECUTING misses DEQUEUED (shown EXECUTING by the legacy view), FAILED misses INTERRUPTED (shown
# FAILED by the current view), WAITING misses PAUSED, PENDING_VERSION misses WAITING_FOR_DEPLOY
# (row R-LIST-STATUS).
_LIST_FILTER: dict[str, tuple[str, ...]] = {
    "DELAYED": ("DELAYED",),
    "PENDING_VERSION": ("PENDING_VERSION",),
    "WAITING_FOR_DEPLOY": ("WAITING_FOR_DEPLOY",),
    "QUEUED": ("PENDING",),
    "EXECUTING": ("EXECUTING",),
    "REATTEMPTING": ("RETRYING_AFTER_FAILURE",),
    "FROZEN": ("PAUSED", "WAITING_TO_RESUME"),
    "CANCELED": ("CANCELED",),
    "COMPLETED": ("COMPLETED_SUCCESSFULLY",),
    "SYSTEM_FAILURE": ("SYSTEM_FAILURE",),
    "INTERRUPTED": ("INTERRUPTED",),
    "CRASHED": ("CRASHED",),
    "FAILED": ("COMPLETED_WITH_ERRORS",),
    "EXPIRED": ("EXPIRED",),
    "TIMED_OUT": ("TIMED_OUT",),
    "DEQUEUED": ("DEQUEUED",),
    "WAITING": ("WAITING_TO_RESUME",),
}

#: The values ``filter[status]`` accepts: ``RunStatus.or(RunStatusUnspecifiedApiVersion)``.
LIST_FILTER_STATUSES = frozenset(_LIST_FILTER)


def internal_statuses_for(public: str) -> set[str]:
    """The database statuses a ``filter[status]`` value selects (empty for an unknown one)."""
    return set(_LIST_FILTER.get(public, ()))


_QUEUED = {"QUEUED", "WAITING_FOR_DEPLOY", "DELAYED", "PENDING_VERSION"}
_EXECUTING = {"EXECUTING", "REATTEMPTING", "FROZEN", "DEQUEUED"}
_COMPLETED = {
    "COMPLETED",
    "CANCELED",
    "FAILED",
    "CRASHED",
    "INTERRUPTED",
    "SYSTEM_FAILURE",
}


def boolean_helpers(status: str) -> dict[str, bool]:
    """The REST boolean helpers (``apiBooleanHelpersFromRunStatus``) of a presented status."""
    completed = status in _COMPLETED
    return {
        "isQueued": status in _QUEUED,
        "isExecuting": status in _EXECUTING,
        "isWaiting": status == "WAITING",
        "isCompleted": completed,
        "isSuccess": status == "COMPLETED",
        "isFailed": completed and status != "COMPLETED",
        "isCancelled": status == "CANCELED",
    }
