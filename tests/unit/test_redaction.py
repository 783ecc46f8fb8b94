"""Redaction: a registered token in every encoding it travels in, tokens in the places providers
put them, and redact-then-shorten never leaving a piece of a token behind."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sms_cli.core.redaction import (
    REDACTED,
    WITHHELD,
    provider_text,
    redact,
    register_secret,
    shorten,
)

TOKEN = 'CANARY-u7/+q 9"z\\x-4e1f0c2b'  # characters every encoding treats differently


@pytest.fixture(autouse=True)
def registered_token() -> None:
    """Registered for each test: tests/conftest.py forgets every secret after each one."""
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
    # The surrounding text must not already hold a piece of the token on its own, nor must
    # smsctl's own placeholders ('provid' is a piece of 'provid000000' and of WITHHELD).
    assume(not any(p in before + "\0" + after for p in pieces(token)))
    assume(not any(p in REDACTED + "\0" + WITHHELD for p in pieces(token)))
    register_secret(token)
    shortened = shorten(before + token + after, limit)
    assert len(shortened) <= max(limit, 1)
    leaked = [p for p in pieces(token) if p in shortened]
    assert leaked == []


# -- provider text: any echo of a piece of the token withholds the text --------------------------


def html_entities(text: str, hexadecimal: bool) -> str:
    return "".join(f"&#x{ord(c):x};" if hexadecimal else f"&#{ord(c)};" for c in text)


def backslash_u(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


ENCODINGS = {
    "raw": lambda t: t,
    "url-lower": lambda t: quote(t, safe="").lower(),
    "url-upper": lambda t: quote(t, safe=""),
    "form": quote_plus,
    "form-decoded-plus": lambda t: t.replace("+", " "),
    "json": lambda t: json.dumps(t)[1:-1],
    "php-json": lambda t: json.dumps(t)[1:-1].replace("/", "\\/"),
    "html-dec": lambda t: html_entities(t, False),
    "html-hex": lambda t: html_entities(t, True),
    "backslash-u": backslash_u,
    "wbr": lambda t: "<wbr>".join(t[i : i + 5] for i in range(0, len(t), 5)),
    "json-in-json": lambda t: json.dumps(json.dumps(t)[1:-1])[1:-1],
}


@pytest.mark.parametrize(
    "text",
    [
        f"invalid key {TOKEN[:10]} (cut)",
        f"key ending in {TOKEN[-8:]}",
        f"bad {quote(TOKEN, safe='').lower()}",
        f"bad {json.dumps(TOKEN)[1:-1].replace('/', chr(92) + '/')}",
        f"bad {html_entities(TOKEN[3:12], False)}",
        f"bad {html_entities(TOKEN[3:12], True)}",
        f"<p>bad {TOKEN[:5]}<wbr>{TOKEN[5:11]}</p>",
        f"bad {TOKEN.replace('+', ' ')}",
        f"not JSON {backslash_u(TOKEN[:7])}",
    ],
    ids=["prefix", "suffix", "url-lower", "php", "html-dec", "html-hex", "wbr", "plus", "u"],
)
def test_provider_text_echoing_a_piece_of_the_token_is_withheld(text: str) -> None:
    assert provider_text(text) == WITHHELD
    assert shorten(text) == WITHHELD


def test_provider_text_without_the_token_is_kept() -> None:
    assert provider_text("Invalid sender &amp; <b>no</b> credit%21") == (
        "Invalid sender &amp; <b>no</b> credit%21"
    )
    assert provider_text(TOKEN[:5] + " only five") == TOKEN[:5] + " only five"


@given(
    token=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=10, max_size=60),
    encoding=st.sampled_from(sorted(ENCODINGS)),
    before=st.text(ALPHABET, max_size=80),
    after=st.text(ALPHABET, max_size=80),
    start=st.integers(min_value=0, max_value=400),
    stop=st.integers(min_value=0, max_value=400),
)
def test_provider_text_never_leaves_a_piece_of_the_token(
    token: str, encoding: str, before: str, after: str, start: int, stop: int
) -> None:
    """Any token, in any of these encodings, cut anywhere (a provider's own truncation)."""
    assume(not any(p in before + "\0" + after + "\0" + WITHHELD for p in pieces(token)))
    register_secret(token)
    encoded = ENCODINGS[encoding](token)
    text = before + encoded[min(start, stop) : max(start, stop)] + after
    shown = provider_text(text)
    assert [p for p in pieces(token) if p in shown] == []
    shortened = shorten(text, 50)
    assert [p for p in pieces(token) if p in shortened] == []
