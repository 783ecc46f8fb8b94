"""The bulk job journal: jobs and their rows in the history database, and the lock that keeps
one job to one process. Every SQL statement about jobs lives here; reads return typed frozen
records (JobRecord, JobSummary, CampaignCounts), never sqlite3.Row.

A job's rows live in the history database (`jobs`, `job_rows`). Each row is `pending` until a
worker takes it; it is written `in_flight` (with its message in the history) before its request
leaves, and `accepted`, `failed`, `rejected` or `unknown` after. A crash, even kill -9, leaves
at most the rows of the requests then under way as `in_flight`; resuming turns those into
`unknown` and never sends them again unless asked (`--retry-unknown`).
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from typing import Protocol, Self

from sms_cli.errors import ConfigError, InputError, StorageError
from sms_cli.storage.db import data_dir, now_iso
from sms_cli.storage.messages import (
    History,
    MessageRecord,
    SentMessage,
    insert_intents,
    text_hash,
)


class CheckedRow(Protocol):
    """A row as the pre-flight check left it (services/bulk/input.RowCheck)."""

    @property
    def line(self) -> int: ...
    @property
    def recipient(self) -> str | None: ...
    @property
    def sender(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def encoding(self) -> str | None: ...
    @property
    def segments(self) -> int: ...
    @property
    def error(self) -> str | None: ...
    @property
    def duplicate_of(self) -> int | None: ...
    @property
    def send_at(self) -> str | None: ...
    @property
    def label(self) -> str | None: ...


@dataclass(frozen=True)
class JobRecord:
    """One row of `jobs`, its fields in the table's column order (the `bulk jobs --json` keys)."""

    job_id: str
    created_at: str
    source: str
    fingerprint: str
    profile: str | None
    provider: str
    state: str
    rows: int
    note: str | None
    updated_at: str
    runner_pid: int | None
    runner_token: str | None
    name: str | None
    parent_job: str | None  # the job a `bulk retry` made this one from
    options: str | None  # the send options of every row, JSON (services/bulk/options.py)

    @classmethod
    def of(cls, row: sqlite3.Row) -> Self:
        return cls(**{f.name: row[f.name] for f in fields(cls)})

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class JobSummary(JobRecord):
    """A job with its rows counted by state, as `bulk jobs` lists it (None: no rows at all)."""

    pending: int | None
    accepted: int | None
    failed: int | None
    unknown: int | None
    cancelled: int | None


# -- campaign delivery: a row's state as a campaign sees it ---------------------------------
#
# Once a row has a message in the history (job_rows.local_id = messages.local_id), the history's
# status is the newer truth (`status`, `bulk show`, `listen` and settled unknowns update it);
# before that, and for rows never sent (pending, in flight, cancelled, skipped, invalid), the
# row's own state. The history's vocabulary (core/status.py) maps onto the campaign's here, in
# this one place.
CAMPAIGN_STATES: tuple[str, ...] = (
    "pending", "in_flight", "accepted", "delivered", "failed", "expired", "rejected", "unknown",
    "cancelled", "skipped", "invalid",
)  # fmt: skip
CAMPAIGN_OF_STATUS: dict[str, str] = {
    "queued": "accepted",
    "enroute": "accepted",
    "delivered": "delivered",
    "failed": "failed",
    "expired": "expired",
    "rejected": "rejected",
    "unknown": "unknown",
}
_ROW_STATES_FIRST = ("pending", "in_flight", "cancelled", "skipped", "invalid")
_SETTLED = ("queued", "enroute", "delivered", "failed", "expired", "rejected")


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


FAILURE_STATES = ("failed", "rejected", "expired")  # a row sent and not accepted, by campaign


def campaign_state(row_state: str, message_status: str | None) -> str:
    """A row's campaign state from its own state and its message's (None: no message); the
    same rule as CAMPAIGN_STATE, which is built from the same tables."""
    if row_state in _ROW_STATES_FIRST or message_status is None:
        return row_state
    return CAMPAIGN_OF_STATUS.get(message_status, row_state)


# SQL over `job_rows r LEFT JOIN messages m ON m.local_id = r.local_id`.
CAMPAIGN_STATE = (
    f"(CASE WHEN r.state IN ({_quoted(_ROW_STATES_FIRST)}) THEN r.state"
    " ELSE COALESCE(CASE m.status "
    + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CAMPAIGN_OF_STATUS.items())
    + " END, r.state) END)"
)
# Why a row is in its state. The history's reason follows the message's state (a report that
# moves it on brings its own, or none); its send-time error, and the row's, only explain the
# state the send left (provider_status IS provider_code, as migration 0005 reads it): a lost
# answer's "connection broke" never explains a delivery failure found later.
_MESSAGE_REASON = (
    "COALESCE(m.reason, CASE WHEN m.provider_status IS m.provider_code"
    " THEN COALESCE(m.error, r.error) END)"
)
CAMPAIGN_REASON = f"(CASE WHEN m.local_id IS NULL THEN r.error ELSE {_MESSAGE_REASON} END)"
# A settled message's state as a job row keeps it (the send's outcome: accepted or not).
_ROW_STATE_OF_STATUS = (
    "CASE WHEN m.status IN ('queued', 'enroute', 'delivered') THEN 'accepted' ELSE m.status END"
)


