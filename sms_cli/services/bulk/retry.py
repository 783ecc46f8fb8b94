"""`bulk retry JOB --failed`: a job's failed rows as a new job linked to it. (Issue 14.)

The rows whose campaign state is rejected, failed or expired (delivery reports included) are
copied into a new job: its parent is JOB, its send options are JOB's, each row keeps its
recipient, sender, text and line (so reports match the CSV). It is checked and confirmed like
any job, then sent by the same engine and journal, so Ctrl-C and `bulk resume` work on it.
A row copied into a child job is that child's to retry: never sent again from the parent.
"""

from __future__ import annotations

import shlex
from collections import Counter

from sms_cli.errors import ExitCode, InputError
from sms_cli.services import profiles as profile_service
from sms_cli.services.bulk.input import RowCheck, Totals
from sms_cli.services.bulk.jobs import (
    BulkView,
    RunOptions,
    check_provider,
    confirmed,
    refuse_live_runner,
    run_job,
    send_question,
)
from sms_cli.storage.jobs import (
    PREPARING,
    JobRecord,
    Journal,
    RetryRow,
    job_lock,
    name_problem,
    new_job_id,
)
from sms_cli.storage.messages import History
from sms_cli.storage.profiles import resolve


def retry_failed(
    ref: str,
    *,
    profile: str | None,
    name: str | None,
    dry_run: bool,
    yes: bool,
    run: RunOptions,
    view: BulkView,
) -> ExitCode:
    """Check, confirm and send JOB's rejected, failed and expired rows as a new job."""
    if name is not None and (problem := name_problem(name)) is not None:
        raise InputError(f"--name {name!r} cannot name a job: {problem}")
    history = History()
    journal = Journal(history)
    try:
        parent = journal.resolve(ref)
        short = journal.short_id(parent.job_id)
        _check_not_running(journal, parent)
        profile_name = profile or str(parent.profile)
        check_provider(parent, profile_name, required=profile is not None)
        rows = journal.retry_rows(parent.job_id)
        if not rows:
            view.info(_nothing_to_retry(journal, parent, short))
            return ExitCode.OK
        resolved = resolve(profile_service.load(), profile_name, require_token=not dry_run)
        price = resolved.profile.price_per_segment
        totals = Totals()
        checks = [_as_check(row) for row in rows]
        for check in checks:
            totals.add(check)
        view.info(f"job {short}: {len(rows)} row(s) to send again ({_by_state(rows)})")
        if dry_run:
            for check in checks:
                view.checked(check)
            view.totals(totals, price=price, currency=resolved.profile.currency, dry_run=True)
            return ExitCode.OK
        view.totals(totals, price=price, currency=resolved.profile.currency, dry_run=False)
        asked = send_question(
            f"Send the {totals.messages} failed rows of job {short} again",
            totals,
            price,
            resolved.profile.name,
        )
        unasked = InputError(
            "not on a terminal, so not asking: pass --yes to send",
            hint="nothing was sent and no job was made; send them with: "
            + _command(short, profile, name),
        )
        if not confirmed(
            yes,
            view,
            asked,
            unasked=unasked,
            declined=lambda: view.info("not sent; no job was made"),
        ):
            return ExitCode.OK
        with job_lock(new_job_id()) as lock:
            child_id = lock.job_id
            # The parent's lock while its rows are copied: no run of it in between.
            with job_lock(parent.job_id):
                copied = journal.create_retry(
                    parent=parent,
                    job_id=child_id,
                    lines=[row.line for row in rows],
                    source=f"retry of {short}",
                    profile=resolved.profile.name,
                    name=name,
                )
            if copied == 0:  # another retry took them between the check and now
                view.info(_nothing_to_retry(journal, parent, short))
                return ExitCode.OK
            label = f" ({name})" if name else ""
            view.info(f"job {journal.short_id(child_id)}{label}: a retry of job {short}")
            return run_job(journal, child_id, resolved.profile.name, run, view)
    finally:
        history.close()


def _check_not_running(journal: Journal, parent: JobRecord) -> None:
    """A parent that another process runs is refused (exit 2) before anything is copied."""
    if parent.state == PREPARING:
        raise InputError(
            f"job {journal.short_id(parent.job_id)} never finished its pre-flight check, so "
            "none of it was sent",
            hint="run the file again: smsctl bulk FILE ...",
        )
    with job_lock(parent.job_id):  # refuses while a run holds it
        refuse_live_runner(journal, journal.job(parent.job_id) or parent)


def _nothing_to_retry(journal: Journal, parent: JobRecord, short: str) -> str:
    held = journal.retried_in(parent.job_id)
    if not held:
        return f"nothing to retry: job {short} has no rejected, failed or expired rows"
    named = ", ".join(
        f"{n} row(s) in job {journal.short_id(child)} ({state})" for child, state, n in held
    )
    last = journal.short_id(held[-1][0])
    return (
        f"nothing to retry: the failed rows of job {short} were already sent again: {named}; "
        f"to send them once more, retry that job: smsctl bulk retry {last} --failed"
    )


def _as_check(row: RetryRow) -> RowCheck:
    return RowCheck(
        line=row.line,
        recipient=row.recipient,
        text=row.text,
        sender=row.sender,
        encoding=row.encoding,
        segments=row.segments,
    )


def _by_state(rows: list[RetryRow]) -> str:
    counted = Counter(row.state for row in rows)
    return ", ".join(f"{n} {state}" for state, n in sorted(counted.items()))


def _command(short: str, profile: str | None, name: str | None) -> str:
    words = ["smsctl", "bulk", "retry", short, "--failed", "--yes"]
    if profile is not None:
        words += ["--profile", profile]
    if name is not None:
        words += ["--name", name]
    return shlex.join(words)
