"""The REST API rate limiter (protocol-trigger.md 5.2), off unless the emulator is given one.

As the real ``apiRateLimiter`` (``authorizationRateLimitMiddleware.server.ts``): it applies to
``^/api`` paths but a few exempt ones (never to ``/realtime``), lets ``OPTIONS`` through, answers
401 problem+json without an ``Authorization`` header, keys its state by the SHA-256 of that
header, and limits a secret key with a token bucket and a public JWT with a fixed window (the
Upstash algorithms). Every limited response carries ``x-ratelimit-limit``,
``x-ratelimit-remaining`` (clamped at 0) and ``x-ratelimit-reset`` (epoch ms); a rejection is 429
``application/problem+json`` without ``Retry-After`` (the real service sends none). Time is the
emulator's clock, so a ``ManualClock`` refills buckets when advanced.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._auth import AuthError, authenticate
from ._clock import Clock
from ._state import Store

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["RateLimit", "RateLimitMiddleware", "RateLimiter"]

# The pathWhiteList of apiRateLimit.server.ts:97-136 at b082e44 that an SDK client can reach
# (row R-RATELIMIT-429).
_EXEMPT = re.compile(
    r"^/api/v1/auth/jwt/claims$"
    r"|^/api/v[12]/packets/"
    r"|^/api/v1/timezones$"
    r"|^/api/v1/runs/[^/]+/attempts$"
    r"|^/api/v1/sessions/[^/]+/snapshot-url$"
    r"|^/api/v\d+/deployments"
)


@dataclass(frozen=True)
class RateLimit:
    """The limits: the real service's defaults (``API_RATE_LIMIT_*``), scaled down for tests.

    Secret keys: a token bucket of ``max_tokens``, ``refill_rate`` tokens added every
    ``refill_interval`` seconds. Public JWTs: ``jwt_tokens`` requests per fixed window of
    ``jwt_window`` seconds.
    """

    max_tokens: int = 750
    refill_rate: int = 250
    refill_interval: float = 10.0
    jwt_tokens: int = 60
    jwt_window: float = 60.0


@dataclass(frozen=True)
class Decision:
    success: bool
    limit: int
    remaining: int  # may be negative (token bucket, rejected)
    reset_ms: int


def _js_number(value: float) -> int | float:
    """A number as ``JSON.stringify`` writes it (``3`` rather than ``3.0``)."""
    return int(value) if float(value).is_integer() else value


class RateLimiter:
    """The limiter's state: buckets and windows by hashed ``Authorization`` value."""

    def __init__(self, limits: RateLimit, store: Store, clock: Clock) -> None:
        self.limits = limits
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[int, int]] = {}  # key -> (refilledAt ms, tokens)
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window index, used)

    @staticmethod
    def applies(path: str) -> bool:
        return path.startswith("/api") and not _EXEMPT.search(path)

    def _bucket(self, authorization: str) -> tuple[str, bool]:
        """(bucket key, is a public JWT). A secret key (root or additional) of a known
        environment shares the environment's bucket; a JWT or an unknown key has its own, keyed
        by the SHA-256 of the header (resolveApiRateLimitOverride, apiRateLimit.server.ts:24-77
        at b082e44)."""
        hashed = hashlib.sha256(authorization.encode()).hexdigest()
        try:
            creds = authenticate(
                self._store, self._clock, authorization, allow_jwt=True, branch="any"
            )
        except AuthError:
            return hashed, False  # an unknown key gets the default limiter, as in the server
        if creds.kind == "jwt":
            return hashed, True
        return "env:" + creds.environment.id, False

    def take(self, authorization: str) -> Decision:
        now = self._clock.now_ms()
        limits = self.limits
        with self._lock:
            key, is_jwt = self._bucket(authorization)
            if is_jwt:
                return self._fixed_window(key, now, limits.jwt_tokens, limits.jwt_window)
            return self._token_bucket(
                key, now, limits.max_tokens, limits.refill_rate, limits.refill_interval
            )

    def _fixed_window(self, key: str, now: int, tokens: int, window_s: float) -> Decision:
        window = max(1, round(window_s * 1000))
        index = now // window
        previous, used = self._windows.get(key, (index, 0))
        used = used + 1 if previous == index else 1
        self._windows[key] = (index, used)
        return Decision(used <= tokens, tokens, max(0, tokens - used), (index + 1) * window)

    def _token_bucket(
        self, key: str, now: int, max_tokens: int, refill_rate: int, interval_s: float
    ) -> Decision:
        interval = max(1, round(interval_s * 1000))
        refilled_at, tokens = self._buckets.get(key, (now, max_tokens))
        if now >= refilled_at + interval:
            refills = (now - refilled_at) // interval
            tokens = min(max_tokens, tokens + refills * refill_rate)
            refilled_at += refills * interval
        if tokens <= 0:
            self._buckets[key] = (refilled_at, tokens)
            return Decision(False, max_tokens, -1, refilled_at + interval)
        remaining = tokens - 1
        self._buckets[key] = (refilled_at, remaining)
        return Decision(True, max_tokens, remaining, refilled_at + interval)

    def rejection(self, decision: Decision) -> dict[str, Any]:
        seconds = _js_number(max(0, (decision.reset_ms - self._clock.now_ms()) / 1000))
        left = max(0, decision.remaining)
        message = (
            f"Rate limit exceeded {left}/{decision.limit} requests remaining. "
            f"Retry in {seconds} seconds."
        )
        return {
            "title": "Rate Limit Exceeded",
            "status": 429,
            "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/429",
            "detail": message,
            "reset": decision.reset_ms,
            "limit": decision.limit,
            "remaining": decision.remaining,
            "secondsUntilReset": seconds,
            "error": message,
        }


_NO_AUTH = {
    "title": "Unauthorized",
    "status": 401,
    "type": "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/401",
    "detail": "No authorization header provided",
    "error": "No authorization header provided",
}


class RateLimitMiddleware:
    """Applies the context's rate limiter (if any) in front of the routes."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = self.ctx.rate_limiter
        if (
            limiter is None
            or scope["type"] != "http"
            or scope.get("method") == "OPTIONS"
            or not limiter.applies(scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                authorization = value.decode("latin-1")
                break
        if not authorization:
            await _problem(send, 401, _NO_AUTH, {})
            return
        decision = limiter.take(authorization)
        headers = {
            "x-ratelimit-limit": str(decision.limit),
            "x-ratelimit-remaining": str(max(0, decision.remaining)),
            "x-ratelimit-reset": str(decision.reset_ms),
        }
        if not decision.success:
            await _problem(send, 429, limiter.rejection(decision), headers)
            return
        extra = [(k.encode(), v.encode()) for k, v in headers.items()]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _problem(
    send: Send, status: int, body: Mapping[str, Any], headers: dict[str, str]
) -> None:
    raw = json.dumps(body, indent=2).encode()
    header_list = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(raw)).encode()),
        *((k.encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": header_list})
    await send({"type": "http.response.body", "body": raw})
