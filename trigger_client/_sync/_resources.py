# Generated from trigger_client/_async/_resources.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""The ``runs`` resource: follow runs as they change, read, list and manage them. Argument
handling only; the work is done by the feeds, the subscription, the pagination and the transport."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, TypeAlias, Unpack

from .._config import AccessToken
from .._exceptions import InvalidArgumentError, RunWaitTimeout, SubscriptionTimeout
from .._generated.models import Run
from .._protocol.numbers import check_seconds
from .._protocol.paths import path_segment
from .._protocol.runs import is_finished
from .._serde import structure
from ._auth_token import TokenSource
from ._feeds import PollFeed, RealtimeFeed, RunFeed, retrieve_run, run_from_body
from ._subscription import RunSubscription
from ._transport import decode_json

# Listing, the task handles, the streams and the REST-only models are imported by the methods that
# use them: a process that only subscribes does not load them.
if TYPE_CHECKING:
    from .._generated.rest_models import CancelRunResponse, ReplayRunResponse
    from .._protocol.listing import RunFilters, RunPage
    from .._protocol.tasks import BatchHandle, RunHandle
    from ._pagination import RunList
    from ._streams import StreamSubscription
    from ._transport import Transport

__all__ = ["RunsResource"]

FeedKind = Literal["realtime", "poll"]


RunRef: TypeAlias = "str | RunHandle"
"""A run id such as ``run_1234``, or the ``RunHandle`` that ``tasks.trigger`` returned."""


