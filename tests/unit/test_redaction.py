"""Redaction: a registered token in every encoding it travels in, tokens in the places providers
put them, and redact-then-shorten never leaving a piece of a token behind."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sms_cli.redaction import REDACTED, redact, register_secret, shorten

TOKEN = 'CANARY-u7/+q 9"z\\x-4e1f0c2b'  # characters every encoding treats differently
register_secret(TOKEN)


def pieces(token: str, size: int = 6) -> set[str]:
    return {token[i : i + size] for i in range(len(token) - size + 1)}


@pytest.mark.parametrize(
    "encoded",
    [
        TOKEN,
        json.dumps(TOKEN)[1:-1],
        json.dumps(json.dumps(TOKEN)[1:-1])[1:-1],  # JSON inside JSON
        quote(TOKEN, safe=""),
        quote(TOKEN),
        quote_plus(TOKEN),
    ],
    ids=["raw", "json", "json-in-json", "url", "url-path", "form"],
)
@pytest.mark.parametrize("urls", [True, False])
def test_a_registered_token_is_found_in_every_encoding(encoded: str, urls: bool) -> None:
    text = redact(f"before {encoded} after", urls=urls)
    assert text == f"before {REDACTED} after"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('{"authorization":"abcdef123456","to":"1"}', '{"authorization":"[redacted]","to":"1"}'),
        ('{"authorization": "abcdef12', '{"authorization": "[redacted]'),  # cut mid-token
        ('{\\"api_key\\":\\"abcdef123456\\"}', '{\\"api_key\\":\\"[redacted]\\"}'),
        ("GET /d?authorization=abcdef123456&id=1", "GET /d?authorization=[redacted]&id=1"),
        ("to=1&api_key=abc%2Fdef", "to=1&api_key=[redacted]"),
        ("Authorization: Bearer abcdef123456\r\nHost: x", "Authorization: [redacted]\r\nHost: x"),
        ("x-api-key: abcdef123456", "x-api-key: [redacted]"),
        ("sent with bearer abcdef123456, then", "sent with bearer [redacted], then"),
    ],
)
def test_unregistered_tokens_in_the_places_providers_put_them(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_a_prefix_or_suffix_left_by_a_cut_elsewhere_is_removed() -> None:
    assert redact(f"echo: {TOKEN[:12]}…") == f"echo: {REDACTED}…"
    assert redact(f"...{TOKEN[-9:]} end") == f"...{REDACTED} end"


def test_shorten_redacts_before_it_cuts() -> None:
    for cut in range(1, len(TOKEN)):
        text = "x" * (200 - cut) + TOKEN + " and more"
        shortened = shorten(text)
        assert len(shortened) <= 200
        assert not [p for p in pieces(TOKEN) if p in shortened]


ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
TOKENS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=12, max_size=48)


@given(
    token=TOKENS,
    before=st.text(ALPHABET, max_size=300),
    after=st.text(ALPHABET, max_size=300),
    limit=st.integers(min_value=1, max_value=400),
)
def test_redact_then_shorten_never_leaves_a_piece_of_the_token(
    token: str, before: str, after: str, limit: int
) -> None:
    # The surrounding text must not already hold a piece of the token on its own.
    assume(not any(p in before + "\0" + after for p in pieces(token)))
    register_secret(token)
    shortened = shorten(before + token + after, limit)
    assert len(shortened) <= max(limit, 1)
    leaked = [p for p in pieces(token) if p in shortened]
    assert leaked == []
