"""``TaskRunError`` -> ``SerializedError`` as the SDK and the REST presenter derive it:
``createJsonErrorObject(taskRunErrorEnhancer(error))`` of packages/core/src/v3/errors.ts:271-299
and 805-1004 at b082e44 (row R-ERROR-OBJECT)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["enhance_error", "serialized_error"]


def _signal_code(text: str) -> str:
    head = text[:100]
    if "SIGTERM" in head:
        return "TASK_PROCESS_SIGTERM"
    if "SIGSEGV" in head:
        return "TASK_PROCESS_SIGSEGV"
    if "SIGKILL" in head or "SIGABRT" in head:
        return "TASK_PROCESS_MAYBE_OOM_KILLED"
    return "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE"


def enhance_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """``taskRunErrorEnhancer``: map well-known crashes to internal error codes."""
    err = dict(error)
    kind = err.get("type")
    if kind == "BUILT_IN_ERROR":
        name = err.get("name")
        message = str(err.get("message") or "")
        if name == "UnexpectedExitError" and message.startswith("Unexpected exit with code -1"):
            code = _signal_code(str(err.get("stackTrace") or ""))
            return {"type": "INTERNAL_ERROR", "code": code}
        if name == "Error" and message == "ffmpeg was killed with signal SIGKILL":
            return {"type": "INTERNAL_ERROR", "code": "TASK_PROCESS_OOM_KILLED"}
        if message == "MANUAL_OOM_KILL_ERROR":
            return {"type": "INTERNAL_ERROR", "code": "TASK_PROCESS_OOM_KILLED"}
        if name == "TriggerApiError" and message.startswith("Deadlock detected:"):
            return {**err, "name": "Concurrency Deadlock Error", "stackTrace": ""}
    if kind == "INTERNAL_ERROR" and err.get("code") == "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE":
        return {"type": "INTERNAL_ERROR", "code": _signal_code(str(err.get("message") or ""))}
    return err


def serialized_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """``createJsonErrorObject(taskRunErrorEnhancer(error))``."""
    err = enhance_error(error)
    kind = err.get("type")
    if kind == "BUILT_IN_ERROR":
        return {
            "name": err.get("name"),
            "message": err.get("message"),
            "stackTrace": err.get("stackTrace"),
        }
    if kind in ("STRING_ERROR", "CUSTOM_ERROR"):
        return {"message": err.get("raw")}
    if kind == "INTERNAL_ERROR":
        return {"message": f"trigger.dev internal error ({err.get('code')})"}
    return {"message": str(err)}
