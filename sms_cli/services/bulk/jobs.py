"""Bulk jobs: start one from a CSV (pre-flight, fingerprint, journal), resume one, list them.

No printing here: what a user sees goes through the `BulkView` the command passes in
(render/bulk.py), called at the moment it happens, so progress and prompts keep their order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
from sms_cli.services.bulk import options as job_options
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
from sms_cli.storage.db import new_id
from sms_cli.storage.jobs import JobOutcome, JobRecord, JobSummary, Journal, job_lock
from sms_cli.storage.messages import History
from sms_cli.storage.profiles import resolve, validate_sender


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
    def totals(self, totals: Totals, *, price: float | None, dry_run: bool) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str, hint: str | None = None) -> None: ...
    def interactive(self) -> bool: ...
    def confirm(self, question: str) -> bool: ...
    def progress(self, total: int) -> ProgressSink: ...
    def summary(
        self, job_id: str, state: str | None, outcome: JobOutcome, requests: int, elapsed: float
    ) -> None: ...
    def report(self, path: Path, rows: Iterable[tuple[object, ...]]) -> None: ...


@contextmanager
def storage_errors() -> Iterator[None]:
    """A history database that fails a read or write is local storage (exit 4), not a bug: the
    job journal is transactional, so whatever it holds is still resumable."""
    try:
        yield
    except sqlite3.Error as exc:
        raise ConfigError(
            f"could not record the bulk job in the history ({type(exc).__name__}: {exc})",
            hint="free space or fix the data directory, then: smsctl bulk jobs; "
            "smsctl bulk --resume JOB",
        ) from None


def list_jobs() -> list[JobSummary]:
    history = History()
    try:
        return Journal(history).jobs()
    finally:
        history.close()


def finished_exit_code(counts: dict[str, int]) -> ExitCode:
    """A finished job: every row's state counts, but a duplicate skipped."""
    outcomes: Counter[Outcome] = Counter()
    for state, n in counts.items():
        if state == "accepted":
            outcomes[Outcome.DONE] += n
        elif state in ("unknown", "in_flight"):
            outcomes[Outcome.UNKNOWN] += n
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
    send_options, notes = job_options.from_args(job.send, provider)
    for note in notes:
        view.info(note)
    raw, source_name = _open_binary(job.file)
    hashing = _HashingReader(raw)
    # surrogateescape: a bad byte reaches the reader, which names its line (bulk._decoded).
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
        **job_options.row_rules(send_options, table.columns),
    )
    workers = max(1, min(4, os.cpu_count() or 1))
    checked = preflight(table, rules, allow_duplicates=job.allow_duplicates, workers=workers)
    checked = (
        _with_sender(row, default_sender, provider.name, provider.requires_sender)
        for row in checked
    )
    totals = Totals()
    if job.dry_run:
        for row in checked:
            totals.add(row)
            view.checked(job_options.shown(row, send_options))
        view.totals(totals, price=price, dry_run=True)
        return ExitCode.OK
    options = "\x00".join(
        str(x)
        for x in (
            source.template.source,
            recipient_column,
            job.sender_column,
            default_sender,
            resolved.profile.name,
            job.allow_duplicates,
            send_options.fingerprint(),
        )
    )
    # Until its pre-flight is complete a job is known by its source and options alone: a run
    # of the fixed file replaces a job whose pre-flight died, rather than adding to it.
    unfinished = "preparing:" + hashlib.sha256(f"{source_name}\x00{options}".encode()).hexdigest()
    history = History()
    journal = Journal(history)
    try:
        with job_lock(new_id()) as lock:
            job_id = lock.job_id
            journal.create(
                job_id=job_id,
                source=source_name,
                fingerprint=unfinished,
                profile=resolved.profile.name,
                provider=provider.name,
            )
            journal.save_options(job_id, send_options.to_json())

            def counted() -> Iterator[RowCheck]:
                for row in checked:
                    totals.add(row)
                    if row.error is not None:
                        view.invalid(row)
                    yield row

            try:
                journal.add_rows(job_id, counted())
            except BaseException:
                # A pre-flight that did not finish leaves no job behind (a kill -9 here
                # leaves one in `preparing`, which is never sent and which the next run of
                # this file discards).
                with contextlib.suppress(Exception):
                    journal.delete(job_id)
                raise
            fingerprint = hashlib.sha256(
                hashing.digest.hexdigest().encode() + options.encode()
            ).hexdigest()
            previous = journal.confirm(job_id, fingerprint, new_job=job.new_job)
            for stale in journal.discard_unfinished(unfinished, exclude=job_id):
                view.info(f"discarded job {stale}: its pre-flight never finished; nothing was sent")
            if previous is not None:
                raise InputError(
                    "this file was already started with the same options as job "
                    f"{previous.job_id} ({previous.state})",
                    hint=f"continue it: smsctl bulk --resume {previous.job_id}; or pass --new-job",
                )
            view.totals(totals, price=price, dry_run=False)
            if totals.messages == 0:
                journal.set_state(job_id, "finished", "nothing to send")
                view.info("nothing to send")
                return ExitCode.USAGE if totals.errors else ExitCode.OK
            if not _confirmed(job.yes, totals, resolved.profile.name, job_id, price, view):
                return ExitCode.OK
            return _run(journal, job_id, resolved.profile.name, run, view)
    finally:
        history.close()


