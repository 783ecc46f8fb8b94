"""seven.io, formerly sms77.io (shared/PROVIDERS.md §2 and the sms77 seed documents).

Form POST to `/sms` with `X-Api-Key`, `Accept: application/json` and `SentWith: smsctl`. Errors
come back as HTTP 200 with a bare code (`900` or `"900"`) as the whole body (§2.3); a request can
be accepted (`"100"`) while single recipients were refused, so every `messages[]` entry is read
(§2.5.3). Reports from the journal by id, falling back to the deprecated `/status` (§2.7).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sms_cli.core.callbacks import (
    BadCallback,
    CallbackEvent,
    CallbackRequest,
    DeliveryEvent,
    InboundEvent,
    iso_time,
    object_field,
    phone,
    text_field,
)
from sms_cli.core.money import format_money
from sms_cli.core.numbers import digits
from sms_cli.core.redaction import shorten
from sms_cli.core.status import Status
from sms_cli.errors import AuthError, ExitCode, NetworkError, ProviderUnavailable
from sms_cli.providers.base import (
    AccountReader,
    Balance,
    CallbackReader,
    DeliveryReport,
    Hook,
    HookManager,
    Provider,
    Recipient,
    SearchIncomplete,
    SendRequest,
    SendResult,
    SentFinder,
    StatusQuery,
    StatusReader,
    TokenCheck,
    TokenChecker,
    accepted_despite_http,
    address_book_name,
    answer_date,
    refused_by_http,
    results_for_all,
    whole_number,
)
from sms_cli.providers.http import OutcomeUnknown, Reply, refusal_text
from sms_cli.providers.info import ProviderInfo
from sms_cli.providers.seven import INFO

# PROVIDERS.md §2.4, the mutually consistent older tables. 901 means "invalid message id" on
# /status and "signing failed" elsewhere.
CODE_TEXTS: Final[dict[str, str]] = {
    "11": "SMS carrier temporarily unavailable",
    "100": "accepted",
    "101": "sending failed for at least one recipient",
    "201": "invalid sender",
    "202": "invalid recipient number",
    "300": "authentication missing",
    "301": "recipient (to) missing",
    "304": "type missing",
    "305": "text missing",
    "306": "invalid sender",
    "401": "text too long",
    "402": "blocked by the reload lock: the same SMS was sent to this recipient within 180 s",
    "403": "daily limit reached for this recipient number",
    "500": "not enough credit",
    "600": "carrier delivery failed",
    "700": "unknown error",
    "900": "authentication failed: invalid API key",
    "901": "invalid message id, or request signing failed",
    "902": "this API key lacks the rights for this endpoint",
    "903": "this IP address is not allowed for this API key",
}
AUTH_CODES: Final = frozenset({"300", "900", "901", "902", "903"})
# Request-level codes after which nothing was sent. 600 (carrier failed) and 11 (carrier
# unavailable) concern delivery, so they are failures rather than refusals.
REFUSED_CODES: Final = frozenset(
    {"201", "202", "301", "304", "305", "306", "401", "402", "403", "500"}
)
FAILED_CODES: Final = frozenset({"11", "600"})

# PROVIDERS.md §1.1.
STATUS_MAP: Final[dict[str, Status]] = {
    "ACCEPTED": "enroute",
    "TRANSMITTED": "enroute",
    "BUFFERED": "enroute",
    "DELIVERED": "delivered",
    "NOTDELIVERED": "failed",
    "FAILED": "failed",
    "EXPIRED": "expired",
    "REJECTED": "rejected",
    "UNKNOWN": "unknown",
}


# §2.10.1. `all` covers every event; smsctl reads `dlr` and `sms_mo`.
HOOK_EVENTS: Final = ("all", "dlr", "sms_mo")
HOOK_METHODS: Final = ("POST", "GET", "JSON")
SIGNATURE_MAX_AGE: Final = 300.0  # seconds, as the official WebhookVerifier (§2.10.2)
JOURNAL_PAGES: Final = 50  # find_sent reads at most 5,000 journal rows
# Ids one `GET /status` names (§7.E: a comma list, its longest undocumented): the journal's
# page size (§2.9), and a query string of about 1.3 kB for 12-digit ids.
STATUS_BATCH: Final = 100


def signature(secret: str, timestamp: str, nonce: str, method: str, url: str, body: bytes) -> str:
    """§2.2: hex HMAC-SHA256 over timestamp, nonce, METHOD, URL and md5(body), one per line."""
    body_hash = hashlib.md5(body, usedforsecurity=False).hexdigest()
    message = "\n".join((timestamp, nonce, method.upper(), url, body_hash))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def code_of(body: Any) -> str | None:
    """An API code when the body is one: a bare number, a string of digits, or {code: ...}."""
    number = whole_number(body)
    if number is not None:
        return str(number) if number >= 0 else None
    if isinstance(body, dict) and "messages" not in body:
        for key in ("code", "error_code"):
            number = whole_number(body.get(key))
            if number is not None and number >= 0:
                return str(number)
    return None


def map_status(value: Any) -> Status:
    if value is None:
        return "queued"  # §1.1: no report yet
    return STATUS_MAP.get(str(value).upper(), "unknown")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class AnsweredInDebugMode(NetworkError):
    """The gateway answered a real send in debug mode: nothing was sent. A NetworkError (refused
    before processing: recorded as not sent, a bulk job pauses) with the configuration's exit
    code, as a base URL that reaches no handler (errors.EndpointNotFound)."""

    exit_code = ExitCode.CONFIG
    code = "config"


class Seven(
    Provider,
    StatusReader,
    SentFinder,
    AccountReader,
    HookManager,
    CallbackReader,
    TokenChecker,
):
    info: ClassVar[ProviderInfo] = INFO
    account_codes: ClassVar[frozenset[str]] = frozenset({"500"})  # §2.4: not enough credit

    def headers(self) -> dict[str, str]:
        return {
            "X-Api-Key": self.credentials["token"],
            "Accept": "application/json",
            "SentWith": "smsctl",
        }

    # -- sending -------------------------------------------------------------------------------

    def send_form(self, request: SendRequest) -> dict[str, str]:
        """The form fields of a send; booleans as 1, unset options left out (§2.3)."""
        options = request.options
        form: dict[str, str] = {
            "to": ",".join(wire_recipient(r.number) for r in request.recipients),
            "text": request.text,
        }
        if request.sender:
            form["from"] = request.sender
        flags = {
            "flash": options.flash,
            "performance_tracking": options.performance_tracking,
            "no_reload": options.no_reload,
            "unicode": options.unicode,
            "utf8": options.utf8,  # only when asked: deprecated, the gateway detects it (§7.D.2)
            "debug": options.test,
        }
        form.update({name: "1" for name, on in flags.items() if on})
        if options.send_at is not None:
            form["delay"] = str(int(options.send_at.timestamp()))
        if options.ttl_minutes is not None:
            form["ttl"] = str(options.ttl_minutes)
        if options.label:
            form["label"] = options.label
        if options.foreign_id:
            form["foreign_id"] = options.foreign_id
        if options.udh:
            form["udh"] = options.udh
        for i, attachment in enumerate(options.attachments):
            form[f"files[{i}][name]"] = attachment.name
            form[f"files[{i}][contents]"] = base64.b64encode(attachment.contents).decode("ascii")
            if attachment.validity_days is not None:
                form[f"files[{i}][validity]"] = str(attachment.validity_days)
            if attachment.password:
                form[f"files[{i}][password]"] = attachment.password
        return form

    def send(self, request: SendRequest) -> list[SendResult]:
        try:
            response = self.transport.send("POST", "sms", data=self.send_form(request))
        except OutcomeUnknown as exc:
            return results_for_all(request, "unknown", error=exc.reason)
        if not response.is_success:  # a 4xx: the transport raised for the others
            if _says_accepted(response):
                try:
                    accepted = self._read_answer(request, response)
                except AuthError:  # a success code beside an auth code: it may have been sent
                    accepted = results_for_all(request, "unknown", error=None)
                return accepted_despite_http(accepted, self.info.title, response.status_code)
            return refused_by_http(
                request, self.info.title, response.status_code, refusal_text(response)
            )
        return self._read_answer(request, response)

    def _read_answer(self, request: SendRequest, response: Reply) -> list[SendResult]:
        try:
            body = response.json()
        except ValueError:
            legacy = parse_text_answer(response.text)
            if legacy is None:
                return results_for_all(
                    request, "unknown", error="the send answer could not be read"
                )
            return self._text_answer(request, legacy)
        code = code_of(body)
        if code is None and isinstance(body, dict) and not isinstance(body.get("messages"), list):
            code = code_of(body.get("success"))  # {"success": "900"}: the code, in JSON
        if code is not None:
            if code not in ("100", "101") and _body_says_accepted(body):
                # {"success": "100", "code": 900}: accepted and refused at once. It may have
                # been sent: neither a refusal nor an auth failure can be believed.
                text = CODE_TEXTS.get(code, f"code {code}")
                return results_for_all(
                    request,
                    "unknown",
                    error=f"the answer says both accepted (success 100) and {text} (code {code})",
                    provider_code=code,
                )
            return self._request_level(request, code)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return results_for_all(request, "unknown", error="the send answer has no messages")
        return self._per_message(request, body)

    def _debug_error(self, request: SendRequest, debug: Any, nothing_sent: bool) -> str | None:
        """An answer in debug mode to a send that did not ask for one. Only the documented debug
        shape (no message id, nothing charged) proves nothing went out (§2.3: `debug` sends
        nothing and charges nothing); then only the gateway's configuration can cause it (a test
        base URL, an account or key in test mode), so it is a configuration error and the
        messages are recorded as not sent. A debug answer that gives an id or a price
        contradicts itself: the returned text makes the messages unknown, keeping their ids."""
        if request.options.test or _success(debug) is not True:
            return None
        if nothing_sent:
            raise AnsweredInDebugMode(
                f"{self.info.title} answered in debug mode: nothing was sent",
                hint="is the profile's base URL or account in test mode? check with "
                "`smsctl profile show`",
            )
        return (
            "the answer says debug mode (nothing sent) but gives a message id or a price: "
            "it may have been sent"
        )

    def _test_not_honoured(self, request: SendRequest, debug: Any, sent: bool) -> str | None:
        """With --test, an answer that says debug false, or gives an id or a price, was a real
        send: the warning to show, None when the test flag was honoured."""
        if not request.options.test:
            return None
        said_false = _success(debug) is False
        if not (said_false or sent):
            return None
        return (
            f"{self.info.title} did NOT honour the test flag: its answer "
            + ("says debug false" if said_false else "gives message ids or a price")
            + "; these messages were treated as REALLY SENT (and may be charged)"
        )

    def _request_level(self, request: SendRequest, code: str) -> list[SendResult]:
        text = CODE_TEXTS.get(code, f"code {code}")
        if code in AUTH_CODES:
            raise AuthError(
                f"{self.info.title} refused the request: {text} (code {code})",
                hint="check the profile's token: smsctl profile show",
            )
        if code == "100":
            # Seeds 001/002: a bare 100 is the documented success answer ("accepted by the
            # gateway"), only without ids, so `status` cannot follow these messages.
            return results_for_all(
                request, "queued", error=None, provider_code=code, provider_text=text
            )
        one_number = len(request.recipients) == 1 and not _book_label(request.recipients[0].number)
        if code == "402":
            # §4.3: the reload lock refuses the whole request, whoever of it got the text
            # before; so nothing of it was sent, and saying "rejected" alone would suggest a
            # message that went out and was refused.
            whom = "this recipient" if one_number else "a recipient of this request"
            return [
                replace(result, reload_locked=True)
                for result in results_for_all(
                    request,
                    "rejected",
                    error=f"not sent: refused by {self.info.title}'s reload lock (the same text "
                    f"went to {whom} within the last 180 s)",
                    provider_code=code,
                    provider_text=text,
                )
            ]
        if code in REFUSED_CODES or (code == "101" and one_number):
            # 101 is "failed for at least one recipient": with one number, that one.
            status: Status = "rejected"
        elif code in FAILED_CODES:
            status = "failed"
        else:  # 101 without details, 700 unknown error: it may have been sent
            status = "unknown"
        return results_for_all(
            request, status, error=text, provider_code=code, provider_text=CODE_TEXTS.get(code)
        )

    def _text_answer(self, request: SendRequest, answer: TextAnswer) -> list[SendResult]:
        """The legacy text answer (seeds 001/002): a code, then an id or labelled details."""
        if answer.code != "100":
            return self._request_level(request, answer.code)
        details = answer.details
        booked = _float(details.get("booked"))
        contradiction = self._debug_error(
            request, details.get("debug"), answer.id is None and booked == 0
        )
        warning = self._test_not_honoured(
            request, details.get("debug"), answer.id is not None or bool(booked)
        )
        one = len(request.recipients) == 1
        return [
            SendResult(
                recipient=r.number,
                local_id=r.local_id,
                status="unknown" if contradiction else "queued",
                error=contradiction,
                answer_notes=(warning,) if warning else (),
                test_not_honoured=warning is not None,
                # One id for several recipients cannot be told apart: keep none.
                id=answer.id if one else None,
                price=_float(details.get("price")) if one else None,
                provider_code="100",
                provider_text=CODE_TEXTS["100"],
                provider_encoding=encoding_of(details.get("encoding")),
                balance=_float(details.get("balance")),
                address_book=_book_label(r.number),
            )
            for r in request.recipients
        ]

    def _per_message(self, request: SendRequest, body: dict[str, Any]) -> list[SendResult]:
        entries = [m for m in body["messages"] if isinstance(m, dict)]
        total = _float(body.get("total_price"))
        sent = bool(total) or any(
            _message_id(e.get("id")) is not None or bool(_float(e.get("price"))) for e in entries
        )
        contradiction = self._debug_error(request, body.get("debug"), not sent)
        warning = self._test_not_honoured(request, body.get("debug"), sent)
        balance = _float(body.get("balance"))  # §7.D.1: the account balance after this request
        if any(address_book_name(r.number) is not None for r in request.recipients):
            results, extra = self._with_address_book(request, entries)
        else:
            results, extra = self._by_number(request, entries)
        notes: tuple[str, ...] = ()
        if extra:
            ids = [i for i in (_message_id(e.get("id")) for e in extra) if i is not None]
            named = f" (ids {', '.join(ids)})" if ids else ""
            notes = (
                f"{self.info.title}'s answer lists {len(extra)} message(s) for no recipient of "
                f"this send{named}; smsctl did not record them",
            )
        if warning:
            notes = (warning, *notes)
        if contradiction:
            results = [
                r if r.status == "rejected" else replace(r, status="unknown", error=contradiction)
                for r in results
            ]
        return [
            replace(
                r,
                balance=balance,
                answer_total_price=total,
                answer_notes=notes,
                test_not_honoured=warning is not None,
            )
            for r in results
        ]

    def _by_number(
        self, request: SendRequest, entries: list[dict[str, Any]]
    ) -> tuple[list[SendResult], list[dict[str, Any]]]:
        """Each recipient takes the first unclaimed entry that echoes its number (§2.5.2 echoes
        digits; `0049…` and spaced forms occur too). An entry is never used twice: a recipient
        matched by number and another by position could both take one entry, and one refusal
        would mark a sent message rejected. Request order decides only for an entry that
        echoes no readable number, when the counts agree; a recipient left without an entry is
        unknown."""
        echoed = [_echoed_number(entry) for entry in entries]
        claimed: dict[int, int] = {}  # recipient position -> entry index
        taken: set[int] = set()
        for position, recipient in enumerate(request.recipients):
            wanted = digits(recipient.number)
            for index, number in enumerate(echoed):
                if index not in taken and number == wanted:
                    claimed[position] = index
                    taken.add(index)
                    break
        if len(entries) == len(request.recipients):
            for position in range(len(request.recipients)):
                if position not in claimed and position not in taken and echoed[position] is None:
                    claimed[position] = position
                    taken.add(position)
        results = [
            self._result(recipient.number, recipient.local_id, entries[claimed[position]])
            if position in claimed
            else _unmentioned(recipient)
            for position, recipient in enumerate(request.recipients)
        ]
        return results, [entry for index, entry in enumerate(entries) if index not in taken]

    def _with_address_book(
        self, request: SendRequest, entries: list[dict[str, Any]]
    ) -> tuple[list[SendResult], list[dict[str, Any]]]:
        """§7.D.3: a name may expand to any number of `messages[]`, so numbers are matched by
        number, a refused name by its echo, and the rest belong to the names, in answer order.

        Each name's first message takes the name's own record; further ones are new messages
        (the caller gives them their own local ids). The results keep request order.
        """
        left = list(entries)
        found: dict[str, list[SendResult]] = {}
        names = [r for r in request.recipients if address_book_name(r.number) is not None]
        for recipient in request.recipients:
            name = address_book_name(recipient.number)
            for entry in list(left):
                if (
                    _echoed_number(entry) == digits(recipient.number)
                    if name is None
                    else str(entry.get("recipient") or "").casefold() == name.casefold()
                ):
                    left.remove(entry)
                    found.setdefault(recipient.local_id, []).append(
                        self._result(recipient.number, recipient.local_id, entry)
                    )
                    if name is None:
                        break
        empty = [r for r in names if r.local_id not in found]
        if left and empty:
            # With several names there is no way to tell whose numbers these are (equal counts
            # prove nothing: a group may hold any number of members). The first name holds them,
            # labelled with every name; the others stay unknown.
            owner, label = empty[0], ",".join(r.number for r in empty)
            for entry in left:
                number = str(entry.get("recipient") or "")
                shown = f"+{number}" if _ascii_digits(number) else (number or owner.number)
                result = self._result(shown, owner.local_id, entry)
                found.setdefault(owner.local_id, []).append(replace(result, address_book=label))
        results: list[SendResult] = []
        for recipient in request.recipients:
            results += found.get(recipient.local_id) or [_unmentioned(recipient)]
        return results, ([] if empty else left)

    def _result(self, number: str, local_id: str, entry: dict[str, Any]) -> SendResult:
        """One `messages[]` entry. Accepted only when `success` clearly says so; refused only
        when the entry has no id and says it failed. An entry with an id that does not clearly
        say success is unknown and keeps the id, so `status` can settle it: an id means the
        gateway took the message, whatever else the entry says."""
        success = _success(entry.get("success"))
        message_id = _message_id(entry.get("id"))
        error_code = entry.get("error")
        # The provider's words, redacted whole and then cut to a line (they may echo the request).
        error_text = shorten(str(entry["error_text"])) if entry.get("error_text") else None
        code = str(error_code) if error_code not in (None, "", 0, "0", False) else None
        if success is True:
            status: Status = "queued"
            error = None
        elif message_id is None and (success is False or code is not None):
            status = "rejected"
            error = error_text or CODE_TEXTS.get(code or "", "refused")
        else:
            status = "unknown"
            error = (
                f"the answer gives this message an id ({message_id}) but does not say it was "
                "accepted"
                if message_id is not None
                else "the answer does not say whether this message was accepted"
            )
        return SendResult(
            recipient=number,
            local_id=local_id,
            status=status,
            id=message_id,
            parts=_parts(entry.get("parts")),
            price=_float(entry.get("price")),
            provider_encoding="binary"
            if entry.get("is_binary") in (True, "true", 1, "1")
            else encoding_of(entry.get("encoding")),
            address_book=_book_label(number),
            provider_code=code,
            provider_text=str(error_text) if error_text else None,
            error=error,
        )

    # -- reports and account -------------------------------------------------------------------

    def status(self, ids: Sequence[str]) -> list[DeliveryReport]:
        return [self._one_status(message_id) for message_id in ids]

    def status_of(self, messages: Sequence[StatusQuery]) -> list[DeliveryReport]:
        """A campaign's messages, STATUS_BATCH ids a request: §2.7.1 / §7.E `GET /status` takes
        a comma-separated list and answers one item per id, where the journal (§2.7.3, §2.9)
        takes one id a request, or pages through every message of a day. An id the answer does
        not list is one the gateway does not know (reported as not found: the history keeps
        what it had)."""
        ids = list(dict.fromkeys(m.id for m in messages))
        reports: list[DeliveryReport] = []
        for start in range(0, len(ids), STATUS_BATCH):
            reports += self._status_list(ids[start : start + STATUS_BATCH])
        return reports

    def _status_list(self, ids: Sequence[str]) -> list[DeliveryReport]:
        response = self.transport.query("GET", "status", params={"msg_id": ",".join(ids)})
        body = _body(response)
        code = code_of(body)
        if code == "901" or body == []:  # §2.7.1: none of the ids is known
            body = []
        elif code is not None:
            self._raise_query_code(code)
        if not isinstance(body, list):
            raise ProviderUnavailable(
                f"{self.info.title} sent a status answer smsctl cannot read; try again later"
            )
        found: dict[str, DeliveryReport] = {}
        for item in body:
            if not isinstance(item, dict) or str(item.get("id")) not in ids:
                continue  # an item for an id not asked about says nothing about ours
            message_id = str(item.get("id"))
            found[message_id] = DeliveryReport(
                id=message_id,
                status=map_status(item.get("status")),
                provider_status=item.get("status"),
                updated_at=_parse_time(item.get("status_time") or item.get("statusTime")),
            )
        return [
            found.get(i) or DeliveryReport(id=i, status="unknown", provider_status=None)
            for i in ids
        ]

    def _one_status(self, message_id: str) -> DeliveryReport:
        rows = self.journal(id=message_id)
        for row in rows:
            if str(row.get("id")) == message_id:
                return DeliveryReport(
                    id=message_id,
                    status=map_status(row.get("dlr")),
                    provider_status=row.get("dlr"),
                    recipient=_plus(row.get("to")),
                    updated_at=_parse_time(row.get("dlr_timestamp") or row.get("timestamp")),
                )
        response = self.transport.query("GET", "status", params={"msg_id": message_id})
        body = _body(response)
        code = code_of(body)
        # §2.7.1: an unknown id is the bare code 901 (or, untested, an empty list); any other
        # code is an error, and an unreadable answer says nothing about the id.
        if code == "901" or body == []:
            return DeliveryReport(id=message_id, status="unknown", provider_status=None)
        if code is not None:
            self._raise_query_code(code)
        if not isinstance(body, list):
            raise ProviderUnavailable(
                f"{self.info.title} sent a status answer smsctl cannot read; try again later"
            )
        item = body[0] if isinstance(body[0], dict) else {}
        return DeliveryReport(
            id=message_id,
            status=map_status(item.get("status")),
            provider_status=item.get("status"),
            updated_at=_parse_time(item.get("status_time") or item.get("statusTime")),
        )

    def find_sent(self, *, foreign_id: str, recipient: str, sent_on: str) -> DeliveryReport | None:
        """PROVIDERS.md §4.5: the journal by recipient and day, matched on our foreign_id. At most
        JOURNAL_PAGES pages within the timeout; a page that repeats the previous one (a gateway
        ignoring `offset`) or a search cut short raises SearchIncomplete: not finding the message
        then proves nothing."""
        clock = self.transport.clock
        end = clock() + self.transport.timeout
        previous: list[str] | None = None
        for page in range(JOURNAL_PAGES):
            rows = self.journal(
                to=digits(recipient), date_from=sent_on, limit="100", offset=str(page * 100)
            )
            for row in rows:
                if row.get("foreign_id") == foreign_id:
                    return DeliveryReport(
                        id=str(row.get("id")),
                        status=map_status(row.get("dlr")),
                        provider_status=row.get("dlr"),
                        recipient=_plus(row.get("to")),
                        updated_at=_parse_time(row.get("dlr_timestamp") or row.get("timestamp")),
                    )
            if len(rows) < 100:
                return None
            ids = [str(row.get("id")) for row in rows]
            if ids == previous:
                raise SearchIncomplete(
                    f"{self.info.title}'s journal repeats the same page (it ignores the offset)"
                )
            previous = ids
            if clock() >= end:
                raise SearchIncomplete(
                    f"searching {self.info.title}'s journal took longer than the timeout"
                )
        raise SearchIncomplete(
            f"{self.info.title}'s journal holds more than {JOURNAL_PAGES * 100} messages to this "
            "number that day; smsctl stopped searching"
        )

    def find_sent_many(
        self, *, foreign_id: str, recipients: Sequence[str], sent_on: str
    ) -> tuple[dict[str, DeliveryReport], str | None]:
        """The recipients of one request (one foreign_id): the journal of that day, paged (100
        rows a page, at most JOURNAL_PAGES, within the timeout), matched on our foreign_id and
        the number, instead of one search per recipient. Stops once every recipient is found."""
        if len(recipients) < 2:
            return super().find_sent_many(
                foreign_id=foreign_id, recipients=recipients, sent_on=sent_on
            )
        wanted = {digits(r): r for r in recipients}
        found: dict[str, DeliveryReport] = {}
        clock = self.transport.clock
        end = clock() + self.transport.timeout
        previous: list[str] | None = None
        for page in range(JOURNAL_PAGES):
            rows = self.journal(
                date_from=sent_on, date_to=sent_on, limit="100", offset=str(page * 100)
            )
            for row in rows:
                recipient = wanted.get(digits(str(row.get("to") or "")))
                if recipient is None or row.get("foreign_id") != foreign_id:
                    continue
                found[recipient] = DeliveryReport(
                    id=str(row.get("id")),
                    status=map_status(row.get("dlr")),
                    provider_status=row.get("dlr"),
                    recipient=_plus(row.get("to")),
                    updated_at=_parse_time(row.get("dlr_timestamp") or row.get("timestamp")),
                )
            if len(found) == len(wanted) or len(rows) < 100:
                return found, None
            ids = [str(row.get("id")) for row in rows]
            if ids == previous:
                return found, f"{self.info.title}'s journal repeats the same page"
            previous = ids
            if clock() >= end:
                return found, f"searching {self.info.title}'s journal took longer than the timeout"
        return found, (
            f"{self.info.title}'s journal holds more than {JOURNAL_PAGES * 100} messages that "
            "day; smsctl stopped searching"
        )

    def journal(self, **params: str) -> list[dict[str, Any]]:
        """Outbound journal rows (§2.9), e.g. journal(id=...) or journal(to=..., date_from=...)."""
        response = self.transport.query("GET", "journal/outbound", params=params)
        body = _body(response)
        code = code_of(body)
        if code is not None:
            self._raise_query_code(code)
        return [row for row in body if isinstance(row, dict)] if isinstance(body, list) else []

    def balance(self) -> Balance:
        return self._balance()[0]

    def _balance(self) -> tuple[Balance, Reply]:
        response = self.transport.query("GET", "balance")
        body = _body(response)
        code = code_of(body)
        if code is not None:
            self._raise_query_code(code)
        amount = _float(body.get("amount")) if isinstance(body, dict) else None
        if isinstance(body, dict) and amount is not None:
            return Balance(amount=amount, currency=str(body.get("currency") or "")), response
        raise ProviderUnavailable(f"{self.info.title} sent an unreadable balance")

    def check_token(self) -> TokenCheck:
        """§2.8: `GET /balance` is the cheapest authenticated request; a wrong key is 900."""
        balance, response = self._balance()
        return TokenCheck(
            detail=f"balance {format_money(balance.amount, balance.currency or None)}",
            server_date=answer_date(response.headers),
        )

    # -- webhooks (§2.10) ---------------------------------------------------------------------

    def hooks(self) -> list[Hook]:
        body = self._hooks_body(self.transport.query("GET", "hooks"))
        entries = body.get("hooks") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise ProviderUnavailable(f"{self.info.title} sent an unreadable list of hooks")
        return [
            Hook(
                id=str(entry.get("id")),
                url=str(entry.get("target_url") or ""),
                event=str(entry.get("event_type") or ""),
                method=entry.get("request_method"),
                filter=entry.get("event_filter") or None,
                enabled=entry.get("enabled") not in (False, 0, "0", "false"),
                created=entry.get("created"),
            )
            for entry in entries
            if isinstance(entry, dict)
        ]

    def add_hook(self, url: str, event: str, method: str | None = None) -> str:
        form = {"target_url": url, "event_type": event}
        if method:
            form["request_method"] = method
        # Not retried once it may have arrived: a second try could register the hook twice.
        try:
            reply = self.transport.send("POST", "hooks", data=form)
        except OutcomeUnknown as exc:
            raise ProviderUnavailable(
                f"{exc.reason}; the hook may or may not be registered",
                hint="check with: smsctl hooks list",
            ) from None
        body = self._hooks_body(reply)
        if not isinstance(body, dict) or _success(body.get("success")) is not True:
            detail = body.get("error_message") if isinstance(body, dict) else None
            code = body.get("code") if isinstance(body, dict) else None
            # The provider's words, withheld whole when they echo any piece of the token.
            said = shorten(str(detail)) if detail else None
            reason = said or (f"code {shorten(str(code))}" if code else "no reason given")
            raise ProviderUnavailable(f"{self.info.title} refused the hook: {reason}")
        return str(body.get("id"))

    def remove_hook(self, hook_id: str) -> bool:
        body = self._hooks_body(self.transport.query("DELETE", "hooks", params={"id": hook_id}))
        return isinstance(body, dict) and _success(body.get("success")) is True

    def _hooks_body(self, response: Reply) -> Any:
        body = _body(response)
        code = code_of(body)
        if code is not None:
            self._raise_query_code(code)
        return body

    @classmethod
    def parse_callback(cls, fields: Mapping[str, Any]) -> CallbackEvent:
        """§2.10.3: `dlr` and `sms_mo` webhooks, from a form, a query string or JSON."""
        event = text_field(fields, "webhook_event")
        if event not in ("dlr", "sms_mo"):
            raise BadCallback(f"smsctl does not handle {event!r} webhooks", status=422)
        data = object_field(fields, "data")
        if event == "dlr":
            raw = text_field(data, "status")
            assert raw is not None
            return DeliveryEvent(
                provider="seven",
                message_id=str(text_field(data, "msg_id", "id")),
                status=map_status(raw),
                provider_status=raw.upper(),
                at=iso_time(text_field(data, "timestamp", required=False))
                or iso_time(text_field(fields, "webhook_timestamp", required=False)),
            )
        return InboundEvent(
            provider="seven",
            id=text_field(data, "id", required=False),
            sender=str(phone(text_field(data, "sender", "from"))),
            recipient=phone(text_field(data, "system", "to", required=False)),
            text=text_field(data, "text", required=False) or "",
            sent_at=iso_time(text_field(data, "time", required=False)),
        )

    @classmethod
    def callback_problem(
        cls, request: CallbackRequest, signing_keys: Sequence[str], now: float
    ) -> str | None:
        if not signing_keys:
            return None
        given = request.headers.get("x-signature", "")
        timestamp = request.headers.get("x-timestamp", "")
        nonce = request.headers.get("x-nonce", "")
        if not (given and timestamp and nonce):
            return "the request is not signed"
        given = given.strip().lower()
        # Headers arrive as latin-1 text; anything beyond ASCII cannot be a hex digest, and
        # hmac.compare_digest refuses non-ASCII text outright.
        if not (given.isascii() and timestamp.isascii() and nonce.isascii()):
            return "the signature headers are not ASCII"
        try:
            age = abs(now - float(timestamp))
        except ValueError:
            age = math.nan
        if not math.isfinite(age):  # "nan" would pass any age check
            return "the signature timestamp is not a number"
        if age > SIGNATURE_MAX_AGE:
            return f"the signature is {age:.0f} s old (at most {SIGNATURE_MAX_AGE:.0f})"
        for key in signing_keys:
            expected = signature(key, timestamp, nonce, request.method, request.url, request.body)
            if hmac.compare_digest(expected, given):
                return None
        return "the signature does not match (wrong signing key, or a different URL)"

    def _raise_query_code(self, code: str) -> None:
        text = CODE_TEXTS.get(code, f"code {code}")
        if code in AUTH_CODES:
            raise AuthError(f"{self.info.title} refused the request: {text} (code {code})")
        raise ProviderUnavailable(f"{self.info.title} answered code {code}: {text}")


def _says_accepted(response: Reply) -> bool:
    """Whether an answer, whatever its HTTP status, says messages were accepted."""
    try:
        body = response.json()
    except ValueError:
        legacy = parse_text_answer(response.text)
        return legacy is not None and legacy.code in ("100", "101")
    return _body_says_accepted(body)


def _body_says_accepted(body: Any) -> bool:
    """The success code 100 or 101 (bare, as text, or as `success` in any spelling `_success`
    reads: 100, 100.0, true, "1"), or any message with an id or a success."""
    if code_of(body) in ("100", "101"):
        return True
    if not isinstance(body, dict):
        return False
    top = body.get("success")
    if _success(top) is True or code_of(top) == "101":
        return True
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(m, dict)
        and (_message_id(m.get("id")) is not None or _success(m.get("success")) is True)
        for m in messages
    )


def wire_recipient(recipient: str) -> str:
    """What `to` carries for one recipient: digits, or an address-book name as is (§7.D.3)."""
    name = address_book_name(recipient)
    return digits(recipient) if name is None else name


def _book_label(recipient: str) -> str | None:
    return recipient if address_book_name(recipient) is not None else None


def _success(value: Any) -> bool | None:
    """A `messages[].success`: True when it clearly says accepted (true, 1, "100": the gateway
    writes booleans, numbers and code strings alike), False when it clearly says not, None when
    it says neither (missing, or a word smsctl does not know)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int | float) else ""
    if text in ("true", "1", "100", "100.0", "1.0"):
        return True
    if text in ("false", "0", "0.0") or (text.isdigit() and text in CODE_TEXTS):
        return False
    return None


