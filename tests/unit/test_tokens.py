"""Public tokens: expiration, claims, signing, decoding, token kinds, and create_public_token.

The OFFICIAL_TOKENS data were produced by the official SDK (@trigger.dev/sdk 3.3.17,
``auth.createPublicToken``) against a local claims server answering
``{"sub":"cm2envid000001","pub":true}`` (or the claims shown), with the secret key ``KEY`` and the
clock frozen at ``NOW``: our tokens must be byte-for-byte the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import anyio
import httpx
import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client._async._auth import AsyncAuthResource
from trigger_client._async._auth_token import AsyncTokenSource
from trigger_client._async._transport import AsyncTransport
from trigger_client._backends import AsyncBackend
from trigger_client._exceptions import (
    APIResponseValidationError,
    AuthenticationError,
    TriggerConfigurationError,
)
from trigger_client._protocol.retry import RetryPolicy
from trigger_client._protocol.scopes import Scopes, flatten_scopes
from trigger_client._protocol.tokens import (
    JWT_AUDIENCE,
    JWT_ISSUER,
    PublicTokenClaims,
    build_public_token_claims,
    decode_public_token,
    is_additional_api_key,
    is_public_token,
    is_secret_key,
    parse_duration,
    parse_expiration,
    round_half_up,
    sign_public_token,
)

KEY = "tr_dev_abcdefghij0123456789"  # 27 bytes, as real keys: shorter than PyJWT likes
NOW = 1780740330.123
IAT = 1780740330
HEADER_B64 = "eyJhbGciOiJIUzI1NiJ9"  # {"alg":"HS256"}
ENV_CLAIMS = {"sub": "cm2envid000001", "pub": True}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# ---------------------------------------------------------------------------------------------
# what the official SDK produced

# (scopes given to createPublicToken (None: no option), expirationTime, the claims server's answer
# (None: ENV_CLAIMS), the payload JSON of the official token, the official token's signature)
OFFICIAL_TOKENS = [
    pytest.param(
        {"read": {"runs": ["run_1234"]}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1234"],"iss"'
        ':"https://id.trigger.dev","aud":"https://api.trigger.dev","iat":17807403'
        '30,"exp":1780741230}',
        "wvrqirxl6l_Vh_XSPMn1hGECLVdgPgZgT_-4nrhB1Yc",
        id="read-run",
    ),
    pytest.param(
        None,
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"iss":"https://id.trigger.dev","aud":'
        '"https://api.trigger.dev","iat":1780740330,"exp":1780741230}',
        "X5JgM-8SIKlQvDGTO3ygvApvHUS3-OPEeLii2x45TtM",
        id="no-scopes",
    ),
    pytest.param(
        {},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":[],"iss":"https://id.trigger'
        '.dev","aud":"https://api.trigger.dev","iat":1780740330,"exp":1780741230}',
        "yX-LcYXyTVdW2ut7Ksvj9Xi7OVO9nvr5_N6DOIQKif0",
        id="empty-scopes",
    ),
    pytest.param(
        {"read": {"runs": True}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs"],"iss":"https:/'
        '/id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,"exp":'
        "1780741230}",
        "Idf6z25eE15bgvdjFJ8KH16uzNe7yJI0hqRL8PF_XpY",
        id="read-all-runs",
    ),
    pytest.param(
        {"read": {"runs": ["run_1", "run_2"], "tags": "user:9"}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1","read:run'
        's:run_2","read:tags:user:9"],"iss":"https://id.trigger.dev","aud":"https'
        '://api.trigger.dev","iat":1780740330,"exp":1780741230}',
        "PzVIZg-zQPnnHANRUPbdMjpdiYvw07hIGX7iGJO4uqA",
        id="runs-and-colon-tag",
    ),
    pytest.param(
        {"read": {"batch": "batch_1"}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:batch:batch_1"],"iss"'
        ':"https://id.trigger.dev","aud":"https://api.trigger.dev","iat":17807403'
        '30,"exp":1780741230}',
        "cOYbSSsyro-qyAEQS1uku2ghMbTmcgfP_pMrqFm_YmA",
        id="read-batch",
    ),
    pytest.param(
        {"write": {"inputStreams": ["run_1"]}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["write:inputStreams:run_1"]'
        ',"iss":"https://id.trigger.dev","aud":"https://api.trigger.dev","iat":17'
        '80740330,"exp":1780741230}',
        "BkGi8y9GitfXemftDZIywbqXrt_kz6hXsDhJ3nBKhtA",
        id="write-input-streams",
    ),
    pytest.param(
        {"trigger": {"tasks": "t"}, "batchTrigger": {"tasks": ["a", "b"]}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["trigger:tasks:t","batchTri'
        'gger:tasks:a","batchTrigger:tasks:b"],"iss":"https://id.trigger.dev","au'
        'd":"https://api.trigger.dev","iat":1780740330,"exp":1780741230}',
        "Og5QISRWrq0DKjT5mdZ26ZEfQjHlLxgv_67RAYXVcnY",
        id="trigger-and-batch-trigger",
    ),
    pytest.param(
        {"read": {"runs": False, "tags": ["x"], "batch": None}, "write": None},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:tags:x"],"iss":"https'
        '://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,"exp'
        '":1780741230}',
        "H_sHNcIza0bCDMonT0_orP3OIo5ibYM1xwPDQp5_nVM",
        id="false-and-none-skipped",
    ),
    pytest.param(
        {"admin": True},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["admin"],"iss":"https://id.'
        'trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,"exp":1780'
        "741230}",
        "6E0mPyYbZpudUmDlH5FcIiZ46wvu73LbiCisp5p2tDo",
        id="admin",
    ),
    pytest.param(
        {"read": {"tags": ['ünï-✓ "q" \\ \n', "env:staging:eu"]}},
        "15m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:tags:ünï-✓ \\"q\\" \\\\ \\'
        'n","read:tags:env:staging:eu"],"iss":"https://id.trigger.dev","aud":"htt'
        'ps://api.trigger.dev","iat":1780740330,"exp":1780741230}',
        "TuA4rXKb_uXNIwDs6dS1VWV8Xaq9lP8h2xG0Zj1hfAo",
        id="non-ascii-and-escapes",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        "1h",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780743930}',
        "3sBZJLWYO8dEfLZ4WtKnpJHgqE6a4QDoVEIBD9_SqSc",
        id="1h",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        "1.5hrs",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780745730}',
        "qF9ghQkVhZqFA0gOzxzcApGo4t4srShuNKnyVqK7Cg0",
        id="1.5hrs",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        "5m ago",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780740030}',
        "hdvCYQQpM0gqT--3Gqf_QZyrCtNnJRCCA8M4bfhWCsw",
        id="5m-ago",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        "- 5m",
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780740030}',
        "hdvCYQQpM0gqT--3Gqf_QZyrCtNnJRCCA8M4bfhWCsw",
        id="minus-space-5m",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        1780741230,
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780741230}',
        "oTNyIaR7jkOWd2FrkL5z6MShfKItpAhoZKO_lPPukqA",
        id="epoch-seconds",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        datetime(2026, 6, 6, 10, 20, 30, 999000, tzinfo=UTC),
        None,
        '{"sub":"cm2envid000001","pub":true,"scopes":["read:runs:run_1"],"iss":"h'
        'ttps://id.trigger.dev","aud":"https://api.trigger.dev","iat":1780740330,'
        '"exp":1780741230}',
        "oTNyIaR7jkOWd2FrkL5z6MShfKItpAhoZKO_lPPukqA",
        id="datetime",
    ),
    pytest.param(
        {"read": {"runs": ["run_1"]}},
        "15m",
        {"pub": True, "sub": "env_2", "iat": 5, "scopes": ["old"], "extra": {"a": [1, None]}},
        '{"pub":true,"sub":"env_2","iat":1780740330,"scopes":["read:runs:run_1"],'
        '"extra":{"a":[1,null]},"iss":"https://id.trigger.dev","aud":"https://api'
        '.trigger.dev","exp":1780741230}',
        "_6_7mMTnlVrj5fnMWsUsgpCiBUy5FsWqZSF71Q2PK-U",
        id="server-claims-spread",
    ),
    pytest.param(
        None,
        "15m",
        {"sub": "env_3", "pub": True, "scopes": ["old"], "exp": 1},
        '{"sub":"env_3","pub":true,"exp":1780741230,"iss":"https://id.trigger.dev'
        '","aud":"https://api.trigger.dev","iat":1780740330}',
        "dIibIA4tnbdzlBzNoKIL5HNaFEuNDNfuhkla1_8cTP4",
        id="server-scopes-dropped",
    ),
]


@pytest.mark.parametrize(
    ("scopes", "expiration", "server_claims", "payload_json", "signature"), OFFICIAL_TOKENS
)
def test_tokens_identical_to_the_official_sdk(
    scopes: Any, expiration: Any, server_claims: Any, payload_json: str, signature: str
) -> None:
    claims = build_public_token_claims(
        server_claims or ENV_CLAIMS,
        scopes=None if scopes is None else flatten_scopes(scopes),
        realtime=None,
        exp=parse_expiration(expiration, now=NOW),
        iat=math.floor(NOW),
    )
    token = sign_public_token(claims, KEY)
    expected = f"{HEADER_B64}.{_b64url(payload_json.encode())}.{signature}"
    assert token == expected
    assert decode_public_token(token).raw == json.loads(payload_json)


#: Expiration times in the past: the official SDK mints already expired tokens with them;
#: ``create_public_token`` refuses them (tests/misuse).
PAST_EXPIRATIONS = ("5m-ago", "minus-space-5m")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("scopes", "expiration", "server_claims", "payload_json", "signature"),
    [p for p in OFFICIAL_TOKENS if p.id not in PAST_EXPIRATIONS],
)
async def test_create_public_token_identical_to_the_official_sdk(
    monkeypatch: pytest.MonkeyPatch,
    scopes: Any,
    expiration: Any,
    server_claims: Any,
    payload_json: str,
    signature: str,
) -> None:
    monkeypatch.setattr(AsyncBackend, "wall", staticmethod(lambda: NOW))
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=server_claims or ENV_CLAIMS)

    async with _transport(handler) as transport:
        token = await AsyncAuthResource(transport).create_public_token(
            scopes=scopes, expiration_time=expiration
        )
    assert token == f"{HEADER_B64}.{_b64url(payload_json.encode())}.{signature}"
    (request,) = requests
    assert request.method == "POST"
    assert request.url == "https://api.example.test/api/v1/auth/jwt/claims"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.content == b""


# ---------------------------------------------------------------------------------------------
# expiration: jose's `secs` grammar, timedelta, datetime, epoch seconds

BASE = 1_700_000_000  # floor(NOW_E)
NOW_E = 1_700_000_000.75


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        *[(f"3{u}", 3) for u in ("s", "sec", "secs", "second", "seconds")],
        *[(f"3{u}", 180) for u in ("m", "min", "mins", "minute", "minutes")],
        *[(f"3{u}", 10800) for u in ("h", "hr", "hrs", "hour", "hours")],
        *[(f"3{u}", 259200) for u in ("d", "day", "days")],
        *[(f"3{u}", 1814400) for u in ("w", "week", "weeks")],
        *[(f"1{u}", 31557600) for u in ("y", "yr", "yrs", "year", "years")],  # 365.25 days
        ("15m", 900),  # the default
        ("2 days", 172800),  # one space before the unit
        ("1.5hrs", 5400),  # decimals
        ("0.5s", 1),  # rounded as JavaScript rounds: halves up
        ("1.4s", 1),
        ("2.5s", 3),
        ("0.49999999999999994s", 0),  # not floor(x + 0.5), which gives 1
        ("0.001m", 0),
        ("1.25 Y", 39447000),
        ("30 seconds from now", 30),
        ("5m ago", -300),
        ("5 MINUTES AGO", -300),  # case-insensitive (jose reads "AGO" as the future; we do not)
        ("1H From Now", 3600),
        ("-5m", -300),
        ("- 5m", -300),  # a space after the sign
        ("+5m", 300),
        ("+ 5 m", 300),
        (" 5m", 5 * 60),  # jose allows a space where the sign would be
        ("-0.5s", -1),
        ("0s", 0),
        ("007s", 7),
    ],
)
def test_duration_grammar(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_expiration(text, now=NOW_E) == BASE + seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "15",  # no unit
        "m",
        "15 m ",  # trailing space
        "15m\n",  # a trailing newline (JavaScript's $ does not allow it; Python's would)
        " 15m ago ",
        "15  m",  # two spaces
        "1.5.5m",
        ".5m",
        "5.m",
        "1e3s",
        "1,5h",
        "5 mo",
        "5 months",
        "5 ms",
        "+5m ago",  # a sign with ago / from now
        "-5m from now",
        "5m from  now",
        "5m  ago",
        "5m later",
        "\u0665m",  # ARABIC-INDIC DIGIT FIVE: only ASCII digits
        "5\u017f",  # LATIN SMALL LETTER LONG S: only ASCII case folding
        "\uff15m",  # FULLWIDTH DIGIT FIVE
        "5 minutes_ago",
        "99999999999999999999999y",  # too large
    ],
)
def test_duration_grammar_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expiration time") as excinfo:
        parse_expiration(text, now=NOW_E)
    if "too large" not in str(excinfo.value):
        assert "15m" in str(excinfo.value) and "timedelta" in str(excinfo.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(minutes=15), BASE + 900),
        (timedelta(seconds=0.5), BASE + 1),
        (timedelta(seconds=-90), BASE - 90),
        (timedelta(days=30), BASE + 30 * 86400),
        (datetime(2026, 6, 6, 10, 20, 30, 999000, tzinfo=UTC), 1780741230),
        (datetime(2026, 6, 6, 10, 20, 30, 999000), 1780741230),  # naive: UTC
        (datetime(2026, 6, 6, 12, 20, 30, tzinfo=timezone(timedelta(hours=2))), 1780741230),
        (datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), -1),  # floored, not truncated
        (1780741230, 1780741230),  # a number is ABSOLUTE epoch seconds
        (1780741230.9, 1780741230),
        (1_000_000_000, 1_000_000_000),
        (99_999_999_999, 99_999_999_999),
    ],
)
def test_expiration_forms(value: Any, expected: int) -> None:
    assert parse_expiration(value, now=NOW_E) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (900, ValueError),  # a duration by mistake: numbers are absolute
        (0, ValueError),
        (-5, ValueError),
        (1780741230000, ValueError),  # milliseconds by mistake
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (True, TypeError),
        (None, TypeError),
        (b"15m", TypeError),
        ([900], TypeError),
        (datetime(2026, 1, 1).date(), TypeError),
    ],
)
def test_expiration_rejects(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="expiration time"):
        parse_expiration(value, now=NOW_E)


def test_round_half_up_is_javascript_math_round() -> None:
    cases = {0.5: 1, 1.5: 2, 2.5: 3, -0.5: 0, -1.5: -1, -2.5: -2, 2.4999: 2, -2.6: -3, 7.0: 7}
    assert {x: round_half_up(x) for x in cases} == cases


_UNIT_SECONDS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 604800),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 31557600.0),
}


@st.composite
def _duration_strings(draw: st.DrawFn) -> tuple[str, int | None]:
    whole = draw(st.integers(0, 10**6))
    fraction = draw(st.none() | st.text("0123456789", min_size=1, max_size=4))
    number = str(whole) if fraction is None else f"{whole}.{fraction}"
    unit = draw(st.sampled_from(sorted(_UNIT_SECONDS)))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in unit)
    direction = draw(st.sampled_from(["", " ago", " from now", " AGO", " From Now"]))
    sign = "" if direction else draw(st.sampled_from(["", "+", "-"]))
    text = (
        sign
        + draw(st.sampled_from(["", " "]))
        + number
        + draw(st.sampled_from(["", " "]))
        + cased
        + direction
    )
    amount = float(number) * _UNIT_SECONDS[unit]
    if amount >= 1e11:  # more than 3168 years: refused
        return text, None
    magnitude = round_half_up(amount)
    negative = sign == "-" or direction.lower() == " ago"
    return text, -magnitude if negative else magnitude


@given(_duration_strings(), st.floats(1e9, 4e9))
def test_expiration_strings_from_the_grammar(case: tuple[str, int | None], now: float) -> None:
    text, seconds = case
    if seconds is None:
        with pytest.raises(ValueError, match="too large"):
            parse_expiration(text, now=now)
    else:
        assert parse_expiration(text, now=now) == math.floor(now) + seconds


@given(st.text(max_size=12))
def test_expiration_strings_never_crash(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError:
        return
    assert isinstance(value, int)


# ---------------------------------------------------------------------------------------------
# claims and signing


def test_claims_key_order() -> None:
    claims = build_public_token_claims(
        ENV_CLAIMS,
        scopes=["read:runs:run_1234"],
        realtime={"skipColumns": ["payload", "output"]},
        exp=1780741230,
        iat=1780740330,
    )
    assert list(claims) == ["sub", "pub", "scopes", "realtime", "iss", "aud", "iat", "exp"]
    assert claims == {
        "sub": "cm2envid000001",
        "pub": True,
        "scopes": ["read:runs:run_1234"],
        "realtime": {"skipColumns": ["payload", "output"]},
        "iss": "https://id.trigger.dev",
        "aud": "https://api.trigger.dev",
        "iat": 1780740330,
        "exp": 1780741230,
    }


def test_claims_omit_scopes_and_realtime_when_not_given() -> None:
    claims = build_public_token_claims(ENV_CLAIMS, scopes=None, realtime=None, exp=2, iat=1)
    assert list(claims) == ["sub", "pub", "iss", "aud", "iat", "exp"]
    # an empty list is given: the key stays (such a token grants nothing)
    claims = build_public_token_claims(ENV_CLAIMS, scopes=[], realtime=None, exp=2, iat=1)
    assert claims["scopes"] == []


def test_claims_spread_like_the_official_sdk() -> None:
    server = {"iat": 5, "sub": "env", "scopes": ["old"], "realtime": {"x": 1}, "iss": "other"}
    claims = build_public_token_claims(server, scopes=None, realtime=None, exp=20, iat=10)
    assert list(claims.items()) == [
        ("iat", 10),
        ("sub", "env"),
        ("iss", JWT_ISSUER),
        ("aud", JWT_AUDIENCE),
        ("exp", 20),
    ]
    assert server["scopes"] == ["old"]  # the input is not modified


def test_signed_token_header_is_exactly_alg_hs256() -> None:
    token = sign_public_token({"sub": "x"}, KEY)
    header, payload, signature = token.split(".")
    assert _unb64url(header) == b'{"alg":"HS256"}'
    assert jwt.get_unverified_header(token) == {"alg": "HS256"}
    assert _unb64url(payload) == b'{"sub":"x"}'
    expected = hmac.new(KEY.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _unb64url(signature) == expected


def test_signed_token_verifies_with_pyjwt() -> None:
    claims = build_public_token_claims(
        ENV_CLAIMS, scopes=["read:runs"], realtime=None, exp=int(NOW) + 900, iat=int(NOW)
    )
    token = sign_public_token(claims, KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        decoded = jwt.decode(
            token,
            KEY,
            algorithms=["HS256"],
            audience=JWT_AUDIENCE,
            issuer=JWT_ISSUER,
            options={"verify_exp": False, "verify_iat": False},
        )
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, KEY + "x", algorithms=["HS256"], audience=JWT_AUDIENCE)
    assert decoded == claims
    # a key long enough for PyJWT, verifying the times too
    long_key = "tr_prod_" + "k" * 40
    now = int(datetime.now(UTC).timestamp())
    claims = build_public_token_claims(
        ENV_CLAIMS, scopes=None, realtime=None, exp=now + 900, iat=now
    )
    decoded = jwt.decode(
        sign_public_token(claims, long_key),
        long_key,
        algorithms=["HS256"],
        audience=JWT_AUDIENCE,
        issuer=JWT_ISSUER,
    )
    assert decoded == claims


def test_signing_with_a_short_key_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sign_public_token({"sub": "x"}, "tr_dev_short")


def test_signing_rejects_bad_input() -> None:
    with pytest.raises(TypeError):
        sign_public_token({"sub": "x"}, "")
    with pytest.raises(ValueError):
        sign_public_token({"exp": float("nan")}, KEY)
    with pytest.raises(TypeError):
        sign_public_token({"x": object()}, KEY)


# ---------------------------------------------------------------------------------------------
# decoding (unverified) and token kinds


def _token(payload: object, header: object = None) -> str:
    head = json.dumps(header if header is not None else {"alg": "HS256"}).encode()
    return f"{_b64url(head)}.{_b64url(json.dumps(payload).encode())}.c2ln"


def test_decode_public_token() -> None:
    token = sign_public_token(
        build_public_token_claims(
            {**ENV_CLAIMS, "otu": True},
            scopes=["read:runs:run_1", "read:tags:user:9"],
            realtime={"skipColumns": ["payload"]},
            exp=1780741230,
            iat=1780740330,
        ),
        KEY,
    )
    claims = AsyncAuthResource.decode_public_token(token)
    assert isinstance(claims, PublicTokenClaims)
    assert claims.sub == "cm2envid000001"
    assert claims.scopes == ["read:runs:run_1", "read:tags:user:9"]
    assert claims.realtime == {"skipColumns": ["payload"]}
    assert claims.exp == datetime(2026, 6, 6, 10, 20, 30, tzinfo=UTC)
    assert claims.iat == datetime(2026, 6, 6, 10, 5, 30, tzinfo=UTC)
    assert claims.iss == JWT_ISSUER and claims.aud == JWT_AUDIENCE
    assert claims.pub is True and claims.one_time_use is True
    assert claims.header == {"alg": "HS256"}
    assert claims.raw["otu"] is True
    assert claims.signature_verified is False
    assert claims.expires_in(1780740330) == timedelta(minutes=15)
    assert claims.expires_in(datetime(2026, 6, 6, 10, 20, 31)) == timedelta(seconds=-1)
    assert not claims.is_expired(1780741229.999)
    assert claims.is_expired(1780741230)  # the server: expired when exp <= now
    assert claims.is_expired(datetime(2026, 6, 6, 10, 20, 30, tzinfo=UTC))


def test_decode_tolerates_missing_and_odd_claims() -> None:
    claims = decode_public_token(_token({"pub": True, "scopes": "read:runs", "exp": "soon"}))
    assert claims.sub is None and claims.scopes == [] and claims.exp is None
    assert claims.expires_in(0) is None and not claims.is_expired(10**12)
    assert decode_public_token(_token({"aud": ["a", "b"], "scopes": ["x", 1]})).aud == ["a", "b"]
    assert decode_public_token(_token({"scopes": ["x", 1]})).scopes == ["x"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "tr_dev_abcdefghij0123456789",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJIUzI1NiJ9..sig",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0!.sig",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig",  # "not json"
        "eyJhbGciOiJIUzI1NiJ9.WzFd.sig",  # [1]
        "WzFd.eyJzdWIiOiJ4In0.sig",  # header [1]
        "eyJhbGciOiJIUzI1NiJ9.e.sig",  # a length that cannot be base64
        "eyJhbGciOiJIUzI1NiJ9.__8.sig",  # not UTF-8
    ],
)
def test_decode_rejects_malformed_tokens(token: str) -> None:
    with pytest.raises(ValueError, match="not a JWT") as excinfo:
        decode_public_token(token)
    if token:
        assert token not in str(excinfo.value)
    assert not is_public_token(token)


def test_decode_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        decode_public_token(None)  # type: ignore[arg-type]
    assert not is_public_token(None)  # type: ignore[arg-type]


def test_is_public_token() -> None:
    assert is_public_token(_token({"sub": "x", "pub": True}))
    assert is_public_token(sign_public_token(ENV_CLAIMS, KEY))
    assert not is_public_token(_token({"sub": "x"}))  # a JWT without pub: true
    assert not is_public_token(_token({"sub": "x", "pub": "true"}))
    assert not is_public_token(_token({"sub": "x", "pub": 1}))
    assert not is_public_token(KEY)


@pytest.mark.parametrize(
    ("token", "secret", "additional"),
    [
        ("tr_dev_abcdefghij0123456789", True, False),
        ("tr_prod_abcdefghij0123456789", True, False),
        ("tr_stg_abcdefghij0123456789", True, False),
        ("tr_preview_abcdefghij0123456789", True, False),
        ("tr_pr_abcdefghij0123456789", True, False),
        ("tr_dev_sk_abcdefghijklmnopqrstuvwx", True, True),
        ("tr_prod_sk_ABCDEFGHIJKLMNOPQRST1234", True, True),
        ("tr_stg_sk_000000000000000000000000", True, True),
        ("tr_preview_sk_abcdefghijklmnopqrstuvwx", True, True),
        ("tr_pr_sk_abcdefghijklmnopqrstuvwx", True, False),  # the regex has no "pr"
        ("tr_dev_sk_abcdefghijklmnopqrstuvw", True, False),  # 23 characters
        ("tr_dev_sk_abcdefghijklmnopqrstuvwxy", True, False),  # 25 characters
        ("tr_dev_sk_abcdefghijklmnopqrstuv_x", True, False),
        ("tr_dev_", False, False),
        ("tr_pat_abcdefghij0123456789", False, False),
        ("tr_uat_abcdefghij0123456789", False, False),
        ("pk_dev_abcdefghij0123456789", False, False),
        ("TR_DEV_abcdefghij0123456789", False, False),
        ("", False, False),
    ],
)
def test_key_kinds(token: str, secret: bool, additional: bool) -> None:
    assert is_secret_key(token) is secret
    assert is_additional_api_key(token) is additional
    assert not is_public_token(token)


# ---------------------------------------------------------------------------------------------
# create_public_token over HTTP (httpx.MockTransport)

Handler = Callable[[httpx.Request], httpx.Response]


class _transport:
    """An AsyncTransport over a MockTransport, closed on exit."""

    def __init__(self, handler: Handler, *, token: Any = KEY, max_retries: int = 2) -> None:
        self._client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        self._transport = AsyncTransport(
            base_url="https://api.example.test",
            token=AsyncTokenSource(token),
            http_client=self._client,
            timeout=httpx.Timeout(5.0),
            live_timeout=5.0,
            retry_policy=RetryPolicy(initial_delay=0.0, max_delay=0.0, max_retries=max_retries),
            branch=None,
        )

    async def __aenter__(self) -> AsyncTransport:
        return self._transport

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()


def _claims_handler(requests: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=ENV_CLAIMS)

    return handler


@pytest.mark.anyio
async def test_create_public_token_signs_locally() -> None:
    requests: list[httpx.Request] = []
    before = math.floor(datetime.now(UTC).timestamp())
    async with _transport(_claims_handler(requests)) as transport:
        token = await AsyncAuthResource(transport).create_public_token(
            scopes=Scopes.read_run("run_1234"),
            expiration_time=timedelta(hours=1),
            realtime={"skipColumns": ["payload", "output"]},
        )
    after = math.floor(datetime.now(UTC).timestamp())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        claims = jwt.decode(
            token, KEY, algorithms=["HS256"], audience=JWT_AUDIENCE, issuer=JWT_ISSUER
        )
    assert list(claims) == ["sub", "pub", "scopes", "realtime", "iss", "aud", "iat", "exp"]
    assert claims["scopes"] == ["read:runs:run_1234"]
    assert claims["realtime"] == {"skipColumns": ["payload", "output"]}
    assert before <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 3600
    assert [r.url.path for r in requests] == ["/api/v1/auth/jwt/claims"]


@pytest.mark.anyio
async def test_create_public_token_default_expiration_is_15_minutes() -> None:
    async with _transport(_claims_handler([])) as transport:
        token = await AsyncAuthResource(transport).create_public_token(
            scopes={"read": {"runs": True}}
        )
    claims = decode_public_token(token)
    assert claims.exp is not None and claims.iat is not None
    assert claims.exp - claims.iat == timedelta(minutes=15)
    assert claims.scopes == ["read:runs"]


@pytest.mark.anyio
async def test_claims_call_is_retried() -> None:
    statuses = iter([503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(status, json=ENV_CLAIMS if status == 200 else {"error": "busy"})

    async with _transport(handler) as transport:
        token = await AsyncAuthResource(transport).create_public_token(scopes={})
    assert decode_public_token(token).sub == "cm2envid000001"


@pytest.mark.anyio
async def test_claims_must_be_an_object() -> None:
    async with _transport(lambda r: httpx.Response(200, json=["sub"])) as transport:
        with pytest.raises(APIResponseValidationError, match="not a JSON object"):
            await AsyncAuthResource(transport).create_public_token(scopes={})


@pytest.mark.anyio
async def test_claims_401_is_an_authentication_error_without_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "Invalid or Missing API key"})

    async with _transport(handler) as transport:
        with pytest.raises(AuthenticationError) as excinfo:
            await AsyncAuthResource(transport).create_public_token(scopes={})
    assert KEY not in str(excinfo.value) and KEY not in repr(excinfo.value)


@pytest.mark.anyio
async def test_a_public_token_cannot_mint() -> None:
    public = sign_public_token(ENV_CLAIMS, KEY)
    requests: list[httpx.Request] = []
    async with _transport(_claims_handler(requests), token=public) as transport:
        with pytest.raises(TriggerConfigurationError, match="only a secret key") as excinfo:
            await AsyncAuthResource(transport).create_public_token(scopes={})
    assert public not in str(excinfo.value)
    assert requests == []


@pytest.mark.anyio
async def test_a_callable_token_is_used_to_sign() -> None:
    async def token() -> str:
        return KEY

    async with _transport(_claims_handler([]), token=token) as transport:
        minted = await AsyncAuthResource(transport).create_public_token(scopes={})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        jwt.decode(minted, KEY, algorithms=["HS256"], audience=JWT_AUDIENCE)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"scopes": {"read": {"runs": ""}}}, ValueError),
        ({"scopes": ["read:runs"]}, TypeError),
        ({"expiration_time": "15 minutes later"}, ValueError),
        ({"expiration_time": 900}, ValueError),
        ({"realtime": ["payload"]}, TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(kwargs: Any, error: type) -> None:
    requests: list[httpx.Request] = []
    async with _transport(_claims_handler(requests)) as transport:
        with pytest.raises(error):
            await AsyncAuthResource(transport).create_public_token(**kwargs)
    assert requests == []


ADDITIONAL_KEY = "tr_dev_sk_abcdefghijklmnopqrstuvwx"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("expiration", "sent"),
    [
        ("15m", "15m"),
        ("2 days", "2 days"),
        (timedelta(hours=2), "7200s"),
        (datetime(2026, 6, 6, 10, 20, 30, 999000, tzinfo=UTC), 1780741230),
        (1780741230, 1780741230),
    ],
)
async def test_additional_key_mints_on_the_server(
    monkeypatch: pytest.MonkeyPatch, expiration: Any, sent: Any
) -> None:
    monkeypatch.setattr(AsyncBackend, "wall", staticmethod(lambda: NOW))  # the times are ahead
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"token": "eyJ.minted.token"})

    async with _transport(handler, token=ADDITIONAL_KEY) as transport:
        token = await AsyncAuthResource(transport).create_public_token(
            scopes=Scopes.read_run("run_1"),
            expiration_time=expiration,
            realtime={"skipColumns": ["payload"]},
        )
    assert token == "eyJ.minted.token"
    (request,) = requests
    assert request.method == "POST"
    assert request.url.path == "/api/v1/auth/public-tokens"
    assert request.headers["authorization"] == f"Bearer {ADDITIONAL_KEY}"
    assert json.loads(request.content) == {
        "scopes": ["read:runs:run_1"],
        "expirationTime": sent,
        "realtime": {"skipColumns": ["payload"]},
    }


@pytest.mark.anyio
@pytest.mark.parametrize("scopes", [None, {}, Scopes()])
async def test_additional_key_requires_scopes(scopes: Any) -> None:
    requests: list[httpx.Request] = []
    async with _transport(_claims_handler(requests), token=ADDITIONAL_KEY) as transport:
        with pytest.raises(TriggerConfigurationError, match="explicit scopes"):
            await AsyncAuthResource(transport).create_public_token(scopes=scopes)
    assert requests == []


@pytest.mark.anyio
async def test_additional_key_on_an_old_server() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Not found"})

    async with _transport(handler, token=ADDITIONAL_KEY) as transport:
        with pytest.raises(TriggerConfigurationError, match="cannot create public tokens") as e:
            await AsyncAuthResource(transport).create_public_token(scopes={"read": {"runs": True}})
    assert ADDITIONAL_KEY not in str(e.value)


@pytest.mark.anyio
@pytest.mark.parametrize("body", [{}, {"token": 5}, ["eyJ"], {"token": ""}])
async def test_additional_key_response_without_a_token(body: Any) -> None:
    async with _transport(lambda r: httpx.Response(200, json=body), token=ADDITIONAL_KEY) as t:
        with pytest.raises(APIResponseValidationError, match="returned no token"):
            await AsyncAuthResource(t).create_public_token(scopes={"read": {"runs": True}})


def test_create_public_token_with_anyio_run() -> None:
    async def main() -> str:
        async with _transport(_claims_handler([])) as transport:
            return await AsyncAuthResource(transport).create_public_token(
                scopes={"read": {"runs": ["run_1234"]}}
            )

    assert decode_public_token(anyio.run(main)).scopes == ["read:runs:run_1234"]