def resume(
    job_id: str,
    *,
    retry_unknown: bool,
    profile: str | None,
    yes: bool,
    run: RunOptions,
    view: BulkView,
) -> ExitCode:
    """Send the pending rows of a job; rows left in flight by a crash become unknown first."""
    history = History()
    journal = Journal(history)
    try:
        job = journal.resolve(job_id)
        job_id = job.job_id
        # Held until the last answer is recorded: a second runner is refused before it
        # settles, claims or sends anything.
        with job_lock(job_id):
            job = journal.job(job_id) or job
            runner = journal.live_runner(job)
            if runner is not None:  # its lock file was deleted: the journal still knows it
                raise InputError(
                    f"job {job_id} is being run by smsctl process {runner}; not sending anything",
                    hint="wait for it to finish, then see: smsctl bulk jobs",
                )
            if job.state == "preparing":
                raise InputError(
                    f"job {job_id} never finished its pre-flight check, so none of it is sent",
                    hint="run the file again (fixed, if it was broken): smsctl bulk FILE ...",
                )
            profile_name = profile or str(job.profile)
            _check_provider(job, profile_name, required=profile is not None)
            settled = journal.settle_in_flight(job_id)
            if settled:
                view.warning(
                    f"{settled} row(s) were in flight when the job stopped: now unknown, not resent"
                )
            if retry_unknown:
                again = journal.retry_unknown(job_id)
                view.warning(f"{again} row(s) of unknown outcome will be sent again, as asked")
            pending = journal.counts(job_id).get("pending", 0)
            if pending == 0:
                view.info("nothing pending in this job")
                journal.set_state(job_id, "finished")
                _summary(journal, job_id, 0, 0.0, view)
                return finished_exit_code(journal.counts(job_id))
            if not yes:
                if not view.interactive():
                    raise InputError("not on a terminal, so not asking: pass --yes to send")
                if not view.confirm(f"Send the {pending} pending messages of job {job_id}?"):
                    return ExitCode.OK
            return _run(journal, job_id, profile_name, run, view)
    finally:
        history.close()


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


def _confirmed(
    yes: bool, totals: Totals, profile: str, job_id: str, price: float | None, view: BulkView
) -> bool:
    if yes:
        return True
    if not view.interactive():
        raise InputError(
            "not on a terminal, so not asking: pass --yes to send",
            hint=f"the checked job is saved; send it with: smsctl bulk --resume {job_id} --yes",
        )
    cost = f", about {totals.segments * price:.2f}" if price is not None else ""
    return view.confirm(
        f"Send {totals.messages} messages ({totals.segments} segments{cost}) "
        f"with profile {profile!r}?"
    )


