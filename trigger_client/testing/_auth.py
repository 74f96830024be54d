"""Authentication and scope checks as the real API routes do them (protocol-trigger.md 4).

A bearer token is a public JWT when its payload decodes to an object with ``pub: true`` and the
route accepts JWTs; otherwise it is looked up as a root secret key. JWTs are HS256 (any HMAC)
signed with the environment's secret key, issuer ``https://id.trigger.dev``, audience
``https://api.trigger.dev``, checked with no clock tolerance against the emulator's clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._clock import Clock
from ._state import Environment, Store

__all__ = [
    "AUDIENCE",
    "FORBIDDEN_BODY",
    "ISSUER",
    "AuthError",
    "Credentials",
    "authenticate",
    "scope_matches",
    "sign_jwt",
    "sign_public_token",
]

ISSUER = "https://id.trigger.dev"
AUDIENCE = "https://api.trigger.dev"
FORBIDDEN_BODY = {
    "error": "Unauthorized",
    "code": "unauthorized",
    "param": "access_token",
    "type": "authorization",
}

MISSING = "Invalid or Missing API key"
INVALID_KEY = "Invalid API key"
INVALID_PAT = "Invalid Public Access Token"
JWT_INVALID = "Public Access Token is invalid"


class AuthError(Exception):
    """An authentication or authorization failure with its HTTP status and JSON body."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = dict(body)


Resource = tuple[str, str | None]


def scope_matches(scope: str, action: str, resource: Resource) -> bool:
    """Whether one scope string grants ``action`` on ``(type, id)``, as ``buildJwtAbility``
    (packages/plugins/src/rbac.ts:155-247 at b082e44; row R-SCOPE-GRAMMAR): bare ``admin``
    grants everything (``admin:<type>`` is an ordinary action); ``<action>:all[:<anything>]``
    grants every resource; an empty id (``read:runs:``) grants every resource of the type."""
    parts = scope.split(":", 2)
    s_action = parts[0]
    s_type = parts[1] if len(parts) > 1 and parts[1] else None
    s_id = parts[2] if len(parts) > 2 and parts[2] else None
    if not s_action:
        return False
    if s_action == "admin" and s_type is None:
        return True
    r_type, r_id = resource
    if s_action not in (action, "*"):
        return False
    if s_type == "all":
        return True
    if s_type != r_type:
        return False
    if s_id is None:
        return True
    return s_id == r_id