@dataclass(frozen=True)
class CampaignCounts:
    """A job's rows by campaign state, failures by reason, segments sent, what was charged."""

    counts: dict[str, int]
    failed_by_reason: dict[str, int]
    segments_sent: int
    provider_price: float | None
    sent_rows: int = 0  # rows the provider took (their segments are segments_sent)
    priced_rows: int = 0  # of those, rows whose price the provider reported


# A pending row as the engine reads it: (line, recipient, sender, text, send_at, label).
PendingRow = tuple[int, str, str | None, str, str | None, str | None]

_JOB_ID = re.compile(r"[0-9a-f]{32}")
_HEX = re.compile(r"[0-9a-f]+")

# Job states a user sees. `preparing` is internal: a pre-flight under way (or one that died),
# never sendable and never listed as a job to act on.
READY, RUNNING, PAUSED, INTERRUPTED, FINISHED, CANCELLED = (
    "ready", "running", "paused", "interrupted", "finished", "cancelled"
)  # fmt: skip
PREPARING = "preparing"
# Internal too: what `bulk delete` leaves of a job that sent something. Its rows are gone; its
# fingerprint stays, so the same file is still refused as already sent (no message twice by
# accident). Hidden wherever a job is named or listed.
DELETED = "deleted"
MIN_PREFIX = 4  # the shortest id prefix that names a job
SHOWN_PREFIX = 8  # ids in tables: this many characters, more where two jobs share them


def new_job_id() -> str:
    """A job's id: 32 random hex digits. Not time-ordered like message ids (created_at orders
    jobs), so that its first 8 characters tell jobs apart however close in time they began:
    the short ids tables show and commands take."""
    return secrets.token_hex(16)


def name_problem(name: str) -> str | None:
    """Why NAME cannot name a job (None: it can). Names never read as ids or as `last`."""
    if not name or len(name) > 64:
        return "give 1 to 64 characters"
    if name == "last":
        return "'last' always means the most recent job"
    if _HEX.fullmatch(name.lower()):
        return "it reads as a job id; use at least one letter after f or another character"
    if any(not ch.isprintable() or ch.isspace() for ch in name):
        return "use no spaces or control characters"
    # Marks that combine with the character before, and invisible format characters, make a
    # name that looks like another and breaks the alignment of tables.
    if any(unicodedata.category(ch) in ("Mn", "Me", "Cf") for ch in name):
        return "use no combining marks or invisible characters (write é as one character)"
    return None


