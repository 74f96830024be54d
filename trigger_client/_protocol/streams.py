"""Realtime streams, pure: chunk decoding, stream discovery, resumption and the parts yielded.

A task streams data while it runs (``metadata.stream`` in v3, ``streams.pipe`` in v4). Each stream
is read as Server-Sent Events from ``GET /realtime/v1/streams/{runId}/{streamKey}``
(trigger.dev b082e44, ``apps/webapp/app/routes/realtime.v1.streams.$runId.$streamId.ts``): one
event per chunk, ``id`` the position to resume after (sent back as ``Last-Event-ID``), ``data``
the chunk as the task wrote it (JSON). The response ends cleanly when no chunk came for
``Timeout-Seconds`` (default 15 s; ``services/realtime/redisRealtimeStreams.server.ts`` lines
98-197): that clean end is the end of the stream. A run on the v2 (S2) backend answers
``X-Stream-Version: v2`` with ``batch`` events of several records each (``StreamDecoder``). A connection that breaks mid-body is a drop, to
resume from the last event id (``packages/core/src/v3/apiClient/runStream.ts`` lines 443-566).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import attrs

from .._exceptions import InvalidArgumentError
from .._generated.models import Run
from .paths import path_segment

__all__ = [
    "MAX_TIMEOUT_SECONDS",
    "RunUpdate",
    "StreamChunk",
    "StreamCursor",
    "StreamDecoder",
    "announced_streams",
    "decode_chunk",
    "stream_path",
    "timeout_seconds",
]

#: The server refuses ``Timeout-Seconds`` outside 1..600 with a 400 (route lines 61-76).
MAX_TIMEOUT_SECONDS = 600


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every chunk: json.loads with an argument builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def decode_chunk(data: str) -> Any:
    """A chunk as the official client decodes it: the JSON value where ``data`` parses as JSON
    (``JSON.parse``: no ``NaN``/``Infinity``), else the text itself."""
    try:
        return _DECODER.decode(data)
    except ValueError:
        return data


def announced_streams(run: Run) -> list[str]:
    """The stream keys a run lists, as the official client reads them: ``metadata["$$streams"]``
    (v1) when it is a non-empty list of strings, else the ``realtimeStreams`` column (v2)
    (``runStream.ts`` lines 1001-1016)."""
    metadata = run.metadata
    if isinstance(metadata, Mapping):
        listed = metadata.get("$$streams")
        if isinstance(listed, list) and listed and all(isinstance(k, str) for k in listed):
            return [k for k in listed if k]
    return [k for k in run.realtime_streams or () if isinstance(k, str) and k]


def stream_path(run_id: str, stream_key: str) -> str:
    """The path of a stream's SSE endpoint (each part checked and encoded as one segment)."""
    run = path_segment(run_id, "run_id")
    return f"/realtime/v1/streams/{run}/{path_segment(stream_key, 'stream_key')}"


def timeout_seconds(timeout: float | None) -> str | None:
    """The ``Timeout-Seconds`` header for ``timeout`` (seconds without a chunk before the server
    ends the stream): a whole number of seconds, 1 to 600; None sends no header."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or math.isnan(timeout):
        raise InvalidArgumentError("timeout must be a number of seconds (1 to 600) or None")
    if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise InvalidArgumentError(f"timeout must be between 1 and {MAX_TIMEOUT_SECONDS} seconds")
    return str(math.ceil(timeout))


#: How many v2 part ids are remembered to drop a part delivered twice (as the official client).
SEEN_PART_IDS = 5000


class StreamDecoder:
    """Events of one response -> ``(id to resume after, chunk, skip)`` items, by stream version.

    ``v1`` (the ``X-Stream-Version`` header absent or ``v1``, Redis): each event is one chunk, its
    ``id`` the position. ``v2`` (S2, ``s2realtimeStreams.server.ts`` lines 671-711): ``batch``
    events whose data is ``{"records": [{"body", "seq_num", "timestamp", "headers"?}]}``; a record's
    body is JSON ``{"data": chunk, "id": part id}``; ``seq_num`` is the position; command records
    (first header name empty) and parts already seen are skipped but still advance the position
    (``runStream.ts`` lines 462-511).
    """

    def __init__(self, version: str | None) -> None:
        self.version = "v2" if version == "v2" else "v1"
        self._seen: dict[str, None] = {}

    def feed(self, event: str, data: str, event_id: str) -> list[tuple[str | None, Any, bool]]:
        if self.version == "v1":
            return [(event_id or None, decode_chunk(data), False)]
        if event != "batch":
            return []
        batch = decode_chunk(data)
        records = batch.get("records") if isinstance(batch, dict) else None
        if not isinstance(records, list):
            return []
        items: list[tuple[str | None, Any, bool]] = []
        for record in records:
            if not isinstance(record, dict):
                continue
            seq = record.get("seq_num")
            position = str(seq) if isinstance(seq, int) and not isinstance(seq, bool) else None
            headers = record.get("headers")
            if isinstance(headers, list) and headers and isinstance(headers[0], list):
                if headers[0] and headers[0][0] == "":
                    items.append((position, None, True))
                    continue
            body = record.get("body")
            parsed = decode_chunk(body) if isinstance(body, str) else None
            part_id = parsed.get("id") if isinstance(parsed, dict) else None
            if isinstance(part_id, str) and part_id:
                if part_id in self._seen:
                    items.append((position, None, True))
                    continue
                self._seen[part_id] = None
                if len(self._seen) > SEEN_PART_IDS:
                    del self._seen[next(iter(self._seen))]
            chunk = parsed.get("data") if isinstance(parsed, dict) else None
            items.append((position, chunk, False))
        return items


@attrs.define
class StreamCursor:
    """Where a stream reader is: the id of the last event received (sent as ``Last-Event-ID``)."""

    last_event_id: str | None = None
    timeout: str | None = None

    def headers(self) -> dict[str, str]:
        """The request headers that resume the stream after the last event."""
        headers = {"accept": "text/event-stream"}
        if self.last_event_id:
            headers["last-event-id"] = self.last_event_id
        if self.timeout is not None:
            headers["timeout-seconds"] = self.timeout
        return headers

    def advance(self, event_id: str | None) -> None:
        """Record an event's id (an event without one keeps the previous id, as SSE does)."""
        if event_id:
            self.last_event_id = event_id


@attrs.frozen
class RunUpdate:
    """A part of ``with_streams()``: the run changed."""

    run: Run


@attrs.frozen
class StreamChunk:
    """A part of ``with_streams()``: a chunk of the run's stream ``stream``; ``run`` is the run
    update that announced the stream (as in the official client, ``runStream.ts`` lines 760-769)."""

    stream: str
    chunk: Any
    run: Run
