"""The provider interface and its result types. No HTTP here: see http.py.

Every provider turns one `SendRequest` into one `SendResult` per recipient, in the common status
vocabulary of shared/PROVIDERS.md §1, keeping the provider's raw code and text. Failures that
concern the whole request are exceptions (AuthError, NetworkError); everything else, including
"the message may or may not have gone out", is a per-recipient result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from sms_cli.errors import ConfigError
from sms_cli.providers.info import Credential, ProviderInfo

if TYPE_CHECKING:
    from sms_cli.core.callbacks import CallbackEvent, CallbackRequest

from sms_cli.core.status import FINAL_STATUSES, Status


@dataclass(frozen=True)
class Attachment:
    """A file sent as a link (a provider's `files[]`); the text carries `[[name]]` where it goes."""

    name: str
    contents: bytes = field(repr=False)
    validity_days: int | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SendOptions:
    """Provider options beyond recipients, sender and text. All off by default."""

    flash: bool = False
    send_at: datetime | None = None
    ttl_minutes: int | None = None
    label: str | None = None
    foreign_id: str | None = None
    performance_tracking: bool = False
    no_reload: bool = False
    unicode: bool = False
    utf8: bool = False
    udh: str | None = None
    attachments: tuple[Attachment, ...] = ()
    test: bool = False

    def used(self) -> list[str]:
        """The command-line names of the options set, to refuse those a provider lacks."""
        names = {
            "--flash": self.flash,
            "--at": self.send_at is not None,
            "--ttl": self.ttl_minutes is not None,
            "--label": self.label is not None,
            "--foreign-id": self.foreign_id is not None,
            "--performance-tracking": self.performance_tracking,
            "--no-reload": self.no_reload,
            "--unicode": self.unicode,
            "--utf8": self.utf8,
            "--udh": self.udh is not None,
            "--attach": bool(self.attachments),
            "--test": self.test,
        }
        return [name for name, on in names.items() if on]


# `--to group:NAME` / `--to contact:NAME`: an entry of the provider's address book, sent by name
# (PROVIDERS.md §7.D.3). Only these prefixes make a recipient a name, never letters alone.
ADDRESS_BOOK_PREFIXES: Final = ("group:", "contact:")


def address_book_name(recipient: str) -> str | None:
    """The name of an address-book recipient (`group:Team` → `Team`), or None for a number."""
    for prefix in ADDRESS_BOOK_PREFIXES:
        if recipient[: len(prefix)].lower() == prefix:
            return recipient[len(prefix) :]
    return None


def whole_number(value: Any, *, max_digits: int = 6) -> int | None:
    """A code a provider sent as a number or a numeric text, `1`, `"1"`, `1.0` or `"1.0"` alike;
    None for anything else (a bool, a fraction, a word, a text too long to be a code)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        whole, dot, fraction = value.strip().partition(".")
        bare = whole.removeprefix("-")
        if (
            bare.isascii()
            and bare.isdigit()
            and len(bare) <= max_digits
            and (not dot or (fraction.isascii() and fraction.isdigit() and set(fraction) == {"0"}))
        ):
            return int(whole)
    return None


@dataclass(frozen=True)
class Recipient:
    """One recipient of a send: E.164 number and smsctl's own id for this message."""

    number: str
    local_id: str


@dataclass(frozen=True)
class SendRequest:
    text: str
    recipients: tuple[Recipient, ...]
    sender: str | None
    options: SendOptions = SendOptions()


@dataclass(frozen=True)
class SendResult:
    """What became of one recipient's message."""

    recipient: str
    local_id: str
    status: Status
    id: str | None = None
    parts: int | None = None
    price: float | None = None
    provider_code: str | None = None
    provider_text: str | None = None
    error: str | None = None
    bulk_id: str | None = None
    # What the provider reported beside our own prediction (an answer's `messages[].encoding`),
    # the account balance after the request when the answer carries one, and the address-book
    # entry (`group:NAME` / `contact:NAME`) this message was sent through.
    provider_encoding: str | None = None
    balance: float | None = None
    address_book: str | None = None
    # Of the whole request, repeated on each result as `balance` is: the total price the answer
    # states, and what the user should know about the answer itself (messages it lists for no
    # recipient of the request, which nothing records).
    answer_total_price: float | None = None
    answer_notes: tuple[str, ...] = ()
    # A --test send the provider answered as a real one (ids, a price, `debug: false`).
    test_not_honoured: bool = False
    # The HTTP status of a 4xx the whole request was answered with: then provider_code is that
    # status, not a state of the message, and the history keeps no provider state for it.
    http_status: int | None = None
    # The provider's reload lock (ProviderInfo.reload_lock_seconds) refused the whole request:
    # the same text went to a recipient of it shortly before. Nothing of it was sent.
    reload_locked: bool = False


class SearchIncomplete(Exception):
    """A search for a sent message (`find_sent`) that had to stop before the end: finding
    nothing proves nothing, so the message cannot be settled. The text says why."""


def results_for_all(
    request: SendRequest,
    status: Status,
    *,
    error: str | None,
    provider_code: str | None = None,
    provider_text: str | None = None,
) -> list[SendResult]:
    """The same outcome for every recipient: a request refused, or one whose fate is unknown."""
    return [
        SendResult(
            recipient=r.number,
            local_id=r.local_id,
            status=status,
            error=error,
            provider_code=provider_code,
            provider_text=provider_text,
        )
        for r in request.recipients
    ]


def refused_by_http(
    request: SendRequest, title: str, status_code: int, text: str | None
) -> list[SendResult]:
    """Every recipient rejected: the provider answered the send with a 4xx that is a refusal
    (http.send_status: not 404/405, 408 or 429, not auth). Nothing was sent. `text` is the
    provider's own words, already redacted (redaction.shorten)."""
    text = " ".join(text.split()) if text else None  # one line: an HTML page keeps its breaks
    detail = f": {text}" if text else ""
    results = results_for_all(
        request,
        "rejected",
        error=f"{title} refused the request (HTTP {status_code}){detail}",
        provider_code=str(status_code),
        provider_text=text,
    )
    return [replace(r, http_status=status_code) for r in results]


def accepted_despite_http(
    results: Sequence[SendResult], title: str, status_code: int
) -> list[SendResult]:
    """A 4xx whose body says messages were accepted (an id, a success code): the provider may
    well have sent them, so every recipient is `unknown` (exit 8), never rejected, which would
    invite a second send. The ids the body gave are kept, so `status` can settle them."""
    error = (
        f"{title} answered HTTP {status_code} but its answer says messages were accepted; "
        "it may have been sent"
    )
    return [replace(r, status="unknown", error=error) for r in results]


@dataclass(frozen=True)
class DeliveryReport:
    """The provider's latest word on one message."""

    id: str | None  # None: a batch's item the provider gave no id of its own
    status: Status
    provider_status: str | None
    recipient: str | None = None
    updated_at: datetime | None = None
    bulk_id: str | None = None
    reason: str | None = None  # why, in the provider's words (redacted: redaction.shorten)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


def not_found(report: DeliveryReport) -> bool:
    """Whether a report is the provider not knowing the id (the convention every client keeps:
    `unknown` with no raw state), rather than a state the provider itself calls unknown."""
    return report.status == "unknown" and report.provider_status is None


@dataclass(frozen=True)
class Balance:
    amount: float
    currency: str


@dataclass(frozen=True)
class Hook:
    """A webhook registered with the provider."""

    id: str
    url: str
    event: str
    method: str | None = None
    filter: str | None = None
    enabled: bool = True
    created: str | None = None


def check_credential(credential: Credential, value: str) -> None:
    """Refuse, before anything is recorded or sent, a credential no request could carry.

    Credentials travel in headers, query strings and bodies; a line break or a non-ASCII
    character is refused by the HTTP client (or, worse, would split a header), so it is a
    configuration error here, for every provider, and the message never shows the value.
    """
    for position, char in enumerate(value, 1):
        if not " " <= char <= "~":
            kind = "a non-ASCII character" if ord(char) > 127 else "a control character"
            if char in "\r\n":
                kind = "a line break"
            what = credential.spoken
            how = "--token-stdin" if credential.env else f"--credential-stdin {credential.name}"
            fix = f", or fix {credential.env}" if credential.env else ""
            raise ConfigError(
                f"the {what} contains characters that cannot be sent in an HTTP header "
                f"({kind} at position {position}); nothing was sent",
                hint=f"set the {what} again (smsctl profile add NAME {how}){fix}",
            )


class Provider(ABC):
    """Every client: credentials in, one transport, send, close.

    The credentials are passed in; a provider never looks them up itself. What a provider can
    do beyond sending it declares in `info.capabilities` and by inheriting the matching ABC
    below (StatusReader, SentFinder, AccountReader, HookManager, CallbackReader).
    """

    info: ClassVar[ProviderInfo]
    # Request-level codes that concern the account, not the message (out of credit): nothing
    # was sent, and no other message would be either, so a bulk job pauses rather than
    # marking every row rejected.
    account_codes: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        lean_http: bool = False,
    ) -> None:
        """Every client is built the same way, so the registry can build any of them.

        The shared transport carries the error policy; a provider only says which headers it
        sends. `lean_http` asks for the cheaper one-connection client bulk workers use.
        """
        from sms_cli.providers.http import Transport  # httpcore loads only for network commands

        for credential in self.info.credentials:
            value = credentials.get(credential.name)
            if value is None:
                raise ConfigError(
                    f"no {credential.label} given for {self.info.title}",
                    hint="add the profile again with every credential (smsctl profile add)",
                )
            check_credential(credential, value)
        self.credentials: dict[str, str] = dict(credentials)
        self.transport = Transport(
            base_url or self.info.default_base_url,
            title=self.info.title,
            timeout=timeout,
            lean=lean_http,
            headers=self.headers(),
            default_base_url=self.info.default_base_url,
        )

    @abstractmethod
    def headers(self) -> dict[str, str]:
        """Headers on every request (authentication, content negotiation)."""

    @abstractmethod
    def send(self, request: SendRequest) -> list[SendResult]:
        """Send one text to every recipient; one result per recipient, in request order."""

    def close(self) -> None:
        """Release connections."""
        self.transport.close()


