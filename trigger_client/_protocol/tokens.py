"""Public access tokens: expiration times, claims, HS256 signing, and telling token kinds apart.

Pure functions: the current time is passed in. The rules are those of the official SDK
(``@trigger.dev/sdk`` 3.3.17, which signs with jose 5): HS256, protected header exactly
``{"alg":"HS256"}``, the key is the UTF-8 bytes of the secret key, claims from the server then
``scopes``, ``realtime``, ``iss``, ``aud``, ``iat``, ``exp``, serialised as compact JSON.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

from .._exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from jwt.api_jws import PyJWS

__all__ = [
    "DEFAULT_EXPIRATION",
    "JWT_AUDIENCE",
    "JWT_ISSUER",
    "PublicTokenClaims",
    "build_public_token_claims",
    "decode_public_token",
    "is_additional_api_key",
    "is_public_token",
    "is_secret_key",
    "parse_duration",
    "future_expiration",
    "parse_expiration",
    "round_half_up",
    "sign_public_token",
]

JWT_ISSUER: Final = "https://id.trigger.dev"
JWT_AUDIENCE: Final = "https://api.trigger.dev"
DEFAULT_EXPIRATION: Final = "15m"

#: Numbers outside this range are refused: below, it is a duration in seconds by mistake (a
#: number is an absolute time); above, it is epoch milliseconds by mistake (year 5138 and later).
_MIN_EPOCH: Final = 1_000_000_000
_MAX_EPOCH: Final = 100_000_000_000

# ---------------------------------------------------------------------------------------------
# expiration

_MINUTE: Final = 60
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_UNITS: Final[dict[str, float]] = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": _MINUTE, "min": _MINUTE, "mins": _MINUTE, "minute": _MINUTE, "minutes": _MINUTE,
    "h": _HOUR, "hr": _HOUR, "hrs": _HOUR, "hour": _HOUR, "hours": _HOUR,
    "d": _DAY, "day": _DAY, "days": _DAY,
    "w": 7 * _DAY, "week": 7 * _DAY, "weeks": 7 * _DAY,
    "y": 365.25 * _DAY, "yr": 365.25 * _DAY, "yrs": 365.25 * _DAY,
    "year": 365.25 * _DAY, "years": 365.25 * _DAY,
}  # fmt: skip
# jose 5 `secs`: an optional sign, an optional space, a number, an optional space, a unit, an
# optional " ago" / " from now". ASCII only (JavaScript's \d and /i are), matched whole.
_DURATION: Final = re.compile(
    r"(?P<sign>[+-])? ?(?P<value>[0-9]+|[0-9]+\.[0-9]+) ?"
    r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)"
    r"(?: (?P<direction>ago|from now))?",
    re.IGNORECASE | re.ASCII,
)
_FORMS: Final = (
    'a duration string such as "15m", "1h", "2 days", "1.5hrs" or "30s from now", a timedelta, '
    "a datetime, or an absolute time in epoch seconds"
)


def round_half_up(value: float) -> int:
    """JavaScript's ``Math.round``: to the nearest integer, halves towards +infinity."""
    floor = math.floor(value)
    return floor + 1 if value - floor >= 0.5 else floor


def parse_duration(text: str) -> int:
    """Seconds of a duration string in jose's ``secs`` grammar (negative for ``"-5m"``, ``"5m ago"``).

    Units: ``s``/``sec``/``secs``/``second``/``seconds``, ``m``/``min``/``mins``/``minute``/
    ``minutes``, ``h``/``hr``/``hrs``/``hour``/``hours``, ``d``/``day``/``days``,
    ``w``/``week``/``weeks``, ``y``/``yr``/``yrs``/``year``/``years`` (365.25 days). Decimals are
    allowed and the result is rounded to whole seconds as JavaScript rounds. Case-insensitive,
    including ``" AGO"`` (jose compares ``ago`` case-sensitively and so treats ``"5m AGO"`` as the
    future; we do not). A sign cannot be combined with ``ago``/``from now``.
    """
    match = _DURATION.fullmatch(text)
    if match is None or (match["sign"] and match["direction"]):
        raise InvalidArgumentError(f"invalid expiration time {text!r}: expected {_FORMS}")
    amount = float(match["value"]) * _UNITS[match["unit"].lower()]
    if not math.isfinite(amount) or amount >= _MAX_EPOCH:
        raise InvalidArgumentError(f"expiration time {text!r} is too large")
    seconds = round_half_up(amount)
    direction = (match["direction"] or "").lower()
    return -seconds if match["sign"] == "-" or direction == "ago" else seconds