def _message_id(value: Any) -> str | None:
    """A message id as text; None for null, an empty text, or anything that is no id."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value).strip() or None


def _echoed_number(entry: dict[str, Any]) -> str | None:
    """The digits of the number a `messages[]` entry echoes, in our E.164-without-plus form
    (`+49…`, `0049…` and `49 176 …` all read alike); None when it echoes no readable number."""
    value = entry.get("recipient")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or not all(c in "0123456789 +-()/." for c in text):
        return None
    number = "".join(c for c in text if c in "0123456789")
    if text.startswith("00") and not text.startswith("+"):
        number = number[2:]
    return number or None


def _unmentioned(recipient: Recipient) -> SendResult:
    return SendResult(
        recipient=recipient.number,
        local_id=recipient.local_id,
        status="unknown",
        error="the send answer does not mention this recipient",
        address_book=_book_label(recipient.number),
    )


def encoding_of(value: Any) -> str | None:
    """The provider's word for the encoding in its own vocabulary: `ucs2` or `gsm` (§7.D.1:
    anything that is not `ucs2`, such as the legacy `ASCII`, is GSM), None when not given."""
    if not isinstance(value, str) or not value.strip():
        return None
    return "ucs2" if value.strip().lower() in ("ucs2", "ucs-2", "unicode") else "gsm"


@dataclass(frozen=True)
class TextAnswer:
    """A legacy text answer to a send (seeds 001/002; PROVIDERS.md §2.5.6)."""

    code: str
    id: str | None = None
    details: dict[str, str] = field(default_factory=dict)


# Seeds 001 (English labels) and 002 (German labels): the ten lines of a `details=1` answer.
DETAIL_LABELS: Final[dict[str, str]] = {
    "booked": "booked",
    "verbucht": "booked",
    "price": "price",
    "preis": "price",
    "credit": "balance",
    "guthaben": "balance",
    "text": "text",
    "sms type": "sms_type",
    "sms-typ": "sms_type",
    "flash sms": "flash",
    "encoding": "encoding",
    "gsm0338": "gsm0338",
    "debug": "debug",
}
_LABEL = re.compile(
    r"(?:^|(?<=\s))(" + "|".join(re.escape(k) for k in DETAIL_LABELS) + r"):[ \t]*",
    re.IGNORECASE,
)
_CODE_FIRST = re.compile(r"\s*(\d{1,4})(?:[ \t]*\r?\n|[ \t]+|$)(.*)", re.DOTALL)


def parse_text_answer(text: str) -> TextAnswer | None:
    """`100`, `100\\n<id>` (`return_msg_id=1`) or `100` and labelled details (`details=1`).

    The German page prints one value a line; the English page shows the same answers with the
    line breaks lost (`100 123456789`, `100 booked: 0 price: ...`), so both are read. None for
    anything else.
    """
    match = _CODE_FIRST.fullmatch(text)
    if match is None:
        return None
    code, rest = match.group(1), match.group(2).strip()
    if not rest:
        return TextAnswer(code)
    if _ascii_digits(rest):
        return TextAnswer(code, id=rest)
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    if len(lines) > 1:  # one labelled value a line: a text that holds "price:" stays whole
        pairs = [line.partition(":") for line in lines]
        if all(sep and label.strip().lower() in DETAIL_LABELS for label, sep, _ in pairs):
            return TextAnswer(
                code,
                details={DETAIL_LABELS[k.strip().lower()]: v.strip() for k, _, v in pairs},
            )
        return None
    found = list(_LABEL.finditer(rest))
    if not found or found[0].start() != 0:
        return None
    details = {}
    for here, after in zip(found, [*found[1:], None], strict=True):
        end = after.start() if after else len(rest)
        details[DETAIL_LABELS[here.group(1).lower()]] = rest[here.end() : end].strip()
    return TextAnswer(code, details=details)


def _body(response: Reply) -> Any:
    try:
        return response.json()
    except ValueError:
        text = response.text.strip()
        return text if _ascii_digits(text) else None


def _parts(value: Any) -> int | None:
    """A message's part count: a positive whole number, else None (0 or -1 is no count)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() and number >= 1 else None


def _float(value: Any) -> float | None:
    """A finite number, or None: `"nan"` and `"inf"` parse as floats but are no price."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _plus(value: Any) -> str | None:
    return f"+{value}" if isinstance(value, str) and _ascii_digits(value) else None


def _ascii_digits(text: str) -> bool:
    """Digits 0-9 only: str.isdigit() also takes "²" and other scripts' digits."""
    return text.isascii() and text.isdigit()
