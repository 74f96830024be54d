"""``path_segment``: any id either becomes exactly one encoded path segment or is refused."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger_client import InvalidArgumentError
from trigger_client._protocol.paths import MAX_ID_LENGTH, path_segment

UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!*'()%")


def refused(value: str) -> bool:
    return (
        value in ("", ".", "..")
        or len(value) > MAX_ID_LENGTH
        or any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
    )


@given(st.text(max_size=300) | st.text(alphabet="./?#%\\ \x00\n", max_size=6))
def test_an_id_is_one_segment_that_decodes_back_or_is_refused(value: str) -> None:
    if refused(value):
        with pytest.raises(InvalidArgumentError, match="run_id"):
            path_segment(value, "run_id")
        return
    segment = path_segment(value, "run_id")
    assert set(segment) <= UNRESERVED  # no "/", "?", "#", space or raw non-ASCII left
    assert unquote(segment, errors="strict") == value
    assert segment not in (".", "..")


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("run_1234", "run_1234"),
        ("a/b", "a%2Fb"),
        ("%2e%2e", "%252e%252e"),
        ("run#frag", "run%23frag"),
        ("ü", "%C3%BC"),
        ("my-task(1)!", "my-task(1)!"),  # encodeURIComponent leaves !*'() alone
        ("...", "..."),
    ],
)
def test_known_segments(value: str, segment: str) -> None:
    assert path_segment(value, "run_id") == segment


def test_a_value_that_is_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="batch_id"):
        path_segment(1234, "batch_id")


def test_a_value_that_is_not_a_string_is_named_by_its_type() -> None:
    with pytest.raises(TypeError) as caught:
        path_segment(1234, "batch_id")
    assert str(caught.value) == "batch_id must be a string id, not int"


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segments_are_refused(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        path_segment(value, "run_id")
    assert str(caught.value) == f"run_id cannot be {value!r} (it would name another path)"


def test_an_id_of_max_length_is_accepted_and_one_more_is_refused() -> None:
    assert path_segment("r" * MAX_ID_LENGTH, "run_id") == "r" * MAX_ID_LENGTH
    with pytest.raises(InvalidArgumentError) as caught:
        path_segment("r" * (MAX_ID_LENGTH + 1), "run_id")
    assert str(caught.value) == "run_id is 257 characters long; an id has at most 256"


@pytest.mark.parametrize(
    ("char", "code"), [("\ud800", "D800"), ("\udfff", "DFFF"), ("\x7f", "007F")]
)
def test_lone_surrogates_and_control_characters_are_refused(char: str, code: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        path_segment(f"run_{char}1", "run_id")
    assert str(caught.value) == f"run_id contains the character U+{code}, which no id has"
