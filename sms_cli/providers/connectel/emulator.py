"""A local emulator of the Connectel SMS Gateway API v2 (PROVIDERS.md §3).

Error bodies and status codes are undocumented by Connectel; this emulator offers the styles of
PROVIDERS.md §3.8 (`set {"auth_style": "401"|"403"|"200", "bad_request_style": "json"|"text"}`)
so smsctl is tested against each and depends on none.

Callbacks (§3.6, §3.7): with `set {"callback_url": URL}` (Connectel keeps it on the token) every
change of a message's state is POSTed there as a delivery report, and every inbound message as
`{from, to, requestid, message}`; `callback_format` "json" (default) or "form"; no retries unless
`callback_retries` says so.

Seed literals (tests/fixtures/connectel/): `set {"replay": [BODY, ...]}` answers the next API
requests, in order, with these literal bodies (a text, or `{"body", "status", "content_type"}`)
instead of the emulator's own; `set {"push": TEXT}` pushes one literal callback (a JSON object's
text) to `callback_url`, verbatim as JSON or its fields as a form.

Refusals: a recipient on the `reject` list (or not a number of 8 to 15 digits) is answered
REJECTD (statusInt 2), with a request id; after `set {"reject_without_id": true}` without one,
as an operator that refuses a number before assigning it an id (§3.8).

Answers follow the seed's shapes (tests/providers/connectel/test_replay.py compares them):
`href` points at `/api/status/` with the token and `message=` or `bulkid=`, as in the seed.

Failure reasons (§3.5): an UNDELIV, REJECTD or EXPIRED state carries a `statusDesc` (texts from
STATUS_DESC, or `set {"status_desc": {"UNDELIV": "..."}}`) in delivery answers, in the send
answer's refusals and in pushed reports; other states have an empty one, as the seed shows.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from sms_cli.providers.emulation import (
    Callback,
    Emulator,
    EmuRequest,
    EmuResponse,
    normalise_number,
)

ALNUM_SENDER = re.compile(r"[A-Za-z0-9 ]{1,11}")
STATUS_INT = {
    "ENROUTE": 0,
    "QUEUE": 0,
    "QUEUED": 0,
    "DELIVRD": 1,
    "REJECTD": 2,
    "UNDELIV": 5,
    "EXPIRED": 8,
}
DEFAULT_SCRIPT = ("DELIVRD",)
UPSTREAM = "https://smsapi.connectel.se"  # the seed's links name the real host
# Connectel's statusDesc texts are undocumented (§3.9, question 4): these are the emulator's own.
STATUS_DESC = {
    "UNDELIV": "Absent subscriber",
    "REJECTD": "Invalid destination number",
    "EXPIRED": "Validity period expired",
}


@dataclass
class _Message:
    request_id: str
    recipient: str
    sender: str
    message: str
    key: str | None
    bulk_id: str | None
    statuses: list[str]
    position: int = 0
    has_id: bool = True  # False: refused before the provider gave it an id
    history: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.statuses[self.position]


class ConnectelEmulator(Emulator):
    name = "connectel"
    outcomes: ClassVar[dict[str, list[str]]] = {  # §1.1, §3.5: raw delivery states
        "delivered": ["DELIVRD"],
        "expired": ["EXPIRED"],
        "rejected": ["REJECTD"],
        "failed": ["UNDELIV"],
        "unknown": ["UNKNOWN"],
        "enroute": ["ENROUTE"] * 200,
    }

    def reset_state(self) -> None:
        self.auth_style = "401"
        self.bad_request_style = "json"
        self.messages: dict[str, _Message] = {}
        self.bulks: dict[str, list[str]] = {}
        self.counter = itertools.count(1)
        self.reverse_bulk = False  # answer bulk items in reverse: clients must match by key
        self.force_bad_request: str | None = None  # refuse every send with this description
        self.callback_url: str | None = None
        self.callback_format = "json"
        self.reject_without_id = False
        self.status_desc = dict(STATUS_DESC)

    def configure(self, settings: dict[str, Any]) -> None:
        for key, value in settings.items():
            if key == "auth_style" and value in ("401", "403", "200"):
                self.auth_style = value
            elif key == "bad_request_style" and value in ("json", "text"):
                self.bad_request_style = value
            elif key == "reverse_bulk":
                self.reverse_bulk = bool(value)
            elif key == "force_bad_request":
                self.force_bad_request = None if value is None else str(value)
            elif key == "callback_url":
                self.callback_url = None if value is None else str(value)
            elif key == "callback_format" and value in ("json", "form"):
                self.callback_format = value
            elif key == "push" and isinstance(value, str):
                self._push_literal(value)
            elif key == "reject_without_id":
                self.reject_without_id = bool(value)
            elif key == "status_desc" and isinstance(value, dict):
                self.status_desc = {**STATUS_DESC, **{str(k): str(v) for k, v in value.items()}}
            else:
                raise ValueError(f"unknown setting {key}={value!r}")

    def step(self, message: _Message) -> None:
        if message.position < len(message.statuses) - 1:
            message.position += 1
            status = message.status
            report = {
                "action": "dlr",
                "requestid": message.request_id,
                "tokenid": "t-sandbox",
                "statusInt": STATUS_INT.get(status, 9),
                "statusStr": status,
                "sender": message.sender,
                "recipient": message.recipient,
            }
            if status in self.status_desc:  # §3.6 lists no statusDesc: only when there is one
                report["statusDesc"] = self.status_desc[status]
            self._push(report)

    def addressed(self, request: EmuRequest) -> dict[str, Any]:
        body = request.json()
        if request.path.rstrip("/") != "/api/v2/send" or not isinstance(body, dict):
            return {}
        recipients = body.get("recipient")
        if isinstance(recipients, list):  # §3.4: [{key: number}, ...]
            numbers = [
                str(v) for item in recipients if isinstance(item, dict) for v in item.values()
            ]
        else:
            numbers = [str(recipients)]
        return {"to": [f"+{n}" for n in numbers], "from": body.get("sender")}

    def describe(self, message: Any) -> dict[str, Any]:
        return {
            "to": f"+{message.recipient}",
            "from": message.sender,
            "text": message.message,
            "accepted": message.statuses != ["REJECTD"],
        }

    def inbound(self, sender: str, recipient: str, text: str) -> None:
        request_id = f"R{secrets.token_hex(6).upper()}.{next(self.counter)}"
        self._push(
            {
                "from": normalise_number(sender) if sender.lstrip("+").isdigit() else sender,
                "to": normalise_number(recipient),
                "requestid": request_id,
                "message": text,
            }
        )

    def _push_literal(self, text: str) -> None:
        document = json.loads(text)
        if not isinstance(document, dict):
            raise ValueError("push: the text must be a JSON object")
        self._push(document, literal=text)

    def _push(self, document: dict[str, Any], literal: str | None = None) -> None:
        if self.callback_url is None:
            return
        if self.callback_format == "form":
            body = urlencode(document).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body = (literal if literal is not None else json.dumps(document)).encode()
            content_type = "application/json"
        self.callbacks.push(
            Callback(
                self.callback_url,
                "POST",
                body,
                {"Content-Type": content_type},
                retries=self.callback_retries,
                copies=self.callback_copies,
            )
        )

    # -- API -----------------------------------------------------------------------------------

    def route(self, request: EmuRequest) -> EmuResponse:
        path = request.path.rstrip("/")
        if path == "/api/v2/send" and request.method == "POST":
            return self._send(request)
        if path == "/api/v2/delivery" and request.method == "GET":
            return self._delivery(request)
        # A path the API does not have is the web server's plain 404, as behind a wrong base
        # URL; only the delivery endpoint answers an unknown request id with its JSON object.
        return EmuResponse.text("Not Found", status=404)

    def _unauthorized(self) -> EmuResponse:
        body = {"statusInt": -1, "statusStr": "UNAUTHORIZED", "statusDesc": "invalid authorization"}
        return EmuResponse.json(body, status=int(self.auth_style))

    def _bad_request(self, description: str) -> EmuResponse:
        if self.bad_request_style == "text":
            return EmuResponse.text(f"Bad request: {description}", status=400)
        body = {"statusInt": -1, "statusStr": "BADREQUEST", "statusDesc": description}
        return EmuResponse.json(body, status=400)

    def _send(self, request: EmuRequest) -> EmuResponse:
        params = request.params()
        # The token is a body (or query) parameter; an Authorization header alone is refused.
        if params.get("authorization") not in self.tokens:
            return self._unauthorized()
        if self.force_bad_request:
            return self._bad_request(self.force_bad_request)
        sender = str(params.get("sender") or "")
        message = params.get("message")
        recipient = params.get("recipient")
        if not sender:
            return self._bad_request("sender is required")
        numeric = sender.removeprefix("+")
        if not (numeric.isdigit() and len(numeric) <= 20) and not ALNUM_SENDER.fullmatch(sender):
            return self._bad_request("invalid sender")
        if not isinstance(message, str) or not message:
            return self._bad_request("message is required")
        if len(message) > 1600:
            return self._bad_request("message is longer than 1600 characters")
        if not recipient:
            return self._bad_request("recipient is required")
        bulk = params.get("bulk") in (True, "true", "1", 1)
        if bulk:
            if not isinstance(recipient, list):
                return self._bad_request("recipient must be a list for bulk")
            return self._send_bulk(params["authorization"], sender, message, recipient)
        msg = self._accept(str(recipient), sender, message, key=None, bulk_id=None)
        status = msg.status if msg.status == "REJECTD" else "ENROUTE"
        answer: dict[str, Any] = {
            "href": _href(params["authorization"], message=msg.request_id),
            "method": "GET",
            "recipient": msg.recipient,
            "requestid": msg.request_id,
            "sender": sender,
            "statusInt": STATUS_INT[status],
            "statusStr": status,
        }
        if not msg.has_id:
            del answer["href"], answer["method"], answer["requestid"]
        if status == "REJECTD":
            answer["statusDesc"] = self.status_desc.get(status, "")
        return EmuResponse.json(answer)

    def _send_bulk(
        self, token: str, sender: str, message: str, recipients: list[Any]
    ) -> EmuResponse:
        bulk_id = f"B{secrets.token_hex(4).upper()}.{next(self.counter)}"
        items = []
        ids = []
        for entry in recipients:
            if not isinstance(entry, dict) or len(entry) != 1:
                return self._bad_request("each recipient must be a {key: number} object")
            ((key, number),) = entry.items()
            msg = self._accept(str(number), sender, message, key=str(key), bulk_id=bulk_id)
            item: dict[str, Any] = {"key": key, "recipient": msg.recipient}
            if msg.has_id:
                ids.append(msg.request_id)
                item["requestid"] = msg.request_id
            if msg.status == "REJECTD":
                item.update(
                    statusInt=2, statusStr="REJECTD", statusDesc=self.status_desc.get("REJECTD", "")
                )
            items.append(item)
        self.bulks[bulk_id] = ids
        if self.reverse_bulk:
            items.reverse()
        return EmuResponse.json(
            {
                "bulkid": bulk_id,
                "href": _href(token, bulkid=bulk_id),
                "method": "GET",
                "recipient": items,
                "sender": sender,
                "statusInt": 0,
                "statusStr": "QUEUED",
            }
        )

    def _accept(
        self, number: str, sender: str, message: str, key: str | None, bulk_id: str | None
    ) -> _Message:
        digits = normalise_number(number)
        request_id = f"R{secrets.token_hex(6).upper()}.{next(self.counter)}"
        refused = not digits.isdigit() or not 8 <= len(digits) <= 15 or digits in self.rejected
        if refused:
            statuses = ["REJECTD"]
        else:
            statuses = ["ENROUTE", *self.scripts.get(digits, DEFAULT_SCRIPT)]
        msg = _Message(request_id, digits, sender, message, key, bulk_id, statuses)
        if refused and self.reject_without_id:
            msg.has_id = False  # never reported on: nobody knows its id
        else:
            self.messages[request_id] = msg
        return msg

    def _delivery(self, request: EmuRequest) -> EmuResponse:
        params = request.params()
        if params.get("authorization") not in self.tokens:
            return self._unauthorized()
        wanted = str(params.get("requestid") or params.get("bulkid") or "")
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if wanted in self.bulks:
            members = [self.messages[i] for i in self.bulks[wanted]]
            return EmuResponse.json(
                {
                    "action": "send",
                    "bulkid": wanted,
                    "message": "",
                    "recipient": [self._report(m, now) for m in members],
                    "sender": members[0].sender if members else "",
                }
            )
        message = self.messages.get(wanted)
        if message is None:
            return EmuResponse.json(
                {"statusInt": -1, "statusStr": "NOTFOUND", "statusDesc": "unknown requestid"},
                status=404,
            )
        report = self._report(message, now)
        report["url"] = f"{UPSTREAM}/status/{message.request_id}"  # as in the seed's example
        return EmuResponse.json(
            {"action": "send", "message": "", "sender": message.sender, **report}
        )

    def _report(self, message: _Message, now: str) -> dict[str, Any]:
        """The current state; with auto_advance each report moves the message one state on."""
        status = message.status
        if self.auto_advance:
            self.step(message)
        return {
            "date": now,
            "recipient": message.recipient,
            "requestid": message.request_id,
            "statusDesc": self.status_desc.get(status, ""),
            "statusInt": STATUS_INT.get(status, 9),
            "statusStr": status,
            "url": "",
        }


def _href(token: str, **lookup: str) -> str:
    """The seed's link: `/api/status/` (not v2), the token and the id in its query string."""
    return f"{UPSTREAM}/api/status/?authorization={quote(token)}&{urlencode(lookup)}"