@dataclass(frozen=True)
class StatusQuery:
    """One sent message to ask about: its provider id, and the bulk id it was sent under."""

    id: str
    bulk_id: str | None = None


class StatusReader(ABC):
    """Capability.STATUS: delivery reports by the provider's message ids."""

    @abstractmethod
    def status(self, ids: Sequence[str]) -> list[DeliveryReport]:
        """Delivery reports for provider message ids (or a provider's batch id)."""

    def status_of(self, messages: Sequence[StatusQuery]) -> list[DeliveryReport]:
        """Reports on many messages (a campaign's), in as few requests as the API allows: a
        provider whose API answers for several messages at once overrides this. The default
        asks `status` about every id; reports are matched back by `id`."""
        return self.status(list(dict.fromkeys(m.id for m in messages)))


class SentFinder(ABC):
    """Capability.FIND_SENT: find a message whose send answer was lost."""

    @abstractmethod
    def find_sent(self, *, foreign_id: str, recipient: str, sent_on: str) -> DeliveryReport | None:
        """Find a message by the reference smsctl sent with it; None when there is none.

        SearchIncomplete when the search had to stop before the end."""

    def find_sent_many(
        self, *, foreign_id: str, recipients: Sequence[str], sent_on: str
    ) -> tuple[dict[str, DeliveryReport], str | None]:
        """The messages of one request (one reference, one day) to several RECIPIENTS: those
        found, by recipient as given, and why the search stopped early (None: it was complete,
        so a recipient not found was not sent). This default asks `find_sent` per recipient;
        a provider whose search can answer for many at once overrides it."""
        found: dict[str, DeliveryReport] = {}
        for recipient in recipients:
            try:
                report = self.find_sent(foreign_id=foreign_id, recipient=recipient, sent_on=sent_on)
            except SearchIncomplete as exc:
                return found, str(exc)
            if report is not None:
                found[recipient] = report
        return found, None