def parse_expiration(value: str | int | float | datetime | timedelta, *, now: float) -> int:
    """The absolute ``exp`` claim, in epoch seconds, for an expiration time given as:

    - a string: relative to ``now``, in jose's duration grammar (see :func:`parse_duration`):
      ``"15m"``, ``"1h"``, ``"2 days"``, ``"1.5hrs"``, ``"30 seconds from now"``;
    - a ``timedelta``: relative to ``now``;
    - a ``datetime``: that moment, floored to whole seconds; a naive datetime is taken as UTC;
    - an ``int`` or ``float``: an **absolute** time in epoch seconds (as in jose and the official
      SDK: ``3600`` is not "an hour from now"), floored to whole seconds. Values below 10**9
      (2001, a duration by mistake) or from 10**11 (year 5138, milliseconds by mistake) are refused.

    Relative values are added to ``floor(now)``, as jose does. Raises ``ValueError`` (or
    ``TypeError`` for another type) naming the accepted forms.
    """
    base = math.floor(now)
    if isinstance(value, bool):
        raise TypeError(f"expiration time must be {_FORMS}, not a bool")
    if isinstance(value, str):
        return base + parse_duration(value)
    if isinstance(value, timedelta):
        return base + round_half_up(value.total_seconds())
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return math.floor(moment.timestamp())
    if isinstance(value, int | float):
        if not math.isfinite(value) or not _MIN_EPOCH <= value < _MAX_EPOCH:
            raise InvalidArgumentError(
                f"expiration time {value!r} is not an absolute time in epoch seconds (numbers are "
                'absolute, as in the official SDK): for a duration pass "1h" or a timedelta, and '
                "convert milliseconds to seconds"
            )
        return math.floor(value)
    raise TypeError(f"expiration time must be {_FORMS}, not {type(value).__name__}")


def future_expiration(value: str | int | float | datetime | timedelta, *, now: float) -> int:
    """``parse_expiration`` of an expiration time that is still ahead of ``now``; one at or before
    it (``timedelta(seconds=-5)``, ``"5m ago"``, a past ``datetime``) would mint a token that is
    already expired: ``InvalidArgumentError``."""
    exp = parse_expiration(value, now=now)
    if exp <= math.floor(now):
        raise InvalidArgumentError(
            f"expiration_time {value!r} is not in the future: the token would already be expired"
        )
    return exp


# ---------------------------------------------------------------------------------------------
# claims and signing


def build_public_token_claims(
    base_claims: Mapping[str, Any],
    *,
    scopes: list[str] | None,
    realtime: Mapping[str, Any] | None,
    exp: int,
    iat: int,
) -> dict[str, Any]:
    """The payload of a public token, keys in the official SDK's order.

    The server's claims (``sub``, ``pub``) first, then ``scopes`` (left out when ``None``: such a
    token grants nothing), ``realtime`` (left out when ``None``), ``iss``, ``aud``, ``iat`` and
    ``exp``. As with the official SDK's object spread, a key the server already sent keeps its
    place and takes the new value, and ``scopes``/``realtime`` from the server are dropped when
    not given.
    """
    claims = dict(base_claims)
    if scopes is None:
        claims.pop("scopes", None)
    else:
        claims["scopes"] = list(scopes)
    if realtime is None:
        claims.pop("realtime", None)
    else:
        claims["realtime"] = dict(realtime)
    claims["iss"] = JWT_ISSUER
    claims["aud"] = JWT_AUDIENCE
    claims["iat"] = iat
    claims["exp"] = exp
    return claims


@functools.cache
def _jws() -> PyJWS:
    """PyJWT's JWS signer with HS256 only, built on first use (PyJWT is not imported before)."""
    from jwt.algorithms import HMACAlgorithm
    from jwt.api_jws import PyJWS

    class HS256(HMACAlgorithm):
        """HS256 without PyJWT's short-key warning.

        Trigger.dev secret keys (``tr_dev_`` and 20 characters) are shorter than the 32 bytes
        PyJWT recommends, and the key is the one the server issued and verifies with: the warning
        would fire on every token and the user could do nothing about it.
        """

        def check_key_length(self, key: bytes) -> str | None:
            return None

    jws = PyJWS(algorithms=[])
    jws.register_algorithm("HS256", HS256(HMACAlgorithm.SHA256))
    return jws


