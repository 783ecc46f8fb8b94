"""Bulk jobs: the journal of every row, and the engine that sends the pending ones.

A job's rows live in the history database (`jobs`, `job_rows`). Each row is `pending` until a
worker takes it; it is written `in_flight` (with its message in the history) before its request
leaves, and `accepted`, `failed`, `rejected` or `unknown` after. A crash, even kill -9, leaves
at most the rows of the requests then under way as `in_flight`; resuming turns those into
`unknown` and never sends them again unless asked (`--retry-unknown`). Identical texts go out
as one provider batch; personalised rows one request each.
"""

from __future__ import annotations

import os
import queue
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sms_cli.core.status import ACCEPTED_STATUSES
from sms_cli.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    InputError,
    NetworkError,
    ProviderUnavailable,
    SmsError,
)
from sms_cli.providers import registry
from sms_cli.storage.messages import (
    History,
    MessageRecord,
    Outcome,
    data_dir,
    insert_answered,
    insert_intents,
    new_id,
    now_iso,
    text_hash,
)

if TYPE_CHECKING:
    from sms_cli.providers.base import Provider, Recipient, SendResult
    from sms_cli.services.bulk.input import RowCheck

PAUSE_AFTER_UNKNOWN_BATCHES = 3


class AccountError(SmsError):
    """The provider refused the account (out of credit): nothing was sent; exit 7."""

    exit_code = ExitCode.REJECTED


_JOB_ID = re.compile(r"[0-9a-f]{32}")


class JobLock:
    """One job, one process: an OS lock on a file per job in the data directory.

    The OS releases it when the process ends, even by kill -9, so a crashed run never blocks a
    resume; while a run lives, a second runner (a second resume, a resume during the run) is
    refused before it touches a single row.
    """

    def __init__(self, job_id: str) -> None:
        if not _JOB_ID.fullmatch(job_id):  # it names a file: never a path
            raise InputError(f"no bulk job {job_id!r}", hint="smsctl bulk jobs lists them")
        self.job_id = job_id
        self.path = data_dir() / "locks" / f"bulk-{job_id}.lock"
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it; False if one does."""
        # A lock on a file that is no longer at the path (deleted, replaced) locks nobody out:
        # after locking, the path must still name the locked file, else lock the new one.
        for _ in range(10):
            fd = self._open()
            try:
                _lock(fd)
            except BlockingIOError:
                os.close(fd)
                return False
            except OSError as exc:
                os.close(fd)
                raise ConfigError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
            if self._still_at_path(fd):
                break
            _unlock(fd)
            os.close(fd)
        else:
            raise ConfigError(
                f"cannot lock {self.path}: it is deleted or replaced as soon as it is created"
            )
        self.fd = fd
        try:  # who holds it, for the refusal message of a second runner
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except (OSError, AttributeError):
            pass
        return True

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}",
                hint="set SMSCTL_DATA_DIR to a writable directory",
            ) from None

    def _still_at_path(self, fd: int) -> bool:
        if sys.platform == "win32":  # an open file cannot be deleted there
            return True
        try:
            held, named = os.fstat(fd), os.stat(self.path)
        except OSError:
            return False
        return (held.st_ino, held.st_dev) == (named.st_ino, named.st_dev)

    def holder(self) -> str:
        # The holder writes its pid just after it locks: a refusal in between waits for it,
        # briefly.
        for _ in range(25):
            try:
                pid = self.path.read_text(encoding="ascii").strip()
            except (OSError, ValueError):
                break
            if pid.isdigit():
                return f"smsctl process {pid}"
            time.sleep(0.01)
        return "another smsctl process"

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                _unlock(fd)
            finally:
                os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError(str(exc)) from None

    def _unlock(fd: int) -> None:
        with suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def job_lock(job_id: str) -> Iterator[JobLock]:
    """Hold the job's lock for the whole block; refuse (exit 2) if another process runs it."""
    lock = JobLock(job_id)
    if not lock.try_acquire():
        raise InputError(
            f"job {job_id} is being run by {lock.holder()}; not sending anything",
            hint="wait for it to finish, then see: smsctl bulk jobs",
        )
    try:
        yield lock
    finally:
        lock.release()