def _run(
    journal: Journal, job_id: str, profile_name: str, run: RunOptions, view: BulkView
) -> ExitCode:
    """Send the job's pending rows; a history that fails meanwhile names the job to resume."""
    try:
        return _send_pending(journal, job_id, profile_name, run, view)
    except StorageError as exc:
        raise StorageError(
            f"{exc.message}; bulk job {job_id} stopped, and what it sent is journaled",
            path=exc.path,
            hint=f"when the history can be written again: smsctl bulk --resume {job_id}",
        ) from None


def _send_pending(
    journal: Journal, job_id: str, profile_name: str, run: RunOptions, view: BulkView
) -> ExitCode:
    resolved = resolve(profile_service.load(), profile_name)
    provider = registry.get(resolved.provider)
    client_class = registry.load_client(provider)
    credentials = resolved.credentials
    base, notes = job_options.for_run(journal, job_id)
    for note in notes:
        view.warning(note)
    tune_gc()
    display = view.progress(journal.counts(job_id).get("pending", 0))
    journal.start_run(job_id)
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
    pending = journal.pending(job_id)
    try:
        # Never more recipients in one request than the provider takes (Textbelt: one).
        limit = provider.max_recipients_per_request
        size = run.batch_size if limit is None else min(run.batch_size, limit)
        result = engine.run(batches(pending, size))
    except BaseException:
        with contextlib.suppress(Exception):  # a history that failed may refuse this too
            journal.set_state(job_id, "interrupted", "the run stopped on an error")
        raise
    finally:
        pending.close()  # a stopped run leaves the read open otherwise
        display.close()
    for note in result.answer_notes:
        view.warning(note)
    counts = journal.counts(job_id)
    code: ExitCode
    if result.interrupted:
        journal.set_state(job_id, "interrupted")
        view.error("interrupted", hint=f"continue with: smsctl bulk --resume {job_id}")
        code = exit_code_for({}, interrupted=True)
    elif result.paused:
        journal.set_state(job_id, "paused", result.paused)
        view.error(
            f"job paused: {result.paused}",
            hint=f"continue later with: smsctl bulk --resume {job_id}",
        )
        code = result.pause_exit or ExitCode.NETWORK
    elif counts.get("pending", 0) or counts.get("in_flight", 0):
        # Never `done` with rows left: a run that ended early says so, and can be resumed.
        left = counts.get("pending", 0) + counts.get("in_flight", 0)
        journal.set_state(job_id, "interrupted", f"{left} row(s) not finished")
        view.error(
            f"the run stopped with {left} row(s) not sent or not answered",
            hint=f"continue with: smsctl bulk --resume {job_id}",
        )
        code = exit_code_for({Outcome.UNKNOWN: counts.get("in_flight", 0), Outcome.NOT_SENT: left})
    else:
        journal.set_state(job_id, "finished")
        code = finished_exit_code(counts)
    unwritten = None
    if run.report is not None:
        try:
            view.report(run.report, journal.report_rows(job_id))
        except InputError as exc:  # what was sent stands: say so, after the summary
            unwritten = exc.message
    _summary(journal, job_id, result.progress.requests, result.elapsed, view)
    if unwritten is not None:
        view.warning(f"{unwritten}; the outcome of every row is in: smsctl bulk jobs, smsctl log")
    return code


def _summary(journal: Journal, job_id: str, requests: int, elapsed: float, view: BulkView) -> None:
    job = journal.job(job_id)
    view.summary(job_id, job.state if job else None, journal.outcome(job_id), requests, elapsed)


def _check_provider(job: JobRecord, profile_name: str, *, required: bool) -> None:
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
