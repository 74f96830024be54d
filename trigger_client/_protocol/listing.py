"""Listing runs, the pure part: the query of ``GET /api/v1/runs`` and its pages.

The query is the official SDK 3.3.17's (``createSearchQueryForListRuns``), parameters in its order:
``filter[status]``, ``filter[taskIdentifier]``, ``filter[version]``, ``filter[tag]`` (lists
comma-joined), ``filter[isTest]``, ``filter[createdAt][from]`` / ``[to]`` (epoch milliseconds),
``filter[createdAt][period]``, ``filter[batch]``, then ``page[size]``, ``page[after]``,
``page[before]``. The server answers ``{"data": [...], "pagination": {"next"?, "previous"?}}``
with 25 runs a page by default (``page[size]`` 1 to 100), newest first.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict

import attrs

from .._exceptions import APIResponseValidationError, InvalidArgumentError
from .._generated.models import RunStatus
from .._generated.rest_models import ListRunItem, ListRunsResponse
from .._serde import structure

__all__ = [
    "MAX_PAGE_SIZE",
    "Params",
    "RunFilters",
    "RunPage",
    "list_runs_params",
    "parse_run_page",
    "status_filter",
    "without_unknown_companions",
    "with_cursor",
]

MAX_PAGE_SIZE = 100

Params = tuple[tuple[str, str], ...]

#: Statuses of the current REST API version that the seed names differently (as for retrieve).
_STATUS_ALIASES: Mapping[str, str] = {
    "PENDING_VERSION": "WAITING_FOR_DEPLOY",
    "DEQUEUED": "EXECUTING",
    "WAITING": "FROZEN",
}


@attrs.frozen(kw_only=True)
class RunPage:
    """One page of ``runs.list``: its runs (newest first) and the cursors around it."""

    data: list[ListRunItem]
    next_cursor: str | None = None
    """Pass as ``after=`` to ``runs.list_page`` for the next page; None on the last page."""
    previous_cursor: str | None = None
    """Pass as ``before=`` to ``runs.list_page`` for the previous page; None on the first."""

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def __len__(self) -> int:
        return len(self.data)


def _joined(value: str | Iterable[str], what: str) -> str:
    items = [value] if isinstance(value, str) else list(value)
    text = [str(item) for item in items]  # a RunStatus member is a str
    if not text or any(not isinstance(item, str) or not item or "," in item for item in items):
        raise InvalidArgumentError(
            f"{what} must be non-empty strings without commas, not {value!r}"
        )
    return ",".join(text)


#: Statuses the server's list filter selects with a newer name only: ``filter[status]=EXECUTING``
#: selects EXECUTING runs, not the DEQUEUED ones the REST view also shows as EXECUTING; the SDK
#: shows PENDING_VERSION as WAITING_FOR_DEPLOY (ApiRunListPresenter.server.ts:368-430 and
#: ApiRetrieveRunPresenter.server.ts:348-401 at b082e44; row R-LIST-STATUS).
_FILTER_COMPANIONS: Mapping[str, tuple[str, ...]] = {
    "EXECUTING": ("DEQUEUED",),
    "WAITING_FOR_DEPLOY": ("PENDING_VERSION",),
}


def status_filter(joined: str) -> str:
    """``filter[status]`` selecting every run the SDK shows with one of the statuses: each status
    followed by its companions (once each, in order)."""
    out: list[str] = []
    for value in joined.split(","):
        for item in (value, *_FILTER_COMPANIONS.get(value, ())):
            if item not in out:
                out.append(item)
    return ",".join(out)


def without_unknown_companions(params: Params, body: object) -> Params | None:
    """``params`` without the companion statuses a server older than them refused (a 400 whose
    body says ``Invalid status values: ...`` naming only companions); None when that is not
    the refusal."""
    text = json.dumps(body) if not isinstance(body, str) else body
    match = re.search(r"Invalid status values: ([A-Z_, ]+)", text)
    if match is None:
        return None
    refused = {value.strip() for value in match.group(1).split(",") if value.strip()}
    companions = {c for values in _FILTER_COMPANIONS.values() for c in values}
    if not refused or not refused <= companions:
        return None
    out: list[tuple[str, str]] = []
    for name, value in params:
        if name == "filter[status]":
            kept = [v for v in value.split(",") if v not in refused]
            if not kept:
                return None
            value = ",".join(kept)
        out.append((name, value))
    return tuple(out)


def _epoch_ms(value: datetime, what: str) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return str(math.floor(moment.timestamp() * 1000))


class RunFilters(TypedDict, total=False):
    """The filters of ``runs.list`` and ``runs.list_page`` (described in ``runs.list``), defined
    here once; ``None`` means not given."""

    status: RunStatus | str | Iterable[RunStatus | str] | None
    task_identifier: str | Iterable[str] | None
    version: str | Iterable[str] | None
    tag: str | Iterable[str] | None
    batch: str | None
    is_test: bool | None
    created_after: datetime | None
    created_before: datetime | None
    period: str | None
    page_size: int | None


def list_runs_params(filters: RunFilters) -> Params:
    """The filter and page-size parameters, in the official SDK's order (cursors not included).
    An unknown filter is a ``TypeError``, as an unknown keyword argument is."""
    unknown = sorted(set(filters) - RunFilters.__optional_keys__)
    if unknown:
        raise TypeError(
            f"unknown run list filter {unknown[0]!r}; the filters are "
            + ", ".join(RunFilters.__annotations__)
        )
    status = filters.get("status")
    task_identifier = filters.get("task_identifier")
    version = filters.get("version")
    tag = filters.get("tag")
    batch = filters.get("batch")
    is_test = filters.get("is_test")
    created_after = filters.get("created_after")
    created_before = filters.get("created_before")
    period = filters.get("period")
    page_size = filters.get("page_size")
    params: list[tuple[str, str]] = []
    if status is not None:
        params.append(("filter[status]", status_filter(_joined(status, "status"))))
    if task_identifier is not None:
        params.append(("filter[taskIdentifier]", _joined(task_identifier, "task_identifier")))
    if version is not None:
        params.append(("filter[version]", _joined(version, "version")))
    if tag is not None:
        params.append(("filter[tag]", _joined(tag, "tag")))
    if is_test is not None:
        if not isinstance(is_test, bool):
            raise TypeError("is_test must be a bool")
        params.append(("filter[isTest]", "true" if is_test else "false"))
    if period is not None and (created_after is not None or created_before is not None):
        raise InvalidArgumentError("pass either period or created_after/created_before, not both")
    if created_after is not None:
        params.append(("filter[createdAt][from]", _epoch_ms(created_after, "created_after")))
    if created_before is not None:
        params.append(("filter[createdAt][to]", _epoch_ms(created_before, "created_before")))
    if period is not None:
        if not isinstance(period, str) or not period.strip():
            raise InvalidArgumentError(
                f'period must be a duration such as "7d" or "1h", not {period!r}'
            )
        params.append(("filter[createdAt][period]", period))
    if batch is not None:
        if not isinstance(batch, str) or not batch:
            raise InvalidArgumentError(
                f"batch must be a batch id such as batch_1234, not {batch!r}"
            )
        params.append(("filter[batch]", batch))
    if page_size is not None:
        if isinstance(page_size, bool) or not isinstance(page_size, int):
            raise TypeError("page_size must be an int")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidArgumentError(
                f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}"
            )
        params.append(("page[size]", str(page_size)))
    return tuple(params)


def with_cursor(params: Params, *, after: str | None, before: str | None) -> Params:
    """``params`` with ``page[after]`` / ``page[before]`` added."""
    if after is not None and before is not None:
        raise InvalidArgumentError("pass either after or before, not both")
    extra: list[tuple[str, str]] = []
    for name, cursor in (("page[after]", after), ("page[before]", before)):
        if cursor is not None:
            if not isinstance(cursor, str) or not cursor:
                raise InvalidArgumentError(f"{name} cursor must be a run id, not {cursor!r}")
            extra.append((name, cursor))
    return params + tuple(extra)


def parse_run_page(body: Any) -> RunPage:
    """A ``RunPage`` from a list response body."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise APIResponseValidationError(
            "invalid run list in the API response: expected {data: [...], pagination: {...}}",
            body=body,
        )
    data = dict(body)
    data["data"] = [_with_seed_status(item) for item in body["data"]]
    data.setdefault("pagination", {})
    parsed = structure(data, ListRunsResponse, what="run list")
    return RunPage(
        data=list(parsed.data),
        next_cursor=parsed.pagination.next or None,
        previous_cursor=parsed.pagination.previous or None,
    )


def _with_seed_status(item: Any) -> Any:
    if isinstance(item, Mapping) and isinstance(item.get("status"), str):
        status = item["status"]
        if status in _STATUS_ALIASES:
            return {**item, "status": _STATUS_ALIASES[status]}
    return item
