"""What `smsctl bulk` shows: pre-flight verdicts and totals, the progress bar, the summary, the
job list, and the report CSV. JSON goes through output.print_json, which redacts."""

from __future__ import annotations

import csv
import errno
import sys
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

from sms_cli.core.money import format_money
from sms_cli.core.printable import visible
from sms_cli.errors import ExitCode, InputError, SmsError, StorageError
from sms_cli.render import output
from sms_cli.render.campaign import charged_label, provider_currency, say, what_next
from sms_cli.render.table import short, table
from sms_cli.services.bulk.engine import Progress
from sms_cli.services.bulk.input import RowCheck, Totals
from sms_cli.services.bulk.lifecycle import Cancelled, Deleted
from sms_cli.storage.jobs import PAUSED, CampaignCounts, JobSummary, short_ids


class BulkRenderer:
    """The BulkView of services/bulk/jobs.py: human text on stderr, results (or JSON) on stdout."""

    def __init__(self, *, json: bool) -> None:
        self.json = json

    def checked(self, row: RowCheck) -> None:
        error = row.error or (f"duplicate of line {row.duplicate_of}" if row.duplicate_of else None)
        if self.json:
            document = {
                "line": row.line,
                "recipient": row.recipient,
                "text": row.text,
                "encoding": row.encoding,
                "segment_count": row.segments,
                "sender": row.sender,
                "error": error,
                "send_at": row.send_at,
                "label": row.label,
            }
            output.print_json(document, line=True)
            return
        verdict = row.error or (
            f"skipped: duplicate of line {row.duplicate_of}" if row.duplicate_of else "ok"
        )
        options = (f"\tat {row.send_at}" if row.send_at else "") + (
            f"\tlabel {row.label}" if row.label else ""
        )
        output.stdout().write(
            f"line {row.line}\t{row.recipient or '-'}\t{row.segments}\t{verdict}{options}\n"
        )

    def invalid(self, row: RowCheck) -> None:
        output.info(f"line {row.line}: {row.error}")

    def totals(
        self, totals: Totals, *, price: float | None, currency: str | None, dry_run: bool
    ) -> None:
        invalid = sum(totals.errors.values())
        if self.json and dry_run:
            summary = {
                "rows": totals.rows,
                "messages": totals.messages,
                "duplicates_skipped": totals.duplicates,
                "invalid": invalid,
                "errors": totals.errors,
                "error_lines": totals.error_lines,
                "messages_gsm": totals.messages_gsm,
                "messages_ucs2": totals.messages_ucs2,
                "segments_gsm": totals.segments_gsm,
                "segments_ucs2": totals.segments_ucs2,
                "cost": round(totals.segments * price, 6) if price is not None else None,
                "currency": currency,
            }
            output.print_json({"totals": summary}, line=True, ensure_ascii=True)
            return
        lines = [
            f"rows: {totals.rows}; messages: {totals.messages}; "
            f"duplicates skipped: {totals.duplicates}; invalid: {invalid}"
            + (f" ({totals.error_lines} lines in error)" if totals.error_lines > invalid else ""),
            f"segments: {totals.segments} (GSM-7 {totals.segments_gsm} in {totals.messages_gsm} "
            f"messages, UCS-2 {totals.segments_ucs2} in {totals.messages_ucs2})",
        ]
        if price is not None:
            cost = format_money(totals.segments * price, currency)
            lines.append(f"cost: {cost} ({format_money(price, currency)} per segment)")
        lines += [f"  {kind}: {n}" for kind, n in sorted(totals.errors.items())]
        for line in lines:
            output.info(line)

    def info(self, message: str) -> None:
        output.info(message)

    def warning(self, message: str, hint: str | None = None) -> None:
        output.warning(message)
        if hint:
            output.info(f"hint: {hint}")

    def error(self, message: str, hint: str | None = None) -> None:
        output.error(message, hint=hint)

    def interactive(self) -> bool:
        return output.is_terminal(sys.stdin)

    def confirm(self, question: str) -> bool:
        """The user's yes, on stderr and stdin. End of input (Ctrl-D) is "no", as answering
        `n` is; Ctrl-C stays an interrupt (exit 130). (typer.confirm cannot tell them apart.)"""
        err = output.stderr()
        err.write(f"{question} [y/N]: ")
        err.flush()
        try:
            answer = sys.stdin.readline()
        except (OSError, ValueError):
            answer = ""
        if not answer:
            err.write("\n")  # the terminal's line was left open by Ctrl-D
            return False
        return answer.strip().lower() in ("y", "yes")

    def progress(self, total: int) -> ProgressDisplay:
        return ProgressDisplay(total)

    def summary(
        self,
        job_id: str,
        state: str | None,
        tally: CampaignCounts,
        requests: int,
        elapsed: float,
        *,
        provider: str | None = None,
    ) -> None:
        # What the provider charged is in the currency it bills in, not the profile's.
        currency = provider_currency(provider)
        # Rows by campaign state, as `bulk show` counts them (the states with rows).
        rows = {row_state: n for row_state, n in tally.counts.items() if n}
        if self.json:
            output.print_json(
                {
                    "job_id": job_id,
                    "state": state,
                    "requests": requests,
                    "seconds": round(elapsed, 3),
                    "rows": rows,
                    "failed_by_reason": tally.failed_by_reason,
                    "segments_sent": tally.segments_sent,
                    "provider_price": tally.provider_price,
                    "currency": currency,
                }
            )
            return
        lines = [(row_state, str(n)) for row_state, n in rows.items()]
        # A reason is the provider's words: shown, never obeyed (visible).
        lines += [(f"  {visible(reason)}", str(n)) for reason, n in tally.failed_by_reason.items()]
        lines.append(("segments sent", str(tally.segments_sent)))
        if tally.provider_price is not None:
            label = charged_label(tally.priced_rows, tally.sent_rows)
            lines.append((label, format_money(tally.provider_price, currency)))
        table(("Rows", "Count"), lines, status="Rows")
        rate = f" in {elapsed:.1f} s ({requests / elapsed:.1f}/s)" if elapsed > 0 else ""
        output.info(f"job {job_id}: {requests} requests{rate}")

    def what_next(self, counts: dict[str, int], short: str, code: ExitCode) -> None:
        say(what_next(counts, code, short, ended=True))

    def report(self, path: Path, rows: Iterable[tuple[object, ...]]) -> None:
        """Every row's outcome as CSV; an InputError (a bad path) or a StorageError (a full
        disk) when the file cannot be written."""
        report_csv(rows, path)


