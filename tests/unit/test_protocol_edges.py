"""Edges of the pure core that mutation testing (docs/testing.md) found unchecked: the exact text of
errors a user reads, status and time boundaries, and small helpers only reached through I/O.

Each test names the behaviour; a message is checked whole because it is what a user reads (and
must never carry a secret)."""

from __future__ import annotations

import base64
import json
import ssl
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from trigger_client import APIResponseValidationError, Scopes
from trigger_client._protocol.packets import decode_downloaded_packet, encode_packet
from trigger_client._protocol.retry import (
    classify_exception,
    classify_status,
    connection_error_message,
    untrusted_certificate,
)
from trigger_client._protocol.scopes import flatten_scopes
from trigger_client._protocol.tokens import (
    decode_public_token,
    parse_duration,
    parse_expiration,
    sign_public_token,
)

# -- retry: statuses and connection failures ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (199, "fatal"),
        (200, "ok"),
        (299, "ok"),
        (300, "fatal"),
        (301, "fatal"),
        (408, "transient"),
        (429, "transient"),
        (499, "fatal"),
        (500, "transient"),
        (599, "transient"),
        (600, "fatal"),
        (601, "fatal"),
    ],
)
def test_status_classes_at_their_boundaries(status: int, kind: str) -> None:
    assert classify_status(status) == kind


def test_x_should_retry_is_read_whatever_the_header_mapping() -> None:
    assert classify_status(400, headers={"x-should-retry": "true"}) == "transient"
    assert classify_status(400, headers={"X-Should-Retry": " TRUE "}) == "transient"
    assert classify_status(503, headers={"X-SHOULD-RETRY": "false"}) == "fatal"
    assert classify_status(503, headers=httpx.Headers({"X-Should-Retry": "false"})) == "fatal"
    assert classify_status(503, headers={"x-should-retry": "maybe"}) == "transient"


def _verification_error(message: str | None, reason: str | None) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = message  # type: ignore[assignment]
    error.reason = reason  # type: ignore[misc]
    return error


def _wrapped(inner: BaseException, *, how: str) -> httpx.ConnectError:
    outer = httpx.ConnectError("connect failed")
    if how == "cause":
        outer.__cause__ = inner
    else:
        outer.__context__ = inner
    return outer


@pytest.mark.parametrize("how", ["cause", "context"])
def test_an_untrusted_certificate_is_found_behind_causes_and_contexts(how: str) -> None:
    failure = _verification_error("self-signed certificate", None)
    middle = OSError("tls")
    middle.__cause__ = failure
    exc = _wrapped(middle, how=how)
    assert untrusted_certificate(exc) is failure
    assert classify_exception(exc) == "fatal"
    assert classify_exception(httpx.ConnectError("refused")) == "transient"


def test_a_cycle_of_causes_ends_the_search() -> None:
    first, second = OSError("a"), OSError("b")
    first.__context__ = second
    second.__context__ = first
    assert untrusted_certificate(first) is None
    third = OSError("c")
    third.__context__ = third
    assert untrusted_certificate(third) is None


@pytest.mark.parametrize(
    ("message", "reason", "shown"),
    [
        ("self-signed certificate", "CERTIFICATE_VERIFY_FAILED", "self-signed certificate"),
        (None, "CERTIFICATE_VERIFY_FAILED", "CERTIFICATE_VERIFY_FAILED"),
        (None, None, "verification failed"),
        ("", "", "verification failed"),
    ],
)
def test_the_certificate_error_message(message: str | None, reason: str | None, shown: str) -> None:
    exc = _wrapped(_verification_error(message, reason), how="cause")
    assert connection_error_message(exc) == (
        f"Connection error: the server's TLS certificate is not trusted ({shown}). Point "
        "SSL_CERT_FILE at the CA bundle that signed it, or pass an http_client configured "
        "with verify=..."
    )
    assert connection_error_message(httpx.ReadTimeout("slow")) == "Connection error: ReadTimeout"


# -- packets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json;charset=latin-1",
        "application/json; charset=latin-1",
        'application/json; charset="latin-1"',
        "application/json; foo=bar; CHARSET = latin-1",
    ],
)
def test_a_downloaded_packet_is_read_in_its_charset(content_type: str) -> None:
    assert decode_downloaded_packet(b'"caf\xe9"', content_type) == "café"


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "application/json; charset=nonsense"]
)
def test_a_downloaded_packet_is_utf8_by_default(content_type: str | None) -> None:
    assert decode_downloaded_packet('"café"'.encode(), content_type) == "café"


def test_a_downloaded_store_reference_is_refused() -> None:
    with pytest.raises(
        APIResponseValidationError,
        match="^a downloaded packet cannot itself be an application/store reference$",
    ):
        decode_downloaded_packet(b"x", "application/store")


def test_a_packet_keeps_non_ascii_text() -> None:
    data, _ = encode_packet({"text": "é"})
    assert "é" in data  # not escaped


# -- tokens ------------------------------------------------------------------------------------

