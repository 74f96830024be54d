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
from .._protocol.runs import run_from_row, shape_row
from ._transport import Transport

__all__ = ["PacketResolver"]

logger = logging.getLogger("trigger_client")


class PacketResolver:
    """Decodes packets, caching the result per (run, field) until the packet's text changes.

    An ``application/store`` packet is downloaded through a presigned URL the first time its
    storage path is seen for that run and field, and never again for the same path.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._cache: dict[tuple[str, str], tuple[str | None, str | None, Any]] = {}

    def runs_from_rows(self, rows: Sequence[Mapping[str, Any]]) -> list[Run]:
        """Parsed shape rows as ``Run``s, their packets decoded (offloaded ones downloaded)."""
        return [self.run_from_row(row) for row in rows]

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
        if not data_type:  # no packet type: the column was skipped or never written
            return None
        key = (run_id, field)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == data_type and cached[1] == data:
            return cached[2]
        value = decode_packet(data, data_type)
        if isinstance(value, StoreReference):
            value = self.download(value)
        self._cache[key] = (data_type, data, value)
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
        for field in ("payload", "output", "metadata"):
            self._cache.pop((run_id, field), None)