REPORT_COLUMNS = ("line", "recipient", "status", "id", "bulk_id", "error", "text")


def report_csv(rows: Iterable[tuple[object, ...]], path: Path | None) -> None:
    """Every row's outcome as CSV: on stdout, or written to PATH atomically (a temporary file
    made 0600 beside it, then renamed: a reader never sees half a report, and the numbers and
    texts in it are the owner's alone). A PATH that exists and is not a regular file (a device
    such as /dev/stdout, a FIFO) is written in place: a rename would replace the device node.
    An unwritable PATH is an InputError (exit 2); a full disk, a file size limit or a
    read-only file system is a StorageError (exit 4)."""
    import os
    import stat

    if path is None:
        _write_report(output.stdout(), rows, "\n")  # as `smsctl log --csv` writes
        return
    temporary: str | None = None
    try:
        try:
            mode: int | None = os.stat(path).st_mode  # links followed
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if mode is not None and not stat.S_ISREG(mode):
            # Opened by the name given: /dev/stdout resolved would be /proc/PID/fd/pipe:[N].
            with open(path, "w", newline="", encoding="utf-8") as handle:
                _write_report(handle, rows)
            return
        import tempfile

        real = Path(os.path.realpath(path))  # a symlink's target is the report, not the link

        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{real.name}.", suffix=".tmp", dir=real.parent
        )  # mkstemp creates it 0600
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            _write_report(handle, rows)
        os.replace(temporary, real)
        temporary = None
    except OSError as exc:
        raise _unwritable(path, exc, "choose a writable path") from None
    finally:
        if temporary is not None:
            with suppress(OSError):
                os.unlink(temporary)