@dataclass(frozen=True)
class Credentials:
    """Who is calling: a root secret key (everything allowed) or a public JWT with scopes."""

    environment: Environment
    kind: str  # "secret" or "jwt"
    scopes: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_secret_key(self) -> bool:
        return self.kind == "secret"

    def can_any(self, action: str, resources: Iterable[Resource]) -> bool:
        """``anyResource``: one resource granted is enough; an empty list is denied."""
        if self.is_secret_key:
            return True
        return any(
            scope_matches(scope, action, resource)
            for resource in resources
            for scope in self.scopes
        )

    def can_every(self, action: str, resources: Sequence[Resource]) -> bool:
        if self.is_secret_key:
            return True
        return bool(resources) and all(self.can_any(action, [r]) for r in resources)

    def require_any(self, action: str, resources: Iterable[Resource]) -> None:
        if not self.can_any(action, resources):
            raise AuthError(403, FORBIDDEN_BODY)

    @property
    def skip_columns_claim(self) -> list[str] | None:
        """``realtime.skipColumns`` from the token, which replaces the query parameter."""
        realtime = self.claims.get("realtime")
        if isinstance(realtime, Mapping) and isinstance(realtime.get("skipColumns"), list):
            return [str(c) for c in realtime["skipColumns"]]
        return None


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _public_jwt_claims(token: str) -> Mapping[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = _b64url_json(parts[1])
    if isinstance(payload, dict) and payload.get("pub") is True:
        return payload
    return None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer ") :]
    return token or None


def authenticate(
    store: Store,
    clock: Clock,
    authorization: str | None,
    *,
    allow_jwt: bool,
    legacy: bool = False,
    branch: str | None = None,
) -> Credentials:
    """Resolve the ``Authorization`` header or raise :class:`AuthError` (401).

    ``legacy`` routes (JWT claims) accept secret keys only and answer every failure with
    ``Invalid or Missing API key``. A key of a PREVIEW environment needs ``branch`` (the
    ``x-trigger-branch`` header): without one the key resolves to no environment, as in
    ``resolveEnvironmentByApiKey`` (apps/webapp/app/models/runtimeEnvironment.server.ts:221-227
    at b082e44; row R-BRANCH). The emulator models one branch per preview environment: any
    branch name reaches it.
    """
    token = bearer_token(authorization)
    if token is None:
        raise AuthError(401, {"error": MISSING})
    claims = _public_jwt_claims(token) if allow_jwt else None
    if claims is not None:
        return _verify_jwt(store, clock, token, claims)
    env = store.environment_by_key(token)
    if env is None or (env.type == "PREVIEW" and not branch):
        raise AuthError(401, {"error": MISSING if legacy else INVALID_KEY})
    return Credentials(environment=env, kind="secret")


def _verify_jwt(
    store: Store, clock: Clock, token: str, unverified: Mapping[str, Any]
) -> Credentials:
    sub = unverified.get("sub")
    if not isinstance(sub, str):
        raise AuthError(401, {"error": INVALID_PAT})
    with store.lock:
        env = store.environments.get(sub)
    if env is None:
        raise AuthError(401, {"error": INVALID_PAT})
    claims = _verify_hmac(token, env.api_key)
    if claims is None or not _audience_ok(claims.get("aud")) or claims.get("iss") != ISSUER:
        raise AuthError(401, {"error": JWT_INVALID})
    now = clock.now_ms() // 1000
    exp = claims.get("exp")
    if exp is not None and (not _is_number(exp) or exp <= now):
        raise AuthError(401, {"error": JWT_INVALID})
    nbf = claims.get("nbf")
    if nbf is not None and (not _is_number(nbf) or nbf > now):
        raise AuthError(401, {"error": JWT_INVALID})
    iat = claims.get("iat")
    if iat is not None and not _is_number(iat):
        raise AuthError(401, {"error": JWT_INVALID})
    scopes = claims.get("scopes")
    scope_list = tuple(str(s) for s in scopes) if isinstance(scopes, list) else ()
    return Credentials(environment=env, kind="jwt", scopes=scope_list, claims=claims)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _audience_ok(aud: Any) -> bool:
    if isinstance(aud, str):
        return aud == AUDIENCE
    return isinstance(aud, list) and AUDIENCE in aud


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_bytes(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode((segment + "=" * (-len(segment) % 4)).encode())
    except (ValueError, binascii.Error):
        return None


def _verify_hmac(token: str, key: str) -> dict[str, Any] | None:
    """The claims of a JWT whose HMAC signature checks out with ``key``, else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header = _b64url_json(parts[0])
    payload = _b64url_json(parts[1])
    signature = _b64url_bytes(parts[2])
    if not isinstance(header, dict) or not isinstance(payload, dict) or signature is None:
        return None
    digest = _HASHES.get(str(header.get("alg")))
    if digest is None or header.get("crit") is not None:
        return None
    expected = hmac.new(key.encode(), f"{parts[0]}.{parts[1]}".encode(), digest).digest()
    if not hmac.compare_digest(expected, signature):
        return None
    return payload


def sign_public_token(
    env: Environment,
    *,
    scopes: Sequence[str] | None,
    expires_at_s: int,
    issued_at_s: int,
    realtime: Mapping[str, Any] | None = None,
    one_time_use: bool = False,
) -> str:
    """A public JWT as the SDK's ``generateJWT`` and the trigger route mint it (HS256)."""
    payload: dict[str, Any] = {"sub": env.id, "pub": True}
    if scopes is not None:
        payload["scopes"] = list(scopes)
    if one_time_use:
        payload["otu"] = True
    if realtime is not None:
        payload["realtime"] = dict(realtime)
    payload.update({"iss": ISSUER, "aud": AUDIENCE, "exp": expires_at_s, "iat": issued_at_s})
    return sign_jwt(payload, env.api_key)


def sign_jwt(payload: Mapping[str, Any], key: str, *, alg: str = "HS256") -> str:
    """Sign claims with an HMAC algorithm; the protected header is exactly ``{"alg": ...}``."""
    header = _b64url(json.dumps({"alg": alg}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(dict(payload), separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{body}".encode(), _HASHES[alg]).digest()
    return f"{header}.{body}.{_b64url(signature)}"
