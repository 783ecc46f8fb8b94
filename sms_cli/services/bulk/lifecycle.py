"""A job's life after its start: cancel it, write its report, delete it. (Issue 14: lifecycle.)

No printing: each returns what happened, and the command hands it to render/bulk.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sms_cli.errors import InputError
from sms_cli.storage.jobs import (
    INTERRUPTED,
    PREPARING,
    RUNNING,
    JobLock,
    JobRecord,
    Journal,
    abandoned,
)
from sms_cli.storage.messages import History


@dataclass(frozen=True)
class Cancelled:
    """A job `bulk cancel` cancelled, and how many pending rows it took (never to be sent)."""

    job: JobRecord
    short_id: str
    rows: int


@dataclass(frozen=True)
class Deleted:
    """A job `bulk delete` removed (as it was just before)."""

    job: JobRecord
    short_id: str
    kept: bool = False  # it had sent something: a tombstone keeps its file from being sent again


def cancel(ref: str) -> Cancelled:
    """Pending rows become `cancelled` and are never sent; rows in flight keep their fate.

    Needs no lock: a run in another process claims rows by a compare-and-set on `pending`, so
    once the cancel commits that run can take no row of it, and it stops."""
    history = History()
    try:
        journal = Journal(history)
        job = journal.resolve(ref)
        short = journal.short_id(job.job_id)
        if job.state == PREPARING:
            raise _preparing(job, short, "smsctl bulk cancel")
        job = _settle_dead_run(journal, job)
        rows = journal.cancel(job.job_id)
        if rows is None:
            raise InputError(
                f"nothing to cancel: job {short} ({job.state}) has no pending row",
                hint=f"see it: smsctl bulk show {short}",
            )
        return Cancelled(journal.job(job.job_id) or job, short, rows)
    finally:
        history.close()


def _preparing(job: JobRecord, short: str, command: str) -> InputError:
    """A job whose pre-flight check has not finished: still under way, or abandoned (its process
    died): then it never was sendable and nothing waits for it."""
    if abandoned(job):
        return InputError(
            f"job {short} never finished its pre-flight check (its process ended): it was never "
            "sendable, and nothing of it was sent",
            hint=f"run the file again (that discards it), or: smsctl bulk delete {short}",
        )
    return InputError(
        f"job {short} is still being checked: nothing of it can be sent yet",
        hint=f"when its check ends: {command} {short}",
    )


def _settle_dead_run(journal: Journal, job: JobRecord) -> JobRecord:
    """A job left `running` by a runner that died (kill -9: its lock is free, its process
    gone): its rows in flight may have been sent, so they become unknown and enter the history,
    as `bulk resume` does, for `status --job` to settle; the job is `interrupted`. A lock held
    (a live run, a prompt) is left alone: that run settles its own rows."""
    if job.state != RUNNING:
        return job
    lock = JobLock(job.job_id)
    if not lock.try_acquire():
        return job
    try:
        current = journal.job(job.job_id) or job
        if current.state != RUNNING or journal.live_runner(current) is not None:
            return current
        journal.settle_in_flight(job.job_id)
        journal.set_state(job.job_id, INTERRUPTED, "its process died while sending")
        return journal.job(job.job_id) or current
    finally:
        lock.release()


def report(ref: str, write: Callable[[Iterable[tuple[object, ...]]], None]) -> JobRecord:
    """Hand every row and its outcome (journal.report_rows) to WRITE, at any time after the
    start: a running job's report is what its rows say now (a WAL reader never waits)."""
    history = History()
    try:
        journal = Journal(history)
        job = journal.resolve(ref)
        if job.state == PREPARING:
            raise _preparing(job, journal.short_id(job.job_id), "smsctl bulk report")
        rows = journal.report_rows(job.job_id)
        try:
            write(rows)
        finally:  # a reader gone (`| head -1`): closed now, not after the history is
            rows.close()
        return job
    finally:
        history.close()


def delete(ref: str) -> Deleted:
    """Delete the job and its rows; refused while a process runs it (its lock is held, or the
    journal names a runner still alive). Its messages stay in the history."""
    history = History()
    try:
        journal = Journal(history)
        job = journal.resolve(ref)
        short = journal.short_id(job.job_id)
        lock = JobLock(job.job_id)
        if not lock.try_acquire():
            raise InputError(
                f"job {short} is being run by {lock.holder()}; not deleting it",
                hint=f"stop it first: smsctl bulk cancel {short}; or wait for it to end",
            )
        try:
            job = journal.job(job.job_id) or job
            runner = journal.live_runner(job)
            if runner is not None:
                raise InputError(
                    f"job {short} is being run by smsctl process {runner}; not deleting it",
                    hint=f"stop it first: smsctl bulk cancel {short}; or wait for it to end",
                )
            # A run that died left rows in flight: they may have gone out, so they enter the
            # history (as unknown, for `status` to settle) before the journal forgets them.
            journal.settle_in_flight(job.job_id)
            kept = journal.remove(job.job_id)
        finally:
            lock.release()
        return Deleted(job, short, kept)
    finally:
        history.close()
