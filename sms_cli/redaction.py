"""Keep secrets out of everything smsctl prints.

Every token smsctl loads is registered here, and every message on stderr, every JSON document and
every traceback passes through `redact` on its way out, so a token cannot leak through an error
text, a provider's echo of a URL, or a bug. Tokens in URLs (Connectel puts `authorization=` in
query strings, PROVIDERS.md §3.3) are redacted even when not registered.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 4
_secrets: set[str] = set()
_URL_TOKEN = re.compile(r"(?i)\b((?:authorization|api_?key)=)[^&\s\"'<>]+")


def register_secret(value: str | None) -> None:
    if value and len(value) >= _MIN_SECRET_LENGTH:
        _secrets.add(value)


def redact(text: str, *, urls: bool = True) -> str:
    """Replace registered secrets and, with `urls`, any `authorization=` value in a URL.

    Data documents pass urls=False: a message text may legitimately contain such a query string.
    """
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _URL_TOKEN.sub(rf"\1{REDACTED}", text) if urls else text


def mask(token: str) -> str:
    """Enough to tell two tokens apart, never enough to use one: `ab…yz`."""
    if len(token) < 10:
        return "*" * 6
    return f"{token[:2]}…{token[-2:]}"
