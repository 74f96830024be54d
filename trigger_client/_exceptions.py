"""The SDK's exceptions: one documented tree. Besides these, only ``TypeError`` (an argument of
the wrong type) comes out of a public call.

    TriggerError
    ├── TriggerConfigurationError      no credentials, a bad base URL, a public token used to sign
    ├── InvalidArgumentError           an argument's value refused before any request (also a
    │                                  ``ValueError``): an id that cannot be a URL path segment,
    │                                  a timeout that is not a finite number, an unknown scope
    ├── EventLoopError                 an async client used from a second event loop (also a
    │                                  ``RuntimeError``): create one client per event loop
    ├── ClientClosedError              the client was closed: a subscription in flight on it, or a
    │                                  call after ``close()`` (also a ``RuntimeError``)
    ├── SubscriptionTimeout            a subscription's ``timeout=`` deadline passed (``.last_run``)
    │   └── RunWaitTimeout             ``runs.wait(..., timeout=)`` passed before the run finished
    └── APIError                       anything that went wrong talking to the API
        ├── APIConnectionError         the request did not get a response (network, DNS, reset)
        │   └── APITimeoutError        ... because it timed out
        ├── APIResponseValidationError a response the SDK cannot use (wrong shape, bad JSON)
        │   └── RealtimeProtocolError  a realtime response breaking the shape protocol
        └── APIStatusError             the API answered with an error status
            ├── BadRequestError             400
            ├── AuthenticationError         401
            ├── PermissionDeniedError       403
            ├── NotFoundError               404
            ├── ConflictError               409
            ├── UnprocessableEntityError    422
            ├── RateLimitError              429
            │   └── RealtimeConnectionLimitError  too many concurrent realtime connections
            └── InternalServerError         5xx

Every ``APIError`` carries the server's ``message``, the ``status_code`` when there was a response,
the ``request_id`` when the server sent one, and the ``body``. No exception ever contains a secret key
or an access token.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

# httpx is not imported here: a realtime failure over the SDK's own connections makes its
# ``request`` (an ``httpx.Request``) when it is first read.
if TYPE_CHECKING:
    import httpx

    from ._generated.models import Run

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "EventLoopError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeConnectionLimitError",
    "RealtimeProtocolError",
    "RunWaitTimeout",
    "SubscriptionTimeout",
    "TriggerConfigurationError",
    "TriggerError",
    "UnprocessableEntityError",
    "status_error_class",
]

_REQUEST_ID_HEADERS = ("x-request-id", "x-trigger-request-id", "cf-ray")


class TriggerError(Exception):
    """Base class of every exception the SDK raises."""


class TriggerConfigurationError(TriggerError):
    """The client is not configured well enough to make the request (for example, no token)."""


class InvalidArgumentError(TriggerError, ValueError):
    """An argument's value was refused before any request was sent; the message names the
    argument. Also a ``ValueError``, so ``except ValueError`` keeps catching it."""


class ClientClosedError(TriggerError, RuntimeError):
    """The client was closed: a subscription waiting on it ended (``last_run`` is the last run it
    yielded), or a call came after ``close()``. (Closing a subscription itself ends its iteration
    cleanly instead.)"""

    def __init__(self, message: str, *, last_run: Run | None = None) -> None:
        super().__init__(message)
        self.last_run = last_run


class EventLoopError(TriggerError, RuntimeError):
    """An ``AsyncTriggerClient`` was used from an event loop other than the one it first ran on.
    Its connections belong to that loop: create one client per event loop."""


class SubscriptionTimeout(TriggerError, TimeoutError):
    """A subscription reached its ``timeout=`` deadline. ``last_run`` is the last run yielded."""

    def __init__(self, message: str, *, last_run: Run | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last_run = last_run


class RunWaitTimeout(SubscriptionTimeout):
    """``runs.wait()`` reached its deadline before the run finished; the run is still going."""


class APIError(TriggerError):
    """An error talking to the Trigger.dev API."""

    message: str
    body: object | None
    status_code: int | None
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        body: object | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self._request = request
        self._request_url: str | None = None
        self.body = body
        self.status_code = status_code
        self.request_id = request_id

    @property
    def request(self) -> httpx.Request | None:
        """The request that failed (an ``httpx.Request``), when known."""
        request = self._request
        if request is None and self._request_url is not None:
            with _request_lock:
                request = self._request
                if request is None:
                    import httpx

                    request = self._request = httpx.Request("GET", self._request_url)
        return request

    @request.setter
    def request(self, request: httpx.Request | None) -> None:
        self._request = request
        self._request_url = None

    def __str__(self) -> str:
        parts = [self.message]
        # the status once: not "404: 404 Not Found" when the message already starts with it
        if self.status_code is not None and not self.message.startswith(str(self.status_code)):
            parts.insert(0, f"{self.status_code}:")
        if self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)


class APIConnectionError(APIError):
    """The request never got a response: a connection, DNS, TLS or protocol failure."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None):
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx.Request | None = None
    ):
        super().__init__(message, request=request)


