"""A loopback emulator of Textbelt's HTTP API, on smsctl's emulator kit (control API, faults).

Routes (docs.textbelt.com, "Getting started" and "Other API endpoints"):

    POST /text            form or JSON: phone, message, key, sender, replyWebhookUrl, webhookData
    GET  /status/:textId  {"status": "SENDING" | "SENT" | "DELIVERED" | "FAILED" | "UNKNOWN"}
    GET  /quota/:key      {"success": true, "quotaRemaining": N}

Keys: any of the kit's `tokens` (`sandbox-token` by default); a key with `_test` appended sends
nothing and spends no quota, as the docs describe. Each accepted message costs one credit of the
`quota` knob (default 1000); at 0 the answer is the docs' "Out of quota" refusal.

Knobs (`set`): `quota` (int), `auth_style` ("200": an unknown key is answered 200 with
success false, the default; "401"/"403": that HTTP status), `replay` (literal answers for the
next API requests, in order: a body text or {body, status, content_type}: the docs' examples),
`callback_url` (where replies go for a number whose messages named no replyWebhookUrl: the
URL a user would give with each send).

Delivery: each message goes SENDING, then the `script` for its number (default DELIVERED); a
status query moves it one state on (`auto_advance`). Textbelt pushes no delivery reports.

Replies (`inbound` {"from", "to", "text"}): pushed as JSON {textId, fromNumber, text, data} to
the replyWebhookUrl of the last message sent to `from` (else `reply_url`), signed as Textbelt
signs them: X-textbelt-timestamp (Unix seconds) and X-textbelt-signature, the hex HMAC-SHA256
of timestamp + body keyed with the API key that sent the message.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from sms_cli.providers.emulation import Callback, Emulator, EmuRequest, EmuResponse

DEFAULT_QUOTA = 1000
DEFAULT_SCRIPT = ("DELIVERED",)
TEST_SUFFIX = "_test"
MAX_MESSAGE = 800  # the plugin's own bound (INFO.max_text_chars); Textbelt names none [U]
# Error texts: "Out of quota" is the docs' own; the others are ours [U] (README.md).
OUT_OF_QUOTA = "Out of quota"
BAD_KEY = "Invalid API key"
INCOMPLETE = "Incomplete request: phone, message and key are required"
BAD_PHONE = "Invalid phone number"
NOT_FOUND = "Text not found"


@dataclass
class _Text:
    text_id: str
    phone: str  # digits, as sent (10 digits: a US/CA number)
    message: str
    key: str
    reply_url: str | None
    data: str | None
    statuses: list[str]
    to: str  # E.164 (a plain 10-digit number is a US/CA one)
    position: int = 0

    @property
    def status(self) -> str:
        return self.statuses[self.position]


def signature(key: str, timestamp: str, body: bytes) -> str:
    """Textbelt's reply signature: hex HMAC-SHA256 of the timestamp then the raw body."""
    return hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


