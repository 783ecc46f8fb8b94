"""Sending, in two steps: plan (check everything, no network) and execute (one request, recorded).

The plan refuses anything the provider would refuse, before money is at stake: bad numbers, a
sender that does not fit, a text over the provider's limit, an option the provider lacks,
`--max-segments`. Execute records every message as in flight before the request leaves and the
answer after it, and never sends twice: the only retries are those of the transport policy
(providers/http.py), for requests that never reached the provider.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sms_cli.core.numbers import normalise_all
from sms_cli.core.status import ACCEPTED_STATUSES
from sms_cli.core.times import future_send_time
from sms_cli.core.times import parse_send_time as parse_send_time
from sms_cli.errors import (
    AuthError,
    ExitCode,
    InputError,
    Interrupted,
    LimitExceeded,
    NetworkError,
    Outcome,
    ProviderUnavailable,
    SmsError,
    StorageError,
    exit_code_for,
)
from sms_cli.providers import registry
from sms_cli.providers.base import address_book_name
from sms_cli.providers.registry import ProviderInfo
from sms_cli.services import profiles as profile_service
from sms_cli.services.preview import Preview, build_preview
from sms_cli.storage.profiles import ResolvedProfile, resolve, shell_word, validate_sender

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sms_cli.providers.base import Attachment, Provider, Recipient, SendOptions, SendResult
    from sms_cli.providers.http import Transport
    from sms_cli.storage.messages import History, MessageRecord

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
# A name a provider would read as a number: only digits, + and separators (PROVIDERS.md §7.D.3).
_NUMBER_LIKE = re.compile(r"[\d+\s\-./()]+")
ADDRESS_BOOK = "--to group:/contact:"  # the registry's name for address-book recipients
_REFERENCE = re.compile(r"[A-Za-z0-9.\-_@]+")


@dataclass(frozen=True)
class SendArgs:
    """What the user asked for, as parsed by the command line."""

    to: list[str]
    text: str
    sender: str | None = None
    profile: str | None = None
    max_segments: int | None = None
    flash: bool = False
    at: str | None = None
    ttl: int | None = None
    label: str | None = None
    foreign_id: str | None = None
    performance_tracking: bool = False
    no_reload: bool = False
    unicode: bool = False
    utf8: bool = False
    udh: str | None = None
    attach: list[Path] = field(default_factory=list)
    attach_validity: int | None = None
    attach_password: str | None = None
    test: bool = False
    store_text: bool = True
    smart: bool = False
    # Recipients read from --to-file: (line number, value), and where they came from.
    to_file: tuple[tuple[int, str], ...] = ()
    to_file_name: str | None = None  # "--to-file PATH", when one was given


@dataclass(frozen=True)
class SendPlan:
    resolved: ResolvedProfile
    provider: ProviderInfo
    recipients: tuple[str, ...]
    sender: str | None
    text: str
    preview: Preview
    options: SendOptions
    batch_id: str
    notes: tuple[str, ...] = ()
    store_text: bool = True

    @property
    def estimated_price(self) -> float | None:
        """What this send costs at the profile's price per segment (every recipient, every
        segment); None without a price, or when address-book entries make the count unknown."""
        from decimal import Decimal

        price = self.resolved.profile.price_per_segment
        if price is None or not self.recipients:
            return None
        if any(address_book_name(r) is not None for r in self.recipients):
            return None
        count = self.preview.segmentation.segment_count * len(self.recipients)
        return float(Decimal(str(price)) * count)

    @property
    def currency(self) -> str | None:
        return self.resolved.profile.currency


@dataclass(frozen=True)
class SendReport:
    plan: SendPlan
    results: tuple[SendResult, ...]
    dry_run: bool = False
    # Recipients whose request was refused before it reached the provider, or never made
    # because an earlier request stopped the send; and the exit code of what stopped it.
    not_sent: tuple[NotSent, ...] = ()
    stop_exit: ExitCode | None = None
    # Why the answers could not be written to the history, when they could not: the messages
    # went out (or not) as `results` say, and the history still shows them in flight.
    record_error: StorageError | None = None
    # Whether `not_sent` is recorded as such in the history (else it shows them in flight).
    not_sent_recorded: bool = True
    # Recipients the history says got this text shortly before (recent_duplicates).
    recently_sent: tuple[str, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        """0 all accepted; 8 any outcome unknown; 7 none accepted; 3 some accepted, some
        refused; else, with recipients not sent, the code of what stopped the send (6 network
        or rate limit, 5 authentication, 4 a wrong base URL)."""
        if self.dry_run:
            return ExitCode.OK
        code = exit_code_for(
            [
                Outcome.UNKNOWN
                if r.status == "unknown"
                else Outcome.DONE
                if r.status in ACCEPTED_STATUSES
                else Outcome.FAILED
                for r in self.results
            ]
            + [Outcome.NOT_SENT] * len(self.not_sent)
        )
        if code == ExitCode.NETWORK and self.stop_exit is not None:
            return self.stop_exit
        return code

    # How many of `results` each answer gave, in request order; empty: one answer gave them all.
    answer_sizes: tuple[int, ...] = ()

    def _answers(self) -> list[tuple[SendResult, ...]]:
        if not self.answer_sizes:
            return [self.results] if self.results else []
        answers, start = [], 0
        for size in self.answer_sizes:
            answers.append(self.results[start : start + size])
            start += size
        return answers

    @property
    def balance(self) -> float | None:
        """The account balance the provider reported after this send (its last answer), when
        it did."""
        answers = self._answers()
        return _answer_balance(answers[-1]) if answers else None

    @property
    def total_price(self) -> float | None:
        """Each answer's own total when it states one (it may count messages no result holds),
        else the sum of its results' prices; summed over the answers, None if any lacks one.
        A dry run's is the estimate from the profile's price per segment."""
        if self.dry_run:
            return self.plan.estimated_price
        totals = [_answer_total(answer) for answer in self._answers()]
        if not totals or any(total is None for total in totals):
            return None
        return round(sum(t for t in totals if t is not None), 6)


def _answer_balance(results: Sequence[SendResult]) -> float | None:
    return next((r.balance for r in results if r.balance is not None), None)


def _answer_total(results: Sequence[SendResult]) -> float | None:
    stated = next((r.answer_total_price for r in results if r.answer_total_price is not None), None)
    if stated is not None:
        return stated
    prices = [r.price for r in results if r.price is not None]
    return round(sum(prices), 6) if prices else None


def _options(
    args: SendArgs, provider: ProviderInfo, batch_id: str
) -> tuple[SendOptions, list[str]]:
    options, notes = check_options(args, provider)
    if "--foreign-id" in provider.send_options and options.foreign_id is None:
        # Our own reference, so an unknown outcome can be settled from the provider's journal.
        from dataclasses import replace

        options = replace(options, foreign_id=f"smsctl-{batch_id}")
    return options, notes


def refuse_lacking(provider: ProviderInfo, used: Sequence[str]) -> None:
    """Refuse (exit 2) the options a provider lacks, named as on the command line."""
    lacking = [name for name in used if name not in provider.send_options]
    if lacking:
        raise InputError(
            f"{provider.title} does not support {', '.join(lacking)}",
            hint="remove the option, or use a profile of a provider that has it",
        )


def refuse_attach_extras(attach: bool, validity: bool, password: bool) -> None:
    """--attach-validity and --attach-password-env describe the files of --attach: without
    one they would be ignored in silence, so they are refused (exit 2)."""
    given = [
        flag
        for flag, used in (("--attach-validity", validity), ("--attach-password-env", password))
        if used
    ]
    if given and not attach:
        raise InputError(
            f"{' and '.join(given)} without --attach: there is no file to apply it to",
            hint="give the files with --attach FILE, or leave the option out",
        )


def check_options(
    args: SendArgs, provider: ProviderInfo, *, now: datetime | None = None
) -> tuple[SendOptions, list[str]]:
    """The provider options of `args`, each checked, and those the provider lacks refused,
    exactly as `send` refuses them (bulk checks a job's options with this too). `now` is the
    clock `--at +2h` counts from; None reads the system clock."""
    from sms_cli.providers.base import SendOptions

    notes: list[str] = []
    refuse_attach_extras(
        bool(args.attach), args.attach_validity is not None, args.attach_password is not None
    )
    now = now or datetime.now(UTC)
    send_at = future_send_time(args.at, now=now) if args.at is not None else None
    if args.ttl is not None and args.ttl < 1:
        raise InputError("--ttl must be at least 1 minute")
    if args.udh is not None:
        _check_udh(args.udh)
    if args.label is not None:
        check_label(args.label)
    if args.foreign_id is not None and not (
        len(args.foreign_id) <= 64 and _REFERENCE.fullmatch(args.foreign_id)
    ):
        raise InputError("--foreign-id takes at most 64 of the characters A-Z a-z 0-9 . - _ @")
    options = SendOptions(
        flash=args.flash,
        send_at=send_at,
        ttl_minutes=args.ttl,
        label=args.label,
        foreign_id=args.foreign_id,
        performance_tracking=args.performance_tracking,
        no_reload=args.no_reload,
        unicode=args.unicode,
        utf8=args.utf8,
        udh=args.udh,
        attachments=tuple(_attachments(args)),
        test=args.test,
    )
    refuse_lacking(provider, options.used())
    if options.attachments:
        notes.append("attachments become links: the text sent is longer than this preview counts")
    return options, notes


def label_problem(label: str) -> str | None:
    """Why a provider would refuse LABEL (PROVIDERS.md §2.3), or None."""
    if len(label) <= 100 and _REFERENCE.fullmatch(label):
        return None
    return "at most 100 of the characters A-Z a-z 0-9 . - _ @"


def check_label(label: str, option: str = "--label") -> None:
    problem = label_problem(label)
    if problem is not None:
        raise InputError(f"{option} takes {problem}")


def _check_udh(udh: str) -> None:
    """`--udh` takes a whole user data header: its first octet, UDHL, counts the rest."""
    if not _HEX.fullmatch(udh):
        raise InputError(f"--udh {udh!r} is not hexadecimal octets")
    octets = bytes.fromhex(udh)
    if octets[0] != len(octets) - 1:
        raise InputError(
            f"--udh {udh}: its first octet (UDHL) says {octets[0]} octets follow, "
            f"but {len(octets) - 1} do",
            hint="a concatenation header looks like 050003CC0201 (reference CC, part 1 of 2)",
        )
    if len(octets) >= 140:
        raise InputError(f"--udh is {len(octets)} octets; a part has only 140")


def check_binary_text(text: str) -> None:
    """With --udh the text must be the message's data in hex: a provider with `udh` sends an
    8-bit binary SMS only when the text is hex (seed 001); any other text with a UDH is refused."""
    if not _HEX.fullmatch(text):
        raise InputError(
            "--udh needs the text as hex: the message's octets, e.g. 48656C6C6F for 'Hello'",
            hint="a message with a UDH goes out as 8-bit binary data only when the text is hex",
        )


def recipient_lines(text: str) -> tuple[tuple[int, str], ...]:
    """The recipients of a --to-file: one a line, whitespace trimmed, blank lines and `#`
    comments skipped; each with its line number, so a bad one can be named."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.strip()
        if value and not value.startswith("#"):
            found.append((number, value))
    return tuple(found)


def _file_recipients(args: SendArgs, region: str | None, hint: str) -> list[str]:
    """--to-file's lines, each checked as --to checks a number: all bad lines named at once."""
    from sms_cli.core.numbers import check

    bad = []
    for number, value in args.to_file:
        if address_book_name(value) is not None:
            continue
        result = check(value, region)
        if not isinstance(result, str):
            bad.append(f"line {number}: {value!r} ({result.reason})")
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InputError(
            f"{args.to_file_name}: invalid phone number{'s' if len(bad) > 1 else ''} on "
            + "; ".join(bad[:5])
            + more,
            hint=hint if region is None else None,
        )
    return [value for _, value in args.to_file]


def _recipients(
    args: SendArgs, provider: ProviderInfo, region: str | None, region_hint: str
) -> tuple[list[str], int]:
    """E.164 numbers, and `group:NAME` / `contact:NAME` address-book entries kept by name, in
    the order given (--to, then --to-file), duplicates dropped; and how many were dropped."""
    from sms_cli.core.numbers import check, split_recipients
    from sms_cli.providers.base import address_book_name

    given = split_recipients(args.to)
    from_file = _file_recipients(args, region, region_hint)
    if not given and not from_file and args.to_file_name is not None:
        raise InputError(
            f"no recipients: {args.to_file_name} has none (blank lines and # comments are skipped)"
        )
    numbers = [raw for raw in given if address_book_name(raw) is None]
    if numbers or (len(numbers) == len(given) and not from_file):
        # every bad number named at once, or "no recipients"
        normalise_all(numbers, region, region_hint=region_hint)
    given += from_file
    found: dict[str, None] = {}
    for raw in given:
        name = address_book_name(raw)
        if name is None:
            found.setdefault(str(check(raw, region)), None)
            continue
        kind = raw.partition(":")[0].lower()
        name = name.strip()
        if ADDRESS_BOOK not in provider.send_options:
            raise InputError(
                f"{provider.title} has no address book: --to {raw!r} needs a phone number",
                hint=_address_book_hint(),
            )
        if not name or _NUMBER_LIKE.fullmatch(name) or not name.isprintable() or len(name) > 100:
            raise InputError(
                f"--to {raw!r}: give the name of a {kind} in your {provider.title} address book "
                "(not empty, not only digits, at most 100 printable characters)"
            )
        entry = f"{kind}:{name}"
        if entry.casefold() not in (known.casefold() for known in found):
            found.setdefault(entry, None)
    return list(found), len(given) - len(found)


def _address_book_hint() -> str:
    """Which installed providers take address-book recipients: only read on this error."""
    able = [i.title for i in registry.available().values() if ADDRESS_BOOK in i.send_options]
    if not able:
        return "group: and contact: recipients need a provider with an address book"
    return "group: and contact: recipients work with profiles of: " + ", ".join(able)


def _attachments(args: SendArgs) -> list[Attachment]:
    from sms_cli.providers.base import Attachment

    found = []
    for path in args.attach:
        try:
            contents = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read attachment {path}: {exc.strerror or exc}") from None
        found.append(
            Attachment(
                name=path.name,
                contents=contents,
                validity_days=args.attach_validity,
                password=args.attach_password,
            )
        )
    return found


def _with_placeholders(text: str, options: SendOptions) -> tuple[str, list[str]]:
    """Attachments are placed where `[[name]]` stands; one missing is appended at the end."""
    notes = []
    for attachment in options.attachments:
        placeholder = f"[[{attachment.name}]]"
        if placeholder not in text:
            text = f"{text} {placeholder}" if text else placeholder
            notes.append(f"appended {placeholder} to the text: the link to the file goes there")
    return text, notes


def plan_send(args: SendArgs, *, dry_run: bool) -> SendPlan:
    from sms_cli.storage.db import new_id

    if args.smart and (args.unicode or args.udh is not None):
        raise InputError(
            f"--smart cannot be combined with {'--unicode' if args.unicode else '--udh'}",
            hint="--smart makes a text GSM-7 where it can; leave out one of the two",
        )
    profiles = profile_service.load()
    resolved = resolve(profiles, args.profile, require_token=not dry_run)
    provider = registry.get(resolved.provider)
    recipients, duplicates = _recipients(
        args, provider, resolved.profile.region, profile_service.region_hint(resolved.profile)
    )
    sender = args.sender if args.sender is not None else resolved.profile.sender
    if sender is not None:
        validate_sender(provider, sender)
    elif provider.requires_sender:
        raise InputError(
            f"{provider.title} needs a sender",
            hint=(
                "pass --from NAME, or set one on the profile: smsctl profile set "
                f"{shell_word(resolved.profile.name)} --sender NAME"
            ),
        )
    batch_id = new_id()
    options, notes = _options(args, provider, batch_id)
    if duplicates:
        notes.append(f"{duplicates} duplicate recipient(s) removed: each number gets the text once")
    text, placeholder_notes = _with_placeholders(args.text, options)
    notes += placeholder_notes
    if not text:
        raise InputError("the text is empty")
    if args.udh is not None:
        check_binary_text(text)  # after [[file]] placeholders: they are not hex either
    preview = build_preview(text, force_ucs2=args.unicode, udh=args.udh, smart=args.smart)
    if preview.smart is not None and preview.smart.applied:
        text = preview.smart.text  # what is sent, recorded and counted
    if len(text) > provider.max_text_chars:
        raise InputError(
            f"the text is {len(text)} characters; {provider.title} takes at most "
            f"{provider.max_text_chars}",
            hint="shorten it; smsctl split shows where the segments break",
        )
    books = [r for r in recipients if address_book_name(r) is not None]
    if books:
        notes.append(
            f"{', '.join(books)}: {provider.title} resolves address-book entries itself, so how "
            "many numbers (and messages, and the cost) this reaches is unknown until it answers"
        )
    count = preview.segmentation.segment_count
    if args.max_segments is not None and count > args.max_segments:
        raise LimitExceeded(
            f"the text needs {count} segments, more than --max-segments {args.max_segments}"
        )
    return SendPlan(
        resolved=resolved,
        provider=provider,
        recipients=tuple(recipients),
        sender=sender,
        text=text,
        preview=preview,
        options=options,
        batch_id=batch_id,
        notes=tuple(notes),
        store_text=args.store_text and resolved.profile.store_text,
    )


def dry_run_report(plan: SendPlan) -> SendReport:
    return SendReport(plan=plan, results=(), dry_run=True)


def make_client(plan: SendPlan, timeout: float) -> Provider:
    client_class = registry.load_client(plan.provider)
    client: Provider = client_class(
        plan.resolved.credentials, plan.resolved.profile.base_url, timeout=timeout
    )
    return client


# How far back a repeat of the same text is worth a warning when the provider has no reload lock
# of its own: the common lock's window.
REPEAT_WINDOW = 180.0


@dataclass(frozen=True)
class RecentDuplicates:
    """Recipients of a planned send whom the history says got the same text within `window`
    seconds; `locked`: the provider refuses such a repeat; `lift`: the option that lifts it."""

    recipients: tuple[str, ...]
    window: float
    locked: bool
    lift: str | None


def recent_duplicates(
    plan: SendPlan, history: History, *, now: datetime | None = None
) -> RecentDuplicates | None:
    """Before sending: which recipients got this same text (compared by hash) through this
    provider within its reload-lock window (else REPEAT_WINDOW), by the local history. `now`
    is the clock; None reads the system's. A history that cannot be read finds nothing (the
    send itself then says what is wrong with it)."""
    from sms_cli.storage.messages import text_hash

    if plan.options.no_reload or plan.options.test:
        return None
    lock = plan.provider.reload_lock_seconds
    window = lock or REPEAT_WINDOW
    since = (now or datetime.now(UTC)) - timedelta(seconds=window)
    try:
        found = history.recent_same_text(
            text_sha256=text_hash(plan.text),
            recipients=plan.recipients,
            provider=plan.provider.name,
            since=since.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
    except StorageError:
        return None
    if not found:
        return None
    lift = "--no-reload" if lock and "--no-reload" in plan.provider.send_options else None
    return RecentDuplicates(tuple(r.recipient for r in found), window, bool(lock), lift)


def execute(plan: SendPlan, *, timeout: float, history: History) -> SendReport:
    """Record, send once, record the answers. The recipients go out in requests of at most the
    provider's `max_recipients_per_request`, in order; the first request refused before it
    reached the provider (auth, network, a rate limit that did not clear) raises as it always
    has. A later one stops the send: its recipients and those after it are `not_sent`, and so
    are those after a request whose outcome is unknown (the network is in doubt: nothing
    more is risked). Nothing is ever sent twice."""
    from sms_cli.providers.base import Recipient, SendRequest
    from sms_cli.storage.db import new_id
    from sms_cli.storage.messages import MessageRecord, text_hash

    seg = plan.preview.segmentation
    recipients = tuple(Recipient(number, new_id()) for number in plan.recipients)
    intents = [
        MessageRecord(
            local_id=r.local_id,
            batch_id=plan.batch_id,
            profile=plan.resolved.profile.name,
            provider=plan.provider.name,
            recipient=r.number,
            sender=plan.sender,
            text=plan.text if plan.store_text else None,
            text_sha256=text_hash(plan.text),
            segments=seg.segment_count,
            encoding=seg.encoding,
            foreign_id=plan.options.foreign_id,
            test=plan.options.test,
        )
        for r in recipients
    ]
    by_id = {i.local_id: i for i in intents}
    limit = plan.provider.max_recipients_per_request
    size = max(1, len(recipients) if limit is None else limit)
    requests = [recipients[start : start + size] for start in range(0, len(recipients), size)]
    results: list[SendResult] = []
    sizes: list[int] = []
    not_sent: list[NotSent] = []
    stop_exit: ExitCode | None = None
    record_error: StorageError | None = None
    # Built first: a client refused here (a token no request can carry) leaves no intent behind.
    client = make_client(plan, timeout)
    try:
        try:
            history.record_intent(intents)
        except StorageError as exc:
            # Never send what could not be recorded first: a lost answer could not be settled.
            raise StorageError(
                f"{exc.message}; nothing was sent", path=exc.path, hint=exc.hint
            ) from None
        # --timeout bounds the whole send: each request gets what is left of one deadline.
        transport: Transport | None = getattr(client, "transport", None)
        clock = transport.clock if transport is not None else time.monotonic
        deadline = clock() + timeout
        if transport is not None:
            transport.until = deadline
        refusal: SmsError | None = None
        for index, chunk in enumerate(requests):
            later: list[Recipient] = []
            requested = False  # whether this request may have left
            answered: list[SendResult] | None = None
            extra: dict[str, MessageRecord] = {}
            recorded = False  # whether this request's answers are in the history
            try:
                later = [r for rest in requests[index + 1 :] for r in rest]
                if index and clock() >= deadline:
                    stop_exit = ExitCode.NETWORK
                    not_sent = [NotSent.of(r, _TIMED_OUT) for r in (*chunk, *later)]
                    break
                request = SendRequest(
                    text=plan.text, recipients=chunk, sender=plan.sender, options=plan.options
                )
                requested = True
                try:
                    answer = client.send(request)
                except (AuthError, NetworkError, ProviderUnavailable) as exc:
                    # Refused before processing: nothing of this request was sent, which is not
                    # a delivery state. Anything else (Ctrl-C while waiting, a bug) leaves its
                    # messages recorded as in flight, which is what they are.
                    if index == 0:
                        problem = _record_not_sent(history, recipients, exc.message)
                        if problem is not None:
                            exc.add_note(problem)  # shown as a warning before the error
                        refusal = exc
                        raise
                    stop_exit = exc.exit_code
                    not_sent = [NotSent.of(r, exc.message) for r in chunk]
                    not_sent += [NotSent.of(r, _NOT_TRIED) for r in later]
                    break
                answered, extra = _expanded(answer, by_id)
                results += answered
                sizes.append(len(answered))
                failed = _record_answers(history, answered, extra)
                recorded = True
                record_error = record_error or failed
                if later and record_error is not None:
                    # What stopped the send is the history: its exit code (4), not a network's.
                    stop_exit = record_error.exit_code
                    not_sent = [NotSent.of(r, "the history could not be written") for r in later]
                    break
                if later and any(r.status == "unknown" for r in answered):
                    not_sent = [NotSent.of(r, _AFTER_UNKNOWN) for r in later]
                    break
            except BaseException as exc:
                if exc is refusal:
                    raise  # the first request refused: every recipient is recorded not sent
                # Ctrl-C or a bug during this request's bookkeeping or while it was under way:
                # an answer received is recorded, a request that may have left stays in flight,
                # and the recipients never requested are recorded not sent.
                if answered is not None and not recorded:
                    _record_answers(history, answered, extra)
                unsent = later if requested else [*chunk, *later]
                problem = _record_not_sent(
                    history, unsent, "interrupted before this request was made"
                )
                in_flight = chunk if answered is None and requested else ()
                if len(requests) > 1 and isinstance(exc, KeyboardInterrupt):
                    exc.add_note(_interrupted(results, in_flight, unsent, problem))
                if in_flight and isinstance(exc, KeyboardInterrupt):
                    raise _may_have_been_sent(exc, len(in_flight)) from None
                raise
    finally:
        client.close()
    if not_sent:
        failed = _record_unsent(history, not_sent)
        record_error = record_error or failed
        not_sent_recorded = failed is None
    else:
        not_sent_recorded = True
    return SendReport(
        plan=plan,
        results=tuple(results),
        not_sent=tuple(not_sent),
        stop_exit=stop_exit,
        record_error=record_error,
        answer_sizes=tuple(sizes),
        not_sent_recorded=not_sent_recorded,
    )


def _may_have_been_sent(exc: KeyboardInterrupt, count: int) -> Interrupted:
    """A Ctrl-C while a request was with the provider: the message may have gone out."""
    what = "the message" if count == 1 else f"{count} messages"
    interrupted = Interrupted(
        f"interrupted while waiting for the provider: {what} may have been sent (recorded "
        "with the outcome unknown)",
        hint="run `smsctl status --last` (or `smsctl status ID`) before sending again",
    )
    for note in getattr(exc, "__notes__", ()):
        interrupted.add_note(note)
    return interrupted


def _interrupted(
    results: Sequence[SendResult],
    in_flight: Sequence[Recipient],
    unsent: Sequence[Recipient],
    problem: str | None,
) -> str:
    """What a Ctrl-C in a send of several requests left behind, for stderr."""
    answered = len(results)
    accepted = sum(1 for r in results if r.status in ACCEPTED_STATUSES)
    parts = [f"{answered} message(s) answered by the provider ({accepted} accepted)"]
    if in_flight:
        parts.append(f"{len(in_flight)} may have been sent (in flight, outcome unknown)")
    if unsent:
        where = (
            "smsctl log --status not_sent lists them"
            if problem is None
            else "the history could not record it and shows them in flight"
        )
        parts.append(f"{len(unsent)} not sent, never requested ({where})")
    return "the send was interrupted: " + "; ".join(parts)


_NOT_TRIED = "an earlier request was refused before it reached the provider; not tried"
_TIMED_OUT = "not tried: --timeout reached"
_AFTER_UNKNOWN = "the outcome of an earlier request is unknown; nothing more was risked, not tried"


@dataclass(frozen=True)
class NotSent:
    """A recipient whose request was never made, or refused before it reached the provider:
    certainly not sent, recorded `not_sent`, and may be sent again."""

    recipient: str
    local_id: str
    error: str

    @classmethod
    def of(cls, recipient: Recipient, reason: str) -> NotSent:
        return cls(recipient.number, recipient.local_id, f"not sent: {reason}")


def _record_answers(
    history: History, results: list[SendResult], extra: dict[str, MessageRecord]
) -> StorageError | None:
    """One request's answers, in one transaction; the error when they could not be written."""
    from sms_cli.storage.messages import Outcome, insert_answered, update_outcomes

    try:
        with history.transaction() as db:
            update_outcomes(db, [Outcome.of(r) for r in results if r.local_id not in extra])
            insert_answered(
                db,
                [extra[r.local_id] for r in results if r.local_id in extra],
                [Outcome.of(r) for r in results if r.local_id in extra],
            )
    except StorageError as exc:
        return exc
    return None


def _record_unsent(history: History, not_sent: list[NotSent]) -> StorageError | None:
    from sms_cli.storage.messages import NOT_SENT, Outcome

    try:
        history.record_outcomes([Outcome(n.local_id, NOT_SENT, error=n.error) for n in not_sent])
    except StorageError as exc:
        return exc
    return None


def _expanded(
    results: list[SendResult], intents: dict[str, MessageRecord]
) -> tuple[list[SendResult], dict[str, MessageRecord]]:
    """An address-book entry can reach several numbers (PROVIDERS.md §7.D.3): its first message
    keeps the entry's record; each further one gets a record of its own, with the same entry as
    its recipient, so every provider id can be followed with `smsctl status`."""
    from dataclasses import replace

    from sms_cli.storage.db import new_id

    seen: set[str] = set()
    extra: dict[str, MessageRecord] = {}
    out = []
    for result in results:
        if result.local_id in seen and result.local_id in intents:
            local_id = new_id()
            extra[local_id] = replace(intents[result.local_id], local_id=local_id)
            result = replace(result, local_id=local_id)
        seen.add(result.local_id)
        out.append(result)
    return out, extra


def _record_not_sent(history: History, recipients: Sequence[Recipient], reason: str) -> str | None:
    """Record that nothing was sent; what went wrong when that could not be recorded."""
    from sms_cli.storage.messages import NOT_SENT, Outcome

    if not recipients:
        return None
    try:
        history.record_outcomes(
            [Outcome(r.local_id, NOT_SENT, error=f"not sent: {reason}") for r in recipients]
        )
    except StorageError as record_exc:
        return (
            f"could not record that nothing was sent: {record_exc.message}; the history "
            "shows the messages in flight"
        )
    return None
