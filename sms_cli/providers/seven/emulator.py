"""A local emulator of the seven.io (sms77.io) HTTP API (PROVIDERS.md §2, checklist §2.13).

Errors are HTTP 200 with a bare code as the body, `900` or, with `set {"error_style":
"quoted"}`, `"900"`. Knobs: `force_code` (answer every send with that code), `auth_code`
(answer auth failures with 902 or 903 instead of 900), `balance`, `price_per_part`,
`reload_lock` (on by default), `address_book` ({name: [numbers]}: what `to` names resolve to,
§7.D.3, §7.J.6), `tokens`, `auto_advance`, and for webhooks `signing_key` (sign every push,
§2.10.2), `callback_retries`, `callback_copies`.

`POST /seven/__emu/replay {"body": "...", "status": 200, "content_type": "..."}` makes the next
API request (any route, recorded, not processed) answer exactly that body: a seed's literal
answer, played to the real client. Several replays queue up in order.

Webhooks (§2.10): hooks registered through `/api/hooks` receive a `dlr` push on every change of
a message's state and an `sms_mo` push for every inbound message, in the hook's request method.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from sms_cli.core.segments import count
from sms_cli.providers.emulation import (
    Callback,
    Emulator,
    EmuRequest,
    EmuResponse,
    normalise_number,
)

HOOK_EVENTS = ("all", "dlr", "sms_mo", "voice_status", "voice_call", "voice_dtmf", "tracking")
HOOK_METHODS = ("POST", "GET", "JSON")
DEFAULT_SCRIPT = ("ACCEPTED", "DELIVERED")
RELOAD_LOCK_SECONDS = 180
# A small fake address book (§7.J.6), with the names of the seeds' examples (001: Group1,
# Contact1; 002: Gruppe1, Peter). Names match case-insensitively [I: undocumented, §7.D.3].
ADDRESS_BOOK: dict[str, list[str]] = {
    "Group1": ["4915112345671", "4915112345672"],
    "Gruppe1": ["4915112345673", "4915112345674", "4915112345675"],
    "Contact1": ["4915112345676"],
    "Peter": ["4915112345677"],
}
_HEX_TEXT = re.compile(r"(?:[0-9A-Fa-f]{2})+")
SENDER = re.compile(r"[A-Za-z0-9 /.\-@_!()+$,&]{1,11}")
_FILE_FIELD = re.compile(r"files\[(\d+)\]\[(\w+)\]")


@dataclass
class _Message:
    id: str
    to: str
    sender: str
    text: str
    parts: int
    price: float
    label: str | None
    foreign_id: str | None
    timestamp: str
    statuses: list[str]
    position: int = 0
    status_time: str | None = None
    files: list[dict[str, str]] = field(default_factory=list)

    @property
    def dlr(self) -> str | None:
        return self.statuses[self.position] if self.position >= 0 else None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _iso_now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _flag(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


class SevenEmulator(Emulator):
    name = "seven"
    outcomes: ClassVar[dict[str, list[str]]] = {  # §1.1, §2.7.1: raw delivery states
        "delivered": ["ACCEPTED", "TRANSMITTED", "DELIVERED"],
        "expired": ["BUFFERED", "EXPIRED"],
        "rejected": ["REJECTED"],
        "failed": ["ACCEPTED", "NOTDELIVERED"],
        "unknown": ["UNKNOWN"],
        "enroute": ["ACCEPTED"] * 200,
    }
    account_refusal: ClassVar[dict[str, Any]] = {"balance": 0}  # §2.4: code 500, no credit
    default_callback_retries = 3  # §2.10.2: retried on 429, 5xx and connection errors

    def reset_state(self) -> None:
        self.error_style = "bare"
        self.force_code: int | None = None
        self.auth_code = 900
        self.balance = 100.0
        self.price_per_part = 0.075
        self.reload_lock = True
        self.journal_enabled = True  # off: the journal answers [] and clients fall back to /status
        self.messages: dict[str, _Message] = {}
        self.recent: dict[tuple[str, str, str], float] = {}
        self.ids = itertools.count(77_000_000_001)
        self.hooks: dict[str, dict[str, Any]] = {}
        self.hook_ids = itertools.count(410)
        self.inbound_ids = itertools.count(681_590)
        self.inbox: list[dict[str, Any]] = []
        self.signing_key: str | None = None
        self.address_book = {k.casefold(): list(v) for k, v in ADDRESS_BOOK.items()}

    def _control_action(self, action: str, payload: dict[str, Any]) -> EmuResponse:
        if action != "replay":
            return super()._control_action(action, payload)
        body = str(payload["body"])
        kind = payload.get("content_type")
        if kind is None:
            try:
                json.loads(body)
                kind = "application/json"
            except ValueError:
                kind = "text/plain; charset=utf-8"
        self.replays.append(EmuResponse(int(payload.get("status", 200)), body.encode(), kind))
        return EmuResponse.json({"ok": True, "queued": len(self.replays)})

    def configure(self, settings: dict[str, Any]) -> None:
        for key, value in settings.items():
            if key == "error_style" and value in ("bare", "quoted"):
                self.error_style = value
            elif key == "force_code":
                self.force_code = None if value is None else int(value)
            elif key == "auth_code" and int(value) in (900, 902, 903):
                self.auth_code = int(value)
            elif key == "balance":
                self.balance = float(value)
            elif key == "price_per_part":
                self.price_per_part = float(value)
            elif key == "reload_lock":
                self.reload_lock = bool(value)
            elif key == "journal_enabled":
                self.journal_enabled = bool(value)
            elif key == "address_book":
                self.address_book = {
                    str(k).casefold(): [str(n) for n in v] for k, v in value.items()
                }
            elif key == "signing_key":
                self.signing_key = None if value is None else str(value)
            else:
                raise ValueError(f"unknown setting {key}={value!r}")

    def step(self, message: _Message) -> None:
        if message.position < len(message.statuses) - 1:
            message.position += 1
            message.status_time = _now()
            data = {"msg_id": message.id, "status": message.dlr, "timestamp": message.status_time}
            self._push("dlr", data, _iso_now())

    def addressed(self, request: EmuRequest) -> dict[str, Any]:
        if request.path.rstrip("/") != "/api/sms":
            return {}
        params = request.params()
        numbers = [n for n in str(params.get("to", "")).split(",") if n]
        return {"to": [f"+{n}" for n in numbers], "from": params.get("from")}

    def describe(self, message: Any) -> dict[str, Any]:
        return {
            "to": f"+{message.to}",
            "from": message.sender,
            "text": message.text,
            "accepted": True,
        }

    def inbound(self, sender: str, recipient: str, text: str) -> None:
        data = {
            "id": str(next(self.inbound_ids)),
            "sender": normalise_number(sender) if sender.lstrip("+").isdigit() else sender,
            "system": normalise_number(recipient),
            "text": text,
            "time": str(int(time.time())),
            "message_type": "SMS",
        }
        self.inbox.append(data)
        self._push("sms_mo", data, _now()[:19])  # §2.10.3: this example's timestamp style

    # -- webhooks ------------------------------------------------------------------------------

    def _push(self, event: str, data: dict[str, Any], stamp: str) -> None:
        for hook in list(self.hooks.values()):
            if hook["event_type"] not in (event, "all"):
                continue
            document = {"webhook_event": event, "webhook_timestamp": stamp, "data": data}
            self.callbacks.push(self._signed(self._callback(hook, document)))

    def _callback(self, hook: dict[str, Any], document: dict[str, Any]) -> Callback:
        """§2.10.2: a nested form for POST, the same fields as a query for GET, JSON as is."""
        method = hook["request_method"]
        url = hook["target_url"]
        options = {"retries": self.callback_retries, "copies": self.callback_copies}
        if method == "JSON":
            body = json.dumps(document).encode()
            return Callback(url, "POST", body, {"Content-Type": "application/json"}, **options)
        pairs = [(k, v) for k, v in document.items() if k != "data"]
        pairs += [(f"data[{k}]", "" if v is None else v) for k, v in document["data"].items()]
        encoded = urlencode(pairs)
        if method == "GET":
            joiner = "&" if urlsplit(url).query else "?"
            return Callback(url + joiner + encoded, "GET", b"", {}, **options)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return Callback(url, "POST", encoded.encode(), form, **options)

    def _signed(self, callback: Callback) -> Callback:
        if self.signing_key is None:
            return callback
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        digest = hashlib.md5(callback.body, usedforsecurity=False).hexdigest()
        signed = "\n".join((timestamp, nonce, callback.method, callback.url, digest))
        signature = hmac.new(self.signing_key.encode(), signed.encode(), hashlib.sha256)
        callback.headers.update(
            {"X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature.hexdigest()}
        )
        return callback

    def _hooks(self, request: EmuRequest, params: dict[str, Any]) -> EmuResponse:
        if request.method == "GET":
            return EmuResponse.json(
                {"success": True, "code": None, "hooks": list(self.hooks.values())}
            )
        if request.method == "DELETE":
            found = self.hooks.pop(str(params.get("id")), None)
            return EmuResponse.json({"success": found is not None})
        url = str(params.get("target_url") or "")
        event = str(params.get("event_type") or "")
        method = str(params.get("request_method") or "POST").upper()
        problem = None
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            problem = "target_url is not a valid URL"
        elif event not in HOOK_EVENTS:
            problem = "invalid event_type"
        elif method not in HOOK_METHODS:
            problem = "invalid request_method"
        if problem:
            return EmuResponse.json({"success": False, "code": "400", "error_message": problem})
        hook_id = str(next(self.hook_ids))
        self.hooks[hook_id] = {
            "id": hook_id,
            "target_url": url,
            "event_type": event,
            "event_filter": params.get("event_filter") or None,
            "request_method": method,
            "enabled": True,
            "created": _now()[:19],
            "headers": None,
        }
        return EmuResponse.json({"success": True, "id": int(hook_id)})

    # -- API -----------------------------------------------------------------------------------

    def _code(self, code: int) -> EmuResponse:
        """An API error: HTTP 200 and the bare code (PROVIDERS.md §2.3)."""
        body = f'"{code}"' if self.error_style == "quoted" else str(code)
        return EmuResponse(200, body.encode())

    def _authorised(self, request: EmuRequest, params: dict[str, Any]) -> bool:
        key = request.headers.get("x-api-key")
        authorization = request.headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        if not key and scheme.lower() in ("basic", "bearer"):
            key = value.strip()
        if not key:
            key = params.get("p")
        return key in self.tokens

    def _wants_json(self, request: EmuRequest, params: dict[str, Any]) -> bool:
        return "application/json" in request.headers.get("accept", "") or _flag(params.get("json"))

    def route(self, request: EmuRequest) -> EmuResponse:
        params = request.params()
        path = request.path.rstrip("/")
        if not self._authorised(request, params):
            return self._code(self.auth_code)
        if path == "/api/sms" and request.method in ("POST", "GET"):
            return self._send(request, params)
        if path == "/api/status" and request.method == "GET":
            return self._status(request, params)
        if path == "/api/balance" and request.method == "GET":
            if not self._wants_json(request, params):
                return EmuResponse.text(f"{self.balance:.3f}")
            return EmuResponse.json({"amount": round(self.balance, 3), "currency": "EUR"})
        if path == "/api/journal/outbound" and request.method == "GET":
            return self._journal(params)
        if path == "/api/journal/inbound" and request.method == "GET":
            return EmuResponse.json(
                [
                    {"id": d["id"], "from": d["sender"], "to": d["system"], "text": d["text"]}
                    for d in self.inbox
                ]
            )
        if path == "/api/hooks" and request.method in ("GET", "POST", "DELETE"):
            return self._hooks(request, params)
        return EmuResponse.json({"error": "not found"}, status=404)

    def _send(self, request: EmuRequest, params: dict[str, Any]) -> EmuResponse:
        if self.force_code is not None:
            return self._code(self.force_code)
        to = params.get("to")
        tokens = to if isinstance(to, list) else str(to or "").split(",")
        recipients: list[str] = []
        for token in (str(t).strip() for t in tokens):
            # §7.D.3: a token with letters is an address-book name; a known one expands to its
            # members' numbers, an unknown one stays and is refused (202) like a bad number.
            members = (
                self.address_book.get(token.casefold()) if re.search("[^\\d+ ]", token) else None
            )
            recipients += members if members is not None else ([token] if token else [])
        text = params.get("text")
        sender = str(params.get("from") or "smsctl")
        if not recipients:
            return self._code(301)
        if not isinstance(text, str) or not text:
            return self._code(305)
        if len(text) > 1520:
            return self._code(401)
        if not SENDER.fullmatch(sender) and not (
            sender.removeprefix("+").isdigit() and len(sender.removeprefix("+")) <= 16
        ):
            return self._code(201)
        debug = _flag(params.get("debug"))
        udh = params.get("udh")
        binary = bool(udh) and _HEX_TEXT.fullmatch(text) is not None
        if binary:
            # The docs' udh: with hex text an 8-bit binary SMS; UDH and data share 140 octets.
            room = max(1, 140 - len(str(udh)) // 2)
            parts = -(-(len(text) // 2) // room)
        else:
            parts = count(text, force_ucs2=_flag(params.get("unicode"))).parts
        needed = 0.0 if debug else self.price_per_part * parts * len(recipients)
        if needed > self.balance + 1e-9:
            return self._code(500)
        now = datetime.now(UTC).timestamp()
        lock_keys = [(normalise_number(r), text, sender) for r in recipients]
        locked = self.reload_lock and not _flag(params.get("no_reload")) and not debug
        if locked and any(now - self.recent.get(k, -1e9) < RELOAD_LOCK_SECONDS for k in lock_keys):
            return self._code(402)
        files = self._files(params)
        entries = []
        total = 0.0
        for number, key in zip(recipients, lock_keys, strict=True):
            entries.append(self._one(number, key, text, sender, parts, params, debug, files, now))
            total += entries[-1]["price"]
        self.balance -= total
        if not self._wants_json(request, params):
            return EmuResponse.text("100")
        return EmuResponse.json(
            {
                "success": "100",
                "total_price": round(total, 4),
                "balance": round(self.balance, 4),
                "debug": "true" if debug else "false",
                "sms_type": "direct",
                "messages": entries,
            }
        )

    def _one(
        self,
        number: str,
        lock_key: tuple[str, str, str],
        text: str,
        sender: str,
        parts: int,
        params: dict[str, Any],
        debug: bool,
        files: list[dict[str, str]],
        now: float,
    ) -> dict[str, Any]:
        digits = lock_key[0]
        entry: dict[str, Any] = {
            "id": None,
            "sender": sender,
            "recipient": digits,
            "text": text,
            "encoding": "gsm" if count(text).encoding == "gsm7" else "ucs2",
            "label": params.get("label"),
            "parts": parts,
            "udh": params.get("udh"),
            "is_binary": bool(params.get("udh")) and _HEX_TEXT.fullmatch(text) is not None,
            "price": 0,
            "success": True,
            "error": None,
            "error_text": None,
        }
        if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits in self.rejected:
            entry.update(success=False, error=202, error_text="Invalid recipient", parts=0)
            return entry
        if debug:
            return entry
        message_id = str(next(self.ids))
        price = round(self.price_per_part * parts, 4)
        self.messages[message_id] = _Message(
            id=message_id,
            to=digits,
            sender=sender,
            text=text,
            parts=parts,
            price=price,
            label=params.get("label"),
            foreign_id=params.get("foreign_id"),
            timestamp=_now(),
            statuses=list(self.scripts.get(digits, DEFAULT_SCRIPT)),
            position=-1,
            files=files,
        )
        self.recent[lock_key] = now
        entry.update(id=message_id, price=price)
        return entry

    def _files(self, params: dict[str, Any]) -> list[dict[str, str]]:
        found: dict[int, dict[str, str]] = {}
        for key, value in params.items():
            match = _FILE_FIELD.fullmatch(key)
            if match:
                found.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
        if isinstance(params.get("files"), list):
            for i, item in enumerate(params["files"]):
                if isinstance(item, dict):
                    found[i] = {k: str(v) for k, v in item.items()}
        return [found[i] for i in sorted(found)]

    def _status(self, request: EmuRequest, params: dict[str, Any]) -> EmuResponse:
        ids = [i.strip() for i in str(params.get("msg_id") or "").split(",") if i.strip()]
        # §2.7.1 / §7.E: a comma list, one item per id. An unknown id alone is the bare code
        # 901; in a list the known ones are answered and the unknown ones left out.
        known = [i for i in dict.fromkeys(ids) if i in self.messages]
        if not known:
            return self._code(901)
        rows = []
        for message_id in known:
            message = self.messages[message_id]
            rows.append(
                {"id": message_id, "status": message.dlr, "status_time": message.status_time}
            )
            if self.auto_advance:
                self.step(message)
        if not self._wants_json(request, params):
            first = rows[0]
            return EmuResponse.text(f"{first['status']}\n{first['status_time']}")
        return EmuResponse.json(rows)

    def _journal(self, params: dict[str, Any]) -> EmuResponse:
        if not self.journal_enabled:
            return EmuResponse.json([])
        rows = []
        for message in self.messages.values():
            if "id" in params and params["id"] != message.id:
                continue
            if "to" in params and normalise_number(params["to"]) != message.to:
                continue
            if "state" in params and params["state"] != message.dlr:
                continue
            if "date_from" in params and message.timestamp[:10] < str(params["date_from"]):
                continue
            if "date_to" in params and message.timestamp[:10] > str(params["date_to"]):
                continue
            rows.append(
                {
                    "id": message.id,
                    "from": message.sender,
                    "to": message.to,
                    "text": message.text,
                    "timestamp": message.timestamp,
                    "price": f"{message.price:.4f}",
                    "dlr": message.dlr,
                    "dlr_timestamp": message.status_time,
                    "mccmnc": None,
                    "latency": None,
                    "type": "direct",
                    "channel": "SMS",
                    "connection": "http",
                    "label": message.label,
                    "foreign_id": message.foreign_id,
                }
            )
            if self.auto_advance:
                self.step(message)
        offset = int(params.get("offset", 0))
        limit = max(1, min(100, int(params.get("limit", 100))))
        return EmuResponse.json(rows[offset : offset + limit])