class TextbeltEmulator(Emulator):
    name = "textbelt"
    # The raw states that end in each common status (`script {"outcome": ...}`); Textbelt has no
    # word for an expiry or an operator's refusal, so those outcomes cannot be scripted.
    outcomes: ClassVar[dict[str, list[str]]] = {
        "delivered": ["SENT", "DELIVERED"],
        "failed": ["SENT", "FAILED"],
        "unknown": ["UNKNOWN"],
        "enroute": ["SENT"] * 200,
    }
    # Textbelt pushes replies only; it has no delivery-report webhook.
    callback_events: ClassVar[frozenset[str]] = frozenset({"inbound"})
    # No quota left: the docs' "Out of quota" refusal (the client's account code `quota`).
    account_refusal: ClassVar[dict[str, Any]] = {"quota": 0}

    def reset_state(self) -> None:
        self.messages: dict[str, _Text] = {}
        self.counter = itertools.count(10_000)
        self.quota = DEFAULT_QUOTA
        self.auth_style = "200"
        self.callback_url: str | None = None
        self.clock = time.time

    def configure(self, settings: dict[str, Any]) -> None:
        for key, value in settings.items():
            if key == "quota":
                self.quota = int(value)
            elif key == "auth_style" and value in ("200", "401", "403"):
                self.auth_style = value
            elif key == "callback_url":
                self.callback_url = None if value is None else str(value)
            else:
                raise ValueError(f"unknown setting {key}={value!r}")

    def step(self, message: _Text) -> None:
        if message.position < len(message.statuses) - 1:
            message.position += 1

    def addressed(self, request: EmuRequest) -> dict[str, Any]:
        if request.path.rstrip("/") != "/text" or request.method != "POST":
            return {}
        params = request.params()
        phone = str(params.get("phone") or "")
        if not phone:
            return {"to": [], "from": params.get("sender")}
        return {"to": [_e164(phone)], "from": params.get("sender")}

    def describe(self, message: _Text) -> dict[str, Any]:
        return {"to": message.to, "text": message.message, "accepted": True}

    def inbound(self, sender: str, recipient: str, text: str) -> None:
        digits = _digits(sender)
        sent = [m for m in self.messages.values() if _same_number(m.phone, digits)]
        last = sent[-1] if sent else None
        url = (last.reply_url if last else None) or self.callback_url
        if url is None:
            return
        key = last.key if last else next(iter(sorted(self.tokens)), "")
        document = {
            "textId": last.text_id if last else None,
            "fromNumber": f"+{digits}" if len(digits) != 10 else f"+1{digits}",
            "text": text,
            "data": last.data if last else None,
        }
        body = json.dumps(document).encode()
        stamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "X-textbelt-timestamp": stamp,
            "X-textbelt-signature": signature(key, stamp, body),
        }
        self.callbacks.push(
            Callback(
                url,
                "POST",
                body,
                headers,
                retries=self.callback_retries,
                copies=self.callback_copies,
            )
        )

    # -- API -----------------------------------------------------------------------------------

    def route(self, request: EmuRequest) -> EmuResponse:
        path = request.path.rstrip("/")
        if path == "/text" and request.method == "POST":
            return self._text(request)
        if path.startswith("/status/") and request.method == "GET":
            return self._status(unquote(path.removeprefix("/status/")))
        if path.startswith("/quota/") and request.method == "GET":
            return self._quota(unquote(path.removeprefix("/quota/")))
        return EmuResponse.text("Cannot " + request.method + " " + request.path, status=404)

    def _refuse(self, error: str, **extra: Any) -> EmuResponse:
        return EmuResponse.json({"success": False, "error": error, **extra})

    def _bad_key(self) -> EmuResponse:
        if self.auth_style == "200":
            return self._refuse(BAD_KEY)
        return EmuResponse.json({"success": False, "error": BAD_KEY}, status=int(self.auth_style))

    def _text(self, request: EmuRequest) -> EmuResponse:
        params = request.params()
        phone = str(params.get("phone") or "")
        message = params.get("message")
        key = str(params.get("key") or "")
        if not phone or not isinstance(message, str) or not message or not key:
            return self._refuse(INCOMPLETE)
        test = key.endswith(TEST_SUFFIX)
        base_key = key.removesuffix(TEST_SUFFIX) if test else key
        if base_key not in self.tokens:
            return self._bad_key()
        digits = _digits(phone)
        plain_us = len(digits) == 10 and not phone.strip().startswith("+")
        valid = digits.isdigit() and (plain_us or 8 <= len(digits) <= 15)
        if not valid or len(message) > MAX_MESSAGE:
            return self._refuse(BAD_PHONE if not valid else "Message is too long")
        if self.quota <= 0 and not test:
            return self._refuse(OUT_OF_QUOTA, quotaRemaining=0)
        if _digits_us(digits) in {_digits_us(n) for n in self.rejected}:
            return self._refuse(BAD_PHONE, quotaRemaining=self.quota)
        text_id = str(next(self.counter))
        if test:  # the docs: a test key sends nothing and uses no quota
            return EmuResponse.json(
                {"success": True, "quotaRemaining": self.quota, "textId": text_id}
            )
        self.quota -= 1
        script = self.scripts.get(digits) or self.scripts.get(_digits_us(digits)) or DEFAULT_SCRIPT
        reply = params.get("replyWebhookUrl")
        data = params.get("webhookData")
        self.messages[text_id] = _Text(
            text_id,
            digits,
            message,
            base_key,
            str(reply) if reply else None,
            str(data) if data is not None else None,
            ["SENDING", *script],
            _e164(phone),
        )
        return EmuResponse.json({"success": True, "quotaRemaining": self.quota, "textId": text_id})

    def _status(self, text_id: str) -> EmuResponse:
        message = self.messages.get(text_id)
        if message is None:
            return self._refuse(NOT_FOUND)
        status = message.status
        if self.auto_advance:
            self.step(message)
        return EmuResponse.json({"success": True, "status": status})

    def _quota(self, key: str) -> EmuResponse:
        if key.removesuffix(TEST_SUFFIX) not in self.tokens:
            return self._bad_key()
        return EmuResponse.json({"success": True, "quotaRemaining": self.quota})


def _digits(number: Any) -> str:
    text = "".join(c for c in str(number) if not c.isspace() and c not in "()-.")
    if text.startswith("00"):
        text = text[2:]
    return text.removeprefix("+")


def _e164(phone: str) -> str:
    """A number as sent, in E.164: a plain 10-digit number is a US/CA one, as Textbelt reads it."""
    digits = _digits(phone)
    plain_us = len(digits) == 10 and not phone.strip().startswith("+")
    return f"+1{digits}" if plain_us else f"+{digits}"


def _digits_us(digits: str) -> str:
    """A US/CA number as 11 digits, whether written with the country code or without."""
    return f"1{digits}" if len(digits) == 10 else digits


def _same_number(a: str, b: str) -> bool:
    return _digits_us(a) == _digits_us(b)
