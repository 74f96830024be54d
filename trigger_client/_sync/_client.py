# Generated from trigger_client/_async/_client.py by `make codegen` (codegen/gen_sync.py). Do not edit.
"""``AsyncTriggerClient``: configuration, the HTTP stack, and the resources."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from .._config import (
    DEFAULT_LIVE_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    NOT_GIVEN,
    AccessToken,
    NotGiven,
    env_access_token,
    env_base_url,
)
from .._guard import SyncClientGuard
from .._protocol.numbers import check_count, check_retry_policy, check_seconds, check_timeout
from .._protocol.retry import RetryPolicy
from .._protocol.server_rules import env_branch
from .._protocol.urls import normalize_base_url
from ._auth_token import TokenSource
from ._http_stack import HttpStack
from ._transport import Transport

# The resources are created, and their modules imported, on first access (once, under a lock, when
# threads race to it): importing the client does not load the models, cattrs, the feeds or PyJWT
# (tests/unit/test_lazy_imports.py).
# httpx loads with the first REST call (or with an http_client of yours): see _http_stack.py.
if TYPE_CHECKING:
    import httpx

    from ._auth import AuthResource
    from ._resources import RunsResource
    from ._tasks import TasksResource

__all__ = ["TriggerClient"]


class TriggerClient:
    """A client of the Trigger.dev API.

    Args:
        access_token: a secret key (``tr_dev_...``, ``tr_prod_...``) or a public access token, or a
            callable returning one (called again once to refresh after a 401/403). Default: the
            ``TRIGGER_SECRET_KEY`` environment variable, else ``TRIGGER_ACCESS_TOKEN``.
        base_url: the API's URL. Default: ``TRIGGER_API_URL``, else ``https://api.trigger.dev``.
        timeout: seconds (or an ``httpx.Timeout``) for each REST call.
        max_retries: how many times a failed idempotent REST call is retried (default 2).
        http_client: an httpx client of yours to send requests with; it is never closed by the SDK.
        branch: the preview (or development) branch to address (sends ``x-trigger-branch``).
            Default: ``TRIGGER_PREVIEW_BRANCH``, else ``VERCEL_GIT_COMMIT_REF``, else
            ``TRIGGER_DEV_BRANCH`` (unless ``default``), as the official client reads them.
        live_timeout: read timeout of long-poll realtime requests, above the server's ~20 s hold.
        retry_policy: the backoff of retried requests (``RetryPolicy(initial_delay=1.0,
            max_delay=32.0, multiplier=2.0)``: full jitter, ``Retry-After`` as a floor). REST calls
            retry ``max_retries`` times; realtime subscriptions retry until their ``timeout``.

    A client holds connections: create one, reuse it for many calls and subscriptions, and
    close it (or use it as a context manager) when done.
    """

    def __init__(
        self,
        *,
        access_token: AccessToken | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        branch: str | None = None,
        live_timeout: float = DEFAULT_LIVE_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        _http_stack: HttpStack | None = None,
        _guard: SyncClientGuard | None = None,
    ) -> None:
        max_retries = check_count(max_retries, "max_retries")
        live_timeout = check_seconds(live_timeout, "live_timeout")
        check_timeout(timeout)
        if retry_policy is not None:
            check_retry_policy(retry_policy)
        # a string is trimmed and checked here (the environment's by env_access_token)
        token = TokenSource(
            access_token if access_token is not None else env_access_token(),
            guard=_guard,
        )
        self._access_token = token.value
        self._base_url = (
            normalize_base_url(base_url)
            if base_url
            else normalize_base_url(env_base_url(), "TRIGGER_API_URL")
        )
        self._timeout = timeout
        self._max_retries = max_retries
        if branch is None:
            branch = env_branch()
        self._branch = branch
        self._live_timeout = live_timeout
        self._http_client = http_client
        self._retry_policy = attrs.evolve(retry_policy or RetryPolicy(), max_retries=max_retries)
        self._owns_http_stack = _http_stack is None
        self._resources_lock = threading.Lock()
        self._runs: RunsResource | None = None
        self._tasks: TasksResource | None = None
        self._auth: AuthResource | None = None
        self._transport = Transport(
            base_url=self._base_url,
            token=token,
            http_client=http_client,
            http_stack=_http_stack,
            timeout=self._timeout,
            live_timeout=live_timeout,
            retry_policy=self._retry_policy,
            branch=branch,
        )

    @property
    def runs(self) -> RunsResource:
        """Follow, read and manage runs."""
        runs = self._runs
        if runs is None:
            with self._resources_lock:
                runs = self._runs
                if runs is None:
                    from ._resources import RunsResource

                    runs = self._runs = RunsResource(self._transport)
        return runs

    @property
    def tasks(self) -> TasksResource:
        """Trigger runs of tasks, one at a time or in batches."""
        tasks = self._tasks
        if tasks is None:
            with self._resources_lock:
                tasks = self._tasks
                if tasks is None:
                    from ._tasks import TasksResource

                    tasks = self._tasks = TasksResource(self._transport)
        return tasks

    @property
    def auth(self) -> AuthResource:
        """Mint public access tokens."""
        auth = self._auth
        if auth is None:
            with self._resources_lock:
                auth = self._auth
                if auth is None:
                    from ._auth import AuthResource

                    auth = self._auth = AuthResource(self._transport)
        return auth

    @property
    def base_url(self) -> str:
        """The API's URL, without a trailing slash."""
        return self._base_url

    def __repr__(self) -> str:
        token = self._transport.token
        return (
            f"<{type(self).__name__} base_url={self._base_url!r} "
            f"access_token={'set' if token.configured else 'missing'}>"
        )

    def with_options(
        self,
        *,
        access_token: AccessToken | NotGiven = NOT_GIVEN,
        base_url: str | NotGiven = NOT_GIVEN,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        branch: str | None | NotGiven = NOT_GIVEN,
        live_timeout: float | NotGiven = NOT_GIVEN,
        retry_policy: RetryPolicy | NotGiven = NOT_GIVEN,
    ) -> TriggerClient:
        """A copy of this client with some options replaced; it shares this client's connections."""
        options: dict[str, Any] = {
            "access_token": self._access_token,
            "base_url": self._base_url,
            "timeout": self._timeout,
            "max_retries": self._max_retries,
            "branch": self._branch,
            "live_timeout": self._live_timeout,
            "retry_policy": self._retry_policy,
        }
        for name, value in (
            ("access_token", access_token),
            ("base_url", base_url),
            ("timeout", timeout),
            ("max_retries", max_retries),
            ("branch", branch),
            ("live_timeout", live_timeout),
            ("retry_policy", retry_policy),
        ):
            if not isinstance(value, NotGiven):
                options[name] = value
        return type(self)(
            http_client=self._http_client,
            _http_stack=self._transport.http_stack,
            _guard=self._transport.token.guard,  # the same connections: the same loop and state
            **options,
        )

    def close(self) -> None:
        """Close the client's connections (not an ``http_client`` you passed in). Every
        subscription in flight on this client (and its copies) ends at once with
        ``ClientClosedError``, and so does any later call. A copy made by ``with_options`` shares
        its parent's connections: closing the copy leaves them, and the parent, open."""
        if self._owns_http_stack:
            self._transport.token.guard.close()
            self._transport.close()

    def __enter__(self) -> TriggerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
