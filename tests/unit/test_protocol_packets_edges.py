"""Packets at their edges: the errors a bad packet raises (message and body), media type
parameters, and the charset of a downloaded packet (written from mutation survivors)."""

from __future__ import annotations

import pytest

from trigger_client import APIResponseValidationError
from trigger_client._protocol.packets import decode_downloaded_packet, decode_packet, media_type


def safe_id(value: object) -> str:
    """A test id that pytest takes back as a node id (printable ASCII, no backslash)."""
    return "".join(c if " " <= c <= "~" and c != "\\" else "_" for c in str(value))[:60]


@pytest.mark.parametrize("data_type", ["application/json", "application/super+json"])
def test_invalid_json_names_the_packet_type_and_keeps_the_first_1000_characters(
    data_type: str,
) -> None:
    data = "{x" + "y" * 2000
    with pytest.raises(APIResponseValidationError) as caught:
        decode_packet(data, data_type)
    assert caught.value.message == (
        f"the {data_type} packet is not valid JSON: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert caught.value.body == data[:1000]
    assert len(caught.value.body) == 1000


def test_invalid_json_of_a_parameterised_type_names_its_media_type() -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_packet("{", "Application/Super+JSON; v=1")
    assert caught.value.message.startswith("the application/super+json packet is not valid JSON: ")


@pytest.mark.parametrize("data", ["[1]", "1", '"json"', "[" + "0," * 600 + "0]"])
def test_a_superjson_packet_that_is_not_an_object_is_refused_with_its_body(data: str) -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_packet(data, "application/super+json")
    assert caught.value.message == "the application/super+json packet is not a JSON object"
    assert caught.value.body == data[:1000]


def test_a_short_invalid_packet_is_the_whole_body() -> None:
    with pytest.raises(APIResponseValidationError) as caught:
        decode_packet("nope", "application/json")
    assert caught.value.body == "nope"


def test_media_type_ignores_every_parameter() -> None:
    assert media_type("Application/JSON; charset=utf-8; v=1") == "application/json"
    assert decode_packet('{"a":1}', "application/json; charset=utf-8; v=1") == {"a": 1}


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ('application/json; charset="latin-1"', "é"),  # a quoted charset
        ("application/json; charset= latin-1 ", "é"),
        ("application/json; CHARSET=Latin-1", "é"),
        ("application/json; v=1; charset=latin-1", "é"),
        # not a codec: UTF-8, which cannot read the latin-1 byte
        ("application/json; charset=Xlatin-1X", "\ufffd"),
        ("application/json; charset=", "\ufffd"),
        ("application/json", "\ufffd"),
    ],
    ids=safe_id,
)
def test_the_charset_parameter_of_a_downloaded_packet(content_type: str, expected: str) -> None:
    assert decode_downloaded_packet('"é"'.encode("latin-1"), content_type) == expected
