"""Delivery tracking: find messages, ask their provider, keep the history monotonic, wait.

An id on the command line may be smsctl's local id, a provider message id, or a provider bulk
id (every recipient of it). Messages in the history are asked about through the profile that
sent them; ids the history does not know go to the profile the command resolves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sms_cli.core.status import FINAL_STATUSES
from sms_cli.errors import ConfigError, ExitCode, InputError, Outcome, exit_code_for
from sms_cli.providers import registry
from sms_cli.providers.base import (
    SearchIncomplete,
    SentFinder,
    StatusReader,
    address_book_name,
    not_found,
)
from sms_cli.providers.info import Capability
from sms_cli.services import profiles as profile_service
from sms_cli.storage.messages import NOT_SENT
from sms_cli.storage.profiles import ProfileFile, resolve

if TYPE_CHECKING:
    from sms_cli.providers.base import DeliveryReport, Provider
    from sms_cli.storage.messages import History, SentMessage

FINAL = FINAL_STATUSES
FAILED = FINAL_STATUSES - {"delivered"}
MAX_REQUEST_TIMEOUT = 30.0


def request_timeout(wait: float) -> float:
    """The timeout of each status request: the --timeout of the whole command, but at least the
    process-wide policy's `min_query_timeout` (5 s) and at most MAX_REQUEST_TIMEOUT."""
    from sms_cli.providers.http import retry_policy  # httpx only once a provider is asked

    return min(MAX_REQUEST_TIMEOUT, max(wait, retry_policy().min_query_timeout))


@dataclass(frozen=True)
class Tracked:
    """One message as `status` reports it."""

    id: str | None
    recipient: str | None
    status: str
    provider_status: str | None
    updated_at: str | None
    provider: str
    profile: str | None = None
    local_id: str | None = None
    bulk_id: str | None = None
    note: str | None = None
    reason: str | None = None  # why it is in its state, when known

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def settled(self) -> bool:
        """Nothing more will happen to it: a final delivery state, or never sent."""
        return self.final or self.status == NOT_SENT


def from_row(row: SentMessage, note: str | None = None) -> Tracked:
    return Tracked(
        id=row.provider_id,
        recipient=row.recipient,
        status=row.status,
        provider_status=row.provider_status,
        updated_at=row.status_at,
        provider=row.provider,
        profile=row.profile,
        local_id=row.local_id,
        bulk_id=row.bulk_id,
        note=note,
        reason=row.reason,
    )


@dataclass
class Selection:
    """What the ids named: rows of the history, and ids it does not know."""

    rows: list[SentMessage]
    external: list[str]


def select(history: History, ids: Sequence[str], last: bool) -> Selection:
    if last:
        batch = history.last_batch()
        if not batch:
            raise InputError("nothing has been sent yet", hint="smsctl send --to NUMBER TEXT")
        return Selection(batch, [])
    if not ids:
        raise InputError("name at least one message id, or use --last")
    if any(not identifier.strip() for identifier in ids):
        # Asked about, "" would read as the provider not knowing it (exit 2 after a request),
        # or worse, as a list of every message.
        raise InputError(
            "an empty message id", hint="check the id: `smsctl log` lists the messages sent"
        )
    rows: list[SentMessage] = []
    external: list[str] = []
    seen: set[str] = set()
    for identifier in ids:
        found = history.find(identifier)
        if not found:
            external.append(identifier)
        for row in found:
            if row.local_id not in seen:
                seen.add(row.local_id)
                rows.append(row)
    return Selection(rows, external)