def check_report_writable(path: Path) -> None:
    """Open the report for appending (truncating nothing), and remove it again if it was not
    there: an unwritable --report path is found before the first message goes out (exit 2)."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise _unwritable(path, exc, "choose a writable --report path; nothing was sent") from None
    if not existed:
        with suppress(OSError):
            path.unlink()


# Local storage that cannot take the report (exit 4, as the history's own failures): the path
# is right, the disk is not. Any other failure is the path's (missing, a directory, no
# permission): exit 2.
_STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EFBIG, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
)


def _unwritable(path: Path, exc: OSError, hint: str) -> SmsError:
    message = f"cannot write the report {path}: {exc.strerror or exc}"
    if exc.errno in _STORAGE_ERRNOS:
        return StorageError(
            message, path=path, hint="free some space, or choose a path on another disk"
        )
    return InputError(message, hint=hint)


def _write_report(
    handle: TextIO, rows: Iterable[tuple[object, ...]], newline: str = "\r\n"
) -> None:
    writer = csv.writer(handle, lineterminator=newline)
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])


NAME_SHOWN = 16  # a longer name is cut in the table (whole in --json); the Job id never is


def jobs(listed: list[JobSummary], *, json: bool) -> None:
    """Newest first. The Job column is each id's shortest unique prefix (8 or more characters),
    which every command takes as JOB; it is never cut (the Source column wraps instead, and a
    name longer than NAME_SHOWN is shortened)."""
    shown = short_ids(j.job_id for j in listed)
    if json:
        output.print_json(
            {"jobs": [{**job.as_dict(), "short_id": shown[job.job_id]} for job in listed]}
        )
        return
    rows = [
        (
            shown[j.job_id],
            short(j.name, NAME_SHOWN) if j.name else "-",
            str(j.created_at)[:19],
            f"{j.state}: {short(j.note, 40)}" if j.state == PAUSED and j.note else j.state,
            j.source,
            str(j.rows),
            str(j.pending or 0),
            str(j.accepted or 0),
            str(j.failed or 0),
            str(j.unknown or 0),
        )
        for j in listed
    ]
    table(
        ("Job", "Name", "Created", "State", "Source", "Rows", "Pending", "Accepted", "Failed",
         "Unknown"),
        rows,
        wrap=("Name", "Source"),
        status="State",
    )  # fmt: skip


class ProgressDisplay:
    """Progress on stderr: a rich bar on a terminal, a plain line a second otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.last = 0.0
        self.lock = threading.Lock()  # updated from every worker thread
        self.bar: Any = None
        self.broken = 0  # writes that failed: after the first, nothing more is shown
        self.latest: Progress | None = None  # the last update, shown or not
        self.shown = 0  # rows answered as last shown
        if output.is_terminal(output.stderr()):
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("sending"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeRemainingColumn(),
                console=output.rich_console(output.stderr()),
                transient=False,
            )
            self.task = self.bar.add_task("send", total=total, detail="")
            self.bar.start()

    def update(self, progress: Progress) -> None:
        """Show the progress; a display that cannot be written stops displaying, and never
        stops the sending (`2> >(head -c 150)`)."""
        now = time.monotonic()
        with self.lock:  # every worker calls this after every request: decide first, then format
            self.latest = progress
            if self.broken or now - self.last < (0.1 if self.bar is not None else 1.0):
                return
            self.last = now
            self._show(*self._detail(progress, now))

    def _detail(self, progress: Progress, now: float) -> tuple[int, str]:
        done = progress.accepted + progress.failed + progress.unknown
        elapsed = max(now - progress.started, 1e-6)
        detail = (
            f"{progress.accepted} accepted, {progress.failed} failed, "
            f"{progress.unknown} unknown, {done / elapsed:.1f}/s"
        )
        return done, detail

    def _show(self, done: int, detail: str) -> None:
        self.shown = done
        try:
            if self.bar is not None:
                self.bar.update(self.task, completed=done, detail=detail)
            elif not output.diagnostic(f"answered {done} of {self.total}: {detail}\n"):
                self.broken += 1
        except OSError:
            self.broken += 1

    def close(self) -> None:
        # The last answers came within the throttle: the final state is shown, never a stale one
        # ("answered 1 of 10" after all ten).
        with self.lock:
            latest = self.latest
            if latest is not None and not self.broken:
                done, detail = self._detail(latest, time.monotonic())
                if done != self.shown:
                    self._show(done, detail)
        if self.bar is not None:
            try:
                self.bar.stop()
            except OSError:
                self.broken += 1


def cancelled(done: Cancelled, *, json: bool) -> None:
    job = done.job
    if json:
        output.print_json(
            {"job": {**job.as_dict(), "short_id": done.short_id}, "cancelled_rows": done.rows}
        )
        return
    output.info(
        f"cancelled job {done.short_id}: {done.rows} pending row(s) will never be sent; "
        "rows already in flight keep their fate"
    )
    output.info(f"hint: see every row: smsctl bulk report {done.short_id}")


def deleted(done: Deleted, *, json: bool) -> None:
    job = done.job
    if json:
        output.print_json({"deleted": {**job.as_dict(), "short_id": done.short_id}})
        return
    output.info(
        f"deleted job {done.short_id} ({job.rows} row(s), {job.state}); "
        "its messages stay in the history (smsctl log)"
    )
    if done.kept:
        output.info(
            "it had sent messages: the same file with the same options is still refused as "
            "already sent (--new-job sends it again on purpose)"
        )
