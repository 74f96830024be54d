# Generated from trigger_client/_async/_transport.py by `make codegen` (codegen/gen_sync.py). Do not edit.
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
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpcore
import httpx

from .._backends import SyncAbortScope, SyncBackend
from .._config import ELECTRIC_VERSION, base_headers
from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    RateLimitError,
    RealtimeConnectionLimitError,
    error_message_from_body,
    status_error_class,
)
from .._protocol.retry import (
    RetryPolicy,
    classify_exception,
    classify_status,
    connection_error_message,
    parse_retry_after,
)
from ._auth_token import TokenSource
from ._connection import RealtimeConnections, ShapeResponse, direct_origin
from ._pools import ConnectionPools

__all__ = ["Transport"]

logger = logging.getLogger("trigger_client")


class Transport:
    """One client's HTTP: base URL, token, headers, timeouts, retry policy and the httpx client."""

    def __init__(
        self,
        *,
        base_url: str,
        token: TokenSource,
        http_client: httpx.Client | None,
        timeout: httpx.Timeout,
        pools: ConnectionPools | None = None,
        live_timeout: float,
        retry_policy: RetryPolicy,
        branch: str | None,
    ) -> None:
        self.base_url: str = base_url.rstrip("/")
        #: The base URL's own path (a prefix of every realtime target), split once.
        self._base_path = urlsplit(self.base_url).path
        self.token = token
        self.timeout = timeout
        self.live_timeout = live_timeout
        self.retry_policy = retry_policy
        self.branch = branch
        self.pools: ConnectionPools = pools or ConnectionPools(timeout, http_client)
        self._client = self.pools.main
        self._headers = base_headers(branch)
        self._realtime_headers: tuple[str, list[tuple[bytes, bytes]]] | None = None
        self._origin: httpcore.Origin | None | bool = False  # False: not looked up yet

    @property
    def http_client(self) -> httpx.Client:
        return self._client

    def derive(
        self,
        *,
        token: TokenSource | None = None,
        timeout: httpx.Timeout | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> Transport:
        """A transport sharing this one's httpx client, with some settings replaced."""
        clone = Transport(
            base_url=self.base_url,
            token=token or self.token,
            http_client=None,
            pools=self.pools,
            timeout=timeout or self.timeout,
            live_timeout=self.live_timeout,
            retry_policy=retry_policy or self.retry_policy,
            branch=self.branch,
        )
        return clone

    def close(self) -> None:
        self.pools.close()

    # ------------------------------------------------------------------------------------------
    # REST

    def request(
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

        Transient failures are retried ``retry_policy.max_retries`` times when ``idempotent``.
        """
        policy = self.retry_policy
        refreshed = False
        attempt = 0
        while True:
            token = self.token.get()
            headers = {**self._headers, "authorization": f"Bearer {token}"}
            if extra_headers:
                headers.update(extra_headers)
            if json_body is not None:
                headers["content-type"] = "application/json"
            request = self._client.build_request(
                method,
                self.base_url + path,
                params=params,
                content=None if json_body is None else json.dumps(json_body).encode(),
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
            )
            try:
                response = self._client.send(request)
                response.read()
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
                    self.token.refresh()
                    continue
                if kind == "transient" and idempotent and attempt < policy.max_retries:
                    delay = policy.delay(
                        attempt,
                        retry_after=retry_after_seconds(response),
                        random=SyncBackend.random,
                    )
                    attempt += 1
                    logger.debug(
                        "%s %s: retry %d in %.2fs after %s",
                        method,
                        path,
                        attempt,
                        delay,
                        response.status_code,
                    )
                    SyncBackend.sleep(delay)
                    continue
                raise self.status_error(response)
            if (
                idempotent
                and attempt < policy.max_retries
                and classify_exception(cause) == "transient"
            ):
                delay = policy.delay(attempt, retry_after=None, random=SyncBackend.random)
                attempt += 1
                logger.debug(
                    "%s %s: retry %d in %.2fs after %s",
                    method,
                    path,
                    attempt,
                    delay,
                    type(cause).__name__,
                )
                SyncBackend.sleep(delay)
                continue
            raise error from cause

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return decode_json(self.request("GET", path, **kwargs))

    def post_json(self, path: str, body: object = None, **kwargs: Any) -> Any:
        return decode_json(self.request("POST", path, json_body=body, **kwargs))

    def download(self, url: str) -> httpx.Response:
        """GET a presigned URL (no credentials), retrying transient failures."""
        policy = self.retry_policy
        attempt = 0
        while True:
            try:
                response = self._client.get(url, timeout=self.timeout)
            except httpx.TransportError as exc:
                if attempt >= max(policy.max_retries, 2):
                    raise APIConnectionError(
                        f"Could not download an offloaded packet: {type(exc).__name__}"
                    ) from exc
            else:
                if response.status_code < 300:
                    return response
                if classify_status(response.status_code) != "transient" or attempt >= max(
                    policy.max_retries, 2
                ):
                    raise self.status_error(response)
            SyncBackend.sleep(policy.delay(attempt, retry_after=None, random=SyncBackend.random))
            attempt += 1

    # ------------------------------------------------------------------------------------------
    # realtime

    def realtime_connections(self) -> RealtimeConnections | None:
        """The connections for realtime long-polls when the SDK owns the HTTP stack (no
        ``http_client`` of yours, no proxy for the URL); None means: use httpx."""
        if not self.pools.owns_http:
            return None
        if self._origin is False:
            self._origin = direct_origin(self.base_url)
        if not isinstance(self._origin, httpcore.Origin):
            return None
        return self.pools.realtime(self._origin)

    def shape_request(
        self,
        path: str,
        params: tuple[tuple[str, str], ...],
        *,
        token: str,
        read_timeout: float,
        client: httpx.Client | None = None,
        connections: RealtimeConnections | None = None,
        abort: SyncAbortScope | None = None,
    ) -> httpx.Response | ShapeResponse:
        """One realtime shape request, any status returned; network failures raise
        ``APIConnectionError`` / ``APITimeoutError``. The caller owns retries.

        Over ``connections`` when given (a 2xx or 409 then comes back as a ``ShapeResponse``),
        else through ``client`` (or the main httpx client)."""
        connect_timeout = min(self.timeout.connect or 10.0, read_timeout)
        if connections is not None:
            target = (
                quote(self._base_path + path, safe="/")
                + "?"
                + urlencode(params, quote_via=quote, safe="")
            )
            timeouts = {
                "connect": connect_timeout,
                "read": read_timeout,
                "write": self.timeout.write,
                "pool": self.timeout.pool,
            }
            return connections.get(
                target, self._realtime_header_list(token), timeouts=timeouts, abort=abort
            )
        headers = {
            **self._headers,
            "authorization": f"Bearer {token}",
            "x-trigger-electric-version": ELECTRIC_VERSION,
        }
        timeout = httpx.Timeout(
            connect=connect_timeout,
            read=read_timeout,
            write=self.timeout.write,
            pool=self.timeout.pool,
        )
        http = client or self._client
        request = http.build_request(
            "GET", self.base_url + path, params=params, headers=headers, timeout=timeout
        )
        try:
            response = http.send(request)
            response.read()
        except httpx.TimeoutException as exc:
            raise APITimeoutError(request=request) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(connection_error_message(exc), request=request) from exc
        return response

    def _realtime_header_list(self, token: str) -> list[tuple[bytes, bytes]]:
        """The realtime request headers as bytes, built once per token."""
        cached = self._realtime_headers
        if cached is not None and cached[0] == token:
            return cached[1]
        headers = {
            **self._headers,
            "authorization": f"Bearer {token}",
            "x-trigger-electric-version": ELECTRIC_VERSION,
        }
        encoded = [(k.lower().encode("ascii"), v.encode("ascii")) for k, v in headers.items()]
        self._realtime_headers = (token, encoded)
        return encoded

    def status_error(self, response: httpx.Response, *, realtime: bool = False) -> APIStatusError:
        """The typed error for a failed response."""
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
            error.retry_after = retry_after_seconds(response)
        return error


def decode_body(response: httpx.Response) -> object:
    """The response body as JSON when it parses, else its text."""
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return response.text


def decode_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise APIResponseValidationError(
            "the API returned a body that is not JSON", response=response, body=response.text
        ) from exc


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The server's ``Retry-After`` (or ``x-ratelimit-reset`` in epoch ms) as seconds from now."""
    value = parse_retry_after(response.headers.get("retry-after"), now=SyncBackend.wall())
    if value is not None:
        return value
    reset = response.headers.get("x-ratelimit-reset")
    if reset and reset.isdigit():
        return max(0.0, min(3600.0, int(reset) / 1000.0 - SyncBackend.wall()))
    return None