_FORMS = (
    'a duration string such as "15m", "1h", "2 days", "1.5hrs" or "30s from now", a timedelta, '
    "a datetime, or an absolute time in epoch seconds"
)


def test_expiration_errors_name_the_accepted_forms() -> None:
    with pytest.raises(TypeError, match="^expiration time must be .*, not list$") as info:
        parse_expiration([1], now=0)  # type: ignore[arg-type]
    assert str(info.value) == f"expiration time must be {_FORMS}, not list"
    with pytest.raises(ValueError) as error:
        parse_expiration(3600, now=0)
    assert str(error.value) == (
        "expiration time 3600 is not an absolute time in epoch seconds (numbers are absolute, as "
        'in the official SDK): for a duration pass "1h" or a timedelta, and convert milliseconds '
        "to seconds"
    )


def test_expiration_bounds() -> None:
    assert parse_expiration(1_000_000_000, now=0) == 1_000_000_000
    assert parse_expiration(99_999_999_999.5, now=0) == 99_999_999_999
    with pytest.raises(ValueError):
        parse_expiration(100_000_000_000, now=0)
    with pytest.raises(ValueError, match="is too large"):
        parse_duration(f"{100_000_000_000}s")
    assert parse_duration(f"{100_000_000_000 - 1}s") == 100_000_000_000 - 1
    naive = datetime(2030, 1, 1, 0, 0, 0)
    aware = datetime(2030, 1, 1, 2, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert parse_expiration(naive, now=0) == parse_expiration(aware, now=0) == 1893456000
    assert parse_duration("5m FROM NOW") == 300
    assert parse_duration("5m Ago") == -300


def test_sign_public_token_rejects_a_missing_key_and_writes_strict_json() -> None:
    for key in ("", None):
        with pytest.raises(TypeError, match="^secret_key must be a non-empty string$"):
            sign_public_token({"a": 1}, key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sign_public_token({"x": float("nan")}, "tr_dev_key")
    token = sign_public_token({"name": "é"}, "tr_dev_ké")
    head, body, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(head + "==")) == {"alg": "HS256"}
    assert base64.urlsafe_b64decode(body + "==").decode() == '{"name":"é"}'


@pytest.mark.parametrize(
    ("token", "error", "message"),
    [
        (123, TypeError, "^token must be a string, not int$"),
        ("a.b", ValueError, "^not a JWT: expected three base64url parts separated by '.'$"),
        ("a..c", ValueError, "^not a JWT: expected three base64url parts separated by '.'$"),
        ("a.b c.d", ValueError, "^not a JWT: expected three base64url parts separated by '.'$"),
        ("e30.!!.x", ValueError, "^not a JWT: expected three base64url parts"),
        (
            "e30.bm90IGpzb24.x",
            ValueError,
            "^not a JWT: its header or payload is not base64url-encoded JSON$",
        ),
        ("e30.WzFd.x", ValueError, "^not a JWT: its header or payload is not a JSON object$"),
    ],
)
def test_decode_public_token_errors(token: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode_public_token(token)  # type: ignore[arg-type]


def test_decode_public_token_keeps_only_well_typed_claims() -> None:
    def jwt(payload: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        return f"e30.{body}."

    claims = decode_public_token(jwt({"sub": 1, "realtime": [], "iss": 2, "aud": 3}))
    assert (claims.sub, claims.realtime, claims.iss, claims.aud) == (None, None, None, None)
    claims = decode_public_token(
        jwt({"sub": "env", "realtime": {"a": 1}, "iss": "i", "aud": ["x"]})
    )
    assert (claims.sub, claims.realtime, claims.iss, claims.aud) == ("env", {"a": 1}, "i", ["x"])
    # an unpadded segment of each length decodes
    for text in ("a", "ab", "abc", "abcd"):
        assert decode_public_token(jwt({"sub": text})).sub == text
    exp = decode_public_token(jwt({"exp": 2_000_000_000}))
    assert exp.expires_in(datetime(2033, 5, 18, 3, 33, 20)) == timedelta(0)  # naive: UTC
    assert exp.expires_in(datetime(2033, 5, 18, 3, 33, 20, tzinfo=UTC)) == timedelta(0)


# -- scopes ------------------------------------------------------------------------------------


def test_scope_builders() -> None:
    assert Scopes.read_tag("a", "b").flatten() == ["read:tags:a", "read:tags:b"]
    assert Scopes.read_batch_runs("batch_1").flatten() == ["read:batch:batch_1"]
    assert Scopes.batch_trigger_task("t").flatten() == ["batchTrigger:tasks:t"]
    assert (Scopes(read_runs=True) | Scopes(read_runs=["run_1"])).flatten() == ["read:runs"]
    assert (Scopes(read_runs=["run_1"]) | Scopes(read_runs=True)).flatten() == ["read:runs"]


def test_scope_errors_say_what_is_wrong() -> None:
    with pytest.raises(
        TypeError,
        match=(
            r"^scopes must be a mapping such as \{'read': \{'runs': \['run_1234'\]\}\} or a "
            r"Scopes, not list$"
        ),
    ):
        flatten_scopes([])  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=(
            r"^scopes\['read'\] must be a mapping of resource types to ids, such as "
            r"\{'runs': \['run_1234'\]\}, not int$"
        ),
    ):
        flatten_scopes({"read": 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="^an action must be a string, not int$"):
        flatten_scopes({1: True})  # type: ignore[dict-item]
    with pytest.raises(
        TypeError,
        match=r"^scopes\['read'\]\['runs'\] must be an id string, a list of ids, True or None, not int$",
    ):
        flatten_scopes({"read": {"runs": 3}})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"^scopes\['read'\]\['runs'\] is an empty id"):
        flatten_scopes({"read": {"runs": ""}})
    with pytest.raises(TypeError, match="^a scope id must be an id string, not int$"):
        Scopes(read_runs=[1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="^a scope id must be an id string, not int$"):
        Scopes(read_runs=(1,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^a scope id is an empty id"):
        Scopes(read_runs="")


def test_scopes_keep_going_past_a_resource_without_ids() -> None:
    assert flatten_scopes({"read": None, "write": {"runs": None, "tags": ["a"]}}) == [
        "write:tags:a"
    ]
    assert flatten_scopes({"read": False, "admin": True}) == ["admin"]


# -- runs: the REST retrieve body ----------------------------------------------------------------


def test_retrieve_reads_the_delay_and_expiry_times() -> None:
    from tests.unit.test_protocol_runs import RETRIEVE_BODY
    from trigger_client._protocol.runs import run_from_retrieve

    body = {
        **RETRIEVE_BODY,
        "delayedUntil": "2026-06-06T11:00:00.000Z",
        "expiredAt": "2026-06-06T12:00:00.000Z",
    }
    run = run_from_retrieve(body, payload=None, output=None)
    assert run.delayed_until == datetime(2026, 6, 6, 11, tzinfo=UTC)
    assert run.expired_at == datetime(2026, 6, 6, 12, tzinfo=UTC)
    assert run.queued_at is None


def test_retrieve_errors_name_the_run_and_carry_the_body() -> None:
    from tests.unit.test_protocol_runs import RETRIEVE_BODY
    from trigger_client._protocol.runs import run_from_retrieve

    with pytest.raises(APIResponseValidationError) as info:
        run_from_retrieve([1], payload=None, output=None)  # type: ignore[arg-type]
    assert str(info.value) == "invalid run in the API response: not an object"
    assert info.value.body == [1]
    with pytest.raises(APIResponseValidationError) as missing:
        run_from_retrieve({**RETRIEVE_BODY, "id": None}, payload=None, output=None)
    assert str(missing.value) == "invalid run in the API response: $.id must be a string, got None"
    with pytest.raises(APIResponseValidationError) as wrong:
        run_from_retrieve({**RETRIEVE_BODY, "createdAt": "nope"}, payload=None, output=None)
    assert str(wrong.value).startswith("invalid run in the API response: ")


# -- more scope, token and shape-log edges -------------------------------------------------------


def test_scopes_are_read_past_an_action_without_resources() -> None:
    from trigger_client._protocol.scopes import scope_allows

    assert flatten_scopes({"admin": True, "read": {"runs": True}}) == ["admin", "read:runs"]
    assert scope_allows(["read", "write:runs", "read:runs"], "read", "runs")
    assert not scope_allows(["read", "write:runs"], "read", "runs")


def test_a_jwt_error_says_why_in_its_cause() -> None:
    with pytest.raises(ValueError) as info:
        decode_public_token("e30.bm90IGpzb24.x")
    assert str(info.value.__cause__) == "not base64url-encoded JSON"


def test_times_in_another_zone_are_read_as_such() -> None:
    plus_two = timezone(timedelta(hours=2))
    body = base64.urlsafe_b64encode(json.dumps({"exp": 2_000_000_000}).encode()).decode()
    claims = decode_public_token(f"e30.{body.rstrip('=')}.")
    assert claims.expires_in(datetime(2033, 5, 18, 5, 33, 20, tzinfo=plus_two)) == timedelta(0)
    assert parse_expiration(datetime(2030, 1, 1, 2, tzinfo=plus_two), now=0) == 1893456000


def test_a_naive_expiration_is_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        exp = parse_expiration(datetime(2030, 1, 1), now=0)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert exp == 1893456000


def test_a_delete_of_a_row_never_seen_is_ignored() -> None:
    from tests.unit.test_protocol_shape_log import KEY2, delete, respond, up_to_date_log

    log = up_to_date_log()
    batch = respond(log, [delete(KEY2), UP_TO_DATE], offset="2_0", schema=False, cursor="c2")
    assert not batch.stale and batch.up_to_date
    assert set(log.rows) == {'"public"."TaskRun"/"r1"'}


UP_TO_DATE = {"headers": {"control": "up-to-date"}}
