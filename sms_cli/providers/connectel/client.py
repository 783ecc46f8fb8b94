"""Connectel SMS Gateway API v2 (shared/PROVIDERS.md §3 and the seed document).

JSON POST to `/api/v2/send/` with the token as the `authorization` field; several recipients go
as one bulk request whose per-recipient `key` is smsctl's own message id, so every result is
matched back by key. Reports from `/api/v2/delivery/` (token and id in the query string).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sms_cli.core.callbacks import (
    BadCallback,
    CallbackEvent,
    DeliveryEvent,
    InboundEvent,
    phone,
    text_field,
)
from sms_cli.core.numbers import digits
from sms_cli.core.redaction import shorten
from sms_cli.core.status import ACCEPTED_STATUSES, Status
from sms_cli.errors import AuthError, ProviderUnavailable
from sms_cli.providers.base import (
    CallbackReader,
    DeliveryReport,
    Provider,
    Recipient,
    SendRequest,
    SendResult,
    StatusQuery,
    StatusReader,
    TokenCheck,
    TokenChecker,
    accepted_despite_http,
    answer_date,
    refused_by_http,
    results_for_all,
    whole_number,
)
from sms_cli.providers.connectel import INFO
from sms_cli.providers.http import OutcomeUnknown, Reply, json_object, refusal_text
from sms_cli.providers.info import ProviderInfo

SEND_PATH: Final = "api/v2/send/"  # the trailing slash is part of the documented URL (§3.2)
DELIVERY_PATH: Final = "api/v2/delivery/"
# The request id `check_token` asks about: no message has it, so the answer is the §3.8 "unknown
# requestid" object when the token is good, and the auth refusal when it is not.
CHECK_ID: Final = "smsctl-token-check"

# PROVIDERS.md §1.1: map the statusStr word first (QUEUE and QUEUED both occur). When the word
# is missing or not one of these, the code decides: statusInt, or statusStr itself when it is a
# number (the seed's own DLR example sends `"statusInt": 1, "statusStr": 1`). 0 alone is
# "queued" because ENROUTE and QUEUE share it.
STATUS_BY_STR: Final[dict[str, Status]] = {
    "ENROUTE": "enroute",
    "QUEUE": "queued",
    "QUEUED": "queued",
    "DELIVRD": "delivered",
    "REJECTD": "rejected",
    "UNDELIV": "failed",
    "EXPIRED": "expired",
    "UNKNOWN": "unknown",
}
STATUS_BY_INT: Final[dict[int, Status]] = {
    0: "queued",
    1: "delivered",
    2: "rejected",
    5: "failed",
    8: "expired",
    9: "unknown",
}
# Item states a bulk answer may give without a request id: the message will never be sent.
REFUSED: Final = frozenset({"rejected", "failed", "expired"})
# Error words of the error objects (PROVIDERS.md §3.8): not documented by Connectel, so only
# recognised, never relied on; any non-2xx is an error anyway.
AUTH_WORDS: Final = frozenset({"UNAUTHORIZED", "FORBIDDEN"})
REQUEST_ERROR_WORDS: Final = frozenset({"BADREQUEST", "ERROR", "INVALID"})


def _field(item: dict[str, Any], name: str) -> Any:
    """Read a documented key exactly, tolerating case variants such as requestId (§3.2)."""
    if name in item:
        return item[name]
    lowered = name.lower()
    for key, value in item.items():
        if key.lower() == lowered:
            return value
    return None


def map_status(status_str: Any, status_int: Any) -> tuple[Status, str | None]:
    """(common status, raw provider value) for a statusStr / statusInt pair.

    One reading for send answers, delivery answers and delivery-report callbacks alike. The raw
    value is the provider's word when it sent one (known or not), else the code it sent.
    """
    word = status_str.strip().upper() if isinstance(status_str, str) else ""
    if word in STATUS_BY_STR:
        return STATUS_BY_STR[word], word
    code = whole_number(status_int)
    if code is None:
        code = whole_number(status_str)
    if code is not None:
        status = STATUS_BY_INT.get(code, "unknown")
        return status, (word if word and whole_number(word) is None else str(code))
    return "unknown", word or None


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Connectel(Provider, StatusReader, CallbackReader, TokenChecker):
    info: ClassVar[ProviderInfo] = INFO

    def headers(self) -> dict[str, str]:
        # The token travels as the `authorization` field, not a header (PROVIDERS.md §3.2).
        return {"Accept": "application/json"}

    @classmethod
    def parse_callback(cls, fields: Mapping[str, Any]) -> CallbackEvent:
        """§3.6 delivery reports (`action=dlr`) and §3.7 inbound SMS (`from`, `message`)."""
        fields = _documented_names(fields)
        action = text_field(fields, "action", required=False)
        if action is not None and action.lower() == "dlr":
            status, raw = map_status(
                text_field(fields, "statusStr", "statusstr", required=False),
                text_field(fields, "statusInt", "statusint", required=False),
            )
            return DeliveryEvent(
                provider="connectel",
                message_id=str(text_field(fields, "requestid", "requestId")),
                status=status,
                provider_status=raw,
                recipient=phone(text_field(fields, "recipient", required=False)),
                reason=_said(_text(_field(dict(fields), "statusDesc"))),
            )
        if action is None and "message" in fields and "from" in fields:
            return InboundEvent(
                provider="connectel",
                id=text_field(fields, "requestid", "requestId", required=False),
                sender=str(phone(text_field(fields, "from"))),
                recipient=phone(text_field(fields, "to", required=False)),
                text=text_field(fields, "message", required=False) or "",
            )
        if action is not None:
            raise BadCallback(f"smsctl does not handle {action!r} callbacks", status=422)
        raise BadCallback("neither a delivery report (action=dlr) nor an inbound message")

    # -- sending -------------------------------------------------------------------------------

    def send(self, request: SendRequest) -> list[SendResult]:
        bulk = len(request.recipients) > 1
        body: dict[str, Any] = {
            "authorization": self.credentials["token"],
            "sender": request.sender,
            "message": request.text,
        }
        if bulk:
            body["bulk"] = True
            body["recipient"] = [{r.local_id: digits(r.number)} for r in request.recipients]
        else:
            body["recipient"] = digits(request.recipients[0].number)
        try:
            response = self.transport.send("POST", SEND_PATH, json=body)
        except OutcomeUnknown as exc:
            return results_for_all(request, "unknown", error=exc.reason)
        return self._send_results(request, response, bulk)

    def _send_results(self, request: SendRequest, response: Reply, bulk: bool) -> list[SendResult]:
        document = json_object(response)
        if not response.is_success:  # a 4xx: the transport raised for the others
            if document is not None and _says_accepted(document):
                try:
                    accepted = self._read_answer(request, document, response, bulk)
                except AuthError:  # an id beside an auth word: it may have been sent all the same
                    accepted = results_for_all(request, "unknown", error=None)
                return accepted_despite_http(accepted, self.info.title, response.status_code)
            return refused_by_http(
                request, self.info.title, response.status_code, _describe(document, response)
            )
        if document is None:
            return results_for_all(request, "unknown", error="the send answer could not be read")
        return self._read_answer(request, document, response, bulk)

    def _read_answer(
        self, request: SendRequest, document: dict[str, Any], response: Reply, bulk: bool
    ) -> list[SendResult]:
        word = str(_field(document, "statusStr") or "").upper()
        if (word in AUTH_WORDS or word in REQUEST_ERROR_WORDS) and _says_accepted(document):
            return self._contradicted(request, document, bulk, word)
        if word in AUTH_WORDS:
            raise AuthError(
                f"{self.info.title} refused the token ({word})",
                hint="check the profile's token: smsctl profile show",
            )
        if word in REQUEST_ERROR_WORDS:
            return results_for_all(
                request,
                "rejected",
                error=f"{self.info.title} refused the request",
                provider_code=word,
                provider_text=_describe(document, response),
            )
        if bulk:
            return self._bulk_results(request, document)
        request_id = _text(_field(document, "requestid"))
        status, raw = map_status(_field(document, "statusStr"), _field(document, "statusInt"))
        if request_id is None and status not in REFUSED:
            return results_for_all(request, "unknown", error="the send answer has no request id")
        recipient = request.recipients[0]
        return [
            SendResult(
                recipient=recipient.number,
                local_id=recipient.local_id,
                status=status,
                id=request_id,
                provider_code=raw,
                provider_text=_said(_text(_field(document, "statusDesc"))),
                error=_refusal(status),
            )
        ]

    def _contradicted(
        self, request: SendRequest, document: dict[str, Any], bulk: bool, word: str
    ) -> list[SendResult]:
        """An error word (ERROR, UNAUTHORIZED ...) beside a request id, a bulk id or an accepted
        state: the answer contradicts itself, so each message is unknown, keeping its ids; only
        an item's own refusal stands."""
        error = (
            f"{self.info.title} answered {word} but also gives a request id or an accepted "
            "state: it may have been sent"
        )
        if not bulk:
            recipient = request.recipients[0]
            return [
                SendResult(
                    recipient=recipient.number,
                    local_id=recipient.local_id,
                    status="unknown",
                    id=_text(_field(document, "requestid")),
                    provider_code=word,
                    error=error,
                )
            ]
        return [
            r
            if r.status in REFUSED or r.status == "unknown"
            else replace(r, status="unknown", error=error)
            for r in self._bulk_results(request, document)
        ]

    def _bulk_results(self, request: SendRequest, document: dict[str, Any]) -> list[SendResult]:
        """Match the items back by `key` (smsctl's local id). §3.8: an explicit refusal (REJECTD,
        statusInt 2) needs no request id, and items without a state of their own share the
        request's; anything that names a request id is never taken for a refusal unless the
        item itself says so, and a contradictory or missing item is unknown, keeping its ids."""
        bulk_id = _text(_field(document, "bulkid"))
        items = _field(document, "recipient")
        top_status, top_raw = map_status(
            _field(document, "statusStr"), _field(document, "statusInt")
        )
        top_refused = top_status == "rejected"
        top_text = _said(_text(_field(document, "statusDesc")))
        if not isinstance(items, list):
            if top_refused and bulk_id is None and _field(document, "requestid") is None:
                # The whole request refused, before any message had an id.
                return [
                    SendResult(
                        recipient=r.number,
                        local_id=r.local_id,
                        status="rejected",
                        provider_code=top_raw,
                        provider_text=top_text,
                        error=_refusal("rejected"),
                    )
                    for r in request.recipients
                ]
            return [
                SendResult(
                    recipient=r.number,
                    local_id=r.local_id,
                    status="unknown",
                    error="the bulk answer has no recipient list",
                    bulk_id=bulk_id,
                )
                for r in request.recipients
            ]
        by_key: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            if isinstance(item, dict) and _field(item, "key") is not None:
                by_key.setdefault(str(_field(item, "key")), []).append(item)
        # The request's refusal is the items' only when the answer names no job at all: a bulk
        # id or any request id says messages were created.
        inherit = (
            bulk_id is None
            and _text(_field(document, "requestid")) is None
            and not any(isinstance(i, dict) and _text(_field(i, "requestid")) for i in items)
        )
        return [
            self._bulk_item(
                recipient, by_key.get(recipient.local_id, []), document, bulk_id, inherit
            )
            for recipient in request.recipients
        ]

    def _bulk_item(
        self,
        recipient: Recipient,
        items: list[dict[str, Any]],
        document: dict[str, Any],
        bulk_id: str | None,
        inherit: bool = True,
    ) -> SendResult:
        def unknown(error: str, request_id: str | None = None) -> SendResult:
            return SendResult(
                recipient=recipient.number,
                local_id=recipient.local_id,
                status="unknown",
                id=request_id,
                error=error,
                bulk_id=bulk_id,
            )

        if not items:
            return unknown("the bulk answer does not mention this recipient")
        readings = {
            (_text(_field(item, "requestid")), _item_status(item, document)[0]) for item in items
        }
        ids = sorted({request_id for request_id, _ in readings if request_id is not None})
        if len(readings) > 1:  # one key, several different answers: none can be believed
            named = f" (request ids {', '.join(ids)})" if ids else ""
            return unknown(
                f"the bulk answer gives conflicting results for this recipient{named}",
                ids[0] if ids else None,
            )
        item = items[0]
        request_id = _text(_field(item, "requestid"))
        (status, raw), own = _item_status(item, document)
        # An item's own refusal is final with or without a request id; an item without a state
        # shares the request's refusal only when it names no request id (an id says a message
        # exists: the answer contradicts itself, so the outcome is unknown).
        refused = status in REFUSED and (own or status == "rejected")
        if request_id is None and not refused:
            return unknown("the bulk answer gives no request id for this recipient")
        if request_id is None and not own and refused and not inherit:
            return unknown(
                "the bulk answer refuses the request but names a bulk job; this recipient has "
                "no state of its own"
            )
        if request_id is not None and not own and status in REFUSED:
            return unknown(
                "the bulk answer refuses the request but gives this recipient a request id",
                request_id,
            )
        return SendResult(
            recipient=recipient.number,
            local_id=recipient.local_id,
            status=status,
            id=request_id,
            provider_code=raw,
            provider_text=_said(_text(_field(item, "statusDesc")))
            or (None if own else _said(_text(_field(document, "statusDesc")))),
            error=_refusal(status),
            bulk_id=bulk_id,
        )

    # -- reports -------------------------------------------------------------------------------

    def status_of(self, messages: Sequence[StatusQuery]) -> list[DeliveryReport]:
        """§3.5: one delivery request per bulk id, whose answer lists every recipient of it;
        a message sent alone has only its own request id to ask by."""
        return self.status(list(dict.fromkeys(m.bulk_id or m.id for m in messages)))

    def status(self, ids: Sequence[str]) -> list[DeliveryReport]:
        reports: list[DeliveryReport] = []
        for message_id in ids:
            # §3.8: an unknown request id is a 404 with Connectel's own error object; any other
            # 404 or 405 is a wrong base URL, which the transport reports (exit 4).
            response = self.transport.query(
                "GET",
                DELIVERY_PATH,
                params={"authorization": self.credentials["token"], "requestid": message_id},
                not_found_keys=("statusStr", "statusInt", "statusstr", "statusint"),
            )
            document = json_object(response)
            if response.status_code == 404:
                reports.append(
                    DeliveryReport(id=message_id, status="unknown", provider_status=None)
                )
                continue
            if document is None:
                raise ProviderUnavailable(
                    f"{self.info.title} sent a delivery answer smsctl cannot read; try again later"
                )
            items = _field(document, "recipient")
            if isinstance(items, list):
                bulk_id = str(_field(document, "bulkid") or message_id)
                reports.extend(
                    _report(item, bulk_id=bulk_id) for item in items if isinstance(item, dict)
                )
            else:
                reports.append(_report(document, fallback_id=message_id))
        return reports

    def check_token(self) -> TokenCheck:
        """The cheapest authenticated request Connectel has: a delivery lookup (§3.5, a GET
        that sends and costs nothing) of an id no message has. A good token gets the unknown-id
        answer (404 with Connectel's object, or 200); a wrong one the auth refusal (§3.8: 401,
        403, or 200 with an UNAUTHORIZED object)."""
        response = self.transport.query(
            "GET",
            DELIVERY_PATH,
            params={"authorization": self.credentials["token"], "requestid": CHECK_ID},
            not_found_keys=("statusStr", "statusInt", "statusstr", "statusint"),
        )
        document = json_object(response)
        word = str(_field(document, "statusStr") or "").upper() if document is not None else ""
        if word in AUTH_WORDS:
            raise AuthError(
                f"{self.info.title} refused the token ({word})",
                hint="check the profile's token: smsctl profile show",
            )
        if document is None:
            raise ProviderUnavailable(
                f"{self.info.title} sent an answer smsctl cannot read; try again later"
            )
        return TokenCheck(server_date=answer_date(response.headers))


