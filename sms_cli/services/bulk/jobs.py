"""Bulk jobs: start one from a CSV (pre-flight, fingerprint, journal), resume one, list them.

No printing here: what a user sees goes through the `BulkView` the command passes in
(render/bulk.py), called at the moment it happens, so progress and prompts keep their order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sms_cli.errors import (
    ConfigError,
    ExitCode,
    InputError,
    Outcome,
    StorageError,
    exit_code_for,
)
from sms_cli.providers import registry
from sms_cli.services import profiles as profile_service
from sms_cli.services.bulk import options as bulk_options
from sms_cli.services.bulk import storage_errors as storage_errors
from sms_cli.services.bulk.engine import Engine, Progress, batches, tune_gc
from sms_cli.services.bulk.input import (
    RowCheck,
    RowRules,
    Source,
    Totals,
    find_recipient_column,
    open_table,
    preflight,
)
from sms_cli.services.bulk.options import BulkSendArgs
from sms_cli.storage.jobs import (
    CANCELLED,
    DELETED,
    FINISHED,
    INTERRUPTED,
    PAUSED,
    PREPARING,
    READY,
    RUNNING,
    CampaignCounts,
    JobRecord,
    JobSummary,
    Journal,
    abandoned,
    job_lock,
    new_job_id,
)
from sms_cli.storage.messages import History
from sms_cli.storage.profiles import ResolvedProfile, resolve, validate_sender


@dataclass(frozen=True)
class RunOptions:
    """How to send a job's pending rows, and how to report on them."""

    concurrency: int
    rate: float | None
    batch_size: int
    timeout: float
    report: Path | None
    json: bool


@dataclass(frozen=True)
class NewJob:
    """`smsctl bulk FILE`: what to read and how to check it."""

    file: str
    message: str | None
    template_file: Path | None
    to_column: str | None
    sender_column: str | None
    sender: str | None
    profile: str | None
    dry_run: bool
    yes: bool
    allow_duplicates: bool
    new_job: bool
    name: str | None = None  # --name: the job can be called by it
    send: BulkSendArgs = field(
        default_factory=BulkSendArgs
    )  # provider options for every row (bulk/options.py)


class ProgressSink(Protocol):
    def update(self, progress: Progress) -> None: ...
    def close(self) -> None: ...


class BulkView(Protocol):
    """What a bulk run shows, as it happens (render/bulk.BulkRenderer)."""

    def checked(self, row: RowCheck) -> None: ...  # a --dry-run verdict
    def invalid(self, row: RowCheck) -> None: ...  # a row refused by the pre-flight check
    def totals(
        self, totals: Totals, *, price: float | None, currency: str | None, dry_run: bool
    ) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str, hint: str | None = None) -> None: ...
    def error(self, message: str, hint: str | None = None) -> None: ...
    def interactive(self) -> bool: ...
    def confirm(self, question: str) -> bool: ...
    def progress(self, total: int) -> ProgressSink: ...
    def summary(
        self,
        job_id: str,
        state: str | None,
        tally: CampaignCounts,
        requests: int,
        elapsed: float,
        *,
        provider: str | None = None,  # the job's: what its prices are in (billing_currency)
    ) -> None: ...
    def what_next(self, counts: dict[str, int], short: str, code: ExitCode) -> None: ...
    def report(self, path: Path, rows: Iterable[tuple[object, ...]]) -> None: ...


def list_jobs() -> list[JobSummary]:
    history = History()
    try:
        journal = Journal(history)
        # Rows whose unknown outcome `status` or `listen` settled since.
        journal.reconcile(best_effort=True)
        from sms_cli.services.bulk.campaign import shown_job  # a killed runner: interrupted

        # A pre-flight whose process died is marked: nothing waits for it (run the file again,
        # or `bulk delete` it).
        return [
            replace(job, state=f"{PREPARING} (abandoned)")
            if abandoned(job)
            else shown_job(journal, job)
            for job in journal.jobs()
        ]
    finally:
        history.close()