class Clients:
    """One client per profile, built when first needed."""

    def __init__(self, profile_flag: str | None, timeout: float) -> None:
        self.profile_flag = profile_flag
        self.timeout = timeout
        self._profiles: ProfileFile | None = None
        self._clients: dict[str, Provider] = {}

    def _store(self) -> ProfileFile:
        if self._profiles is None:
            self._profiles = profile_service.load()
        return self._profiles

    def for_name(self, name: str | None, provider: str | None = None) -> tuple[str, Provider]:
        """The client of a profile: --profile wins, then the profile recorded, then resolution."""
        chosen = self.profile_flag or name
        profiles = self._store()
        if (
            chosen
            and chosen not in profiles.profiles
            and chosen not in profiles.broken  # it exists: resolve says what is wrong with it
            and not self.profile_flag
        ):
            raise ConfigError(
                f"the message was sent with profile {chosen!r}, which no longer exists",
                hint="pass --profile NAME to ask with another profile of the same provider",
            )
        resolved = resolve(profiles, chosen)
        if provider is not None and resolved.provider != provider:
            raise ConfigError(
                f"profile {resolved.profile.name!r} is for {resolved.provider}, but the message "
                f"was sent through {provider}"
            )
        key = resolved.profile.name
        if key not in self._clients:
            client_class = registry.load_client(registry.get(resolved.provider))
            self._clients[key] = client_class(
                resolved.credentials, resolved.profile.base_url, timeout=self.timeout
            )
        return key, self._clients[key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def report_time(report: DeliveryReport) -> str | None:
    if report.updated_at is None:
        return None
    return report.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def refresh_row(row: SentMessage, history: History, clients: Clients) -> Tracked:
    """Ask the provider about one recorded message; settle a lost answer if it can be."""
    if row.status in FINAL:
        return from_row(row)
    _, client = clients.for_name(row.profile, row.provider)
    title = client.info.title
    if row.provider_id:
        if not isinstance(client, StatusReader) or not client.info.supports(Capability.STATUS):
            return from_row(row, note=f"{title} offers no delivery reports to ask for")
        reports = client.status([row.provider_id])
        # Only a report about this very id counts: a provider answering for another id (or an
        # empty batch item) says nothing about this message.
        report = next((r for r in reports if r.id == row.provider_id), None)
        if report is None or not_found(report):
            # The provider does not know the id (yet, or any more): keep what we recorded.
            return from_row(row, note=f"{title} does not know this id; the recorded state is kept")
        history.update_status(
            row.local_id,
            report.status,
            report.provider_status,
            report_time(report),
            reason=report.reason,
        )
        return from_row(_reread(history, row))
    if row.status != "unknown":
        return from_row(row)
    # A send whose answer was lost: look for it by the reference smsctl sent with it.
    if not isinstance(client, SentFinder) or not client.info.supports(Capability.FIND_SENT):
        return from_row(
            row,
            note=f"{title} offers no way to find a message without its id, so a send whose "
            "answer was lost cannot be settled; check the provider's web interface before "
            "resending",
        )
    if not row.foreign_id:
        return from_row(row, note="no reference was sent with it, so it cannot be settled")
    if address_book_name(row.recipient) is not None:
        # The journal is searched by number; a group or contact name has none, so finding
        # nothing there would prove nothing.
        return from_row(
            row,
            note="sent to an address-book entry, which the journal cannot be searched by: it "
            "cannot be settled; check the provider's web interface before resending",
        )
    try:
        found = client.find_sent(
            foreign_id=row.foreign_id,
            recipient=row.recipient,
            sent_on=row.submitted_at[:10],
        )
    except SearchIncomplete as exc:
        return from_row(row, note=f"{exc}: it cannot be settled; check again before resending")
    if found is None:
        return from_row(
            row,
            note="not in the provider's journal: probably not sent (check again later before "
            "resending)",
        )
    history.update_status(
        row.local_id,
        found.status,
        found.provider_status,
        report_time(found),
        provider_id=found.id,
        reason=found.reason,
    )
    return from_row(_reread(history, row), note="settled from the provider's journal")


def _reread(history: History, row: SentMessage) -> SentMessage:
    (fresh,) = [r for r in history.find(row.local_id) if r.local_id == row.local_id]
    return fresh


def refresh_external(identifier: str, clients: Clients) -> list[Tracked]:
    """Ids the history does not know: ask the profile the command resolves. An id the provider
    does not know either is named in an InputError (exit 2): nobody knows such a message."""
    name, client = clients.for_name(None)
    if not isinstance(client, StatusReader) or not client.info.supports(Capability.STATUS):
        raise InputError(
            f"{client.info.title} offers no delivery reports to ask for",
            hint=f"profile {name!r} uses {client.info.title}",
        )
    # A report about another id is no answer about this one; a bulk id's answer lists its items.
    reports = [
        r
        for r in client.status([identifier])
        if not not_found(r) and identifier in (r.id, r.bulk_id)
    ]
    if not reports:
        raise UnknownId(identifier, client.info.title, name)
    return [
        Tracked(
            id=r.id,
            recipient=r.recipient,
            status=r.status,
            provider_status=r.provider_status,
            updated_at=report_time(r),
            provider=client.info.name,
            profile=name,
            bulk_id=r.bulk_id,
            reason=r.reason,
            note="not in the local history",
        )
        for r in reports
    ]


UNKNOWN_HINT = (
    "check the id: `smsctl log` lists the messages sent, with their ids; "
    "`--profile NAME` asks another account"
)
SHOWN_ID = 40  # the most of an id an error message shows: its start, then an ellipsis
SHOWN_IDS = 10  # the most ids one message names


def shown_id(identifier: str) -> str:
    """An id as an error message shows it: escape sequences visible, never obeyed, and cut."""
    from sms_cli.core.printable import visible

    text = visible(identifier)
    return text if len(text) <= SHOWN_ID else text[: SHOWN_ID - 1] + "…"


class UnknownIds(InputError):
    """Ids neither the history nor the provider knows. `found` holds what the other ids of
    the same command found, for the command to show before the error."""

    code = "unknown_id"

    def __init__(self, missing: Sequence[UnknownId] = (), message: str = "") -> None:
        if not message:
            groups: dict[tuple[str, str], list[str]] = {}
            for exc in missing:
                groups.setdefault((exc.title, exc.profile), []).append(shown_id(exc.identifier))
            parts = []
            for (title, profile), names in groups.items():
                more = len(names) - SHOWN_IDS
                listed = ", ".join(names[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")
                parts.append(f"{listed} ({title}, profile {profile!r})")
            message = (
                f"messages {'; '.join(parts)}: not found at the provider nor in the local history"
            )
        super().__init__(message, hint=UNKNOWN_HINT)
        self.found: list[Tracked] = []


class UnknownId(UnknownIds):
    """An id neither the history nor the provider knows."""

    def __init__(self, identifier: str, title: str, profile: str) -> None:
        super().__init__(
            message=f"message {shown_id(identifier)}: not found at the provider ({title}, "
            f"profile {profile!r}) nor in the local history"
        )
        self.identifier = identifier
        self.title = title
        self.profile = profile


def check(selection: Selection, history: History, clients: Clients) -> list[Tracked]:
    """Reports on every selected message. Ids nobody knows raise UnknownIds once the others
    were asked about, carrying what they found."""
    tracked = [refresh_row(row, history, clients) for row in selection.rows]
    missing: list[UnknownId] = []
    for identifier in selection.external:
        try:
            tracked.extend(refresh_external(identifier, clients))
        except UnknownId as exc:
            missing.append(exc)
    if missing:
        error = missing[0] if len(missing) == 1 else UnknownIds(missing)
        error.found = tracked
        raise error
    return tracked


def wait(
    selection: Selection,
    history: History,
    clients: Clients,
    *,
    timeout: float,
    interval: float,
    max_interval: float = 60.0,
    on_poll: Callable[[list[Tracked]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Tracked]:
    """Poll with backoff until every message is final or the timeout passes."""
    deadline = time.monotonic() + timeout
    tracked = check(selection, history, clients)
    while not all(t.settled for t in tracked):
        if on_poll is not None:
            on_poll(tracked)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)
        rows = [_reread(history, row) for row in selection.rows]
        tracked = check(replace(selection, rows=rows), history, clients)
    return tracked


def exit_code(tracked: Sequence[Tracked], *, waited: bool) -> ExitCode:
    """8 any unknown; 7 any failed, rejected or expired; 6 any never sent; 9 pending after
    --wait; else 0."""
    return exit_code_for((_outcome(t.status) for t in tracked), partial=False, waited=waited)


def _outcome(status: str) -> Outcome:
    if status == "unknown":
        return Outcome.UNKNOWN
    if status in FAILED:
        return Outcome.FAILED
    if status == NOT_SENT:
        return Outcome.NOT_SENT
    return Outcome.DONE if status in FINAL else Outcome.PENDING