def sign_public_token(claims: Mapping[str, Any], secret_key: str) -> str:
    """An HS256 JWT of ``claims`` signed with ``secret_key``, byte for byte as jose signs it.

    The protected header is exactly ``{"alg":"HS256"}`` (no ``typ``), the payload is compact JSON
    with the keys in the given order and non-ASCII characters as UTF-8 (as ``JSON.stringify``),
    and the key is the UTF-8 bytes of ``secret_key``.
    """
    if not isinstance(secret_key, str) or not secret_key:
        raise TypeError("secret_key must be a non-empty string")
    payload = json.dumps(dict(claims), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return _jws().encode(
        payload.encode("utf-8"),
        secret_key.encode("utf-8"),
        algorithm="HS256",
        headers={"typ": None},
    )


# ---------------------------------------------------------------------------------------------
# reading tokens (without verification)


def _b64url_json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        return json.loads(raw)
    except (UnicodeError, binascii.Error, ValueError) as exc:
        raise InvalidArgumentError("not base64url-encoded JSON") from exc


_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")


def _split_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a compact JWT, unverified; ``ValueError`` when it is not one."""
    if not isinstance(token, str):
        raise TypeError(f"token must be a string, not {type(token).__name__}")
    parts = token.split(".")
    if len(parts) != 3 or not all(_B64URL.fullmatch(p) for p in parts) or not parts[1]:
        raise InvalidArgumentError("not a JWT: expected three base64url parts separated by '.'")
    try:
        header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    except ValueError as exc:
        raise InvalidArgumentError(
            "not a JWT: its header or payload is not base64url-encoded JSON"
        ) from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidArgumentError("not a JWT: its header or payload is not a JSON object")
    return header, payload


def _epoch(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _as_datetime(now: float | datetime) -> datetime:
    if isinstance(now, datetime):
        return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return datetime.fromtimestamp(now, tz=UTC)


@attrs.frozen
class PublicTokenClaims:
    """What a public access token says about itself, read WITHOUT checking its signature.

    For debugging and display ("which runs can this token read, when does it expire"): anyone can
    write a token that decodes to anything, so never grant access based on these values. Only the
    Trigger.dev API, which holds the secret key, can verify a token.

    ``exp`` and ``iat`` are aware UTC datetimes (``None`` when absent or not numbers); ``scopes``
    is ``[]`` when the token has none (it then grants nothing); ``raw`` is the whole payload and
    ``header`` the protected header. ``signature_verified`` is always ``False``.
    """

    sub: str | None
    scopes: list[str]
    realtime: dict[str, Any] | None
    exp: datetime | None
    iat: datetime | None
    iss: str | None
    aud: str | list[str] | None
    pub: bool
    one_time_use: bool
    raw: dict[str, Any]
    header: dict[str, Any]
    signature_verified: bool = attrs.field(default=False, init=False)

    def expires_in(self, now: float | datetime) -> timedelta | None:
        """Time left before expiry (negative once expired); ``None`` for a token without ``exp``.

        ``now`` is epoch seconds or a datetime (naive means UTC).
        """
        if self.exp is None:
            return None
        return self.exp - _as_datetime(now)

    def is_expired(self, now: float | datetime) -> bool:
        """Whether the server would refuse the token as expired at ``now`` (``exp <= now``)."""
        left = self.expires_in(now)
        return left is not None and left <= timedelta(0)


def decode_public_token(token: str) -> PublicTokenClaims:
    """Read a public access token's claims WITHOUT verifying its signature (for debugging).

    Raises ``ValueError`` when ``token`` is not a JWT (the message never contains the token).
    """
    header, payload = _split_jwt(token)
    scopes = payload.get("scopes")
    realtime = payload.get("realtime")
    sub, iss, aud = payload.get("sub"), payload.get("iss"), payload.get("aud")
    return PublicTokenClaims(
        sub=sub if isinstance(sub, str) else None,
        scopes=[s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else [],
        realtime=realtime if isinstance(realtime, dict) else None,
        exp=_epoch(payload.get("exp")),
        iat=_epoch(payload.get("iat")),
        iss=iss if isinstance(iss, str) else None,
        aud=aud if isinstance(aud, str | list) else None,
        pub=payload.get("pub") is True,
        one_time_use=payload.get("otu") is True,
        raw=payload,
        header=header,
    )


# ---------------------------------------------------------------------------------------------
# token kinds

_SECRET_PREFIXES: Final = ("tr_dev_", "tr_prod_", "tr_stg_", "tr_preview_", "tr_pr_")
_ADDITIONAL_KEY: Final = re.compile(r"tr_(dev|stg|prod|preview)_sk_[0-9a-zA-Z]{24}")


def is_public_token(token: str) -> bool:
    """Whether ``token`` is a public access token: a JWT whose payload has ``"pub": true``.

    This is how the server routes a bearer token; the signature is not checked.
    """
    try:
        _, payload = _split_jwt(token)
    except (TypeError, ValueError):
        return False
    return payload.get("pub") is True


def is_secret_key(token: str) -> bool:
    """Whether ``token`` looks like an environment secret key (``tr_dev_``, ``tr_prod_``,
    ``tr_stg_``, ``tr_preview_`` or ``tr_pr_`` and more). Additional API keys are secret keys too.
    """
    return isinstance(token, str) and any(
        token.startswith(prefix) and len(token) > len(prefix) for prefix in _SECRET_PREFIXES
    )


def is_additional_api_key(token: str) -> bool:
    """Whether ``token`` is an additional (scoped) environment API key,
    ``tr_<env>_sk_`` and 24 letters or digits. Such a key cannot sign public tokens itself.
    """
    return isinstance(token, str) and _ADDITIONAL_KEY.fullmatch(token) is not None
