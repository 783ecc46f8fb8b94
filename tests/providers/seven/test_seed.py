"""seven.io seed literals (tests/fixtures/seven/) read by the production parsers.

The client's send path over HTTP is tested with the same bodies in
tests/providers/seven/test_replay.py; here the pure parsers and the fixtures' own facts.
"""

from __future__ import annotations

import pytest

from sms_cli.core.segments import split_binary
from sms_cli.providers.seven.client import CODE_TEXTS, code_of, encoding_of, parse_text_answer
from tests.fixtures import fixture_json, fixture_text

CODES = fixture_json("seven", "return_codes.json")


def test_the_json_example_keeps_the_seed_quirks() -> None:
    body = fixture_json("seven", "send_json_debug.json")
    assert body["success"] == "100" and body["debug"] == "true"  # strings, not 100 / true
    assert code_of(body) is None  # an answer with messages, not a bare code
    (message,) = body["messages"]
    assert message["id"] is None and message["success"] is True
    assert encoding_of(message["encoding"]) == "gsm"
    assert body["balance"] == 14.693


@pytest.mark.parametrize("language", ["en", "de"])
def test_return_msg_id_answers(language: str) -> None:
    text = fixture_text("seven", f"send_text_return_msg_id_{language}.txt")
    # The English page prints "100 123456789" on one line, the German one two lines.
    assert ("\n" in text) == (language == "de")
    answer = parse_text_answer(text)
    assert answer is not None
    assert (answer.code, answer.id, answer.details) == ("100", "123456789", {})


@pytest.mark.parametrize("language", ["en", "de"])
def test_details_answers(language: str) -> None:
    answer = parse_text_answer(fixture_text("seven", f"send_text_details_{language}.txt"))
    assert answer is not None
    assert answer.code == "100" and answer.id is None
    assert answer.details == {
        "booked": "0",
        "price": "0.089",
        "balance": "27.38",
        "text": "Test SMS",
        "sms_type": "direct",
        "flash": "off",
        "encoding": "ASCII",
        "gsm0338": "true",
        "debug": "true",
    }
    assert encoding_of(answer.details["encoding"]) == "gsm"  # §7.D.1: ASCII is GSM


@pytest.mark.parametrize(
    "text",
    ["", "OK", "100\nnot a label: x", "100 SMS sent", "<html>100</html>", "100\nPreis: 1\nfoo"],
)
def test_other_text_is_not_an_answer(text: str) -> None:
    assert parse_text_answer(text) is None


def test_the_german_table_adds_700() -> None:
    assert set(CODES["de"]) - set(CODES["en"]) == {"700"}
    assert set(CODES["en"]) <= set(CODES["de"])


@pytest.mark.parametrize("code", sorted(set(CODES["en"]) | set(CODES["de"])))
def test_every_seed_code_has_our_text(code: str) -> None:
    assert code in CODE_TEXTS
    assert code_of(code) == code and code_of(int(code)) == code and code_of(f" {code}\n") == code


def test_binary_segments_count_octets_with_the_udh() -> None:
    udh = "050003CC0201"  # the seed's example: 6 octets
    assert split_binary("00" * 134, udh).segment_count == 1
    two = split_binary("00" * 135, udh)
    assert (two.segment_count, two.units, two.per_segment_limit) == (2, 135, 134)
    assert [s.units for s in two.segments] == [134, 1]
    assert two.segments[1].text == "00" and two.non_gsm == ()