# The fields of §3.6 and §3.7, read in any case as the send side reads its answers (`Action`,
# `RequestId`, `StatusStr` all occur).
CALLBACK_FIELDS: Final = (
    "action",
    "requestid",
    "statusStr",
    "statusInt",
    "statusDesc",
    "recipient",
    "from",
    "to",
    "message",
)


def _documented_names(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields with each documented name present under its documented spelling."""
    named = dict(fields)
    for name in CALLBACK_FIELDS:
        if name not in named:
            value = _field(named, name)
            if value is not None:
                named[name] = value
    return named


def _item_status(
    item: dict[str, Any], document: dict[str, Any]
) -> tuple[tuple[Status, str | None], bool]:
    """A bulk item's (status, raw) and whether the item gave it; else the request's."""
    own = _field(item, "statusStr") is not None or _field(item, "statusInt") is not None
    source = item if own else document
    return map_status(_field(source, "statusStr"), _field(source, "statusInt")), own


def _report(
    item: dict[str, Any], *, fallback_id: str | None = None, bulk_id: str | None = None
) -> DeliveryReport:
    status, raw = map_status(_field(item, "statusStr"), _field(item, "statusInt"))
    recipient = _field(item, "recipient")
    return DeliveryReport(
        # A bulk item without a request id has no id of its own: null, never the word "None".
        id=_text(_field(item, "requestid")) or fallback_id,
        status=status,
        provider_status=raw,
        recipient=f"+{recipient}"
        if isinstance(recipient, str) and recipient.isascii() and recipient.isdigit()
        else None,
        updated_at=_parse_date(_field(item, "date")),
        bulk_id=bulk_id,
        reason=_said(_text(_field(item, "statusDesc"))),
    )


def _says_accepted(document: dict[str, Any]) -> bool:
    """Whether an answer, whatever its HTTP status, says a message was accepted: a request or
    bulk id, or a state that is not a refusal (ENROUTE, QUEUED, statusInt 0 ...), at the top
    or for any recipient of a bulk."""
    items = _field(document, "recipient")
    for item in [document, *(items if isinstance(items, list) else [])]:
        if not isinstance(item, dict):
            continue
        if _text(_field(item, "requestid")) or _text(_field(item, "bulkid")):
            return True
        status, _ = map_status(_field(item, "statusStr"), _field(item, "statusInt"))
        if status in ACCEPTED_STATUSES:
            return True
    return False


def _describe(document: dict[str, Any] | None, response: Reply) -> str | None:
    """The provider's words on a refusal, redacted whole and then cut: an error page may echo
    the request, token included (cutting first could leave a piece of it no rule matches).
    On one line: an HTML error page keeps its line breaks. Without Connectel's own fields, the
    keys other APIs use (`error`, `message`, ...: http.refusal_text)."""
    text: str | None = None
    if document is not None:
        parts = [_text(_field(document, key)) for key in ("statusStr", "statusDesc")]
        text = ": ".join(p for p in parts if p)
    if not text:
        return refusal_text(response)
    return shorten(" ".join(text.split())) or None


def _refusal(status: Status) -> str | None:
    return "rejected by the operator" if status == "rejected" else None


def _said(text: str | None) -> str | None:
    """A provider's text as a message may show it: withheld when it echoes the token."""
    return (shorten(text) or None) if text else None


def _text(value: Any) -> str | None:
    """A text field as text; a number is kept, anything else (an object, a list) is no text."""
    if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
        return None
    return str(value)