class RunsResource:
    """Runs: follow them as they change, read, list, cancel, replay and reschedule them.

    Every method taking a run accepts its id or the ``RunHandle`` from ``tasks.trigger``, and an
    ``access_token`` that overrides the client's token for that call.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _with_token(self, access_token: AccessToken | None) -> Transport:
        if access_token is None:
            return self._transport
        guard = self._transport.token.guard  # the client's loop and state, whatever the token
        return self._transport.derive(token=TokenSource(access_token, guard=guard))

    def subscribe_to_run(
        self,
        run_id: RunRef,
        *,
        stop_on_completion: bool = True,
        skip_columns: Iterable[str] | None = None,
        feed: FeedKind = "realtime",
        poll_interval: float = 1.0,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
        transport: FeedKind | None = None,
    ) -> RunSubscription:
        """Follow one run: yields its current state first, then every change.

        After yielding a finished run the subscription ends (unless ``stop_on_completion=False``).
        ``feed="poll"`` polls the REST API every ``poll_interval`` seconds instead of using the
        realtime endpoint (it can miss states shorter than the interval). ``timeout`` is an
        overall deadline in seconds: past it, ``SubscriptionTimeout`` is raised, carrying the last
        run. ``skip_columns`` leaves realtime columns out (for example ``["payload", "output"]``).
        ``access_token`` overrides the client's token for this subscription. ``transport=`` is a
        deprecated name of ``feed=`` (a ``DeprecationWarning``).
        """
        if transport is not None:
            warnings.warn(
                "subscribe_to_run(transport=...) is deprecated: pass feed=... (the same values)",
                DeprecationWarning,
                stacklevel=2,
            )
            if feed != "realtime" and feed != transport:
                raise InvalidArgumentError("pass feed= only (transport= is its deprecated name)")
            feed = transport
        run_id = _run_id(run_id)
        poll_interval = check_seconds(poll_interval, "poll_interval")
        if timeout is not None:
            timeout = check_seconds(timeout, "timeout")
        call_transport = self._with_token(access_token)
        run_feed: RunFeed
        if feed == "poll":
            run_feed = PollFeed(call_transport, run_id, interval=poll_interval)
        elif feed == "realtime":
            run_feed = RealtimeFeed(
                call_transport,
                f"/realtime/v1/runs/{path_segment(run_id, 'run_id')}",
                _skip_params(skip_columns),
            )
        else:
            raise InvalidArgumentError(f"feed must be 'realtime' or 'poll', not {feed!r}")
        return RunSubscription(
            run_feed,
            stop_on_completion=stop_on_completion,
            timeout=timeout,
            describe=f"subscription to {run_id}",
            streams_transport=call_transport,
        )

    def subscribe_to_stream(
        self,
        run_id: RunRef,
        stream_key: str,
        *,
        timeout: float | None = None,
        start_after: str | None = None,
        access_token: AccessToken | None = None,
    ) -> StreamSubscription:
        """The chunks of one realtime stream of a run (what the task streams under
        ``stream_key``), decoded as the official SDK decodes them: JSON values, else the text.

        It ends when the server ends the stream: after ``timeout`` seconds without a new chunk
        (``Timeout-Seconds``, 1-600; the server's default is 15 s). A dropped connection resumes
        after the last chunk received (``Last-Event-ID``); ``start_after`` starts after that chunk
        id (the subscription's ``last_event_id``). Reads ``TRIGGER_STREAM_URL`` or the API URL.
        """
        from ._streams import StreamSubscription

        return StreamSubscription(
            self._with_token(access_token),
            _run_id(run_id),
            stream_key,
            timeout=timeout,
            start_after=start_after,
        )

    def subscribe_to_runs_with_tag(
        self,
        tags: str | Sequence[str],
        *,
        created_at: str | None = None,
        skip_columns: Iterable[str] | None = None,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
    ) -> RunSubscription:
        """Follow every run carrying all of ``tags``, over one connection.

        Yields the current state of each matching run first, then every change of every run,
        each change once, in the order the server commits them; runs tagged later (triggered
        while you follow) appear as they are created. It **never ends on its own**, even when
        every run has finished: leave the loop (``break``), close it, or pass ``timeout`` (seconds;
        past it ``SubscriptionTimeout`` is raised, carrying the last run).

        ``created_at`` is how far back to look for runs, such as ``"1h"`` or ``"2d"``; the server's
        default is 24 hours and it caps the window (24 hours on Trigger.dev cloud), so older runs
        are never included whatever you pass. ``skip_columns`` leaves columns out (for example
        ``["payload", "output"]``). One connection follows any number of runs: prefer this (or
        ``subscribe_to_batch``) to one ``subscribe_to_run`` per run, which counts against the
        environment's limit of concurrent realtime connections.
        """
        tag_list = [tags] if isinstance(tags, str) else list(tags)
        if not tag_list or any(not t or "," in t for t in tag_list):
            raise InvalidArgumentError("tags must be non-empty strings without commas")
        params = {"tags": ",".join(tag_list)}
        if created_at:
            params["createdAt"] = created_at
        params.update(_skip_params(skip_columns))
        feed = RealtimeFeed(self._with_token(access_token), "/realtime/v1/runs", params)
        return RunSubscription(
            feed,
            stop_on_completion=False,
            timeout=timeout,
            describe=f"subscription to tags {','.join(tag_list)}",
        )

    def subscribe_to_batch(
        self,
        batch_id: str | BatchHandle,
        *,
        skip_columns: Iterable[str] | None = None,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
    ) -> RunSubscription:
        """Follow every run of a batch (its id or the ``BatchHandle`` of ``tasks.batch_trigger``)
        over one connection.

        Yields the current state of each run first, then every change, each once. It **never ends
        on its own**, even when every run has finished: leave the loop, close it, or pass
        ``timeout`` (``SubscriptionTimeout``). The batch handle's ``public_access_token`` opens it.
        """
        if not isinstance(batch_id, str):
            from .._protocol.tasks import BatchHandle

            if isinstance(batch_id, BatchHandle):
                batch_id = batch_id.batch_id
        segment = path_segment(batch_id, "batch_id")
        feed = RealtimeFeed(
            self._with_token(access_token),
            f"/realtime/v1/batches/{segment}",
            _skip_params(skip_columns),
        )
        return RunSubscription(
            feed, stop_on_completion=False, timeout=timeout, describe=f"subscription to {batch_id}"
        )

    def wait(
        self,
        run_id: RunRef,
        *,
        timeout: float | None = None,
        poll: bool = False,
        poll_interval: float = 1.0,
        access_token: AccessToken | None = None,
    ) -> Run:
        """Wait until the run finishes and return it, whatever its outcome: check ``run.status``,
        ``run.is_success`` and ``run.error``.

        Follows the run over the realtime feed by default; ``poll=True`` polls the REST API every
        ``poll_interval`` seconds instead. Raises ``RunWaitTimeout`` carrying the last run seen when
        ``timeout`` seconds pass first; the run itself goes on (``runs.cancel`` stops it).
        """
        run_id = _run_id(run_id)
        subscription = self.subscribe_to_run(
            run_id,
            feed="poll" if poll else "realtime",
            poll_interval=poll_interval,
            timeout=timeout,
            access_token=access_token,
            stop_on_completion=True,
        )
        last: Run | None = None
        try:
            for run in subscription:
                last = run
                if is_finished(run):
                    return run
        except SubscriptionTimeout as exc:
            status = exc.last_run.status if exc.last_run is not None else "unknown"
            raise RunWaitTimeout(
                f"run {run_id} did not finish within {timeout}s (last status: {status}); "
                "it is still going",
                last_run=exc.last_run,
            ) from None
        finally:
            subscription.close()
        raise RunWaitTimeout(f"run {run_id} ended without finishing", last_run=last)

    def retrieve(self, run_id: RunRef, *, access_token: AccessToken | None = None) -> Run:
        """The run as it is now, with offloaded payload and output downloaded.

        As in the official SDK, the REST API sends a superjson payload or output as its plain JSON
        part (a ``datetime`` arrives as its ISO string); an offloaded one is downloaded and fully
        decoded. ``number`` and ``queued_at`` are not in the REST response (0 and None).
        """
        return retrieve_run(self._with_token(access_token), _run_id(run_id))

    def cancel(
        self, run_id: RunRef, *, access_token: AccessToken | None = None
    ) -> CancelRunResponse:
        """Cancel a run that has not finished (``CancelRunResponse.id`` is the run's id).

        Cancelling a finished run changes nothing. Safe to retry, so transient failures are.
        """
        run_id = _run_id(run_id)
        body = self._with_token(access_token).post_json(
            f"/api/v2/runs/{path_segment(run_id, 'run_id')}/cancel", idempotent=True
        )
        from .._generated.rest_models import CancelRunResponse

        return structure(body, CancelRunResponse, what="cancel response")

    def replay(
        self, run_id: RunRef, *, access_token: AccessToken | None = None
    ) -> ReplayRunResponse:
        """Trigger a new run of the same task with the same payload, tags and machine;
        ``ReplayRunResponse.id`` is the new run's id. Needs a secret key.

        Each call makes a new run, so a failed call is not retried.
        """
        run_id = _run_id(run_id)
        body = self._with_token(access_token).post_json(
            f"/api/v1/runs/{path_segment(run_id, 'run_id')}/replay", idempotent=False
        )
        from .._generated.rest_models import ReplayRunResponse

        return structure(body, ReplayRunResponse, what="replay response")

    def reschedule(
        self,
        run_id: RunRef,
        *,
        delay: str | timedelta | datetime,
        access_token: AccessToken | None = None,
    ) -> Run:
        """Move a ``DELAYED`` run's start: ``delay`` is a duration from now (``"1h"``, ``"30m"``,
        a ``timedelta``) or a ``datetime`` (naive means UTC). Returns the updated run. Needs a
        secret key; a run that is not delayed raises ``BadRequestError`` (400).
        """
        from .._protocol.tasks import delay_text

        run_id = _run_id(run_id)
        transport = self._with_token(access_token)
        response = transport.request(
            "POST",
            f"/api/v1/runs/{path_segment(run_id, 'run_id')}/reschedule",
            json_body={"delay": delay_text(delay)},
            idempotent=True,
        )
        return run_from_body(transport, decode_json(response))

    # ``list`` comes last: inside the class body its name hides the builtin in annotations.

    def list_page(
        self,
        *,
        after: str | None = None,
        before: str | None = None,
        access_token: AccessToken | None = None,
        **filters: Unpack[RunFilters],
    ) -> RunPage:
        """One page of runs, newest first: the first, or the one after (``after=``) or before
        (``before=``) a cursor of another page (``page.next_cursor``, ``page.previous_cursor``).

        The filters are those of ``list``.
        """
        from .._protocol.listing import list_runs_params
        from ._pagination import fetch_run_page

        return fetch_run_page(
            self._with_token(access_token), list_runs_params(filters), after=after, before=before
        )

    def list(
        self, *, access_token: AccessToken | None = None, **filters: Unpack[RunFilters]
    ) -> RunList:
        """Every run matching the filters, newest first, across all pages (fetched as you go).

        ``for run in client.runs.list(status=["COMPLETED"], tag="user:1")`` (``async for`` with the
        async client). Each item is a ``ListRunItem``: the run without its payload and output
        (``runs.retrieve(item.id)`` has them). Filters (keyword arguments, all optional):

        - ``status``: one status or several (``RunStatus`` or its name), any of them matches;
        - ``task_identifier``, ``version``, ``tag``: one value or several, any of them matches;
        - ``batch``: a batch id; ``is_test``: test runs only (True) or none of them (False);
        - ``created_after`` / ``created_before``: datetimes (naive means UTC), or ``period``: a
          window back from now such as ``"1h"``, ``"7d"`` (not both);
        - ``page_size``: runs per request, 1 to 100 (the server's default is 25).

        There is no cap on the number of runs yielded; ``.pages()`` gives whole pages, and
        ``list_page`` one page at a time.
        """
        from .._protocol.listing import list_runs_params
        from ._pagination import RunList

        return RunList(self._with_token(access_token), list_runs_params(filters))


def _run_id(value: RunRef) -> str:
    """The run's id, checked (``InvalidArgumentError``) before any request."""
    if not isinstance(value, str):
        from .._protocol.tasks import RunHandle

        if isinstance(value, RunHandle):
            value = value.id
    path_segment(value, "run_id")
    return value


def _skip_params(skip_columns: Iterable[str] | None) -> dict[str, str]:
    if skip_columns is None:
        return {}
    if isinstance(skip_columns, str):
        skip_columns = [skip_columns]
    columns = [c for c in skip_columns if c]
    return {"skipColumns": ",".join(columns)} if columns else {}
