"""The bulk engine: sends a job's pending rows with bounded concurrency, and records every
answer in the journal (storage/jobs.py). Identical texts go out as one provider batch;
personalised rows one request each.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sms_cli.core.status import ACCEPTED_STATUSES
from sms_cli.errors import (
    AuthError,
    ExitCode,
    NetworkError,
    ProviderUnavailable,
    SmsError,
)
from sms_cli.providers import registry
from sms_cli.services.bulk.options import row_options
from sms_cli.storage.db import new_id, now_iso
from sms_cli.storage.jobs import (
    CANCELLED,
    PendingRow,
    RowAnswer,
    claim_rows,
    job_state,
    record_answers,
    release_rows,
)
from sms_cli.storage.messages import History, MessageRecord, Outcome, insert_answered, text_hash

if TYPE_CHECKING:
    from sms_cli.core.segments import Count
    from sms_cli.providers.base import Provider, Recipient, SendOptions, SendResult

PAUSE_AFTER_UNKNOWN_BATCHES = 3


def tune_gc() -> None:
    """Sending allocates many short-lived objects and no cycles worth chasing: move what exists
    out of the collector's sight and let it run less often. For a process that runs one job."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


class AccountError(SmsError):
    """The provider refused the account (out of credit): nothing was sent; exit 7."""

    exit_code = ExitCode.REJECTED
    code = "account_rejected"


class GroupCommit:
    """One writer thread for every worker: each write waits until it is committed, and all
    writes that arrive meanwhile share one commit. Under load that turns hundreds of commits a
    second, which would queue the workers behind SQLite's single write lock, into a few dozen.
    """

    def __init__(
        self,
        history_factory: Callable[[], History],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.history_factory = history_factory
        self.on_error = on_error  # told at once when a write fails, so the senders stop
        self.queue: queue.Queue[_Item | None]
        self.queue = queue.Queue()
        self.deferred = _Ticket()
        self.thread = threading.Thread(target=self._loop, name="bulk-journal", daemon=True)
        self.thread.start()

    def write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Write and wait until it is committed: for what must be on disk before a request."""
        ticket = _Ticket()
        self.queue.put((change, ticket, None))
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error

    def write_later(
        self,
        change: Callable[[sqlite3.Connection], object],
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Write without waiting: for answers, which a crash before the commit only turns
        from `in_flight` into `unknown` on resume, never into a second send. A failure to
        write is raised by `close`; FAILED is called (in the writer thread) if this one was
        not committed."""
        self.queue.put((change, self.deferred, failed))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.deferred.error is not None:
            raise self.deferred.error

    def _loop(self) -> None:
        try:
            history: History | None = self.history_factory()
            opened: BaseException | None = None
        except BaseException as exc:  # every write fails with it, and nobody waits forever
            history, opened = None, exc
        try:
            while True:
                first = self.queue.get()
                if first is None:
                    return
                waiting = [first]
                while True:
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self.queue.put(None)  # finish this group, then stop
                        break
                    waiting.append(item)
                if history is None:
                    errors: list[BaseException | None] = [opened] * len(waiting)
                else:
                    errors = self._commit(history, [change for change, _, _ in waiting])
                failed = next((e for e in errors if e is not None), None)
                if failed is not None and self.on_error is not None:
                    self.on_error(failed)
                for (_, ticket, on_failure), error in zip(waiting, errors, strict=True):
                    if error is not None and on_failure is not None:
                        on_failure()
                    ticket.error = ticket.error or error
                    ticket.done.set()
        finally:
            if history is not None:
                history.close()

    @staticmethod
    def _commit(
        history: History, changes: list[Callable[[sqlite3.Connection], object]]
    ) -> list[BaseException | None]:
        """All changes in one transaction; if that fails, each in its own, so one refused
        write does not take the others (say, answers already received) down with it."""
        error = GroupCommit._transaction(history, changes)
        if error is None:
            return [None] * len(changes)
        if len(changes) == 1:
            return [error]
        return [GroupCommit._transaction(history, [change]) for change in changes]

    @staticmethod
    def _transaction(
        history: History, changes: list[Callable[[sqlite3.Connection], object]]
    ) -> BaseException | None:
        try:
            with history.transaction() as db:
                for change in changes:
                    change(db)
        except BaseException as exc:
            if history.connection.in_transaction:  # a COMMIT that failed
                with suppress(sqlite3.Error):
                    history.connection.execute("ROLLBACK")
            return exc
        return None


_Item = tuple[Callable[["sqlite3.Connection"], object], "_Ticket", Callable[[], None] | None]


class _Ticket:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SmsError):
        return exc.message
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class Batch:
    """One request: one text, sender, time and label; one or more rows."""

    text: str
    sender: str | None
    rows: tuple[tuple[int, str], ...]  # (line, recipient)
    send_at: str | None = None  # the rows' own time (--at-column), ISO 8601 UTC
    label: str | None = None  # the rows' own label (--label-column)


