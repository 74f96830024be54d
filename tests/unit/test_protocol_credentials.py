"""``clean_token``: surrounding whitespace goes, a token a header cannot carry is refused unseen."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import TriggerConfigurationError
from trigger_client._protocol.credentials import clean_token

VISIBLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
tokens = st.text(alphabet=VISIBLE_ASCII, min_size=1, max_size=40)
padding = st.text(alphabet=" \t\r\n\x0b\x0c", max_size=4)


@given(padding, tokens, padding)
def test_a_visible_ascii_token_loses_only_its_surrounding_whitespace(
    before: str, token: str, after: str
) -> None:
    assert clean_token(before + token + after, "TRIGGER_ACCESS_KEY") == token


@pytest.mark.parametrize("value", ["", " ", "\n", " \t\r\n "])
def test_an_empty_token_is_refused_naming_its_source(value: str) -> None:
    with pytest.raises(TriggerConfigurationError) as caught:
        clean_token(value, "the access_token argument")
    assert str(caught.value) == "the access token from the access_token argument is empty"


@pytest.mark.parametrize(
    ("value", "kind", "position"),
    [
        ("tr_dev_ab cd", "whitespace", 10),
        ("tr_dev_ab\tcd", "whitespace", 10),
        ("tr\x00dev", "a control character", 3),
        ("tr\x1bdev", "a control character", 3),
        ("tr_dev\x7f", "a control character", 7),
        ("tr_dév", "a non-ASCII character", 5),
        ("\x80tr_dev", "a non-ASCII character", 1),
        ("tr_dev\u00a0x", "whitespace", 7),
        ("tr_dev\u200bx", "a non-ASCII character", 7),
    ],
)
def test_a_character_a_header_cannot_carry_is_named_by_kind_and_position(
    value: str, kind: str, position: int
) -> None:
    with pytest.raises(TriggerConfigurationError) as caught:
        clean_token(value, "TRIGGER_SECRET_KEY")
    assert str(caught.value) == (
        f"the access token from TRIGGER_SECRET_KEY has {kind} at position {position}: "
        "an HTTP header cannot carry it (check for a stray quote, space or line break)"
    )


def test_the_first_refused_character_is_the_one_named() -> None:
    with pytest.raises(
        TriggerConfigurationError, match=re.escape("has a control character at position 2")
    ):
        clean_token("a\x01 é", "x")


def test_the_visible_ascii_bounds_are_accepted() -> None:
    assert clean_token("!~", "x") == "!~"


@given(
    tokens,
    st.characters(exclude_categories=["Cs"]).filter(lambda c: not "!" <= c <= "~"),
    tokens,
)
def test_a_refused_token_never_shows_its_characters(head: str, bad: str, tail: str) -> None:
    value = head + bad + "S3cr3t" + tail  # visible ASCII at both ends: nothing is stripped
    with pytest.raises(TriggerConfigurationError) as caught:
        clean_token(value, "TRIGGER_SECRET_KEY")
    message = str(caught.value)
    assert "S3cr3t" not in message
    assert f"at position {len(head) + 1}:" in message