def _start_time(pid: int) -> str | None:
    """When the process started (Linux: /proc), so a pid reused by another process is not
    taken for the runner; None where that cannot be known, or for a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if not fields or fields[0] in ("Z", "X"):  # dead, not yet reaped
        return "dead"
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill would end the process there: trust the lock alone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    except OSError:
        return False
    return _start_time(pid) != "dead"


class Journal:
    """Job and row states in the history database."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.db = history.connection

    def create(
        self, *, source: str, fingerprint: str, profile: str, provider: str, job_id: str = ""
    ) -> str:
        """A job in state `preparing`: never sendable until `confirm` marks it ready."""
        job_id = job_id or new_id()
        stamp = now_iso()
        with self.history.transaction() as db:
            db.execute(
                "INSERT INTO jobs (job_id, created_at, source, fingerprint, profile, provider,"
                " state, rows, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'preparing', 0, ?)",
                (job_id, stamp, source, fingerprint, profile, provider, stamp),
            )
        return job_id

    def add_rows(self, job_id: str, rows: Iterator[RowCheck], chunk: int = 5000) -> None:
        """Store every checked row: sendable ones pending, the others skipped or invalid."""
        stamp = now_iso()
        batch: list[tuple[object, ...]] = []
        total = 0

        def flush() -> None:
            with self.history.transaction() as db:
                db.executemany(
                    "INSERT INTO job_rows (job_id, line, recipient, sender, text, encoding,"
                    " segments, state, error, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    batch,
                )
            batch.clear()

        for row in rows:
            if row.error is not None:
                state, error = "invalid", row.error
            elif row.duplicate_of is not None:
                state, error = "skipped", f"duplicate of line {row.duplicate_of}"
            else:
                state, error = "pending", None
            batch.append(
                (job_id, row.line, row.recipient, row.sender, row.text, row.encoding,
                 row.segments, state, error, stamp)
            )  # fmt: skip
            total += 1
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        with self.history.transaction() as db:
            db.execute("UPDATE jobs SET rows = ? WHERE job_id = ?", (total, job_id))

    def confirm(self, job_id: str, fingerprint: str, *, new_job: bool) -> dict[str, object] | None:
        """After a complete pre-flight: the job becomes `ready` under its file fingerprint, unless
        an earlier job has the same one (and `--new-job` was not given): then this job is
        deleted and the earlier one returned. One transaction, so two runs of one file at once
        cannot both become ready."""
        with self.history.transaction() as db:
            earlier = db.execute(
                "SELECT * FROM jobs WHERE fingerprint = ? AND job_id != ? AND state != 'preparing'"
                " ORDER BY created_at DESC LIMIT 1",
                (fingerprint, job_id),
            ).fetchone()
            if earlier is not None and not new_job:
                db.execute("DELETE FROM job_rows WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
                return dict(earlier)
            db.execute(
                "UPDATE jobs SET fingerprint = ?, state = 'ready', updated_at = ? WHERE job_id = ?",
                (fingerprint, now_iso(), job_id),
            )
        return None

    def discard_unfinished(self, fingerprint: str, exclude: str) -> list[str]:
        """Delete the jobs of the same file and options whose pre-flight never finished (their
        process died: nobody holds their lock). They were never sendable; now they are gone."""
        rows = self.db.execute(
            "SELECT job_id FROM jobs WHERE fingerprint = ? AND state = 'preparing' AND job_id != ?",
            (fingerprint, exclude),
        ).fetchall()
        discarded = []
        for (job_id,) in rows:
            lock = JobLock(job_id)
            if not lock.try_acquire():
                continue  # a pre-flight still running in another process
            try:
                self.delete(job_id)
            finally:
                lock.release()
            discarded.append(job_id)
        return discarded

    def set_state(self, job_id: str, state: str, note: str | None = None) -> None:
        with self.history.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = ?, note = ?, updated_at = ? WHERE job_id = ?",
                (state, note, now_iso(), job_id),
            )

    def start_run(self, job_id: str) -> None:
        """The job is `running` in this process. The lock keeps a second runner out; the pid
        and its start time recorded here keep it out too when the lock file was deleted
        under the run (a new file locks nobody out)."""
        pid = os.getpid()
        with self.history.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = 'running', note = NULL, runner_pid = ?,"
                " runner_token = ?, updated_at = ? WHERE job_id = ?",
                (pid, _start_time(pid), now_iso(), job_id),
            )

    def live_runner(self, job: dict[str, object]) -> int | None:
        """The pid of another process that is running the job, if it still lives."""
        pid = job.get("runner_pid")
        if job.get("state") != "running" or not isinstance(pid, int) or pid <= 0:
            return None
        if pid == os.getpid() or not _alive(pid):
            return None
        token = job.get("runner_token")
        if token is not None and _start_time(pid) not in (None, token):
            return None  # the pid now belongs to another process
        return pid

    def delete(self, job_id: str) -> None:
        with self.history.transaction() as db:
            db.execute("DELETE FROM job_rows WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    def job(self, job_id: str) -> dict[str, object] | None:
        row = self.db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return dict(row) if row else None

    def jobs(self) -> list[dict[str, object]]:
        rows = self.db.execute(
            """
            SELECT jobs.*,
                SUM(job_rows.state = 'pending') AS pending,
                SUM(job_rows.state = 'accepted') AS accepted,
                SUM(job_rows.state IN ('failed', 'rejected')) AS failed,
                SUM(job_rows.state IN ('unknown', 'in_flight')) AS unknown
            FROM jobs LEFT JOIN job_rows USING (job_id)
            GROUP BY jobs.job_id ORDER BY jobs.created_at DESC
            """
        )
        return [dict(r) for r in rows]

    def counts(self, job_id: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM job_rows WHERE job_id = ? GROUP BY state", (job_id,)
        )
        return {state: n for state, n in rows}

    def outcome(self, job_id: str) -> dict[str, object]:
        """Rows by state, failures by reason, segments sent and what the provider charged."""
        reasons = self.db.execute(
            "SELECT COALESCE(error, state), COUNT(*) FROM job_rows WHERE job_id = ?"
            " AND state IN ('failed', 'rejected', 'expired') GROUP BY 1 ORDER BY 2 DESC",
            (job_id,),
        )
        segments = self.db.execute(
            "SELECT COALESCE(SUM(segments), 0) FROM job_rows"
            " WHERE job_id = ? AND state = 'accepted'",
            (job_id,),
        ).fetchone()[0]
        charged = self.db.execute(
            "SELECT SUM(price) FROM messages WHERE batch_id = ?", (job_id,)
        ).fetchone()[0]
        return {
            "rows": self.counts(job_id),
            "failed_by_reason": {reason: n for reason, n in reasons},
            "segments_sent": segments,
            "provider_price": round(charged, 6) if charged is not None else None,
        }

    def settle_in_flight(self, job_id: str) -> int:
        """Rows left in flight by a crash may have been sent: they become unknown, and enter the
        history as such, so `smsctl status` can look for them by their reference."""
        job = self.job(job_id) or {}
        profile = str(job["profile"]) if job.get("profile") else None
        with self.history.transaction() as db:
            rows = db.execute(
                "SELECT local_id, recipient, sender, text, encoding, segments, foreign_id"
                " FROM job_rows WHERE job_id = ? AND state = 'in_flight'",
                (job_id,),
            ).fetchall()
            insert_intents(
                db,
                (
                    MessageRecord(
                        local_id=r["local_id"], batch_id=job_id, profile=profile,
                        provider=str(job.get("provider")), recipient=r["recipient"],
                        sender=r["sender"], text=r["text"], text_sha256=text_hash(r["text"] or ""),
                        segments=r["segments"], encoding=r["encoding"] or "gsm7",
                        foreign_id=r["foreign_id"],
                    )
                    for r in rows
                    if r["local_id"] is not None
                ),
            )  # fmt: skip
            db.execute(
                "UPDATE job_rows SET state = 'unknown', error = 'in flight when the job stopped;"
                " it may have been sent', updated_at = ? WHERE job_id = ? AND state = 'in_flight'",
                (now_iso(), job_id),
            )
        return len(rows)

    def retry_unknown(self, job_id: str) -> int:
        with self.history.transaction() as db:
            cursor = db.execute(
                "UPDATE job_rows SET state = 'pending', error = NULL, updated_at = ?"
                " WHERE job_id = ? AND state = 'unknown'",
                (now_iso(), job_id),
            )
        return cursor.rowcount

    def pending(self, job_id: str) -> Generator[tuple[int, str, str | None, str]]:
        """(line, recipient, sender, text) of pending rows, identical texts together."""
        cursor = self.db.execute(
            "SELECT line, recipient, sender, text FROM job_rows WHERE job_id = ?"
            " AND state = 'pending' ORDER BY text, sender, line",
            (job_id,),
        )
        try:
            yield from ((r[0], r[1], r[2], r[3]) for r in cursor)
        finally:
            # An unfinished read keeps its snapshot: this connection could not write again.
            cursor.close()

    def report_rows(self, job_id: str) -> Iterator[tuple[object, ...]]:
        yield from self.db.execute(
            "SELECT line, recipient, state, provider_id, bulk_id, error, text FROM job_rows"
            " WHERE job_id = ? ORDER BY line",
            (job_id,),
        )


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
        self.queue: queue.Queue[tuple[Callable[[sqlite3.Connection], object], _Ticket] | None]
        self.queue = queue.Queue()
        self.deferred = _Ticket()
        self.thread = threading.Thread(target=self._loop, name="bulk-journal", daemon=True)
        self.thread.start()

    def write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Write and wait until it is committed: for what must be on disk before a request."""
        ticket = _Ticket()
        self.queue.put((change, ticket))
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error

    def write_later(self, change: Callable[[sqlite3.Connection], object]) -> None:
        """Write without waiting: for answers, which a crash before the commit only turns
        from `in_flight` into `unknown` on resume, never into a second send. A failure to
        write is raised by `close`."""
        self.queue.put((change, self.deferred))

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
                    errors = self._commit(history, [change for change, _ in waiting])
                failed = next((e for e in errors if e is not None), None)
                if failed is not None and self.on_error is not None:
                    self.on_error(failed)
                for (_, ticket), error in zip(waiting, errors, strict=True):
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
    """One request: one text and sender, one or more rows."""

    text: str
    sender: str | None
    rows: tuple[tuple[int, str], ...]  # (line, recipient)


def batches(pending: Iterator[tuple[int, str, str | None, str]], size: int) -> Iterator[Batch]:
    current: list[tuple[int, str]] = []
    key: tuple[str, str | None] | None = None
    for line, recipient, sender, text in pending:
        if key != (text, sender) or len(current) >= size:
            if current and key is not None:
                yield Batch(key[0], key[1], tuple(current))
            current, key = [], (text, sender)
        current.append((line, recipient))
    if current and key is not None:
        yield Batch(key[0], key[1], tuple(current))


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


@dataclass
class EngineResult:
    progress: Progress
    paused: str | None = None
    pause_exit: int | None = None
    interrupted: bool = False
    elapsed: float = 0.0
    # What answers said about themselves that no row records (messages an answer lists for no
    # recipient of the request): shown once each after the run.
    answer_notes: tuple[str, ...] = ()


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
        self.references = "--foreign-id" in registry.get(provider).send_options
        self.local = threading.local()
        self.stop = threading.Event()
        self.pause_reason: str | None = None
        self.pause_exit: int | None = None
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

        if self.stop.is_set():
            return
        self.limiter.wait()
        client = self._client()
        recipients = tuple(Recipient(number, new_id()) for _, number in batch.rows)
        # Our reference on each request, so a lost answer can be found in the provider's journal.
        foreign_id = f"smsctl-{recipients[0].local_id}" if self.references else None
        measured = count(batch.text)
        stamp = now_iso()
        in_flight = [
            (r.local_id, foreign_id, stamp, self.job_id, line)
            for r, (line, _) in zip(recipients, batch.rows, strict=True)
        ]
        intents = [
            MessageRecord(
                local_id=r.local_id, batch_id=self.job_id, profile=self.profile,
                provider=self.provider, recipient=r.number, sender=batch.sender,
                text=batch.text if self.store_text else None,
                text_sha256=text_hash(batch.text), segments=measured.parts,
                encoding=measured.encoding, foreign_id=foreign_id,
            )
            for r in recipients
        ]  # fmt: skip

        claimed: list[int] = []

        def before(db: sqlite3.Connection) -> None:
            # The journal row is the record made before the request: a crash after this
            # commit leaves it in flight, which a resume turns into unknown (and copies into
            # the history for `status` to settle), never into a second send. The claim is a
            # compare-and-set: a row some other runner already took is not ours to send.
            claimed.clear()
            cursor = db.executemany(
                "UPDATE job_rows SET state = 'in_flight', local_id = ?, foreign_id = ?,"
                " updated_at = ? WHERE job_id = ? AND line = ? AND state = 'pending'",
                in_flight,
            )
            if cursor.rowcount == len(in_flight):
                claimed.extend(line for *_, line in in_flight)
                return
            for local_id, *_, line in in_flight:
                row = db.execute(
                    "SELECT local_id FROM job_rows WHERE job_id = ? AND line = ?",
                    (self.job_id, line),
                ).fetchone()
                if row is not None and row[0] == local_id:
                    claimed.append(line)

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
            batch = Batch(batch.text, batch.sender, tuple(batch.rows[i] for i in keep))
            recipients = tuple(recipients[i] for i in keep)
            intents = [intents[i] for i in keep]
            # The request keeps its reference: unique still, and already in the journal.
        try:
            options = SendOptions(foreign_id=foreign_id)
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

    def _journal_failed(self, exc: BaseException) -> None:
        """The history database refused a write: stop sending; the job stays resumable."""
        with self.lock:
            if self.pause_reason is None or self.pause_exit != int(ExitCode.CONFIG):
                self.pause_reason = f"could not record the job in the history ({_reason(exc)})"
                self.pause_exit = int(ExitCode.CONFIG)
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
            db.executemany(
                "UPDATE job_rows SET state = 'pending', local_id = NULL, foreign_id = NULL,"
                " updated_at = ? WHERE job_id = ? AND line = ? AND local_id = ?",
                [
                    (stamp, self.job_id, line, r.local_id)
                    for (line, _), r in zip(batch.rows, recipients, strict=True)
                ],
            )

        try:
            self.writer.write(after)
        except BaseException as journal_exc:  # the rows stay in flight: unknown on resume
            self._journal_failed(journal_exc)
            return
        with self.lock:
            if self.pause_reason is None:
                self.pause_reason = exc.message
                self.pause_exit = int(exc.exit_code)
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
            (state, r.id, r.bulk_id, r.error, stamp, self.job_id, line_of[r.local_id], r.local_id)
            for state, r in zip(states, results, strict=True)
        ]
        outcomes = [Outcome.of(r) for r in results]

        by_id = {intent.local_id: intent for intent in intents}
        answered = [by_id[o.local_id] for o in outcomes]

        def after(db: sqlite3.Connection) -> None:
            insert_answered(db, answered, outcomes)
            db.executemany(
                "UPDATE job_rows SET state = ?, provider_id = ?, bulk_id = ?, error = ?,"
                " updated_at = ? WHERE job_id = ? AND line = ? AND local_id = ?",
                rows,
            )

        self.writer.write_later(after)
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
                self.pause_exit = 8
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
