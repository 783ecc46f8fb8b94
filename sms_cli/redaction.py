"""Keep secrets out of everything smsctl prints.

Every token smsctl loads is registered here, and every message on stderr, every JSON document and
every traceback passes through `redact` on its way out, so a token cannot leak through an error
text, a provider's echo of a URL, or a bug. A registered secret is found in every encoding it can
travel in: raw, JSON-escaped, URL- and form-encoded. Tokens in the places providers put them
(Connectel's `authorization` field and query parameter, PROVIDERS.md §3.3; `X-Api-Key`,
`Authorization: Bearer`) are redacted even when not registered.

Text from a provider is cut to a readable size only with `shorten`, which redacts the whole text
first: cutting first could leave a token's prefix that no longer matches anything.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 4
# A cut elsewhere (a provider's own truncation, a cropped table cell) may leave a secret's prefix
# before an ellipsis or its suffix after one: fragments this long are removed there too.
_MIN_FRAGMENT = 6
_secrets: set[str] = set()
_variants: list[str] = []  # every encoding of every secret, longest first

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
    """Provider or caller text for a message: redacted whole, then cut to `limit` characters."""
    text = redact(text.strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask(token: str) -> str:
    """Enough to tell two tokens apart, never enough to use one: `ab…yz`."""
    if len(token) < 10:
        return "*" * 6
    return f"{token[:2]}…{token[-2:]}"
