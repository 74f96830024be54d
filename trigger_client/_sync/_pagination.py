# Generated from trigger_client/_async/_pagination.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""``runs.list``: every run matching the filters, fetched a page at a time as you iterate."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from .._exceptions import APIResponseValidationError, BadRequestError
from .._generated.rest_models import ListRunItem
from .._protocol.listing import (
    Params,
    RunPage,
    parse_run_page,
    with_cursor,
    without_unknown_companions,
)
from ._transport import decode_json

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["RunIterator", "RunList", "RunPages", "fetch_run_page"]

_PATH = "/api/v1/runs"


def fetch_run_page(
    transport: Transport, params: Params, *, after: str | None, before: str | None
) -> RunPage:
    """One ``GET /api/v1/runs`` page (retried like every read). A server that does not know a
    status the SDK added to the filter (``DEQUEUED``, ``PENDING_VERSION``) is asked again
    without it."""
    try:
        response = transport.request(
            "GET", _PATH, params=with_cursor(params, after=after, before=before)
        )
    except BadRequestError as exc:
        narrowed = without_unknown_companions(params, exc.body)
        if narrowed is None:
            raise
        response = transport.request(
            "GET", _PATH, params=with_cursor(narrowed, after=after, before=before)
        )
    return parse_run_page(decode_json(response))


class RunList:
    """The runs matching a ``runs.list`` query, newest first.

    Iterate over it for every run across all pages; each page is requested only when the previous
    one is used up, so leaving the loop early costs nothing more. There is no cap: a query that
    matches a million runs yields a million runs (``break`` when you have enough). Each iteration
    starts again from the first page. ``pages()`` iterates over whole pages instead.
    """

    def __init__(self, transport: Transport, params: Params) -> None:
        self._transport = transport
        self._params = params

    def __repr__(self) -> str:
        query = "&".join(f"{name}={value}" for name, value in self._params)
        return f"<{type(self).__name__} {query or 'all runs'}>"

    def __iter__(self) -> RunIterator:
        return RunIterator(self.pages())

    def pages(self, *, after: str | None = None) -> RunPages:
        """Iterate over pages (``RunPage``: ``.data``, ``.next_cursor``, ``.has_next``), starting
        at the first page, or after the cursor ``after`` (a ``next_cursor`` you kept)."""
        return RunPages(self._transport, self._params, after=after)


class RunPages:
    """An iterator over the pages of a run list; it stops after the page without a next cursor."""

    def __init__(self, transport: Transport, params: Params, *, after: str | None) -> None:
        self._transport = transport
        self._params = params
        self._after = after
        self._done = False

    def __iter__(self) -> RunPages:
        return self

    def __next__(self) -> RunPage:
        if self._done:
            raise StopIteration
        page = fetch_run_page(self._transport, self._params, after=self._after, before=None)
        if page.next_cursor is not None and page.next_cursor == self._after:
            self._done = True
            raise APIResponseValidationError(
                f"the run list did not advance: page[after]={self._after} returned the same "
                "next cursor"
            )
        self._after = page.next_cursor
        self._done = page.next_cursor is None
        return page


class RunIterator:
    """An iterator over the runs of successive pages."""

    def __init__(self, pages: RunPages) -> None:
        self._pages = pages
        self._buffer: deque[ListRunItem] = deque()

    def __iter__(self) -> RunIterator:
        return self

    def __next__(self) -> ListRunItem:
        while not self._buffer:
            page = self._pages.__next__()
            self._buffer.extend(page.data)
        return self._buffer.popleft()
