"""The Textbelt HTTP API (docs.textbelt.com): send, status by text id, quota, signed replies.

One phone number per `POST /text` (form fields `phone`, `message`, `key`, optional `sender`);
the answer is `{"success": true, "quotaRemaining": N, "textId": "..."}` or
`{"success": false, "error": "..."}`, with HTTP 200 either way. The key is a form field, and a
path segment of `/quota/:key`: it never appears in smsctl's messages (the shared Transport names
the host only), and the profile registers it for redaction.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import quote

from sms_cli.core.callbacks import BadCallback, CallbackEvent, InboundEvent, phone, text_field
from sms_cli.core.redaction import shorten
from sms_cli.core.status import Status
from sms_cli.errors import AuthError, ProviderUnavailable
from sms_cli.providers.base import (
    AccountReader,
    Balance,
    CallbackReader,
    DeliveryReport,
    Provider,
    Recipient,
    SendRequest,
    SendResult,
    StatusReader,
    TokenCheck,
    TokenChecker,
    accepted_despite_http,
    answer_date,
    refused_by_http,
    whole_number,
)
from sms_cli.providers.http import OutcomeUnknown, Reply, json_object, refusal_text
from sms_cli.providers.info import ProviderInfo
from smsctl_textbelt import INFO

if TYPE_CHECKING:
    from sms_cli.core.callbacks import CallbackRequest

SEND_PATH: Final = "text"
TEST_SUFFIX: Final = "_test"  # docs: append `_test` to the key to test without sending

# "Other API endpoints", Checking SMS delivery status. SENDING is "queued or dispatched to
# carrier" and SENT "sent to carrier but confirmation receipt not available": both are the
# common `enroute` (handed on, no handset confirmation). Some carriers never confirm, so SENT
# may be the last word: smsctl does not call it delivered (`status --wait` ends pending, 9).
STATUS_BY_WORD: Final[dict[str, Status]] = {
    "SENDING": "enroute",
    "SENT": "enroute",
    "DELIVERED": "delivered",
    "FAILED": "failed",
    "UNKNOWN": "unknown",
}
# The code a refusal for want of credit gets: an account matter (nothing else would be sent
# either), so a bulk job pauses instead of rejecting every row. The docs' words: "Out of quota".
QUOTA_CODE: Final = "quota"
# Reply signatures: the docs ask to refuse a timestamp older than 15 minutes.
SIGNATURE_MAX_AGE: Final = 15 * 60.0


def map_status(word: Any) -> tuple[Status, str | None]:
    """(common status, raw word) for a /status answer's `status`."""
    raw = word.strip().upper() if isinstance(word, str) and word.strip() else None
    if raw is None:
        return "unknown", None
    return STATUS_BY_WORD.get(raw, "unknown"), raw


def success_of(document: Mapping[str, Any]) -> bool | None:
    """`success` as the docs give it (a JSON boolean); None when it is missing or anything else
    (a word, a number): such an answer is read as neither an acceptance nor a refusal."""
    value = document.get("success")
    return value if isinstance(value, bool) else None


def text_id_of(document: Mapping[str, Any]) -> str | None:
    """`textId`: a text in the docs, a number in some answers seen in the wild."""
    value = document.get("textId")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def quota_of(document: Mapping[str, Any]) -> float | None:
    value = document.get("quotaRemaining")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    number = whole_number(value, max_digits=12)
    return float(number) if number is not None else None


def error_of(document: Mapping[str, Any]) -> str | None:
    """The refusal's words, on one line, withheld when they echo any piece of the key."""
    value = document.get("error")
    if not isinstance(value, str) or not value.strip():
        return None
    return shorten(" ".join(value.split())) or None


def out_of_quota(document: Mapping[str, Any]) -> bool:
    error = document.get("error")
    words = error.lower() if isinstance(error, str) else ""
    return "quota" in words or "credit" in words or quota_of(document) == 0


def bad_key(document: Mapping[str, Any]) -> bool:
    """[U] The docs give no text for an unknown key; these words are how we recognise one."""
    error = document.get("error")
    words = error.lower() if isinstance(error, str) else ""
    return "key" in words and any(w in words for w in ("invalid", "disabled", "unknown"))


