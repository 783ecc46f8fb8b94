"""Keep secrets out of everything smsctl prints.

Every token smsctl loads is registered here, and every message on stderr, every JSON document and
every traceback passes through `redact` on its way out, so a token cannot leak through an error
text, a provider's echo of a URL, or a bug. A registered secret is found in every encoding it can
travel in: raw, JSON-escaped, URL- and form-encoded. Tokens in the places providers put them
(an `authorization` field and query parameter, PROVIDERS.md §3.3; `X-Api-Key`,
`Authorization: Bearer`) are redacted even when not registered.

Text from a provider (an error body, an error text) goes through `provider_text`: a provider
echoing our token may have encoded it in ways no list of encodings foresees (lower-case percent
escapes, `\\/`, HTML character references, a `<wbr>` inside it, `+` read as a space) or cut it
anywhere. So a normalised copy of the text is searched for any 6-character piece of a secret,
and a text with one is withheld whole. It is then cut to a readable size only with `shorten`,
which redacts the whole text first: cutting first could leave a piece that no longer matches.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, quote_plus, unquote

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 4
# A cut elsewhere (a provider's own truncation, a cropped table cell) may leave a secret's prefix
# before an ellipsis or its suffix after one: fragments this long are removed there too.
_MIN_FRAGMENT = 6
_secrets: set[str] = set()
_variants: list[str] = []  # every encoding of every secret, longest first
# Every _MIN_FRAGMENT-character piece of every secret and of each encoding, `+` read as a space.
_pieces: set[str] = set()
WITHHELD = "[provider text withheld: it echoed the token]"
_SCANNED = 1 << 16  # the start of a provider text that is checked, and kept

_NAMES = r"authorization|x-api-key|api[_-]?key|access[_-]?token"
# `authorization=...` in a URL or a form body.
_URL_TOKEN = re.compile(rf"(?i)\b((?:{_NAMES})=)[^&\s\"'<>]+")
# `"authorization": "..."` in JSON, also when the text was cut before the closing quote, and when
# the JSON itself sits JSON-escaped in another document.
_QUOTE = r"""(?:\\?"|')"""  # a quote, or a JSON-escaped one
_JSON_VALUE = r"""(?:\\u[0-9a-fA-F]{4}|\\[^"u]|[^"'\\])*"""
_JSON_TOKEN = re.compile(rf"(?i)({_QUOTE}(?:{_NAMES}){_QUOTE}\s*:\s*{_QUOTE}){_JSON_VALUE}")
# `Authorization: Bearer ...`, `X-Api-Key: ...` as header lines.
_HEADER_TOKEN = re.compile(rf"(?im)\b((?:{_NAMES})[ \t]*:[ \t]*)(?![\s\"'\\])[^\r\n\"']+")
_BEARER = re.compile(r"(?i)\b(Bearer[ \t]+)[A-Za-z0-9\-._~+/]{4,}=*")
_ELLIPSES = ("…", "...")


def register_secret(value: str | None) -> None:
    if value and len(value) >= _MIN_SECRET_LENGTH and value not in _secrets:
        _secrets.add(value)
        variants = {
            value,
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            quote(value, safe=""),
            quote(value),
            quote_plus(value),
        }
        # A JSON document inside another (a provider echoing our JSON body, then printed as JSON).
        variants |= {json.dumps(v)[1:-1] for v in list(variants)}
        _variants[:] = sorted(set(_variants) | variants, key=len, reverse=True)
        for variant in variants:
            _pieces.update(_grams(_plus_as_space(variant)))


def forget_secrets() -> None:
    """Forget every registered secret: the registry is process-wide, and a test harness runs many
    profiles in one process (one test's token must not redact the next test's output)."""
    _secrets.clear()
    _variants.clear()
    _pieces.clear()


def _grams(text: str) -> set[str]:
    return {text[i : i + _MIN_FRAGMENT] for i in range(len(text) - _MIN_FRAGMENT + 1)}


def _plus_as_space(text: str) -> str:
    return text.replace("+", " ")


def _echoes(text: str) -> bool:
    text = _plus_as_space(text)
    size = _MIN_FRAGMENT
    return any(text[i : i + size] in _pieces for i in range(len(text) - size + 1))


# Tags a provider may put inside a word (`<wbr>`, `<span>`), and invisible characters.
_TAG = re.compile(r"<[/a-zA-Z!?][^<>]{0,40}>")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_BACKSLASH = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", re.DOTALL)
_ESCAPED = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "0": "\0"}


def _unbackslash(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        char = match.group(3)
        return _ESCAPED.get(char, char)

    return _BACKSLASH.sub(one, text)


_DECODINGS = (
    lambda text: _TAG.sub("", text),
    lambda text: _INVISIBLE.sub("", text),
    html.unescape,
    unquote,  # %2f and %2F alike
    _unbackslash,  # JSON and PHP escapes (\/, \uXXXX), in any body
)


def provider_text(text: str) -> str:
    """A provider's own words for a message, or WITHHELD when they echo a piece of a secret:
    in the text as it came, or once decoded (each decoding in turn, twice over, for nested
    encodings), a `+` counting as a space. Redacted as any output is. Not for smsctl's own
    documents: only text a provider wrote."""
    text = text[:_SCANNED]
    if _pieces:
        seen = text
        if _echoes(seen):
            return WITHHELD
        for _ in range(2):
            for decode in _DECODINGS:
                decoded = decode(seen)
                if decoded != seen:
                    seen = decoded
                    if _echoes(seen):
                        return WITHHELD
    return redact(text)


def redact(text: str, *, urls: bool = True) -> str:
    """Replace registered secrets (every encoding) and, with `urls`, tokens in the named places.

    Data documents pass urls=False: a message text may legitimately contain such a query string.
    """
    for variant in _variants:
        if variant in text:
            text = text.replace(variant, REDACTED)
    if any(mark in text for mark in _ELLIPSES):
        text = _fragments(text)
    if not urls:
        return text
    text = _URL_TOKEN.sub(rf"\1{REDACTED}", text)
    text = _JSON_TOKEN.sub(rf"\1{REDACTED}", text)
    text = _HEADER_TOKEN.sub(rf"\1{REDACTED}", text)
    return _BEARER.sub(rf"\1{REDACTED}", text)


def _fragments(text: str) -> str:
    """A secret's prefix just before an ellipsis, or its suffix just after one."""
    for secret in _secrets:
        for mark in _ELLIPSES:
            for size in range(len(secret) - 1, _MIN_FRAGMENT - 1, -1):
                head, tail = secret[:size], secret[-size:]
                if head + mark in text:
                    text = text.replace(head + mark, REDACTED + mark)
                if mark + tail in text:
                    text = text.replace(mark + tail, mark + REDACTED)
    return text


def shorten(text: str, limit: int = 200) -> str:
    """Provider text for a message: checked and redacted whole (`provider_text`), then cut to
    `limit` characters."""
    text = provider_text(text.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask(token: str) -> str:
    """Enough to tell two tokens apart, never enough to use one: `ab…yz`."""
    if len(token) < 10:
        return "*" * 6
    return f"{token[:2]}…{token[-2:]}"