def finished_exit_code(counts: dict[str, int]) -> ExitCode:
    """A finished (or cancelled) job: every row's state counts, but a duplicate skipped; a
    cancelled row was never sent (exit 6 when nothing failed and nothing is unknown)."""
    outcomes: Counter[Outcome] = Counter()
    for state, n in counts.items():
        if state == "accepted":
            outcomes[Outcome.DONE] += n
        elif state in ("unknown", "in_flight"):
            outcomes[Outcome.UNKNOWN] += n
        elif state in ("cancelled", "pending"):
            outcomes[Outcome.NOT_SENT] += n
        elif state != "skipped":
            outcomes[Outcome.FAILED] += n
    return exit_code_for(outcomes)


def start(job: NewJob, run: RunOptions, view: BulkView) -> ExitCode:
    """Check every row of a CSV; with --dry-run show the verdicts, else journal the job and
    send it."""
    resolved = resolve(profile_service.load(), job.profile, require_token=not job.dry_run)
    provider = registry.get(resolved.provider)
    price = resolved.profile.price_per_segment
    default_sender = job.sender if job.sender is not None else resolved.profile.sender
    if default_sender is not None:
        validate_sender(provider, default_sender)
    if not job.dry_run:
        # A provider whose client cannot be loaded (a broken plugin) is found before a job
        # is created, not after: it leaves nothing behind.
        registry.load_client(provider)
    job_options, notes = bulk_options.from_args(job.send, provider)
    for note in notes:
        view.info(note)
    raw, source_name = _open_binary(job.file)
    hashing = _HashingReader(raw)
    # surrogateescape: a bad byte reaches the reader, which names its line (input._decoded).
    stream = io.TextIOWrapper(
        io.BufferedReader(hashing), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    table = open_table(stream, source_name)
    recipient_column = find_recipient_column(table.header, job.to_column)
    sender_index = None
    if job.sender_column is not None:
        if job.sender_column not in table.columns:
            raise InputError(f"no column named {job.sender_column!r}")
        sender_index = table.columns[job.sender_column]
    source = Source.from_options(table.header, job.message, job.template_file)
    rules = RowRules(
        recipient_index=table.columns[recipient_column],
        columns=table.header,
        template=source.template,
        region=resolved.profile.region,
        max_chars=provider.max_text_chars,
        sender_index=sender_index,
        **bulk_options.row_rules(job_options, table.columns),
    )
    workers = max(1, min(4, os.cpu_count() or 1))
    checked = preflight(table, rules, allow_duplicates=job.allow_duplicates, workers=workers)
    checked = (
        _with_sender(row, default_sender, provider.name, provider.requires_sender)
        for row in checked
    )
    needs_region: list[int] = []
    checked = _noting_region(checked, needs_region)
    totals = Totals()
    if job.dry_run:
        for row in checked:
            totals.add(row)
            view.checked(bulk_options.shown(row, job_options))
        _say_region(needs_region, resolved, view)
        view.totals(totals, price=price, currency=resolved.profile.currency, dry_run=True)
        return ExitCode.OK
    fingerprint_text = "\x00".join(
        str(x)
        for x in (
            source.template.source,
            recipient_column,
            job.sender_column,
            default_sender,
            resolved.profile.name,
            job.allow_duplicates,
            job_options.fingerprint(),
        )
    )
    # Until its pre-flight is complete a job is known by its source and options alone: a run
    # of the fixed file replaces a job whose pre-flight died, rather than adding to it.
    unfinished = (
        "preparing:" + hashlib.sha256(f"{source_name}\x00{fingerprint_text}".encode()).hexdigest()
    )
    history = History()
    journal = Journal(history)
    try:
        with job_lock(new_job_id()) as lock:
            job_id = lock.job_id
            journal.create(
                job_id=job_id,
                source=source_name,
                fingerprint=unfinished,
                profile=resolved.profile.name,
                provider=provider.name,
                name=job.name,
            )
            journal.save_options(job_id, job_options.to_json())

            def counted() -> Iterator[RowCheck]:
                for row in checked:
                    totals.add(row)
                    if row.error is not None:
                        view.invalid(row)
                    yield row

            try:
                journal.add_rows(job_id, counted())
            except BaseException as exc:
                # A pre-flight that did not finish leaves no job behind (a kill -9 here
                # leaves one in `preparing`, which is never sent and which the next run of
                # this file discards).
                kept = True
                with contextlib.suppress(Exception):
                    journal.delete(job_id)
                    kept = False
                if isinstance(exc, KeyboardInterrupt):
                    exc.add_note(
                        "nothing sent; the pre-flight check was stopped: "
                        + (
                            "its unfinished job is never sent, and the next run of this file "
                            "discards it"
                            if kept
                            else "no job was kept"
                        )
                    )
                raise
            _say_region(needs_region, resolved, view)
            fingerprint = hashlib.sha256(
                hashing.digest.hexdigest().encode() + fingerprint_text.encode()
            ).hexdigest()
            previous = journal.confirm(job_id, fingerprint, new_job=job.new_job, name=job.name)
            for stale in journal.discard_unfinished(unfinished, exclude=job_id):
                view.info(f"discarded job {stale}: its pre-flight never finished; nothing was sent")
            if previous is None:
                return _confirm_and_send(
                    journal, job_id, job.yes, totals, resolved, price, run, view
                )
            if previous.state == DELETED:  # a tombstone: it sent this file, then was deleted
                raise InputError(
                    "this file was already sent with the same options by job "
                    f"{previous.job_id} (deleted since; its messages are in the history)",
                    hint="see them: smsctl log; or start another job anyway: --new-job",
                )
            short = journal.short_id(previous.job_id)
            if journal.sent_something(previous.job_id):
                hint = f"see it: smsctl bulk show {short}; "
                if previous.state not in (FINISHED, CANCELLED):
                    hint += f"continue it: smsctl bulk resume {short}; "
                raise InputError(
                    "this file was already started with the same options as job "
                    f"{short} ({_state_text(previous)})",
                    hint=hint + "or start another job anyway: --new-job",
                )
            if job.name is not None and previous.name != job.name:
                view.warning(
                    f"job {short} is named {previous.name!r}: --name {job.name!r} is not used"
                    if previous.name is not None
                    else f"--name {job.name!r} is not used"
                )
            # The same command again, and the earlier job sent nothing: that job is this run.
            with job_lock(previous.job_id):
                # A `bulk delete` or `bulk cancel` may have landed since confirm: read it again.
                current = journal.job(previous.job_id)
                if current is None or current.state in (CANCELLED, DELETED):
                    what = "deleted" if current is None else current.state
                    view.error(
                        f"job {short} was {what} just now: nothing sent",
                        hint="to send the file: run the same command again",
                    )
                    return ExitCode.NETWORK
                previous = current
                refuse_live_runner(journal, previous)
                view.info(f"job {short} has this file, checked and not sent yet: using it")
                return _confirm_and_send(
                    journal, previous.job_id, job.yes, totals, resolved, price, run, view
                )
    finally:
        history.close()


def _confirm_and_send(
    journal: Journal,
    job_id: str,
    yes: bool,
    totals: Totals,
    resolved: Any,
    price: float | None,
    run: RunOptions,
    view: BulkView,
) -> ExitCode:
    """A job whose pre-flight is complete: show the totals, ask, and send."""
    view.totals(totals, price=price, currency=resolved.profile.currency, dry_run=False)
    if totals.messages == 0:
        journal.set_state(job_id, FINISHED, "nothing to send")
        view.info("nothing to send")
        return ExitCode.USAGE if totals.errors else ExitCode.OK
    short = journal.short_id(job_id)
    try:
        asked = send_question(
            f"Send {totals.messages} messages", totals, price, resolved.profile.name
        )
        unasked = InputError(
            f"not on a terminal, so not asking: nothing sent; job {short} is saved, ready",
            hint=f"send it: smsctl bulk resume {short} --yes; or delete it: "
            f"smsctl bulk delete {short}",
        )
        sending = confirmed(
            yes, view, asked, unasked=unasked, declined=lambda: _declined(short, view)
        )
    except KeyboardInterrupt as exc:  # Ctrl-C (or end of input) at the prompt
        exc.add_note(_kept_note(short, READY))
        raise
    if not sending:
        return ExitCode.OK
    return run_job(journal, job_id, resolved.profile.name, run, view)


def _noting_region(rows: Iterable[RowCheck], lines: list[int]) -> Iterator[RowCheck]:
    """The rows, noting the lines of national numbers that failed for want of a region."""
    for row in rows:
        if row.needs_region:
            lines.append(row.line)
        yield row


def _say_region(lines: list[int], resolved: ResolvedProfile, view: BulkView) -> None:
    """One warning for every row a region would have read, with the command that sets it."""
    if lines:
        count = f"{len(lines)} row{'s' if len(lines) > 1 else ''}"
        view.warning(
            f"{count} (line {lines[0]}{', ...' if len(lines) > 1 else ''}) "
            f"{'have numbers' if len(lines) > 1 else 'has a number'} without a country code, "
            f"and profile {resolved.profile.name!r} has no region to read "
            f"{'them' if len(lines) > 1 else 'it'} with",
            hint=profile_service.region_hint(resolved.profile),
        )


def _kept_note(short: str, state: str) -> str:
    """What a Ctrl-C at the prompt leaves: the job as it was, and what to do with it."""
    kept = "saved, ready" if state == READY else f"unchanged ({state})"
    return (
        f"nothing sent; job {short} is {kept}: send it with smsctl bulk resume {short} --yes, "
        f"or delete it with smsctl bulk delete {short}"
    )


def _state_text(job: JobRecord) -> str:
    return f"{job.state}: {job.note}" if job.note and job.state == PAUSED else job.state


def refuse_live_runner(journal: Journal, job: JobRecord) -> None:
    """The one refusal of a job another live process runs (exit 2), for resume, reuse and
    retry: its lock file may have been deleted, but the journal still knows the runner."""
    runner = journal.live_runner(job)
    if runner is not None:
        short = journal.short_id(job.job_id)
        raise InputError(
            f"job {short} is being run by smsctl process {runner}; not sending anything",
            hint="wait for it to finish, then see: smsctl bulk jobs",
        )


def resume(
    job_id: str,
    *,
    retry_unknown: bool,
    profile: str | None,
    yes: bool,
    run: RunOptions,
    view: BulkView,
    send: BulkSendArgs | None = None,
) -> ExitCode:
    """Send the pending rows of a job; rows left in flight by a crash become unknown first.
    SEND, the provider options of the command line: a job is resumed with its own (stored)."""
    check_resume_options(send)
    history = History()
    journal = Journal(history)
    try:
        job = journal.resolve(job_id)
        job_id = job.job_id
        # Held until the last answer is recorded: a second runner is refused before it
        # settles, claims or sends anything.
        with job_lock(job_id):
            current = journal.job(job_id)
            if current is None or current.state == DELETED:  # deleted since it was named
                raise InputError(f"no bulk job {job_id!r}", hint="smsctl bulk jobs lists them")
            job = current
            refuse_live_runner(journal, job)
            short = journal.short_id(job_id)
            if job.state == PREPARING:
                raise InputError(
                    f"job {short} never finished its pre-flight check, so none of it is sent",
                    hint="run the file again (fixed, if it was broken): smsctl bulk FILE ...",
                )
            if job.state == CANCELLED:
                rest = (
                    "--new-job would send every row again, those already sent too: to send only"
                    " the cancelled rows, make a CSV of them (status `cancelled` in the report)"
                    if journal.sent_something(job_id)
                    else "to send the file again: smsctl bulk FILE ... --new-job"
                )
                raise InputError(
                    f"job {short} was cancelled: its pending rows will never be sent",
                    hint=f"see it: smsctl bulk report {short}; {rest}",
                )
            profile_name = profile or str(job.profile)
            check_provider(job, profile_name, required=profile is not None)
            settled = journal.settle_in_flight(job_id)
            journal.reconcile(job_id)
            if settled:
                view.warning(
                    f"{settled} row(s) were in flight when the job stopped: now unknown, not resent"
                )
            counts = journal.counts(job_id)
            # Unknown rows become pending only once the run is confirmed: a refused or
            # declined resume must leave them unknown (a later plain resume never sends them).
            unknown = counts.get("unknown", 0) if retry_unknown else 0
            if retry_unknown and not unknown:
                view.info("--retry-unknown: no row of unknown outcome to send again")
            pending = counts.get("pending", 0) + unknown
            if pending == 0:
                view.info(f"nothing pending in job {short}")
                journal.set_state(job_id, FINISHED)
                counts = journal.counts(job_id)
                code = finished_exit_code(counts)
                _report_and_summary(journal, job_id, run, 0, 0.0, view)
                view.what_next(journal.campaign_counts(job_id).counts, short, code)
                return code
            if not yes:
                if not view.interactive():
                    raise InputError(
                        "not on a terminal, so not asking: pass --yes to send",
                        hint=f"smsctl bulk resume {short} --yes"
                        + (" --retry-unknown" if unknown else ""),
                    )
                question = f"Send the {pending} pending messages of job {short}?"
                if unknown:
                    question = (
                        f"Send the {pending} messages of job {short}, {unknown} of them of unknown"
                        " outcome (they may have been sent already)?"
                    )
                try:
                    confirmed = view.confirm(question)
                except KeyboardInterrupt as exc:  # Ctrl-C (or end of input) at the prompt
                    exc.add_note(_kept_note(short, job.state))
                    raise
                if not confirmed:
                    _declined(short, view)
                    return ExitCode.OK
            if unknown:
                again = journal.retry_unknown(job_id)
                view.warning(f"{again} row(s) of unknown outcome will be sent again, as asked")
            return run_job(journal, job_id, profile_name, run, view)
    finally:
        history.close()


def check_resume_options(
    send: BulkSendArgs | None, given: Sequence[str] = (), job: str = "JOB"
) -> None:
    """A job is resumed with the options it was started with (stored): new ones refused.
    GIVEN, the start-only options given with `--resume` (`--dry-run`, `--message`, ...): none of
    them would be heeded (a resumed job sends what it stored), so the first is refused."""
    if given:
        from shlex import quote

        raise InputError(
            f"{given[0]} does not go with --resume: a job is resumed as it was started",
            hint=f"smsctl bulk show {quote(job)} shows what is left to send, without sending",
        )
    if send is not None and send != BulkSendArgs():
        raise InputError(
            "a job is resumed with the send options it was started with",
            hint="leave out --at, --label and the other provider options",
        )


def _with_sender(row: RowCheck, default: str | None, provider: str, required: bool) -> RowCheck:
    if row.error is not None:
        return row
    sender = row.sender or default
    if sender is None:
        if required:
            return replace(
                row, error="no sender: give --from, --sender-column, or a profile sender"
            )
        return row
    problem = registry.get(provider).sender.problem(sender)
    if problem:
        return replace(row, error=f"invalid sender: {sender!r} ({problem})")
    return replace(row, sender=sender)


def confirmed(
    yes: bool,
    view: BulkView,
    question: str,
    *,
    unasked: InputError,
    declined: Callable[[], None],
) -> bool:
    """The one confirmation of a send (a new job, a retry): --yes, or the user's yes to
    QUESTION. Off a terminal without --yes: UNASKED is raised (exit 2); a no: DECLINED says what
    is left. Either way nothing was sent."""
    if yes:
        return True
    if not view.interactive():
        raise unasked
    if view.confirm(question):
        return True
    declined()
    return False


def send_question(lead: str, totals: Totals, price: float | None, profile: str) -> str:
    """`LEAD (N segments, about COST) with profile 'P'?`: what a yes sends, and its price."""
    cost = f", about {totals.segments * price:.2f}" if price is not None else ""
    return f"{lead} ({totals.segments} segments{cost}) with profile {profile!r}?"


def _declined(short: str, view: BulkView) -> None:
    view.warning(
        f"nothing sent; job {short} is saved, ready",
        hint=f"send it: smsctl bulk resume {short} --yes; or delete it: smsctl bulk delete {short}",
    )


def run_job(
    journal: Journal, job_id: str, profile_name: str, run: RunOptions, view: BulkView
) -> ExitCode:
    """Send the job's pending rows; a history that fails meanwhile names the job to resume, and
    a Ctrl-C anywhere (not only in the engine's loop) leaves it `interrupted`, with the hint."""
    short = journal.short_id(job_id)
    ran: list[Progress] = []  # the engine's counts, once it exists
    try:
        return _send_pending(journal, job_id, profile_name, run, view, ran)
    except StorageError as exc:
        raise StorageError(
            f"{exc.message}; bulk job {short} stopped{unrecorded(ran[0] if ran else None)}",
            path=exc.path,
            hint=f"when the history can be written again: {_settle_first(ran, short)}"
            f"smsctl bulk resume {short}",
        ) from None
    except KeyboardInterrupt as exc:
        state = None
        with contextlib.suppress(Exception):
            job = journal.job(job_id)
            state = job.state if job is not None else None
            if state in (READY, RUNNING):
                journal.set_state(job_id, INTERRUPTED, "interrupted (Ctrl-C)")
                state = INTERRUPTED
        if state in (FINISHED, CANCELLED):
            exc.add_note(f"bulk job {short} is {state}; see it: smsctl bulk show {short}")
        else:
            exc.add_note(
                f"bulk job {short} stopped; what it sent is journaled; "
                f"continue with: smsctl bulk resume {short}"
            )
        raise


def unrecorded(progress: Progress | None) -> str:
    """What a run whose journal failed sent: all of it journaled, or the answers that
    arrived but could not be recorded (their rows read as unknown on resume)."""
    if progress is None or not progress.unrecorded:
        return ", and what it sent is journaled"
    return (
        f"; {progress.unrecorded} answer(s) arrived (accepted {progress.unrecorded_accepted}) "
        "but could not be recorded: those rows will read as unknown on resume although they "
        "were answered"
    )


def _settle_first(ran: list[Progress], short: str) -> str:
    if not ran or not ran[0].unrecorded:
        return ""
    return f"settle them first with smsctl status --job {short} (before any --retry-unknown); "


def _send_pending(
    journal: Journal,
    job_id: str,
    profile_name: str,
    run: RunOptions,
    view: BulkView,
    ran: list[Progress] | None = None,
) -> ExitCode:
    resolved = resolve(profile_service.load(), profile_name)
    provider = registry.get(resolved.provider)
    client_class = registry.load_client(provider)
    credentials = resolved.credentials
    base, notes = bulk_options.for_run(journal, job_id)
    for note in notes:
        view.warning(note)
    tune_gc()
    short = journal.short_id(job_id)
    if not journal.start_run(job_id):  # cancelled or deleted meanwhile (at the prompt)
        return _not_started(journal, job_id, short, run, view)
    display = view.progress(journal.counts(job_id).get("pending", 0))
    engine = Engine(
        job_id=job_id,
        profile=resolved.profile.name,
        provider=provider.name,
        make_client=lambda: client_class(
            credentials, resolved.profile.base_url, timeout=run.timeout, lean_http=True
        ),
        history_factory=History,
        store_text=resolved.profile.store_text,
        concurrency=run.concurrency,
        rate=run.rate if run.rate is not None else provider.max_requests_per_second,
        on_progress=display.update,
        options=base,
    )
    if ran is not None:
        ran.append(engine.progress)
    try:
        pending = journal.pending(job_id)
    except BaseException:
        display.close()
        raise
    try:
        # Never more recipients in one request than the provider takes (Textbelt: one).
        limit = provider.max_recipients_per_request
        size = run.batch_size if limit is None else min(run.batch_size, limit)
        result = engine.run(batches(pending, size))
    except BaseException:
        with contextlib.suppress(Exception):  # a history that failed may refuse this too
            journal.set_state(job_id, INTERRUPTED, "the run stopped on an error")
        raise
    finally:
        pending.close()  # a stopped run leaves the read open otherwise
        display.close()
    for note in result.answer_notes:
        view.warning(note)
    counts = journal.counts(job_id)
    job = journal.job(job_id)
    code: ExitCode
    # What happened and what to do next: said last, after the summary, for every exit code.
    last: tuple[str, str, str | None]  # (kind, message, hint)
    if result.cancelled or (job is not None and job.state == CANCELLED):
        code = finished_exit_code(counts)
        never = counts.get("cancelled", 0)
        # A cause that paused the run as the cancel landed (a refused token) is said too.
        cause = f"; the run had also stopped: {result.paused}" if result.paused else ""
        last = (
            "error",
            f"job {short} was cancelled: {never} row(s) were never sent; rows already in "
            f"flight kept their fate{cause}",
            f"see every row: smsctl bulk report {short}",
        )
    elif result.interrupted:
        journal.set_state(job_id, INTERRUPTED, "interrupted (Ctrl-C)")
        left = counts.get("pending", 0)
        last = (
            "error",
            f"interrupted: job {short} stopped with {left} row(s) not sent",
            f"continue with: smsctl bulk resume {short}",
        )
        code = exit_code_for({}, interrupted=True)
    elif result.paused:
        journal.set_state(job_id, PAUSED, result.paused)
        lost = result.progress.unrecorded
        last = (
            "error",
            f"job paused: {result.paused} (job {short})"
            + (unrecorded(result.progress) if lost else ""),
            f"when the cause is fixed, continue with: "
            f"{_settle_first([result.progress], short)}smsctl bulk resume {short}",
        )
        code = result.pause_exit or ExitCode.NETWORK
    elif counts.get("pending", 0) or counts.get("in_flight", 0):
        # Never `finished` with rows left: a run that ended early says so, and can be resumed.
        left = counts.get("pending", 0) + counts.get("in_flight", 0)
        journal.set_state(job_id, INTERRUPTED, f"{left} row(s) not finished")
        last = (
            "error",
            f"job {short} stopped with {left} row(s) not sent or not answered",
            f"continue with: smsctl bulk resume {short}",
        )
        code = exit_code_for({Outcome.UNKNOWN: counts.get("in_flight", 0), Outcome.NOT_SENT: left})
    else:
        journal.set_state(job_id, FINISHED)
        code = finished_exit_code(counts)
        last = ("finished", "", None)
    _report_and_summary(journal, job_id, run, result.progress.requests, result.elapsed, view)
    kind, message, hint = last
    if kind == "finished":
        view.what_next(journal.campaign_counts(job_id).counts, short, code)
    else:
        view.error(message, hint=hint)
    return code


def _not_started(
    journal: Journal, job_id: str, short: str, run: RunOptions, view: BulkView
) -> ExitCode:
    """The job was cancelled or deleted before its run began (while the prompt waited): nothing
    of it was sent now; say so with the exit code of its rows (a cancelled row: not sent)."""
    job = journal.job(job_id)
    if job is None or job.state == DELETED:
        view.error(
            f"job {short} was deleted before it started: nothing sent",
            hint="to send the file: smsctl bulk FILE ...",
        )
        return ExitCode.NETWORK
    counts = journal.counts(job_id)
    _report_and_summary(journal, job_id, run, 0, 0.0, view)
    view.error(
        f"job {short} was cancelled before it started: nothing sent; "
        f"{counts.get('cancelled', 0)} row(s) will never be sent",
        hint=f"see every row: smsctl bulk report {short}; to send the file again: "
        "smsctl bulk FILE ... --new-job",
    )
    return finished_exit_code(counts)


def _report_and_summary(
    journal: Journal, job_id: str, run: RunOptions, requests: int, elapsed: float, view: BulkView
) -> None:
    """--report (a failure to write it is said after the summary: what was sent stands)."""
    unwritten = None
    if run.report is not None:
        rows = journal.report_rows(job_id)
        try:
            view.report(run.report, rows)
        except (InputError, StorageError) as exc:  # a bad path, a full disk
            unwritten = exc.message
        finally:
            rows.close()
    _summary(journal, job_id, requests, elapsed, view)
    if unwritten is not None:
        short = journal.short_id(job_id)
        view.warning(f"{unwritten}; the outcome of every row is in: smsctl bulk report {short}")


def _summary(journal: Journal, job_id: str, requests: int, elapsed: float, view: BulkView) -> None:
    job = journal.job(job_id)
    tally = journal.campaign_counts(job_id)
    view.summary(
        job_id,
        job.state if job else None,
        tally,
        requests,
        elapsed,
        provider=job.provider if job else None,
    )


def check_provider(job: JobRecord, profile_name: str, *, required: bool) -> None:
    """A job was checked for one provider (its sender rules, its text limits): it is never
    resumed through a profile of another."""
    try:
        resolved = resolve(profile_service.load(), profile_name, require_token=False)
    except ConfigError:
        if required:
            raise
        return  # the job's own profile is gone: said when there is something to send
    if resolved.provider != job.provider:
        raise InputError(
            f"profile {profile_name!r} sends through {resolved.provider}, but job "
            f"{job.job_id} was checked for {job.provider}; not sending anything",
            hint=f"resume it with a {job.provider} profile: --profile NAME",
        )


class _HashingReader(io.RawIOBase):
    """A raw binary reader that hashes what passes through: the job's file fingerprint."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count: int = self.raw.readinto(buffer)
        if count:
            self.digest.update(memoryview(buffer)[:count])
        return count


def _open_binary(path: str) -> tuple[Any, str]:
    if path == "-":
        if sys.stdin is None:
            raise InputError("'-' reads standard input, but there is none")
        return sys.stdin.buffer, "standard input"
    # A file name that is not UTF-8 (surrogateescape) is shown and stored with U+FFFD instead.
    name = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        return open(path, "rb", buffering=0), name
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
