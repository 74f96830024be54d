"""The ``auth`` resource: mint public access tokens for browsers and other untrusted code."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._backends import AsyncBackend
from .._exceptions import APIResponseValidationError, NotFoundError, TriggerConfigurationError
from .._protocol.scopes import ScopeMapping, Scopes, flatten_scopes
from .._protocol.tokens import (
    DEFAULT_EXPIRATION,
    PublicTokenClaims,
    build_public_token_claims,
    decode_public_token,
    future_expiration,
    is_additional_api_key,
    is_public_token,
    round_half_up,
    sign_public_token,
)

if TYPE_CHECKING:
    from ._transport import AsyncTransport

__all__ = ["AsyncAuthResource"]

Expiration = str | int | float | datetime | timedelta

_CLAIMS_PATH = "/api/v1/auth/jwt/claims"
_PUBLIC_TOKENS_PATH = "/api/v1/auth/public-tokens"


class AsyncAuthResource:
    """Public access tokens: short-lived, scoped JWTs that are safe to hand to a browser."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def create_public_token(
        self,
        *,
        scopes: ScopeMapping | Scopes | None = None,
        expiration_time: Expiration = DEFAULT_EXPIRATION,
        realtime: Mapping[str, Any] | None = None,
    ) -> str:
        """A public access token (a JWT) granting ``scopes``, for use where a secret key must not go.

        ``scopes`` is a :class:`Scopes` or the official SDK's nested mapping, for example
        ``{"read": {"runs": ["run_1234"]}}`` (``read:runs:run_1234``) or
        ``{"read": {"runs": True}}`` (every run). Without scopes the token grants nothing.

        ``expiration_time`` is a duration string (``"15m"``, the default, ``"1h"``, ``"2d"``), a
        ``timedelta``, a ``datetime`` (naive means UTC), or an absolute time in epoch seconds.
        ``realtime`` is an optional claim such as ``{"skipColumns": ["payload", "output"]}``.

        With the environment's secret key, the environment's claims are fetched from the API and
        the token is signed locally with that key (HS256), as the official SDK does. With an
        additional (scoped) API key the API mints the token instead, and ``scopes`` are required.
        A public access token cannot mint tokens: ``TriggerConfigurationError``.
        """
        flat = None if scopes is None else flatten_scopes(scopes)
        future_expiration(expiration_time, now=AsyncBackend.wall())  # bad arguments fail early
        if realtime is not None and not isinstance(realtime, Mapping):
            raise TypeError(
                "realtime must be a mapping such as {'skipColumns': ['payload']}, "
                f"not {type(realtime).__name__}"
            )
        token = await self._transport.token.get()
        _check_can_mint(token)
        if is_additional_api_key(token):
            return await self._mint_on_server(flat, expiration_time, realtime)

        claims = await self._transport.post_json(_CLAIMS_PATH, idempotent=True)
        if not isinstance(claims, dict):
            raise APIResponseValidationError(
                f"{_CLAIMS_PATH} returned {type(claims).__name__}, not a JSON object", body=claims
            )
        # the token may have been refreshed during the call: sign with the one now in use
        secret_key = await self._transport.token.get()
        _check_can_mint(secret_key)
        now = AsyncBackend.wall()
        payload = build_public_token_claims(
            claims,
            scopes=flat,
            realtime=realtime,
            exp=future_expiration(expiration_time, now=now),
            iat=math.floor(now),
        )
        return sign_public_token(payload, secret_key)

    async def _mint_on_server(
        self,
        scopes: list[str] | None,
        expiration_time: Expiration,
        realtime: Mapping[str, Any] | None,
    ) -> str:
        """An additional API key cannot sign: the API mints the token within the key's scopes."""
        if not scopes:
            raise TriggerConfigurationError(
                "an additional (scoped) API key can only create public tokens with explicit "
                "scopes: pass scopes=..."
            )
        body: dict[str, Any] = {"scopes": scopes}
        if isinstance(expiration_time, datetime | int | float) and not isinstance(
            expiration_time, bool
        ):
            body["expirationTime"] = future_expiration(expiration_time, now=AsyncBackend.wall())
        elif isinstance(expiration_time, timedelta):
            body["expirationTime"] = f"{round_half_up(expiration_time.total_seconds())}s"
        else:
            body["expirationTime"] = expiration_time
        if realtime is not None:
            body["realtime"] = dict(realtime)
        try:
            result = await self._transport.post_json(_PUBLIC_TOKENS_PATH, body, idempotent=True)
        except NotFoundError as exc:
            raise TriggerConfigurationError(
                "this Trigger.dev server cannot create public tokens for an additional API key "
                f"({_PUBLIC_TOKENS_PATH} is missing), and such a key cannot sign them itself: "
                "use the environment's secret key"
            ) from exc
        minted = result.get("token") if isinstance(result, dict) else None
        if not isinstance(minted, str) or not minted:
            raise APIResponseValidationError(
                f"{_PUBLIC_TOKENS_PATH} returned no token", body=_without_token(result)
            )
        return minted

    @staticmethod
    def decode_public_token(token: str) -> PublicTokenClaims:
        """Read a public token's claims WITHOUT verifying its signature (for debugging).

        Never grant access based on the result: only the API can verify a token.
        """
        return decode_public_token(token)


def _check_can_mint(token: str) -> None:
    if is_public_token(token):
        raise TriggerConfigurationError(
            "cannot create a public token with a public access token: only a secret key "
            "(tr_dev_..., tr_prod_...) can sign public tokens"
        )


def _without_token(body: object) -> object:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "token"}
    return body
