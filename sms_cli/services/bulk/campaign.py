"""A campaign's delivery: a job's rows by state, asking the provider in batches. (Issue 14.)

`bulk show JOB` and `status --job JOB` ask the provider about the job's messages that are not
final yet, in as few requests as its API allows (`StatusReader.status_of`: one per bulk id, a
list of ids a request, ...), record the answers in the history as `status` does, settle what
they can of the rows of unknown outcome (by the reference sent with them, per row, within the
timeout), bring the job's rows in line (`Journal.reconcile`), and count the rows by campaign
state (storage/jobs.CAMPAIGN_STATE). No printing: the command hands the view to
render/campaign.py.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from sms_cli.errors import ConfigError, ExitCode, Outcome, exit_code_for
from sms_cli.services import profiles as profile_service
from sms_cli.services.bulk import storage_errors
from sms_cli.storage.jobs import (
    CAMPAIGN_STATES,
    FAILURE_STATES,
    INTERRUPTED,
    RUNNING,
    JobRecord,
    Journal,
    short_ids,
)
from sms_cli.storage.messages import History, SentMessage

if TYPE_CHECKING:
    from sms_cli.services.tracking import Clients
    from sms_cli.storage.profiles import Profile

# How each campaign state counts for the exit code, as `status` counts a delivery state.
_OUTCOMES: dict[str, Outcome] = {
    "pending": Outcome.PENDING,
    "in_flight": Outcome.PENDING,  # a live run's; a stopped run's count as unknown (below)
    "accepted": Outcome.PENDING,
    "delivered": Outcome.DONE,
    "failed": Outcome.FAILED,
    "expired": Outcome.FAILED,
    "rejected": Outcome.FAILED,
    "unknown": Outcome.UNKNOWN,
}
# States in which a row can still change (a delivery report, a settled unknown, a send).
OPEN_STATES = ("pending", "in_flight", "accepted", "unknown")


@dataclass(frozen=True)
class CampaignView:
    """What `bulk show` and `status --job` print."""

    job_id: str
    short_id: str  # the shortest prefix the commands accept, as tables show it
    name: str | None
    state: str  # the job's: ready, running, paused, interrupted, finished, cancelled
    note: str | None  # why it is in that state (a pause's reason)
    source: str
    created_at: str
    provider: str
    profile: str | None
    rows: int
    counts: dict[str, int]  # every campaign state (storage/jobs.CAMPAIGN_STATES), zeros too
    failed_by_reason: dict[str, int]  # failed, rejected and expired rows by reason
    segments_sent: int
    charged: float | None  # what the provider reported, summed from the history
    sent_rows: int  # rows the provider took
    priced_rows: int  # of those, rows whose price it reported (charged covers only these)
    price_per_segment: float | None  # the profile's, for an estimate
    final: bool  # nothing can still change
    waited: bool  # `status --job --wait`: pending after the wait is exit 9
    exit_code: ExitCode
    asked: int = 0  # messages asked about at the provider
    notes: tuple[str, ...] = field(default=())  # what the user should know (stderr)
    # The retry job that holds every failed row (`bulk retry --failed` was done): None while a
    # failed row is still the job's own to retry.
    retried_as: str | None = None
    currency: str | None = None  # the profile's: what its price and the provider's are in
    changing: int = 0  # rows that can still change without the user: a live run's, or at the
    # provider (accepted, or unknown and findable); `status --job --wait` waits for these only

    @property
    def estimated_cost(self) -> float | None:
        if self.price_per_segment is None:
            return None
        return round(self.segments_sent * self.price_per_segment, 6)


def show(
    ref: str,
    *,
    refresh: bool,
    profile: str | None,
    timeout: float,
    waited: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> CampaignView:
    """The campaign view of the job REF names; with `refresh`, ask the provider first."""
    with storage_errors():
        return _show(ref, refresh, profile, timeout, waited, clock)


def _show(
    ref: str,
    refresh: bool,
    profile: str | None,
    timeout: float,
    waited: bool,
    clock: Callable[[], float],
) -> CampaignView:
    history = History()
    try:
        journal = Journal(history)
        job = journal.resolve(ref)
        notes: list[str] = []
        asked = stuck = 0
        if refresh:
            asked, stuck = _refresh(journal, history, job, profile, timeout, notes, clock)
        journal.reconcile(job.job_id, best_effort=True)
        return _view(journal, journal.job(job.job_id) or job, waited, asked, notes, stuck)
    finally:
        history.close()


def watch(
    ref: str,
    *,
    profile: str | None,
    timeout: float,
    interval: float,
    max_interval: float = 60.0,
    on_poll: Callable[[CampaignView], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CampaignView:
    """`status --job JOB --wait`: ask until nothing can change by itself (no live run, no row
    the provider can still move: CampaignView.changing) or TIMEOUT passes; the pause between
    polls grows 1.5x up to MAX_INTERVAL, as `status --wait`. A job nobody sends, with rows
    pending, returns at once: waiting would not send them."""
    from sms_cli.services.tracking import request_timeout

    deadline = clock() + timeout
    per_request = request_timeout(timeout)

    def poll() -> CampaignView:
        return show(ref, refresh=True, profile=profile, timeout=per_request, waited=True,
                    clock=clock)  # fmt: skip

    view = poll()
    while view.changing:
        if on_poll is not None:
            on_poll(view)
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)
        view = poll()
    return view


def _refresh(
    journal: Journal,
    history: History,
    job: JobRecord,
    profile: str | None,
    timeout: float,
    notes: list[str],
    clock: Callable[[], float],
) -> tuple[int, int]:
    """Ask about the job's messages that are not final: the number asked about, and how many
    of them the provider can never move (no delivery reports; a lost answer it cannot find)."""
    # The network side loads only when there is something to ask (not for --offline).
    from sms_cli.services.tracking import Clients, refresh_row, request_timeout

    messages = journal.messages_to_ask(job.job_id)
    if not messages:
        return 0, 0
    deadline = clock() + timeout
    clients = Clients(profile, timeout=request_timeout(timeout))
    try:
        with_id = [m for m in messages if m.provider_id]
        stuck = 0
        if with_id and not _ask_in_batches(with_id, history, clients, notes):
            stuck += len(with_id)
        lost = [m for m in messages if not m.provider_id and m.status == "unknown"]
        findable = [m for m in lost if _findable(m, clients)]
        unfindable = [m for m in lost if m not in findable]
        stuck += len(unfindable)
        if unfindable:
            _, client = clients.for_name(unfindable[0].profile, unfindable[0].provider)
            notes.append(
                f"{len(unfindable)} row(s) of unknown outcome cannot be looked for: "
                f"{client.info.title} cannot find a message whose answer was lost, and they may "
                "have been sent; ask the recipients before sending them again on purpose "
                "(smsctl bulk resume JOB --retry-unknown)"
            )
        # The rows of one lost request share its reference and day: looked up together.
        requests: dict[tuple[str | None, str, str, str], list[SentMessage]] = {}
        for m in findable:
            requests.setdefault(_request_of(m), []).append(m)
        groups = [g for g in requests.values() if len(g) > 1]
        grouped = {m.local_id for g in groups for m in g}
        singles = [m for m in findable if m.local_id not in grouped]
        settled = 0
        left = len(findable)
        for group in groups:
            if clock() >= deadline:
                break
            settled += _find_request(group, history, clients, notes)
            left -= len(group)
        for message in singles:
            if clock() >= deadline:
                break
            tracked = refresh_row(message, history, clients)
            left -= 1
            if tracked.status != "unknown":
                settled += 1
            elif tracked.note and len(lost) == 1:
                notes.append(f"{message.recipient}: {tracked.note}")
        if left:
            notes.append(
                f"{left} row(s) of unknown outcome were not looked for within --timeout; run it "
                "again (or with a longer --timeout) before resending"
            )
        if settled:
            notes.append(f"{settled} row(s) of unknown outcome settled from the provider")
        return len(with_id) + len(findable) - left, stuck  # what was asked about
    finally:
        clients.close()


def _request_of(message: SentMessage) -> tuple[str | None, str, str, str]:
    return (message.profile, message.provider, str(message.foreign_id), message.submitted_at[:10])


def _find_request(
    group: list[SentMessage], history: History, clients: Clients, notes: list[str]
) -> int:
    """Look up the rows of one lost request together (SentFinder.find_sent_many: a provider
    may search once for all of them, not once per recipient); the number settled."""
    from sms_cli.providers.base import SentFinder
    from sms_cli.services.tracking import report_time

    first = group[0]
    _, client = clients.for_name(first.profile, first.provider)
    assert isinstance(client, SentFinder)  # _findable
    found, incomplete = client.find_sent_many(
        foreign_id=str(first.foreign_id),
        recipients=[m.recipient for m in group],
        sent_on=first.submitted_at[:10],
    )
    for message in group:
        report = found.get(message.recipient)
        if report is not None:
            history.update_status(
                message.local_id,
                report.status,
                report.provider_status,
                report_time(report),
                provider_id=report.id,
                reason=report.reason,
            )
    missing = len(group) - len(found)
    if missing and incomplete:
        notes.append(f"{missing} row(s) of one lost request: {incomplete}; check again later")
    elif missing:
        notes.append(
            f"{missing} row(s) of one lost request are not in the provider's journal: probably "
            "not sent (check again later before resending)"
        )
    return len(found)


def _findable(message: SentMessage, clients: Clients) -> bool:
    """Whether a send whose answer was lost can be found at its provider (a SentFinder, the
    reference sent with it, a number to search by), so that waiting may settle it."""
    from sms_cli.providers.base import SentFinder, address_book_name
    from sms_cli.providers.info import Capability

    _, client = clients.for_name(message.profile, message.provider)
    return (
        isinstance(client, SentFinder)
        and client.info.supports(Capability.FIND_SENT)
        and bool(message.foreign_id)
        and address_book_name(message.recipient) is None
    )


def _ask_in_batches(
    messages: list[SentMessage], history: History, clients: Clients, notes: list[str]
) -> bool:
    """Ask about MESSAGES (they have provider ids) in batches; False when the provider offers
    no delivery reports at all."""
    from sms_cli.providers.base import StatusQuery, StatusReader, not_found
    from sms_cli.providers.info import Capability
    from sms_cli.services.tracking import report_time

    first = messages[0]
    _, client = clients.for_name(first.profile, first.provider)
    if not isinstance(client, StatusReader) or not client.info.supports(Capability.STATUS):
        notes.append(f"{client.info.title} offers no delivery reports to ask for")
        return False
    queries = [StatusQuery(str(m.provider_id), m.bulk_id) for m in messages]
    reports = {r.id: r for r in client.status_of(queries) if r.id is not None and not not_found(r)}
    unknown_to_provider = 0
    for message in messages:
        report = reports.get(str(message.provider_id))
        if report is None:
            unknown_to_provider += 1
            continue
        history.update_status(
            message.local_id,
            report.status,
            report.provider_status,
            report_time(report),
            reason=report.reason,
        )
    if unknown_to_provider:
        notes.append(
            f"{client.info.title} does not know {unknown_to_provider} of the job's message "
            "ids (yet, or any more); their recorded state is kept"
        )
    return True


def _view(
    journal: Journal, job: JobRecord, waited: bool, asked: int, notes: list[str], stuck: int = 0
) -> CampaignView:
    tally = journal.campaign_counts(job.job_id)
    counts = tally.counts
    state, note = shown_state(journal, job)
    outcomes: Counter[Outcome] = Counter()
    for row_state, n in counts.items():
        outcome = _OUTCOMES.get(row_state)
        if row_state == "in_flight" and state != RUNNING:
            outcome = Outcome.UNKNOWN  # a stopped run's: it may have been sent
        if outcome is not None and n:
            outcomes[outcome] += n
    final = state != RUNNING and not any(counts.get(s, 0) for s in OPEN_STATES)
    run = counts["pending"] + counts["in_flight"] if state == RUNNING else 0
    at_provider = max(0, counts["accepted"] + counts["unknown"] - stuck)
    return CampaignView(
        job_id=job.job_id,
        short_id=short_ids(journal.job_ids()).get(job.job_id, job.job_id),
        name=job.name,
        state=state,
        note=note,
        source=job.source,
        created_at=job.created_at,
        provider=job.provider,
        profile=job.profile,
        rows=job.rows,
        counts={state: counts.get(state, 0) for state in CAMPAIGN_STATES},
        failed_by_reason=tally.failed_by_reason,
        segments_sent=tally.segments_sent,
        charged=tally.provider_price,
        sent_rows=tally.sent_rows,
        priced_rows=tally.priced_rows,
        price_per_segment=_price(job.profile),
        currency=_currency(job.profile),
        final=final,
        waited=waited,
        exit_code=exit_code_for(outcomes, partial=False, waited=waited),
        asked=asked,
        notes=tuple(notes),
        changing=run + at_provider,
        retried_as=_retried_as(journal, job.job_id, counts),
    )


def _retried_as(journal: Journal, job_id: str, counts: dict[str, int]) -> str | None:
    """The short id of the newest retry job holding the job's failed rows, when no failed row
    is left to retry from the job itself."""
    if not sum(counts.get(s, 0) for s in FAILURE_STATES) or journal.retry_rows(job_id):
        return None
    children = journal.retried_in(job_id)
    return journal.short_id(children[-1][0]) if children else None


def shown_state(journal: Journal, job: JobRecord) -> tuple[str, str | None]:
    """The job's state and note as a user should read them: a job `running` whose process is
    gone (killed) is `interrupted`, nobody sends it. Read-only: `bulk resume` settles it."""
    if journal.runner_gone(job):
        return INTERRUPTED, f"{RUNNER_GONE} (process {job.runner_pid})"
    return job.state, job.note


RUNNER_GONE = "running, but its process is gone"
_Job = TypeVar("_Job", bound=JobRecord)


def shown_job(journal: Journal, job: _Job) -> _Job:
    """JOB (a record or a `bulk jobs` summary) with the state a user should read (shown_state)."""
    state, note = shown_state(journal, job)
    return job if state == job.state else replace(job, state=state, note=note)


def _price(profile: str | None) -> float | None:
    """The profile's price per segment, for an estimate; None when it has none (or is gone)."""
    found = _profile(profile)
    return found.price_per_segment if found is not None else None


def _currency(profile: str | None) -> str | None:
    """The profile's currency, shown with every amount; None when it has none (or is gone)."""
    found = _profile(profile)
    return found.currency if found is not None else None


def _profile(name: str | None) -> Profile | None:
    if name is None:
        return None
    try:
        return profile_service.load().profiles.get(name)
    except ConfigError:
        return None
