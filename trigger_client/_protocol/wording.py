"""Messages that explain how something ended, in the user's terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._exceptions import APITimeoutError
from .runs import is_finished

if TYPE_CHECKING:
    from .._generated.models import Run

__all__ = ["subscription_timeout_message"]


def subscription_timeout_message(
    describe: str, timeout: float, last_run: Run | None, cause: BaseException | None
) -> str:
    """Why a subscription reached its ``timeout``: the run that did not finish and its last
    status. The long-poll cut short by the deadline (``APITimeoutError``) is how every idle
    subscription ends, not a fault, so only another error is named as the last one."""
    text = f"{describe} reached its timeout of {timeout:g}s"
    if last_run is None:
        text += " before any run arrived"
    elif is_finished(last_run):
        text += f" (the last run seen, {last_run.id}, is {last_run.status})"
    else:
        text += f": {last_run.id} did not finish in time (last status: {last_run.status})"
    if cause is not None and not isinstance(cause, APITimeoutError):
        text += f" (last error: {cause})"
    return text