class APIResponseValidationError(APIError):
    """The API answered, but with data the SDK could not read (the message names the field)."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(
            message,
            request=_request_of(response),
            body=body,
            status_code=response.status_code if response is not None else None,
            request_id=_request_id(response),
        )
        self.response = response


class RealtimeProtocolError(APIResponseValidationError):
    """A realtime response broke the shape protocol (a missing header, a body that is not an array).

    Usually a proxy or CDN between the SDK and the API that strips headers or rewrites bodies.
    """


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status. ``response`` is the ``httpx.Response``."""

    status_code: int
    response: httpx.Response

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(
            message,
            request=_request_of(response),
            body=body,
            status_code=response.status_code,
            request_id=_request_id(response),
        )
        self.response = response


class BadRequestError(APIStatusError):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError):
    """401: the secret key or public access token is missing, unknown, invalid or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the public access token is valid but lacks the scope this request needs."""


class NotFoundError(APIStatusError):
    """404: no such run, batch or route in this environment."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is valid but cannot be applied (for example, rescheduling a started run)."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, when it gave one."""

    retry_after: float | None = None


class RealtimeConnectionLimitError(RateLimitError):
    """429 from a realtime endpoint: the environment has too many concurrent live subscriptions.

    The limit is set by your Trigger.dev plan. Close subscriptions you no longer need, or follow
    many runs over one connection with ``runs.subscribe_to_runs_with_tag`` or
    ``runs.subscribe_to_batch``.
    """


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


_request_lock = threading.Lock()
_E = TypeVar("_E", bound=APIError)


def of_get_request(error: _E, url: str) -> _E:
    """``error`` with its ``request``: a ``GET`` of ``url``, made when first read."""
    error._request = None
    error._request_url = url
    return error


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The exception class for an error status code."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


def _request_of(response: httpx.Response | None) -> httpx.Request | None:
    if response is None:
        return None
    try:
        return response.request
    except RuntimeError:  # a Response built without a request
        return None


def _request_id(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def error_message_from_body(body: Any, response: httpx.Response) -> str:
    """The server's message: the body's ``error`` (or ``message``/``detail``), else the status's
    reason phrase (``str()`` of the error adds the code: ``404: Not Found``). The route builder's
    ``Query Error`` / ``Params Error`` / ``Headers Error`` carry their reasons in ``details`` (zod
    issues): their messages are appended."""
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "title"):
            value = body.get(key)
            if isinstance(value, str) and value:
                details = body.get("details")
                if isinstance(details, list):
                    reasons = [
                        str(item["message"])
                        for item in details
                        if isinstance(item, dict) and isinstance(item.get("message"), str)
                    ]
                    if reasons:
                        return f"{value}: {'; '.join(reasons)}"[:1000]
                return value
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return response.reason_phrase or f"HTTP {response.status_code}"
