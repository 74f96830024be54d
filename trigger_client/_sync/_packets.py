# Generated from trigger_client/_async/_packets.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""Decode run packets (payload, output, metadata), fetching offloaded ones once per run version."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .._exceptions import APIResponseValidationError
from .._generated.models import Run
from .._protocol.packets import StoreReference, decode_downloaded_packet, decode_packet
from .._protocol.runs import checked_row, run_from_row, shape_row
from ._transport import Transport

__all__ = ["PacketResolver"]

logger = logging.getLogger("trigger_client")

_FIELDS = ("payload", "output", "metadata")


class PacketResolver:
    """Decodes packets, caching the result per (run, field) until the packet's text changes.

    An ``application/store`` packet is downloaded through a presigned URL the first time its
    storage path is seen for that run and field, and never again for the same path.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        # field -> run id -> (data type, data, value); one dict per field, so no key tuples
        self._cache: dict[str, dict[str, tuple[str | None, str | None, Any]]] = {
            field: {} for field in _FIELDS
        }

    def runs_from_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[Run]:
        """Parsed shape rows as ``Run``s, their packets decoded (offloaded ones downloaded).

        Rows whose packets are all inline (or cached) take the direct path, without I/O; the
        others are resolved one by one.
        """
        runs: list[Run] = []
        for row in rows:
            run = self.run_from_row_now(row)
            if run is None:
                run = self.run_from_row(row)
            runs.append(run)
        return runs

    def run_from_row_now(self, row: Mapping[str, Any]) -> Run | None:
        """``run_from_row`` without I/O: ``None`` when a packet must be downloaded first, or the
        row needs the full path (``checked_row``). Raises what ``run_from_row`` raises when it
        fails before its first download."""
        checked = checked_row(row)
        if checked is None:
            return None
        run_id = checked.run_id
        payload = self._decoded(run_id, "payload", checked.payload, checked.payload_type)
        if isinstance(payload, StoreReference):
            return None
        output = self._decoded(run_id, "output", checked.output, checked.output_type)
        if isinstance(output, StoreReference):
            return None
        metadata = None
        if checked.metadata and checked.metadata_type:
            metadata = self._decoded(run_id, "metadata", checked.metadata, checked.metadata_type)
            if isinstance(metadata, StoreReference):
                return None
        return checked.run(payload=payload, output=output, metadata=metadata)

    def run_from_row(self, row: Mapping[str, Any]) -> Run:
        raw = shape_row(row)
        run_id = raw.friendly_id
        payload = self.resolve(run_id, "payload", raw.payload, raw.payload_type)
        output = self.resolve(run_id, "output", raw.output, raw.output_type)
        metadata = (
            self.resolve(run_id, "metadata", raw.metadata, raw.metadata_type)
            if raw.metadata and raw.metadata_type
            else None
        )
        return run_from_row(raw, payload=payload, output=output, metadata=metadata)

    def resolve(self, run_id: str, field: str, data: str | None, data_type: str | None) -> Any:
        value = self._decoded(run_id, field, data, data_type)
        if isinstance(value, StoreReference):
            value = self.download(value)
            self._cache[field][run_id] = (data_type, data, value)
        return value

    def _decoded(self, run_id: str, field: str, data: str | None, data_type: str | None) -> Any:
        """The cached or decoded value; a ``StoreReference`` (not cached) when it must be
        downloaded."""
        if not data_type or not data:  # no packet type (the column was skipped), or no data
            return None
        cache = self._cache[field]
        cached = cache.get(run_id)
        if cached is not None and cached[0] == data_type and cached[1] == data:
            return cached[2]
        value = decode_packet(data, data_type)
        if not isinstance(value, StoreReference):
            cache[run_id] = (data_type, data, value)
        return value

    def download(self, reference: StoreReference) -> Any:
        """Fetch an offloaded packet: presign it through the API, then download it."""
        body = self._transport.get_json(f"/api/v1/packets/{quote(reference.path, safe='/')}")
        url = body.get("presignedUrl") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url:
            raise APIResponseValidationError(
                "the packet presign response has no presignedUrl", body=body
            )
        logger.debug("downloading offloaded packet %s", reference.path)
        response = self._transport.download(url)
        return decode_downloaded_packet(response.content, response.headers.get("content-type"))

    def forget(self, run_id: str) -> None:
        for cache in self._cache.values():
            cache.pop(run_id, None)