def signature(key: str, timestamp: str, body: bytes) -> str:
    """The docs' reply signature: hex HMAC-SHA256, keyed with the API key, of the
    X-textbelt-timestamp value followed by the raw body."""
    return hmac.new(key.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


class Textbelt(Provider, StatusReader, AccountReader, CallbackReader, TokenChecker):
    info: ClassVar[ProviderInfo] = INFO
    account_codes: ClassVar[frozenset[str]] = frozenset({QUOTA_CODE})

    def headers(self) -> dict[str, str]:
        # The key is a form field (or a path segment), never a header.
        return {"Accept": "application/json"}

    @property
    def key(self) -> str:
        return self.credentials["key"]

    # -- sending -------------------------------------------------------------------------------

    def send(self, request: SendRequest) -> list[SendResult]:
        """One POST for its one recipient: /text takes one phone number, and
        `max_recipients_per_request` is 1, so smsctl's sending service and bulk engine make one
        request per recipient and decide, between them, whether to go on (never this client:
        a request refused before it reached Textbelt raises, and nothing else is sent)."""
        if len(request.recipients) != 1:
            raise ValueError(
                f"{self.info.title} sends to one recipient per request, "
                f"not {len(request.recipients)} (INFO.max_recipients_per_request)"
            )
        return [self._send_one(request, request.recipients[0])]

    def _send_one(self, request: SendRequest, recipient: Recipient) -> SendResult:
        form = {
            "phone": recipient.number,  # E.164, as the docs advise outside the US
            "message": request.text,
            "key": self.key + TEST_SUFFIX if request.options.test else self.key,
        }
        if request.sender:
            form["sender"] = request.sender
        single = SendRequest(request.text, (recipient,), request.sender, request.options)
        try:
            response = self.transport.send("POST", SEND_PATH, data=form)
        except OutcomeUnknown as exc:
            return _result(recipient, "unknown", error=exc.reason)
        document = json_object(response)
        if not response.is_success:  # a 4xx the transport left for us to read
            if document is not None and _says_accepted(document):
                accepted = [self._read_answer(recipient, document, response)]
                return accepted_despite_http(accepted, self.info.title, response.status_code)[0]
            text = error_of(document) if document is not None else refusal_text(response)
            return refused_by_http(single, self.info.title, response.status_code, text)[0]
        if document is None:
            return _result(
                recipient,
                "unknown",
                error=f"the answer from {self.info.title} could not be read; it may have been sent",
            )
        return self._read_answer(recipient, document, response)

    def _read_answer(
        self, recipient: Recipient, document: dict[str, Any], response: Reply
    ) -> SendResult:
        success = success_of(document)
        text_id = text_id_of(document)
        balance = quota_of(document)
        if success is True and text_id is not None:
            return _result(recipient, "queued", text_id=text_id, balance=balance)
        if success is False and text_id is None:
            if bad_key(document):
                raise AuthError(
                    f"{self.info.title} refused the API key",
                    hint="check the profile's key: smsctl profile show",
                )
            said = error_of(document)
            quota = out_of_quota(document)
            return _result(
                recipient,
                "rejected",
                code=QUOTA_CODE if quota else None,
                text=said,
                error=(
                    f"{self.info.title} refused the message: {said or 'no reason given'}"
                    + ("; the key has no credit left" if quota else "")
                ),
                balance=balance,
            )
        # Accepted without an id, an id beside a refusal, or no success flag at all: the
        # message may have gone out, and smsctl cannot tell. Never resent.
        detail = (
            "it says it sent the message but gives no textId"
            if success is True
            else "its answer contradicts itself"
            if success is False
            else "its answer says neither success nor failure"
        )
        return _result(
            recipient,
            "unknown",
            text_id=text_id,
            text=error_of(document),
            error=f"{self.info.title} answered HTTP {response.status_code}, but {detail}; "
            "it may have been sent",
        )

    # -- reports and quota ---------------------------------------------------------------------

    def status(self, ids: Sequence[str]) -> list[DeliveryReport]:
        reports: list[DeliveryReport] = []
        for text_id in ids:
            response = self.transport.query(
                "GET",
                f"status/{quote(text_id, safe='')}",
                not_found_keys=("success", "error", "status"),
            )
            document = json_object(response)
            if document is None:
                raise ProviderUnavailable(
                    f"{self.info.title} sent a status answer smsctl cannot read; try again later"
                )
            if response.status_code == 404 or (
                success_of(document) is False and "status" not in document
            ):
                # [U] the docs do not say how an unknown or expired id (statuses are kept one
                # week) is answered: a refusal here means Textbelt does not know the id.
                reports.append(DeliveryReport(id=text_id, status="unknown", provider_status=None))
                continue
            status, raw = map_status(document.get("status"))
            reports.append(
                DeliveryReport(
                    id=text_id,
                    status=status,
                    provider_status=raw,
                    reason=error_of(document) if status == "failed" else None,
                )
            )
        return reports

    def balance(self) -> Balance:
        return self._quota()[0]

    def check_token(self) -> TokenCheck:
        """`GET /quota/:key` (shared/PROVIDERS.md §8): authenticated, sends and costs nothing."""
        quota, response = self._quota()
        return TokenCheck(
            detail=f"{quota.amount:g} credits left", server_date=answer_date(response.headers)
        )

    def _quota(self) -> tuple[Balance, Reply]:
        response = self.transport.query(
            "GET", f"quota/{quote(self.key, safe='')}", not_found_keys=("success", "error")
        )
        document = json_object(response)
        if document is not None and success_of(document) is False:
            if bad_key(document) or response.status_code == 404:
                raise AuthError(
                    f"{self.info.title} does not know the API key",
                    hint="check the profile's key: smsctl profile show",
                )
            said = error_of(document)
            raise ProviderUnavailable(
                f"{self.info.title} refused the quota request: {said or 'no reason given'}"
            )
        amount = quota_of(document) if document is not None else None
        if amount is None:
            raise ProviderUnavailable(f"{self.info.title} sent an unreadable quota")
        return Balance(amount=amount, currency="credits"), response

    # -- replies -------------------------------------------------------------------------------

    @classmethod
    def parse_callback(cls, fields: Mapping[str, Any]) -> CallbackEvent:
        """A reply, POSTed as JSON: `textId` (the text it answers), `fromNumber`, `text` and
        `data` (the send's webhookData). Textbelt pushes no delivery reports."""
        sender = text_field(fields, "fromNumber")
        if "text" not in fields:
            raise BadCallback("a Textbelt reply has a `text` field; this request has none")
        # textId names the message replied to, not the reply: two replies to one text share it,
        # so it is not the reply's id (which would merge them as duplicates).
        text_field(fields, "textId", required=False)  # checked: text or a number when given
        return InboundEvent(
            provider=cls.info.name,
            id=None,
            sender=str(phone(sender)),
            recipient=None,
            text=text_field(fields, "text", required=False) or "",
        )

    @classmethod
    def callback_problem(
        cls, request: CallbackRequest, signing_keys: Sequence[str], now: float
    ) -> str | None:
        if not signing_keys:
            return None
        given = request.headers.get("x-textbelt-signature", "").strip().lower()
        timestamp = request.headers.get("x-textbelt-timestamp", "").strip()
        if not (given and timestamp):
            return "the request is not signed"
        if not (given.isascii() and timestamp.isascii()):
            return "the signature headers are not ASCII"
        try:
            age = now - float(timestamp)
        except ValueError:
            age = math.nan
        if not math.isfinite(age):
            return "the signature timestamp is not a number"
        if abs(age) > SIGNATURE_MAX_AGE:
            return f"the signature is {abs(age):.0f} s old (at most {SIGNATURE_MAX_AGE:.0f})"
        for key in signing_keys:
            if hmac.compare_digest(signature(key, timestamp, request.body), given):
                return None
        return "the signature does not match (a different API key?)"


def _says_accepted(document: Mapping[str, Any]) -> bool:
    return success_of(document) is True or text_id_of(document) is not None


def _result(
    recipient: Recipient,
    status: Status,
    *,
    text_id: str | None = None,
    code: str | None = None,
    text: str | None = None,
    error: str | None = None,
    balance: float | None = None,
) -> SendResult:
    return SendResult(
        recipient=recipient.number,
        local_id=recipient.local_id,
        status=status,
        id=text_id,
        provider_code=code,
        provider_text=text,
        error=error,
        balance=balance,
    )
