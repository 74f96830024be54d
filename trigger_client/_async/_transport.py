"""HTTP for both kinds of call: REST requests with retries, and single realtime shape requests.

Every request carries the bearer token and the SDK headers. Failed responses become the typed
errors of ``trigger_client._exceptions``; transient failures of REST calls are retried with full
jitter backoff and ``Retry-After`` as a floor (idempotent calls only); a 401/403 asks a callable
access token for a fresh token once. Nothing here logs or raises a secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._backends import AsyncAbortScope, AsyncBackend, RequestAborted
from .._config import ELECTRIC_VERSION, as_httpx_timeout, base_headers, timeout_limits
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    RateLimitError,
    RealtimeConnectionLimitError,
    TriggerConfigurationError,
    error_message_from_body,
    status_error_class,
)
from .._protocol.responses import decode_body, decode_json, retry_after_seconds
from .._protocol.retry import (
    Backoff,
    RetryPolicy,
    classify_exception,
    classify_status,
    connection_error_message,
)
from .._protocol.server_rules import NotFoundWindow, lagging_not_found, rejected_before_route
from .._protocol.shape_http import BaseUrl, ShapeHttpRequest, ShapeResponse
from ._auth_token import AsyncTokenSource
from ._http_stack import AsyncHttpStack
from ._realtime_senders import AsyncHttpcoreSender, AsyncRealtimeSender

# httpx loads with the first REST call (the SDK's httpx client is built then): realtime requests
# over the SDK's own connections do not need it.
if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncTransport", "decode_json"]

logger = logging.getLogger("trigger_client")


class AsyncTransport:
    """A client's transport: base URL, token, headers, timeouts and retry policy over the HTTP
    stack (the httpx client and the realtime senders) that the client's copies share."""

    def __init__(
        self,
        *,
        base_url: str,
        token: AsyncTokenSource,
        http_client: httpx.AsyncClient | None,
        timeout: float | httpx.Timeout | None,
        http_stack: AsyncHttpStack | None = None,
        live_timeout: float,
        retry_policy: RetryPolicy,
        branch: str | None,
    ) -> None:
        self.base_url: str = base_url.rstrip("/")
        #: The base URL split once (scheme, host, port, path prefix of every realtime target).
        try:
            self._base = BaseUrl(self.base_url)
        except ValueError as exc:
            raise TriggerConfigurationError(f"base_url is not a valid URL: {exc}") from None
        self.token = token
        #: The client's ``timeout=`` as given (seconds, an ``httpx.Timeout`` or None).
        self.timeout_option: float | httpx.Timeout | None = timeout
        self._timeout: httpx.Timeout | None = None
        #: ``(connect, read, write, pool)`` seconds of ``timeout_option``, without httpx.
        self.timeout_limits: tuple[float | None, ...] = timeout_limits(timeout)
        self.live_timeout = live_timeout
        self.retry_policy = retry_policy
        self.branch = branch
        self.http_stack: AsyncHttpStack = http_stack or AsyncHttpStack(
            lambda: as_httpx_timeout(timeout), http_client
        )
        self._headers: dict[str, str] | None = None
        self._realtime_headers: tuple[str, list[tuple[bytes, bytes]]] | None = None
        self._realtime_sender: AsyncRealtimeSender | None = None

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeouts of REST calls (an ``httpx.Timeout``, made on first use)."""
        timeout = self._timeout
        if timeout is None:  # racing threads make equal values: any one of them will do
            timeout = self._timeout = as_httpx_timeout(self.timeout_option)
        return timeout

    @property
    def http_client(self) -> httpx.AsyncClient:
        return self.http_stack.http_client

    def _rest_headers(self) -> dict[str, str]:
        headers = self._headers
        if headers is None:  # racing threads make equal values
            headers = self._headers = base_headers(self.branch)
        return headers

    def derive(
        self,
        *,
        token: AsyncTokenSource | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> AsyncTransport:
        """A transport sharing this one's HTTP stack, with some settings replaced."""
        clone = AsyncTransport(
            base_url=self.base_url,
            token=token or self.token,
            http_client=None,
            http_stack=self.http_stack,
            timeout=timeout if timeout is not None else self.timeout_option,
            live_timeout=self.live_timeout,
            retry_policy=retry_policy or self.retry_policy,
            branch=self.branch,
        )
        return clone

    async def aclose(self) -> None:
        await self.http_stack.aclose()

    # ------------------------------------------------------------------------------------------
    # REST

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
        json_body: object = None,
        idempotent: bool = True,
        timeout: httpx.Timeout | float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a REST request; return a 2xx response or raise a typed error.

        Transient failures are retried ``retry_policy.max_retries`` times when ``idempotent``
        (a 429 from the rate limiter also when not); a 404 marked ``x-should-retry: true`` is
        retried for ``retry_policy.not_found_seconds``.
        """
        import httpx

        client = self.http_stack.http_client
        backoff = self.backoff(max_retries=self.retry_policy.max_retries)
        not_found = NotFoundWindow(self.retry_policy.not_found_seconds)
        not_found_backoff = self.backoff()
        refreshed = False
        while True:
            token = await self.token.get()
            headers = {**self._rest_headers(), "authorization": f"Bearer {token}"}
            if extra_headers:
                headers.update(extra_headers)
            if json_body is not None:
                headers["content-type"] = "application/json"
            request = client.build_request(
                method,
                self.base_url + path,
                params=params,
                content=None if json_body is None else json.dumps(json_body).encode(),
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
            )
            try:
                response = await self._send(request)
            except RequestAborted:
                raise ClientClosedError("the client was closed during the request") from None
            except httpx.TimeoutException as exc:
                error: APIConnectionError = APITimeoutError(request=request)
                cause: BaseException = exc
            except httpx.TransportError as exc:
                error = APIConnectionError(connection_error_message(exc), request=request)
                cause = exc
            else:
                kind = classify_status(response.status_code, headers=response.headers)
                logger.debug("%s %s -> %s", method, path, response.status_code)
                if kind in ("ok", "refetch") and response.status_code < 300:
                    return response
                if kind == "auth" and self.token.refreshable and not refreshed:
                    refreshed = True
                    logger.debug(
                        "%s %s: refreshing the access token after %s",
                        method,
                        path,
                        response.status_code,
                    )
                    await self.token.refresh()
                    continue
                if lagging_not_found(response.status_code, response.headers):
                    now = AsyncBackend.monotonic()
                    if not not_found.allows_retry(now):
                        raise self.status_error(response)
                    delay = min(not_found.left(now), not_found_backoff.next_delay())
                    logger.debug("%s %s: not found yet; retry in %.2fs", method, path, delay)
                    await AsyncBackend.sleep(delay)
                    continue
                retryable = idempotent or rejected_before_route(
                    response.status_code, response.headers
                )
                if kind != "transient" or not retryable or not backoff.can_retry():
                    raise self.status_error(response)
                await _wait_to_retry(
                    backoff,
                    f"{method} {path}",
                    response.status_code,
                    retry_after_seconds(response.headers, now=AsyncBackend.wall()),
                )
                continue
            if (
                not idempotent
                or classify_exception(cause) != "transient"
                or not backoff.can_retry()
            ):
                raise error from cause
            await _wait_to_retry(backoff, f"{method} {path}", type(cause).__name__, None)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its body; closing the client aborts it at once."""
        scope = AsyncAbortScope()
        self.token.guard.track(scope)

        async def send() -> httpx.Response:
            response = await self.http_stack.http_client.send(request)
            await response.aread()
            return response

        return await scope.run(send)

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return decode_json(await self.request("GET", path, **kwargs))

    async def post_json(self, path: str, body: object = None, **kwargs: Any) -> Any:
        return decode_json(await self.request("POST", path, json_body=body, **kwargs))

    async def download(self, url: str) -> httpx.Response:
        """GET a presigned URL (no credentials), retrying transient failures."""
        import httpx

        backoff = self.backoff(max_retries=max(self.retry_policy.max_retries, 2))
        while True:
            try:
                response = await self.http_stack.http_client.get(url, timeout=self.timeout)
            except httpx.TransportError as exc:
                if not backoff.can_retry():
                    raise APIConnectionError(
                        f"Could not download an offloaded packet: {type(exc).__name__}"
                    ) from exc
                retry_after = None
            else:
                if response.status_code < 300:
                    return response
                if classify_status(response.status_code) != "transient" or not backoff.can_retry():
                    raise self.status_error(response)
                retry_after = retry_after_seconds(response.headers, now=AsyncBackend.wall())
            await AsyncBackend.sleep(backoff.next_delay(retry_after))

    def backoff(self, *, max_retries: int | None = None, deadline: float | None = None) -> Backoff:
        """A retry loop's backoff under this transport's policy (monotonic ``deadline``)."""
        return Backoff(
            self.retry_policy,
            random=AsyncBackend.random,
            clock=AsyncBackend.monotonic,
            max_retries=max_retries,
            deadline=deadline,
        )

    # ------------------------------------------------------------------------------------------
    # realtime

    def realtime_sender(self) -> AsyncRealtimeSender:
        """The sender of this transport's realtime long-polls (chosen on first use)."""
        sender = self._realtime_sender
        if sender is None:
            sender = self._realtime_sender = self.http_stack.realtime_sender(self._base)
        return sender

    async def shape_request(
        self,
        path: str,
        params: tuple[tuple[str, str], ...],
        *,
        token: str,
        read_timeout: float,
        abort: AsyncAbortScope | None = None,
    ) -> ShapeResponse:
        """One realtime shape request, any status returned; network failures raise
        ``APIConnectionError`` / ``APITimeoutError``. The caller owns retries."""
        connect, _, write, pool = self.timeout_limits
        timeouts = {
            "connect": min(connect or 10.0, read_timeout),
            "read": read_timeout,
            "write": write,
            "pool": pool,
        }
        request = ShapeHttpRequest(
            self._base,
            self._base.target(path, params),
            self._realtime_header_list(token),
            timeouts,
        )
        return await self.realtime_sender().send(request, abort)

    def _realtime_header_list(self, token: str) -> list[tuple[bytes, bytes]]:
        """The realtime request headers as bytes, built once per token (the user agent names
        httpcore over the SDK's own connections, httpx through an httpx client)."""
        cached = self._realtime_headers
        if cached is not None and cached[0] == token:
            return cached[1]
        own = isinstance(self.realtime_sender(), AsyncHttpcoreSender)
        headers = {
            **base_headers(self.branch, "httpcore" if own else "httpx"),
            "authorization": f"Bearer {token}",
            "x-trigger-electric-version": ELECTRIC_VERSION,
        }
        encoded = [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in headers.items()]
        self._realtime_headers = (token, encoded)
        return encoded

    def status_error(
        self, response: httpx.Response | ShapeResponse, *, realtime: bool = False
    ) -> APIStatusError:
        """The typed error for a failed response."""
        if isinstance(response, ShapeResponse):
            import httpx

            response = httpx.Response(
                response.status_code,
                headers=response.header_list,
                content=response.content,
                request=httpx.Request("GET", response.url),
            )
        body = decode_body(response)
        message = error_message_from_body(body, response)
        cls = status_error_class(response.status_code)
        if realtime and response.status_code == 429:
            cls = RealtimeConnectionLimitError
            message = (
                f"{message}: this environment has reached its limit of concurrent realtime "
                "connections (set by your Trigger.dev plan). Close subscriptions you no longer "
                "need, or follow many runs over one connection with subscribe_to_runs_with_tag "
                "or subscribe_to_batch."
            )
        error = cls(message, response=response, body=body)
        if isinstance(error, RateLimitError):
            error.retry_after = retry_after_seconds(response.headers, now=AsyncBackend.wall())
        return error


async def _wait_to_retry(
    backoff: Backoff, what: str, reason: object, retry_after: float | None
) -> None:
    delay = backoff.next_delay(retry_after)
    logger.debug("%s: retry %d in %.2fs after %s", what, backoff.attempt, delay, reason)
    await AsyncBackend.sleep(delay)
