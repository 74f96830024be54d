"""Reading an API response: its body as JSON, and how long the server asks us to wait."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import APIResponseValidationError
from .retry import MAX_RETRY_AFTER, parse_retry_after

if TYPE_CHECKING:
    import httpx

__all__ = ["decode_body", "decode_json", "retry_after_seconds"]


def decode_body(response: httpx.Response) -> object:
    """The response body as JSON when it parses, else its text."""
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return response.text


def decode_json(response: httpx.Response) -> Any:
    """The response body as JSON, or ``APIResponseValidationError``."""
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise APIResponseValidationError(
            "the API returned a body that is not JSON", response=response, body=response.text
        ) from exc


def retry_after_seconds(headers: Mapping[str, str], *, now: float) -> float | None:
    """The server's ``Retry-After`` (or ``x-ratelimit-reset`` in epoch ms) as seconds after
    ``now`` (epoch seconds), clamped to [0, 3600]; None when neither header is usable."""
    value = parse_retry_after(headers.get("retry-after"), now=now)
    if value is not None:
        return value
    reset = headers.get("x-ratelimit-reset")
    if reset and reset.isdigit():
        return max(0.0, min(MAX_RETRY_AFTER, int(reset) / 1000.0 - now))
    return None