def short_ids(job_ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest prefix of at least SHOWN_PREFIX characters that no other id shares:
    what tables show, and what the commands accept."""
    ids = sorted(set(job_ids))
    shown: dict[str, str] = {}
    for i, job_id in enumerate(ids):
        length = SHOWN_PREFIX
        for neighbour in (ids[i - 1] if i else "", ids[i + 1] if i + 1 < len(ids) else ""):
            common = next(
                (k for k, (a, b) in enumerate(zip(job_id, neighbour, strict=False)) if a != b),
                min(len(job_id), len(neighbour)),
            )
            length = max(length, common + 1)
        shown[job_id] = job_id[: min(length, len(job_id))]
    return shown


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


def abandoned(job: JobRecord) -> bool:
    """A `preparing` job whose pre-flight process is gone (nobody holds its lock): it was never
    sendable, and nothing waits for it; the same command again discards it."""
    if job.state != PREPARING:
        return False
    lock = JobLock(job.job_id)
    if not lock.try_acquire():
        return False
    lock.release()
    return True


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
        self,
        *,
        source: str,
        fingerprint: str,
        profile: str,
        provider: str,
        job_id: str = "",
        name: str | None = None,
    ) -> str:
        """A job in state `preparing`: never sendable until `confirm` marks it ready. A NAME
        another job has is refused (exit 2, naming that job)."""
        job_id = job_id or new_job_id()
        stamp = now_iso()
        with self.history.transaction() as db:
            if name is not None:  # checked now, given by `confirm` (it may name a job reused)
                _check_name_free(db, name, unless=(source, profile))
            db.execute(
                "INSERT INTO jobs (job_id, created_at, source, fingerprint, profile, provider,"
                " state, rows, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'preparing', 0, ?)",
                (job_id, stamp, source, fingerprint, profile, provider, stamp),
            )
        return job_id

    def add_rows(self, job_id: str, rows: Iterable[CheckedRow], chunk: int = 5000) -> None:
        """Store every checked row: sendable ones pending, the others skipped or invalid."""
        stamp = now_iso()
        batch: list[tuple[object, ...]] = []
        total = 0

        def flush() -> None:
            with self.history.transaction() as db:
                db.executemany(
                    "INSERT INTO job_rows (job_id, line, recipient, sender, text, encoding,"
                    " segments, state, error, updated_at, send_at, label)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                 row.segments, state, error, stamp, row.send_at, row.label)
            )  # fmt: skip
            total += 1
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        with self.history.transaction() as db:
            db.execute("UPDATE jobs SET rows = ? WHERE job_id = ?", (total, job_id))

    def confirm(
        self, job_id: str, fingerprint: str, *, new_job: bool, name: str | None = None
    ) -> JobRecord | None:
        """After a complete pre-flight: the job becomes `ready` under its file fingerprint (and
        NAME), unless an earlier job has the same one (and `--new-job` was not given): then this
        job is deleted and the earlier one returned, named NAME if it had no name. A NAME that
        another job has is refused (exit 2) and this job deleted. One transaction, so two runs
        of one file at once cannot both become ready."""
        taken_by: str | None = None
        with self.history.transaction() as db:
            # A cancelled job that sent nothing is nothing to continue: not an earlier job.
            earlier = db.execute(
                "SELECT * FROM jobs WHERE fingerprint = ? AND job_id != ? AND state != 'preparing'"
                " AND NOT (state = 'cancelled' AND NOT " + _sent("jobs.job_id") + ")"
                " ORDER BY created_at DESC LIMIT 1",
                (fingerprint, job_id),
            ).fetchone()
            reused = earlier if earlier is not None and not new_job else None
            # A job that sent something (a tombstone too) is refused as "already started" by
            # the caller, whatever NAME says: its name is neither checked nor given.
            started = reused is not None and (
                reused["state"] == DELETED
                or bool(db.execute("SELECT " + _sent("?"), (reused["job_id"],)).fetchone()[0])
            )
            named = reused["job_id"] if reused is not None else job_id
            if name is not None and not started:
                holder = db.execute("SELECT job_id FROM jobs WHERE name = ?", (name,)).fetchone()
                taken_by = holder[0] if holder is not None and holder[0] != named else None
            if reused is not None or taken_by is not None:
                db.execute("DELETE FROM job_rows WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
            if taken_by is None:
                if reused is None:
                    db.execute(
                        "UPDATE jobs SET fingerprint = ?, state = 'ready', name = ?,"
                        " updated_at = ? WHERE job_id = ?",
                        (fingerprint, name, now_iso(), job_id),
                    )
                    return None
                if name is not None and not started and reused["name"] is None:
                    db.execute("UPDATE jobs SET name = ? WHERE job_id = ?", (name, named))
                row = db.execute("SELECT * FROM jobs WHERE job_id = ?", (named,)).fetchone()
                return JobRecord.of(row)
        raise _name_taken(self.db, str(name), taken_by)

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
        """Cancelled is final: a runner that ends after a cancel does not undo it."""
        with self.history.transaction() as db:
            db.execute(
                "UPDATE jobs SET state = ?, note = ?, updated_at = ? WHERE job_id = ?"
                " AND state != 'cancelled'",
                (state, note, now_iso(), job_id),
            )

    def start_run(self, job_id: str) -> bool:
        """The job is `running` in this process. The lock keeps a second runner out; the pid
        and its start time recorded here keep it out too when the lock file was deleted
        under the run (a new file locks nobody out). False, and nothing changed, when the job
        is gone or cancelled (`bulk cancel` needs no lock: it may land at the prompt)."""
        pid = os.getpid()
        with self.history.transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET state = 'running', note = NULL, runner_pid = ?,"
                " runner_token = ?, updated_at = ? WHERE job_id = ? AND state NOT IN (?, ?)",
                (pid, _start_time(pid), now_iso(), job_id, CANCELLED, DELETED),
            )
        return cursor.rowcount == 1

    def live_runner(self, job: JobRecord) -> int | None:
        """The pid of another process that is running the job, if it still lives."""
        pid = job.runner_pid
        if job.state != RUNNING or pid is None or pid <= 0:
            return None
        if pid == os.getpid() or not _alive(pid):
            return None
        token = job.runner_token
        if token is not None and _start_time(pid) not in (None, token):
            return None  # the pid now belongs to another process
        return pid

    def remove(self, job_id: str) -> bool:
        """`bulk delete`: a job that sent nothing is deleted with its rows. A job that sent
        something loses its rows and its name but stays as a tombstone (DELETED) under its
        fingerprint: the same file again is refused as already sent. True for a tombstone."""
        with self.history.transaction() as db:
            sent = bool(db.execute("SELECT " + _sent("?"), (job_id,)).fetchone()[0])
            child = db.execute(
                "SELECT parent_job IS NOT NULL FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if sent and child is not None and child[0]:
                # A retry job keeps the rows it sent: they hold its parent's rows
                # (_HELD_BY_CHILD), which a later `retry --failed` of the parent must not send
                # again. Rows it never sent go, and are the parent's to retry again.
                db.execute(
                    f"DELETE FROM job_rows WHERE job_id = ? AND state IN ({_quoted(_NEVER_SENT)})",
                    (job_id,),
                )
            else:
                db.execute("DELETE FROM job_rows WHERE job_id = ?", (job_id,))
            if not sent:
                db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
                return False
            db.execute(
                "UPDATE jobs SET state = ?, name = NULL, note = 'deleted after sending',"
                " runner_pid = NULL, runner_token = NULL, updated_at = ? WHERE job_id = ?",
                (DELETED, now_iso(), job_id),
            )
        return True

    def delete(self, job_id: str) -> None:
        """Delete a job and its rows outright (one whose pre-flight never finished)."""
        with self.history.transaction() as db:
            db.execute("DELETE FROM job_rows WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    # -- naming: JOB is a full id, a unique prefix (>= 4 characters), `last`, or a name ----------

    def resolve(self, ref: str) -> JobRecord:
        """The job REF names; InputError (exit 2) when none does or a prefix names several."""
        ref = ref.strip()
        if ref == "last":
            row = self.db.execute(
                "SELECT * FROM jobs WHERE state NOT IN (?, ?)"
                " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (PREPARING, DELETED),
            ).fetchone()
            if row is None:
                raise InputError("there are no bulk jobs yet", hint="start one: smsctl bulk FILE")
            return JobRecord.of(row)
        row = self.db.execute(
            "SELECT * FROM jobs WHERE job_id = ? AND state != ?", (ref, DELETED)
        ).fetchone()
        if row is None:
            row = self.db.execute("SELECT * FROM jobs WHERE name = ?", (ref,)).fetchone()
        if row is not None:
            return JobRecord.of(row)
        prefix = ref.lower()
        if len(prefix) >= MIN_PREFIX and _HEX.fullmatch(prefix):
            found = [
                JobRecord.of(r)
                for r in self.db.execute(
                    "SELECT * FROM jobs WHERE job_id >= ? AND job_id < ? AND state != ?"
                    " ORDER BY created_at",
                    (prefix, prefix + "g", DELETED),
                )
            ]
            if len(found) == 1:
                return found[0]
            if found:
                listed = "; ".join(
                    f"{j.job_id} ({j.state}, {j.created_at[:19]}, {j.source})" for j in found[:10]
                )
                raise InputError(
                    f"{ref!r} names {len(found)} jobs: {listed}",
                    hint="give more characters of the id, or the job's name",
                )
        hint = "smsctl bulk jobs lists them"
        if len(prefix) < MIN_PREFIX and _HEX.fullmatch(prefix):
            hint = f"give at least {MIN_PREFIX} characters of the id; " + hint
        raise InputError(f"no bulk job {ref!r}", hint=hint)

    def job(self, job_id: str) -> JobRecord | None:
        row = self.db.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return JobRecord.of(row) if row else None

    def jobs(self) -> list[JobSummary]:
        # Counted by campaign state: a row the history has settled counts as what it became.
        rows = self.db.execute(
            f"""
            SELECT jobs.*,
                SUM(campaign.state = 'pending') AS pending,
                SUM(campaign.state IN ('accepted', 'delivered')) AS accepted,
                SUM(campaign.state IN ({_quoted(FAILURE_STATES)})) AS failed,
                SUM(campaign.state IN ('unknown', 'in_flight')) AS unknown,
                SUM(campaign.state = 'cancelled') AS cancelled
            FROM jobs LEFT JOIN (
                SELECT r.job_id, {CAMPAIGN_STATE} AS state
                FROM job_rows r LEFT JOIN messages m ON m.local_id = r.local_id
            ) AS campaign USING (job_id)
            WHERE jobs.state != ?
            GROUP BY jobs.job_id ORDER BY jobs.created_at DESC, jobs.rowid DESC
            """,
            (DELETED,),
        )
        return [JobSummary.of(r) for r in rows]

    def counts(self, job_id: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM job_rows WHERE job_id = ? GROUP BY state", (job_id,)
        )
        return {state: n for state, n in rows}

    def settle_in_flight(self, job_id: str) -> int:
        """Rows left in flight by a crash may have been sent: they become unknown, and enter the
        history as such, so `smsctl status` can look for them by their reference."""
        job = self.job(job_id)
        profile = job.profile if job is not None and job.profile else None
        provider = str(job.provider if job is not None else None)
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
                        provider=provider, recipient=r["recipient"],
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

    def pending(self, job_id: str) -> Generator[PendingRow]:
        """(line, recipient, sender, text, send_at, label) of pending rows; rows that can share
        a request (same text, sender, time and label) together."""
        cursor = self.db.execute(
            "SELECT line, recipient, sender, text, send_at, label FROM job_rows WHERE job_id = ?"
            " AND state = 'pending' ORDER BY text, sender, send_at, label, line",
            (job_id,),
        )
        try:
            yield from ((r[0], r[1], r[2], r[3], r[4], r[5]) for r in cursor)
        finally:
            # An unfinished read keeps its snapshot: this connection could not write again.
            cursor.close()

    # -- lifecycle: cancel, delete, states ---------------------------------------------------

    def sent_something(self, job_id: str) -> bool:
        """Whether any row of the job left the pending/invalid/skipped/cancelled states: only
        then was the job started, for "already started". A deleted job (a tombstone) did."""
        row = self.db.execute(
            "SELECT " + _sent("?") + " OR EXISTS (SELECT 1 FROM jobs WHERE job_id = ?"
            " AND state = ?)",
            (job_id, job_id, DELETED),
        ).fetchone()
        return bool(row[0])

    def short_id(self, job_id: str) -> str:
        """The job's id as tables show it (short_ids): unique among all jobs, >= 8 characters."""
        before = self.db.execute(
            "SELECT job_id FROM jobs WHERE job_id < ? AND state != ? ORDER BY job_id DESC LIMIT 1",
            (job_id, DELETED),
        ).fetchone()
        after = self.db.execute(
            "SELECT job_id FROM jobs WHERE job_id > ? AND state != ? ORDER BY job_id LIMIT 1",
            (job_id, DELETED),
        ).fetchone()
        neighbours = [r[0] for r in (before, after) if r is not None]
        return short_ids([job_id, *neighbours])[job_id]

    def cancel(self, job_id: str) -> int | None:
        """Pending rows become `cancelled` (never sent) and the job `cancelled`, in one
        transaction: claims are a compare-and-set on `pending`, so once this commits no runner
        can take a row of it. The number of rows cancelled; None when the job is finished or
        cancelled already, or has no pending row (nothing to cancel: a run whose last rows are
        under way ends as it would have)."""
        stamp = now_iso()
        with self.history.transaction() as db:
            row = db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None or row[0] in (FINISHED, CANCELLED, PREPARING, DELETED):
                return None
            if not db.execute(
                "SELECT 1 FROM job_rows WHERE job_id = ? AND state = 'pending' LIMIT 1", (job_id,)
            ).fetchone():
                return None
            cursor = db.execute(
                "UPDATE job_rows SET state = 'cancelled', error = 'cancelled before sending',"
                " updated_at = ? WHERE job_id = ? AND state = 'pending'",
                (stamp, job_id),
            )
            db.execute(
                "UPDATE jobs SET state = 'cancelled', note = ?, updated_at = ? WHERE job_id = ?",
                (f"{cursor.rowcount} row(s) cancelled before sending", stamp, job_id),
            )
        return cursor.rowcount

    # -- campaign delivery: counts by state, rows to ask the provider about -------------------

    def runner_gone(self, job: JobRecord) -> bool:
        """Whether a job `running` has no live runner (killed: kill -9, SIGTERM, a crash): nobody
        sends it, and its rows in flight may have been sent. Read-only: the state is left for
        `bulk resume` to settle. False for a job this very process runs."""
        if job.state != RUNNING or job.runner_pid == os.getpid():
            return False
        if sys.platform == "win32":  # no pid check there (_alive): the lock alone can tell
            return False
        return self.live_runner(job) is None

    def campaign_counts(self, job_id: str) -> CampaignCounts:
        """Rows by campaign state (every state, zeros too), failures by reason, segments sent
        and what the provider charged: one pass over the job's rows and their messages,
        grouped by what decides the state (campaign_state), so the CASE runs per group."""
        counts = dict.fromkeys(CAMPAIGN_STATES, 0)
        reasons: dict[str, int] = {}
        segments = sent_rows = priced_rows = 0
        charged: float | None = None
        rows = self.db.execute(
            f"""
            SELECT r.state, m.status,
                CASE WHEN m.status IN ({_quoted(FAILURE_STATES)})
                    OR r.state IN ({_quoted(FAILURE_STATES)}) THEN {CAMPAIGN_REASON} END,
                m.provider_id IS NOT NULL, COUNT(*), SUM(COALESCE(m.parts, r.segments)),
                SUM(m.price), COUNT(m.price)
            FROM job_rows r LEFT JOIN messages m ON m.local_id = r.local_id
            WHERE r.job_id = ? GROUP BY 1, 2, 3, 4
            """,
            (job_id,),
        )
        for row_state, status, reason, has_id, n, parts, price, priced in rows:
            state = campaign_state(row_state, status)
            counts[state] = counts.get(state, 0) + n
            if state in FAILURE_STATES:
                key = reason or state
                reasons[key] = reasons.get(key, 0) + n
            sent = status is not None and (
                state in ("accepted", "delivered", "expired") or (state == "failed" and has_id)
            )
            if sent:
                segments += parts or 0
                sent_rows += n
                priced_rows += priced
            if priced:
                charged = (charged or 0.0) + price
        return CampaignCounts(
            counts=counts,
            failed_by_reason=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            segments_sent=segments,
            provider_price=round(charged, 6) if charged is not None else None,
            sent_rows=sent_rows,
            priced_rows=priced_rows,
        )

    def messages_to_ask(self, job_id: str) -> list[SentMessage]:
        """The job's messages whose delivery can still change: sent (or maybe sent), not
        final, of rows that were sent (not pending again, in flight or cancelled); by line."""
        return [
            SentMessage.of(row)
            for row in self.db.execute(
                "SELECT m.* FROM job_rows r JOIN messages m ON m.local_id = r.local_id"
                " WHERE r.job_id = ? AND r.state NOT IN ('pending', 'in_flight', 'cancelled')"
                " AND m.status IN ('unknown', 'queued', 'enroute') ORDER BY r.line",
                (job_id,),
            )
        ]

    def job_ids(self) -> list[str]:
        """Every job's id (for short_ids: the prefixes tables show)."""
        return [
            job_id
            for (job_id,) in self.db.execute("SELECT job_id FROM jobs WHERE state != ?", (DELETED,))
        ]

    def reconcile(self, job_id: str | None = None, *, best_effort: bool = False) -> int:
        """Bring rows of unknown outcome in line with the history once their message is known
        (`status`, `bulk show`, a report `listen` received): sent ones (queued, enroute,
        delivered) become `accepted`, so `resume --retry-unknown` never sends them again and
        the job's exit code is no longer 8; refused or failed ones take that state and its
        reason. Rows of every job when JOB_ID is None. The number of rows changed.

        Nothing to bring in line: no write at all, so a reading command works while another
        process holds the write lock. BEST_EFFORT (views: they read the campaign state from the
        history anyway) skips the write when the history cannot take it now."""
        # Only rows still `unknown` whose message is settled.
        scope = "job_id = ? AND " if job_id is not None else ""
        settled = (
            f"{scope}state = 'unknown' AND EXISTS ("
            " SELECT 1 FROM messages m WHERE m.local_id = job_rows.local_id"
            f" AND m.status IN ({_quoted(_SETTLED)}))"
        )
        found = self.db.execute(
            f"SELECT EXISTS (SELECT 1 FROM job_rows WHERE {settled})",
            (job_id,) if job_id is not None else (),
        ).fetchone()[0]
        if not found:
            return 0
        params: tuple[object, ...] = (now_iso(), job_id) if job_id is not None else (now_iso(),)
        try:
            return self._reconcile(settled, params)
        except StorageError:
            if best_effort:
                return 0
            raise

    def _reconcile(self, settled: str, params: tuple[object, ...]) -> int:
        with self.history.transaction() as db:
            cursor = db.execute(
                f"""
                UPDATE job_rows SET
                    state = (SELECT {_ROW_STATE_OF_STATUS} FROM messages m
                             WHERE m.local_id = job_rows.local_id),
                    error = (SELECT CASE WHEN m.status IN ('queued', 'enroute', 'delivered')
                                THEN NULL ELSE COALESCE(m.reason,
                                    CASE WHEN m.provider_status IS m.provider_code
                                    THEN m.error END, m.status) END
                             FROM messages m WHERE m.local_id = job_rows.local_id),
                    updated_at = ?
                WHERE {settled}
                """,
                params,
            )
        return cursor.rowcount

    # -- send options of a job and its rows ---------------------------------------------------

    def save_options(self, job_id: str, options: str | None) -> None:
        """The job's send options (services/bulk/options.JobOptions, JSON; never a secret)."""
        with self.history.transaction() as db:
            db.execute("UPDATE jobs SET options = ? WHERE job_id = ?", (options, job_id))

    def passed_send_times(self, job_id: str, now: str) -> int:
        """Pending rows whose own time (--at-column) is not after `now` (ISO 8601 UTC)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM job_rows WHERE job_id = ? AND state = 'pending'"
            " AND send_at IS NOT NULL AND send_at <= ?",
            (job_id, now),
        ).fetchone()
        return int(row[0])

    def report_rows(self, job_id: str) -> Generator[tuple[object, ...]]:
        """(line, recipient, status, id, bulk_id, error, text) of every row, by line; the status
        is the row's campaign state (CAMPAIGN_STATE), its error the reason for it. Close it
        before the history when the reader stops early (a broken pipe)."""
        cursor = self.db.execute(
            f"SELECT r.line, r.recipient, {CAMPAIGN_STATE},"
            " COALESCE(m.provider_id, r.provider_id), COALESCE(m.bulk_id, r.bulk_id),"
            f" CASE WHEN {CAMPAIGN_STATE} IN ('accepted', 'delivered') THEN NULL"
            " ELSE COALESCE(m.reason, r.error) END, r.text"
            " FROM job_rows r LEFT JOIN messages m ON m.local_id = r.local_id"
            " WHERE r.job_id = ? ORDER BY r.line",
            (job_id,),
        )
        try:
            yield from cursor
        finally:
            cursor.close()

    # -- retry: a job's failed rows copied into a new job (`bulk retry JOB --failed`) ---------

    def retry_rows(self, job_id: str) -> list[RetryRow]:
        """The rows of JOB to send again: campaign state rejected, failed or expired, and not
        already copied into a child job that holds them (see _HELD_BY_CHILD)."""
        return _retry_rows(self.db, job_id)

    def retried_in(self, job_id: str) -> list[tuple[str, str, int]]:
        """(child job id, its state, rows) of the child jobs that already hold failed rows of
        JOB: those are retried from the child, never again from JOB."""
        rows = self.db.execute(
            "SELECT c.job_id, c.state, COUNT(DISTINCT r.line) FROM jobs c"
            " JOIN job_rows cr ON cr.job_id = c.job_id"
            " JOIN job_rows r ON r.job_id = c.parent_job AND r.line = cr.line"
            " LEFT JOIN messages m ON m.local_id = r.local_id AND m.batch_id = r.job_id"
            f" WHERE c.parent_job = ? AND {_RETRYABLE_STATE}"
            " AND (c.state != 'cancelled' OR cr.local_id IS NOT NULL)"
            " GROUP BY c.job_id ORDER BY c.created_at",
            (job_id,),
        )
        return [(child, state, n) for child, state, n in rows]

    def create_retry(
        self,
        *,
        parent: JobRecord,
        job_id: str,
        lines: Iterable[int],
        source: str,
        profile: str,
        name: str | None,
    ) -> int:
        """A `ready` job of the parent's LINES that are still to retry (one transaction, so two
        retries of one parent never both copy a row); none to copy: no job, 0. The parent's
        `unknown` rows copied take their settled state, so a `resume --retry-unknown` of the
        parent never sends them again."""
        wanted = set(lines)
        stamp = now_iso()
        with self.history.transaction() as db:
            if name is not None:
                _check_name_free(db, name)
            rows = [row for row in _retry_rows(db, parent.job_id) if row.line in wanted]
            if not rows:
                return 0
            db.execute(
                "INSERT INTO jobs (job_id, created_at, source, fingerprint, profile, provider,"
                " state, rows, updated_at, name, parent_job, options)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, stamp, source, f"retry:{job_id}", profile, parent.provider, READY,
                 len(rows), stamp, name, parent.job_id, parent.options),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO job_rows (job_id, line, recipient, sender, text, encoding,"
                " segments, state, updated_at, send_at, label)"
                " SELECT ?, line, recipient, sender, text, encoding, segments, 'pending', ?,"
                " send_at, label FROM job_rows WHERE job_id = ? AND line = ?",
                [(job_id, stamp, parent.job_id, row.line) for row in rows],
            )
            db.executemany(
                "UPDATE job_rows SET state = ?, updated_at = ?"
                " WHERE job_id = ? AND line = ? AND state = 'unknown'",
                [(row.state, stamp, parent.job_id, row.line) for row in rows],
            )
        return len(rows)


# Rows that were sent and then refused, failed or expired, by their campaign state
# (CAMPAIGN_STATE: a row pending, in flight, cancelled, skipped or invalid keeps its journal
# state even when an older message of it is in the history): never one accepted or delivered.
_RETRYABLE_STATE = f"{CAMPAIGN_STATE} IN ({_quoted(FAILURE_STATES)})"
_RETRYABLE_FROM = (
    "FROM job_rows r LEFT JOIN messages m ON m.local_id = r.local_id AND m.batch_id = r.job_id"
    f" WHERE r.job_id = ? AND {_RETRYABLE_STATE}"
)
# A row copied into a child job is the child's to retry: unless that child was cancelled
# before the row was ever sent (no local id), which leaves it the parent's again.
_HELD_BY_CHILD = (
    "SELECT 1 FROM jobs c JOIN job_rows cr ON cr.job_id = c.job_id"
    " WHERE c.parent_job = r.job_id AND cr.line = r.line"
    " AND (c.state != 'cancelled' OR cr.local_id IS NOT NULL)"
)


def _retry_rows(db: sqlite3.Connection, job_id: str) -> list[RetryRow]:
    """The one query of the rows of JOB still to retry (Journal.retry_rows, create_retry)."""
    rows = db.execute(
        f"SELECT r.line, r.recipient, r.sender, r.text, r.encoding, r.segments,"
        f" {CAMPAIGN_STATE}, {CAMPAIGN_REASON} {_RETRYABLE_FROM}"
        f" AND NOT EXISTS ({_HELD_BY_CHILD}) ORDER BY r.line",
        (job_id,),
    )
    return [RetryRow(*row) for row in rows]


@dataclass(frozen=True)
class RetryRow:
    """A row to send again, and the campaign state and reason that make it one."""

    line: int
    recipient: str
    sender: str | None
    text: str
    encoding: str | None
    segments: int
    state: str
    reason: str | None


_NEVER_SENT = ("pending", "invalid", "skipped", "cancelled")


def _sent(job: str) -> str:
    """SQL: whether the job JOB (a column or `?`) sent something: a row left the states of rows
    never sent."""
    return (
        f"EXISTS (SELECT 1 FROM job_rows WHERE job_rows.job_id = {job}"
        f" AND job_rows.state NOT IN ({_quoted(_NEVER_SENT)}))"
    )


def _check_name_free(
    db: sqlite3.Connection, name: str, unless: tuple[str, str] | None = None
) -> None:
    """Refuse a bad NAME, or one another job has: unless that job has the source and profile
    UNLESS gives (the same command run again, which may continue that very job)."""
    problem = name_problem(name)
    if problem is not None:
        raise InputError(f"--name {name!r} cannot name a job: {problem}")
    taken = db.execute(
        "SELECT job_id, source, profile FROM jobs WHERE name = ?", (name,)
    ).fetchone()
    if taken is not None and (unless is None or (taken[1], taken[2]) != unless):
        raise _name_taken(db, name, taken[0])


def _name_taken(db: sqlite3.Connection, name: str, job_id: str) -> InputError:
    """Deleting the holder is suggested only when it sent nothing: never a door to sending one
    file twice (and a job that sent something leaves a tombstone that refuses it anyway)."""
    sent = bool(db.execute("SELECT " + _sent("?"), (job_id,)).fetchone()[0])
    hint = "choose another name" + (
        f"; see that job: smsctl bulk show {name}" if sent else f", or: smsctl bulk delete {name}"
    )
    return InputError(f"--name {name!r} is taken by job {job_id}", hint=hint)


# The engine's writes, each inside the transaction its group commit opens.


def job_state(db: sqlite3.Connection, job_id: str) -> str | None:
    """The job's state as this transaction sees it (the engine asks after a short claim)."""
    row = db.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
    return str(row[0]) if row is not None else None