class AccountReader(ABC):
    """Capability.BALANCE: the account's credit."""

    @abstractmethod
    def balance(self) -> Balance:
        """The account balance."""


class HookManager(ABC):
    """Capability.HOOKS: webhooks registered through the provider's API."""

    @abstractmethod
    def hooks(self) -> list[Hook]:
        """The registered webhooks."""

    @abstractmethod
    def add_hook(self, url: str, event: str, method: str | None = None) -> str:
        """Register `url` for `event`; the provider's id of the new hook."""

    @abstractmethod
    def remove_hook(self, hook_id: str) -> bool:
        """False when the provider has no such hook."""


class CallbackReader(ABC):
    """Capability.CALLBACKS (and SIGNED_CALLBACKS): what the provider pushes to smsctl listen."""

    @classmethod
    @abstractmethod
    def parse_callback(cls, fields: Mapping[str, Any]) -> CallbackEvent:
        """The event in a request the provider pushed; BadCallback when it is not one."""

    @classmethod
    def callback_problem(
        cls, request: CallbackRequest, signing_keys: Sequence[str], now: float
    ) -> str | None:
        """Why a pushed request is not authentic, or None. Without signing, the secret URL
        path is the only guard."""
        return None


@dataclass(frozen=True)
class TokenCheck:
    """The provider accepted the credentials. `detail` is what the answer told besides (a
    balance, a quota), never a secret; `server_date` the answer's HTTP `Date` header, which
    `doctor` compares with the local clock."""

    detail: str | None = None
    server_date: datetime | None = None


def answer_date(headers: Mapping[str, str]) -> datetime | None:
    """An answer's `Date` header (RFC 9110 §6.6.1) as an aware datetime; None when absent or
    unreadable. `headers` as a Reply holds them, names in lower case."""
    from email.utils import parsedate_to_datetime

    value = headers.get("date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class TokenChecker(ABC):
    """Capability.CHECK_TOKEN: the cheapest authenticated request, to see whether the provider
    accepts the credentials (`profile check`, `doctor`, `profile add`). Sends nothing, costs
    nothing."""

    @abstractmethod
    def check_token(self) -> TokenCheck:
        """Return when the credentials are accepted; AuthError when refused; NetworkError or
        ProviderUnavailable when the provider could not say."""


# The ABC each capability is inherited as; SEND is Provider itself, SIGNED_CALLBACKS a kind of
# CALLBACKS (callback_problem checks the signature).
CAPABILITY_CLASSES: Final[Mapping[str, type]] = {
    "status": StatusReader,
    "find_sent": SentFinder,
    "balance": AccountReader,
    "hooks": HookManager,
    "callbacks": CallbackReader,
    "check_token": TokenChecker,
}


def inherited_capabilities(client: type) -> frozenset[str]:
    """The capabilities a client class implements, read from the ABCs it inherits."""
    found = {"send"} if issubclass(client, Provider) else set()
    found.update(name for name, abc in CAPABILITY_CLASSES.items() if issubclass(client, abc))
    return frozenset(found)