def batches(pending: Iterator[PendingRow], size: int) -> Iterator[Batch]:
    """Consecutive rows with the same text, sender, time and label, `size` at most a request."""
    current: list[tuple[int, str]] = []
    key: tuple[str, str | None, str | None, str | None] | None = None
    for line, recipient, sender, text, send_at, label in pending:
        if key != (text, sender, send_at, label) or len(current) >= size:
            if current and key is not None:
                yield Batch(key[0], key[1], tuple(current), key[2], key[3])
            current, key = [], (text, sender, send_at, label)
        current.append((line, recipient))
    if current and key is not None:
        yield Batch(key[0], key[1], tuple(current), key[2], key[3])


@dataclass(frozen=True)
class _Measured:
    parts: int
    encoding: str


def _binary_count(text: str, udh: str) -> _Measured:
    """--udh: the text is hex octets sharing each part with the UDH (core/segments)."""
    from sms_cli.core.segments import split_binary

    return _Measured(split_binary(text, udh).segment_count, "binary")


class RateLimiter:
    """At most `rate` requests a second, spread evenly, shared by every worker."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.lock = threading.Lock()
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            at = max(self.next_at, now)
            self.next_at = at + self.interval
        if at > now:
            time.sleep(at - now)


@dataclass
class Progress:
    accepted: int = 0
    failed: int = 0
    unknown: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    # Answers that arrived but whose write to the journal failed (the history locked past the
    # busy timeout, a full disk): their rows stay in flight, unknown on resume.
    unrecorded: int = 0
    unrecorded_accepted: int = 0


@dataclass
class EngineResult:
    progress: Progress
    paused: str | None = None
    pause_exit: ExitCode | None = None
    interrupted: bool = False
    elapsed: float = 0.0
    # What answers said about themselves that no row records (messages an answer lists for no
    # recipient of the request): shown once each after the run.
    answer_notes: tuple[str, ...] = ()
    cancelled: bool = False  # `bulk cancel` took the pending rows while this run went on


class Engine:
    """Sends a job's pending rows with bounded concurrency; stops cleanly on Ctrl-C."""

    def __init__(
        self,
        *,
        job_id: str,
        profile: str,
        provider: str,
        make_client: Callable[[], Provider],
        history_factory: Callable[[], History],
        concurrency: int,
        rate: float | None,
        on_progress: Callable[[Progress], None] | None = None,
        store_text: bool = True,
        options: SendOptions | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.job_id = job_id
        self.profile = profile
        self.provider = provider
        self.make_client = make_client
        self.history_factory = history_factory
        self.concurrency = concurrency
        self.limiter = RateLimiter(rate)
        self.on_progress = on_progress
        self.store_text = store_text  # False: the history keeps only each text's hash
        # The job's options (services/bulk/options.py): every request carries them, with the
        # engine's own reference and the rows' own time and label.
        self.options = options
        self.clock = clock
        self.references = "--foreign-id" in registry.get(provider).send_options
        self.local = threading.local()
        self.stop = threading.Event()
        self.pause_reason: str | None = None
        self.cancelled = False  # `bulk cancel` (any process) took the pending rows
        self.pause_exit: ExitCode | None = None
        self.lock = threading.Lock()
        self.unknown_streak = 0
        self.progress = Progress()
        self.answer_notes: dict[str, None] = {}  # insertion-ordered, each note once

    def _client(self) -> Provider:
        client: Provider | None = getattr(self.local, "client", None)
        if client is None:
            client = self.make_client()
            self.local.client = client
        return client

    def _send(self, batch: Batch) -> None:
        from sms_cli.core.segments import count
        from sms_cli.providers.base import Recipient, SendOptions, SendRequest

        base = self.options
        if self.stop.is_set():
            return
        self.limiter.wait()
        client = self._client()
        recipients = tuple(Recipient(number, new_id()) for _, number in batch.rows)
        # Our reference on each request, so a lost answer can be found in the provider's journal.
        foreign_id = f"smsctl-{recipients[0].local_id}" if self.references else None
        measured: Count | _Measured
        if base is None:
            measured = count(batch.text)
        elif base.udh is not None:
            measured = _binary_count(batch.text, base.udh)
        else:
            measured = count(batch.text, force_ucs2=base.unicode)
        stamp = now_iso()
        in_flight = [
            (line, r.local_id, foreign_id, stamp)
            for r, (line, _) in zip(recipients, batch.rows, strict=True)
        ]
        intents = [
            MessageRecord(
                local_id=r.local_id, batch_id=self.job_id, profile=self.profile,
                provider=self.provider, recipient=r.number, sender=batch.sender,
                text=batch.text if self.store_text else None,
                text_sha256=text_hash(batch.text), segments=measured.parts,
                encoding=measured.encoding, foreign_id=foreign_id,
                test=base is not None and base.test,
            )
            for r in recipients
        ]  # fmt: skip

        claimed: list[int] = []

        def before(db: sqlite3.Connection) -> None:
            # The journal row is the record made before the request: a crash after this
            # commit leaves it in flight, which a resume turns into unknown (and copies into
            # the history for `status` to settle), never into a second send.
            claimed[:] = claim_rows(db, self.job_id, in_flight)
            # A row not ours any more: another runner took it, or `bulk cancel` did. After a
            # cancel no claim can succeed, so stop at once rather than walk the rest.
            if len(claimed) < len(in_flight) and job_state(db, self.job_id) == CANCELLED:
                self.cancelled = True
                self.stop.set()

        try:
            self.writer.write(before)
        except BaseException as exc:
            # Nothing was claimed (the transaction rolled back): these rows stay pending.
            self._journal_failed(exc)
            return
        if len(claimed) < len(batch.rows):
            mine = set(claimed)
            keep = [i for i, (line, _) in enumerate(batch.rows) if line in mine]
            if not keep:
                return
            batch = replace(batch, rows=tuple(batch.rows[i] for i in keep))
            recipients = tuple(recipients[i] for i in keep)
            intents = [intents[i] for i in keep]
            # The request keeps its reference: unique still, and already in the journal.
        try:
            if base is None:
                options = SendOptions(foreign_id=foreign_id)
            else:
                if batch.send_at is not None or batch.label is not None:
                    base = row_options(base, batch.send_at, batch.label, self._now())
                options = replace(base, foreign_id=foreign_id)
            results = client.send(SendRequest(batch.text, recipients, batch.sender, options))
        except (AuthError, NetworkError, ProviderUnavailable) as exc:
            self._not_sent(batch, recipients, exc)
            return
        account = type(client).account_codes
        if results and all(r.status == "rejected" and r.provider_code in account for r in results):
            text = results[0].provider_text or results[0].error or "refused"
            self._not_sent(
                batch,
                recipients,
                AccountError(
                    f"{registry.get(self.provider).title} refused the account: {text} "
                    f"(code {results[0].provider_code}); nothing more was sent"
                ),
            )
            return
        self._record(batch, intents, results)

    def _now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)

    def _journal_failed(self, exc: BaseException) -> None:
        """The history database refused a write: stop sending; the job stays resumable."""
        with self.lock:
            if self.pause_reason is None or self.pause_exit != ExitCode.CONFIG:
                self.pause_reason = f"could not record the job in the history ({_reason(exc)})"
                self.pause_exit = ExitCode.CONFIG
        self.stop.set()

    def _not_sent(
        self,
        batch: Batch,
        recipients: tuple[Recipient, ...],
        exc: SmsError,
    ) -> None:
        """Refused before processing: the rows go back to pending and the job pauses."""
        stamp = now_iso()

        def after(db: sqlite3.Connection) -> None:
            release_rows(
                db,
                self.job_id,
                [(line, r.local_id) for (line, _), r in zip(batch.rows, recipients, strict=True)],
                stamp,
            )

        try:
            self.writer.write(after)
        except BaseException as journal_exc:  # the rows stay in flight: unknown on resume
            self._journal_failed(journal_exc)
            return
        with self.lock:
            if self.pause_reason is None:
                self.pause_reason = exc.message
                self.pause_exit = exc.exit_code
        self.stop.set()

    def _record(
        self, batch: Batch, intents: list[MessageRecord], results: list[SendResult]
    ) -> None:
        """The answers: in the journal, and in the history for `status` and `log`."""
        stamp = now_iso()
        # Rows are addressed by their primary key (job, line): by local id it would be a scan
        # of the whole job for every answer.
        line_of = {
            intent.local_id: line for intent, (line, _) in zip(intents, batch.rows, strict=True)
        }
        states = []
        for result in results:
            if result.status in ACCEPTED_STATUSES:
                state = "accepted"
            elif result.status == "unknown":
                state = "unknown"
            else:
                state = result.status
            states.append(state)
        rows = [
            RowAnswer(line_of[r.local_id], r.local_id, state, r.id, r.bulk_id, r.error)
            for state, r in zip(states, results, strict=True)
        ]
        outcomes = [Outcome.of(r) for r in results]

        by_id = {intent.local_id: intent for intent in intents}
        answered = [by_id[o.local_id] for o in outcomes]

        def after(db: sqlite3.Connection) -> None:
            insert_answered(db, answered, outcomes)
            record_answers(db, self.job_id, rows, stamp)

        def unrecorded() -> None:
            with self.lock:
                self.progress.unrecorded += len(rows)
                self.progress.unrecorded_accepted += states.count("accepted")

        self.writer.write_later(after, unrecorded)
        with self.lock:
            for result in results:
                self.answer_notes.update(dict.fromkeys(result.answer_notes))
            progress = self.progress
            progress.requests += 1
            progress.accepted += states.count("accepted")
            progress.unknown += states.count("unknown")
            progress.failed += len(states) - states.count("accepted") - states.count("unknown")
            self.unknown_streak = self.unknown_streak + 1 if set(states) == {"unknown"} else 0
            if self.unknown_streak >= PAUSE_AFTER_UNKNOWN_BATCHES and self.pause_reason is None:
                self.pause_reason = (
                    f"{self.unknown_streak} requests in a row had an unknown outcome "
                    f"({results[0].error}); paused so nothing more is risked"
                )
                self.pause_exit = ExitCode.UNKNOWN_OUTCOME
                self.stop.set()

    def run(self, pending: Iterator[Batch]) -> EngineResult:
        """Let `concurrency` worker threads take batches in turn; on Ctrl-C stop taking new
        ones and let the requests under way finish and be recorded (a second Ctrl-C leaves
        them in flight). Workers pull from the iterator themselves: no dispatcher, no queue."""
        self.progress.started = time.monotonic()
        self.writer = GroupCommit(self.history_factory, on_error=self._journal_failed)
        source = threading.Lock()

        def take() -> Batch | None:
            with source:
                return None if self.stop.is_set() else next(pending, None)

        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=self._worker, args=(take, failures), daemon=True)
            for _ in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        interrupted = False
        # Poll rather than join: a Ctrl-C that lands inside Thread.join can leave the thread
        # marked finished while it still runs, and its answer would then miss the journal.
        try:
            while any(thread.is_alive() for thread in threads):
                time.sleep(0.1)
        except KeyboardInterrupt:
            interrupted = True
            self.stop.set()
            while any(thread.is_alive() for thread in threads):
                time.sleep(0.05)
        finally:
            try:
                self.writer.close()
            except BaseException as exc:  # an answer not recorded: in flight, unknown on resume
                self._journal_failed(exc)
        if failures:
            raise failures[0]
        elapsed = time.monotonic() - self.progress.started
        return EngineResult(
            self.progress,
            self.pause_reason,
            self.pause_exit,
            interrupted,
            elapsed,
            tuple(self.answer_notes),
            self.cancelled,
        )

    def _worker(self, take: Callable[[], Batch | None], failures: list[BaseException]) -> None:
        # Whatever ends a worker is recorded: a worker that died quietly would leave its share
        # of the rows pending while the run looked finished.
        try:
            while (batch := take()) is not None:
                self._send(batch)
                if self.on_progress is not None:
                    self.on_progress(self.progress)
        except BaseException as exc:  # a bug: stop everything, report it in the main thread
            failures.append(exc)
            self.stop.set()
        finally:
            client = getattr(self.local, "client", None)
            if client is not None:
                with suppress(Exception):
                    client.close()
