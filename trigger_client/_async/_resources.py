"""The client's resources: ``runs`` (and, as they grow, ``tasks`` and ``auth``). Argument handling only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from .._config import AccessToken
from .._exceptions import RunWaitTimeout, SubscriptionTimeout
from .._generated.models import Run
from .._protocol.runs import is_finished
from ._auth_token import AsyncTokenSource
from ._feeds import AsyncPollFeed, AsyncRealtimeFeed, AsyncRunFeed, retrieve_run
from ._subscription import AsyncRunSubscription

if TYPE_CHECKING:
    from ._transport import AsyncTransport

__all__ = ["AsyncRunsResource"]

FeedKind = Literal["realtime", "poll"]


class AsyncRunsResource:
    """Runs: follow them as they change, and read them."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    def _with_token(self, access_token: AccessToken | None) -> AsyncTransport:
        if access_token is None:
            return self._transport
        return self._transport.derive(token=AsyncTokenSource(access_token))

    def subscribe_to_run(
        self,
        run_id: str,
        *,
        stop_on_completion: bool = True,
        skip_columns: Iterable[str] | None = None,
        transport: FeedKind = "realtime",
        poll_interval: float = 1.0,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
    ) -> AsyncRunSubscription:
        """Follow one run: yields its current state first, then every change.

        After yielding a finished run the subscription ends (unless ``stop_on_completion=False``).
        ``transport="poll"`` polls the REST API every ``poll_interval`` seconds instead of using
        the realtime endpoint (it can miss states shorter than the interval). ``timeout`` is an
        overall deadline in seconds: past it, ``SubscriptionTimeout`` is raised, carrying the last
        run. ``skip_columns`` leaves realtime columns out (for example ``["payload", "output"]``).
        ``access_token`` overrides the client's token for this subscription.
        """
        _check_id(run_id, "run_id")
        http = self._with_token(access_token)
        feed: AsyncRunFeed
        if transport == "poll":
            feed = AsyncPollFeed(http, run_id, interval=poll_interval)
        elif transport == "realtime":
            feed = AsyncRealtimeFeed(
                http, f"/realtime/v1/runs/{run_id}", _skip_params(skip_columns)
            )
        else:
            raise ValueError(f"transport must be 'realtime' or 'poll', not {transport!r}")
        return AsyncRunSubscription(
            feed,
            stop_on_completion=stop_on_completion,
            timeout=timeout,
            describe=f"subscription to {run_id}",
        )

    def subscribe_to_runs_with_tag(
        self,
        tags: str | Sequence[str],
        *,
        created_at: str | None = None,
        skip_columns: Iterable[str] | None = None,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
    ) -> AsyncRunSubscription:
        """Follow every run carrying all of ``tags``; it never ends on its own.

        ``created_at`` is a look-back window such as ``"1h"`` or ``"2d"`` (default 24 hours; the
        server caps it at 24 hours on Trigger.dev cloud). Each change of each run is yielded once.
        """
        tag_list = [tags] if isinstance(tags, str) else list(tags)
        if not tag_list or any(not t or "," in t for t in tag_list):
            raise ValueError("tags must be non-empty strings without commas")
        params = {"tags": ",".join(tag_list)}
        if created_at:
            params["createdAt"] = created_at
        params.update(_skip_params(skip_columns))
        feed = AsyncRealtimeFeed(self._with_token(access_token), "/realtime/v1/runs", params)
        return AsyncRunSubscription(
            feed,
            stop_on_completion=False,
            timeout=timeout,
            describe=f"subscription to tags {','.join(tag_list)}",
        )

    def subscribe_to_batch(
        self,
        batch_id: str,
        *,
        skip_columns: Iterable[str] | None = None,
        timeout: float | None = None,
        access_token: AccessToken | None = None,
    ) -> AsyncRunSubscription:
        """Follow every run in a batch; it never ends on its own."""
        _check_id(batch_id, "batch_id")
        feed = AsyncRealtimeFeed(
            self._with_token(access_token),
            f"/realtime/v1/batches/{batch_id}",
            _skip_params(skip_columns),
        )
        return AsyncRunSubscription(
            feed, stop_on_completion=False, timeout=timeout, describe=f"subscription to {batch_id}"
        )

    async def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = None,
        poll: bool = False,
        poll_interval: float = 1.0,
        access_token: AccessToken | None = None,
    ) -> Run:
        """Wait until the run finishes and return it (realtime by default, polling on request).

        Raises ``RunWaitTimeout`` carrying the last run seen when ``timeout`` seconds pass first;
        the run itself goes on (cancel it with ``runs.cancel`` if you no longer need it).
        """
        subscription = self.subscribe_to_run(
            run_id,
            transport="poll" if poll else "realtime",
            poll_interval=poll_interval,
            timeout=timeout,
            access_token=access_token,
            stop_on_completion=True,
        )
        last: Run | None = None
        try:
            async for run in subscription:
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
            await subscription.aclose()
        raise RunWaitTimeout(f"run {run_id} ended without finishing", last_run=last)

    async def retrieve(self, run_id: str, *, access_token: AccessToken | None = None) -> Run:
        """The run as it is now, with offloaded payload and output downloaded."""
        _check_id(run_id, "run_id")
        return await retrieve_run(self._with_token(access_token), run_id)


def _check_id(value: str, name: str) -> None:
    if not isinstance(value, str) or not value or "/" in value or "?" in value:
        raise ValueError(f"{name} must be a run or batch id such as run_1234, not {value!r}")


def _skip_params(skip_columns: Iterable[str] | None) -> dict[str, str]:
    if skip_columns is None:
        return {}
    if isinstance(skip_columns, str):
        skip_columns = [skip_columns]
    columns = [c for c in skip_columns if c]
    return {"skipColumns": ",".join(columns)} if columns else {}