@dataclass(frozen=True)
class RowAnswer:
    """What one row's request was answered: its new state and the provider's ids."""

    line: int
    local_id: str
    state: str
    provider_id: str | None
    bulk_id: str | None
    error: str | None


def claim_rows(
    db: sqlite3.Connection, job_id: str, rows: Iterable[tuple[int, str, str | None, str]]
) -> list[int]:
    """Mark (line, local_id, foreign_id, stamp) rows in flight; the lines this call took. A
    compare-and-set: a row some other runner already took is not ours to send."""
    wanted = [
        (local_id, foreign_id, stamp, job_id, line) for line, local_id, foreign_id, stamp in rows
    ]
    cursor = db.executemany(
        "UPDATE job_rows SET state = 'in_flight', local_id = ?, foreign_id = ?,"
        " updated_at = ? WHERE job_id = ? AND line = ? AND state = 'pending'",
        wanted,
    )
    if cursor.rowcount == len(wanted):
        return [line for *_, line in wanted]
    claimed = []
    for local_id, *_, line in wanted:
        row = db.execute(
            "SELECT local_id FROM job_rows WHERE job_id = ? AND line = ?", (job_id, line)
        ).fetchone()
        if row is not None and row[0] == local_id:
            claimed.append(line)
    return claimed


def release_rows(
    db: sqlite3.Connection, job_id: str, rows: Iterable[tuple[int, str]], stamp: str
) -> None:
    """(line, local_id) rows refused before processing: pending again, as if never claimed;
    `cancelled` instead in a job cancelled meanwhile (a cancel takes every pending row: one put
    back later would be sent by the next resume)."""
    cancelled = job_state(db, job_id) == CANCELLED
    db.executemany(
        "UPDATE job_rows SET state = ?, error = ?, local_id = NULL, foreign_id = NULL,"
        " updated_at = ? WHERE job_id = ? AND line = ? AND local_id = ?",
        [
            (
                CANCELLED if cancelled else "pending",
                "cancelled before sending" if cancelled else None,
                stamp, job_id, line, local_id,
            )
            for line, local_id in rows
        ],
    )  # fmt: skip


def record_answers(
    db: sqlite3.Connection, job_id: str, answers: Iterable[RowAnswer], stamp: str
) -> None:
    # Rows are addressed by their primary key (job, line): by local id it would be a scan of
    # the whole job for every answer.
    db.executemany(
        "UPDATE job_rows SET state = ?, provider_id = ?, bulk_id = ?, error = ?,"
        " updated_at = ? WHERE job_id = ? AND line = ? AND local_id = ?",
        [
            (a.state, a.provider_id, a.bulk_id, a.error, stamp, job_id, a.line, a.local_id)
            for a in answers
        ],
    )
