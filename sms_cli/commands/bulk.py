"""`smsctl bulk FILE`: many messages from a CSV, checked first, journaled, resumable."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sms_cli.commands._runtime import JsonFlag, TimeoutOption, handled_errors
from sms_cli.commands.profile import ProfileOption

if TYPE_CHECKING:
    from sms_cli.services.bulk.engine import Journal
    from sms_cli.services.bulk.input import RowCheck, Totals


@dataclass(frozen=True)
class RunOptions:
    """How to send a job's pending rows, and how to report on them."""

    concurrency: int
    rate: float | None
    batch_size: int
    timeout: float
    report: Path | None
    json: bool


def bulk_command(
    file: Annotated[
        str | None,
        typer.Argument(
            help="The CSV file, or '-' for standard input. `smsctl bulk jobs` lists the jobs.",
            show_default=False,
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Template, e.g. 'Hi {name}'.", show_default=False),
    ] = None,
    template_file: Annotated[
        Path | None,
        typer.Option("--template-file", help="Read the template from a file.", show_default=False),
    ] = None,
    to_column: Annotated[
        str | None,
        typer.Option(
            "--to-column",
            help="The recipient column (default: phone, mobile, ...).",
            show_default=False,
        ),
    ] = None,
    sender_column: Annotated[
        str | None,
        typer.Option(
            "--sender-column", help="A column with each row's sender.", show_default=False
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            "-f",
            help="Sender for rows without one (default: the profile's).",
            show_default=False,
        ),
    ] = None,
    profile: ProfileOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check every row and print the verdicts; send nothing."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking.")] = False,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="Send to a recipient listed twice, twice.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Requests at once.")
    ] = 4,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate", min=0.1, help="At most this many requests a second.", show_default=False
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, max=1000, help="Recipients per request for identical texts."
        ),
    ] = 500,
    timeout: TimeoutOption = 30.0,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume", metavar="JOB", help="Send the pending rows of a job.", show_default=False
        ),
    ] = None,
    retry_unknown: Annotated[
        bool,
        typer.Option(
            "--retry-unknown",
            help="With --resume: send again the rows of unknown outcome (they may have gone out).",
        ),
    ] = False,
    new_job: Annotated[
        bool,
        typer.Option("--new-job", help="Start a new job even if this file was already started."),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write every row's outcome to this CSV.", show_default=False),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Send many messages from a CSV: pre-flight check, batching, concurrency, resumable.

    Every row is checked before anything is sent. Each job is journaled, so a crash or Ctrl-C
    can be resumed with --resume JOB without sending anyone a message twice. Exit 0 when every
    message was accepted, 3 when some failed, 8 when an outcome is unknown.
    """
    with handled_errors(), _storage_errors():
        from sms_cli.errors import InputError

        for option, value in (
            ("--message", message),
            ("--from", sender),
            ("--to-column", to_column),
            ("--sender-column", sender_column),
        ):
            _check_argv_text(option, value)
        if report is not None and not dry_run and file != "jobs":
            _check_writable(report)  # before anything is sent, not after
        run = RunOptions(concurrency, rate, batch_size, timeout, report, json)
        if file == "jobs" and resume is None:
            _list_jobs(json)
            return
        if resume is not None:
            if file is not None:
                raise InputError("give a FILE or --resume JOB, not both")
            _check_argv_text("--resume", resume)
            code = _resume(resume, retry_unknown, profile, yes, run)
            raise typer.Exit(code)
        if retry_unknown:
            raise InputError("--retry-unknown goes with --resume JOB")
        if file is None:
            raise InputError("give a CSV file (or '-' for standard input)")
        code = _new_job(
            file,
            message,
            template_file,
            to_column,
            sender_column,
            sender,
            profile,
            dry_run,
            yes,
            allow_duplicates,
            new_job,
            run,
        )
        raise typer.Exit(code)


@contextmanager
def _storage_errors() -> Iterator[None]:
    """A history database that fails a read or write is local storage (exit 4), not a bug: the
    job journal is transactional, so whatever it holds is still resumable."""
    import sqlite3

    from sms_cli.errors import ConfigError

    try:
        yield
    except sqlite3.Error as exc:
        raise ConfigError(
            f"could not record the bulk job in the history ({type(exc).__name__}: {exc})",
            hint="free space or fix the data directory, then: smsctl bulk jobs; "
            "smsctl bulk --resume JOB",
        ) from None


def _check_argv_text(option: str, value: str | None) -> None:
    """Arguments that were not UTF-8 arrive with lone surrogates (PEP 383): refuse them here
    rather than fail when the text is stored or sent."""
    from sms_cli.errors import InputError

    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{option} is not valid UTF-8 (at character {exc.start + 1})",
            hint="check the terminal's or the script's encoding",
        ) from None


def _check_writable(path: Path) -> None:
    """Open the report for appending (truncating nothing), and remove it again if it was not
    there: an unwritable path is found before the first message goes out."""
    from sms_cli.errors import InputError

    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise InputError(
            f"cannot write the report {path}: {exc.strerror or exc}",
            hint="choose a writable --report path; nothing was sent",
        ) from None
    if not existed:
        with suppress(OSError):
            path.unlink()


def _new_job(
    file: str,
    message: str | None,
    template_file: Path | None,
    to_column: str | None,
    sender_column: str | None,
    sender: str | None,
    profile_flag: str | None,
    dry_run: bool,
    yes: bool,
    allow_duplicates: bool,
    new_job: bool,
    run: RunOptions,
) -> int:
    import contextlib
    import hashlib
    import os

    from sms_cli.errors import InputError
    from sms_cli.providers import registry
    from sms_cli.render import output
    from sms_cli.services.bulk.engine import Journal, job_lock
    from sms_cli.services.bulk.input import (
        RowRules,
        Source,
        Totals,
        find_recipient_column,
        open_table,
        preflight,
    )
    from sms_cli.storage.messages import History, new_id
    from sms_cli.storage.profiles import ProfileStore, resolve, validate_sender

    resolved = resolve(ProfileStore().load(), profile_flag, require_token=not dry_run)
    provider = registry.get(resolved.provider)
    price = resolved.profile.price_per_segment
    default_sender = sender if sender is not None else resolved.profile.sender
    if default_sender is not None:
        validate_sender(provider.name, default_sender)
    raw, source_name = _open_binary(file)
    hashing = _HashingReader(raw)
    # surrogateescape: a bad byte reaches the reader, which names its line (bulk._decoded).
    stream = io.TextIOWrapper(
        io.BufferedReader(hashing), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    table = open_table(stream, source_name)
    recipient_column = find_recipient_column(table.header, to_column)
    sender_index = None
    if sender_column is not None:
        if sender_column not in table.columns:
            raise InputError(f"no column named {sender_column!r}")
        sender_index = table.columns[sender_column]
    source = Source.from_options(table.header, message, template_file)
    rules = RowRules(
        recipient_index=table.columns[recipient_column],
        columns=table.header,
        template=source.template,
        region=resolved.profile.region,
        max_chars=provider.max_text_chars,
        sender_index=sender_index,
    )
    workers = max(1, min(4, os.cpu_count() or 1))
    checked = preflight(table, rules, allow_duplicates=allow_duplicates, workers=workers)
    checked = (
        _with_sender(row, default_sender, provider.name, provider.requires_sender)
        for row in checked
    )
    totals = Totals()
    if dry_run:
        for row in checked:
            totals.add(row)
            _print_row(row, run.json)
        _print_totals(totals, price=price, json=run.json, dry_run=True)
        return 0
    options = "\x00".join(
        str(x)
        for x in (
            source.template.source,
            recipient_column,
            sender_column,
            default_sender,
            resolved.profile.name,
            allow_duplicates,
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

            def counted() -> Any:
                for row in checked:
                    totals.add(row)
                    if row.error is not None:
                        output.info(f"line {row.line}: {row.error}")
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
            previous = journal.confirm(job_id, fingerprint, new_job=new_job)
            for stale in journal.discard_unfinished(unfinished, exclude=job_id):
                output.info(
                    f"discarded job {stale}: its pre-flight never finished; nothing was sent"
                )
            if previous is not None:
                raise InputError(
                    "this file was already started with the same options as job "
                    f"{previous['job_id']} ({previous['state']})",
                    hint=f"continue it: smsctl bulk --resume {previous['job_id']}; "
                    "or pass --new-job",
                )
            _print_totals(totals, price=price, json=False, dry_run=False)
            if totals.messages == 0:
                journal.set_state(job_id, "done", "nothing to send")
                output.info("nothing to send")
                return 2 if totals.errors else 0
            _confirm(yes, totals, resolved.profile.name, job_id, price)
            return _run(journal, history, job_id, resolved.profile.name, run)
    finally:
        history.close()


def _with_sender(row: RowCheck, default: str | None, provider: str, required: bool) -> RowCheck:
    from dataclasses import replace

    from sms_cli.providers import registry

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


def _confirm(yes: bool, totals: Totals, profile: str, job_id: str, price: float | None) -> None:
    import sys

    from sms_cli.errors import InputError
    from sms_cli.render import output

    if yes:
        return
    if not output.is_terminal(sys.stdin):
        raise InputError(
            "not on a terminal, so not asking: pass --yes to send",
            hint=f"the checked job is saved; send it with: smsctl bulk --resume {job_id} --yes",
        )
    cost = f", about {totals.segments * price:.2f}" if price is not None else ""
    question = (
        f"Send {totals.messages} messages ({totals.segments} segments{cost}) "
        f"with profile {profile!r}?"
    )
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(0)


def _run(journal: Journal, history: Any, job_id: str, profile_name: str, run: RunOptions) -> int:
    """Send the job's pending rows; a history that fails meanwhile names the job to resume."""
    from sms_cli.errors import StorageError

    try:
        return _send_pending(journal, history, job_id, profile_name, run)
    except StorageError as exc:
        raise StorageError(
            f"{exc.message}; bulk job {job_id} stopped, and what it sent is journaled",
            path=exc.path,
            hint=f"when the history can be written again: smsctl bulk --resume {job_id}",
        ) from None


def _send_pending(
    journal: Journal, history: Any, job_id: str, profile_name: str, run: RunOptions
) -> int:
    from sms_cli.errors import InputError
    from sms_cli.providers import registry
    from sms_cli.providers.registry import load
    from sms_cli.render import output
    from sms_cli.services.bulk.engine import Engine, batches
    from sms_cli.storage.messages import History
    from sms_cli.storage.profiles import ProfileStore, resolve

    resolved = resolve(ProfileStore().load(), profile_name)
    provider = registry.get(resolved.provider)
    client_class = load(provider.client)
    credentials = resolved.credentials

    import gc

    # Sending allocates many short-lived objects and no cycles worth chasing: move what exists
    # out of the collector's sight and let it run less often.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    display = ProgressDisplay(journal.counts(job_id).get("pending", 0))
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
    )
    pending = journal.pending(job_id)
    try:
        result = engine.run(batches(pending, run.batch_size))
    except BaseException:
        with suppress(Exception):  # a history that failed may refuse this too
            journal.set_state(job_id, "interrupted", "the run stopped on an error")
        raise
    finally:
        pending.close()  # a stopped run leaves the read open otherwise
        display.close()
    for note in result.answer_notes:
        output.warning(note)
    counts = journal.counts(job_id)
    if result.interrupted:
        journal.set_state(job_id, "interrupted")
        output.error("interrupted", hint=f"continue with: smsctl bulk --resume {job_id}")
        code = 130
    elif result.paused:
        journal.set_state(job_id, "paused", result.paused)
        output.error(
            f"job paused: {result.paused}",
            hint=f"continue later with: smsctl bulk --resume {job_id}",
        )
        code = result.pause_exit or 6
    elif counts.get("pending", 0) or counts.get("in_flight", 0):
        # Never `done` with rows left: a run that ended early says so, and can be resumed.
        left = counts.get("pending", 0) + counts.get("in_flight", 0)
        journal.set_state(job_id, "interrupted", f"{left} row(s) not finished")
        output.error(
            f"the run stopped with {left} row(s) not sent or not answered",
            hint=f"continue with: smsctl bulk --resume {job_id}",
        )
        code = 8 if counts.get("in_flight", 0) else 6
    else:
        journal.set_state(job_id, "done")
        code = _exit_code(counts)
    unwritten = None
    if run.report is not None:
        try:
            _write_report(journal, job_id, run.report)
        except InputError as exc:  # what was sent stands: say so, after the summary
            unwritten = exc.message
    _print_summary(journal, job_id, result.progress.requests, run.json, result.elapsed)
    if unwritten is not None:
        output.warning(f"{unwritten}; the outcome of every row is in: smsctl bulk jobs, smsctl log")
    return code


def _exit_code(counts: dict[str, int]) -> int:
    accepted = counts.get("accepted", 0)
    if counts.get("unknown", 0) or counts.get("in_flight", 0):
        return 8
    problems = sum(n for state, n in counts.items() if state not in ("accepted", "skipped"))
    if not problems:
        return 0
    return 7 if accepted == 0 else 3


def _resume(
    job_id: str, retry_unknown: bool, profile_flag: str | None, yes: bool, run: RunOptions
) -> int:
    from sms_cli.errors import InputError
    from sms_cli.render import output
    from sms_cli.services.bulk.engine import Journal, job_lock
    from sms_cli.storage.messages import History

    history = History()
    journal = Journal(history)
    try:
        job = journal.job(job_id)
        if job is None:
            raise InputError(f"no bulk job {job_id!r}", hint="smsctl bulk jobs lists them")
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
            if job["state"] == "preparing":
                raise InputError(
                    f"job {job_id} never finished its pre-flight check, so none of it is sent",
                    hint="run the file again (fixed, if it was broken): smsctl bulk FILE ...",
                )
            profile_name = profile_flag or str(job["profile"])
            _check_provider(job, profile_name, required=profile_flag is not None)
            settled = journal.settle_in_flight(job_id)
            if settled:
                output.warning(
                    f"{settled} row(s) were in flight when the job stopped: now unknown, not resent"
                )
            if retry_unknown:
                again = journal.retry_unknown(job_id)
                output.warning(f"{again} row(s) of unknown outcome will be sent again, as asked")
            pending = journal.counts(job_id).get("pending", 0)
            if pending == 0:
                output.info("nothing pending in this job")
                journal.set_state(job_id, "done")
                _print_summary(journal, job_id, 0, run.json)
                return _exit_code(journal.counts(job_id))
            if not yes:
                import sys

                if not output.is_terminal(sys.stdin):
                    raise InputError("not on a terminal, so not asking: pass --yes to send")
                question = f"Send the {pending} pending messages of job {job_id}?"
                if not typer.confirm(question, err=True):
                    return 0
            return _run(journal, history, job_id, profile_name, run)
    finally:
        history.close()


def _check_provider(job: dict[str, object], profile_name: str, *, required: bool) -> None:
    """A job was checked for one provider (its sender rules, its text limits): it is never
    resumed through a profile of another."""
    from sms_cli.errors import ConfigError, InputError
    from sms_cli.storage.profiles import ProfileStore, resolve

    try:
        resolved = resolve(ProfileStore().load(), profile_name, require_token=False)
    except ConfigError:
        if required:
            raise
        return  # the job's own profile is gone: said when there is something to send
    if resolved.provider != job["provider"]:
        raise InputError(
            f"profile {profile_name!r} sends through {resolved.provider}, but job "
            f"{job['job_id']} was checked for {job['provider']}; not sending anything",
            hint=f"resume it with a {job['provider']} profile: --profile NAME",
        )


class _HashingReader(io.RawIOBase):
    """A raw binary reader that hashes what passes through: the job's file fingerprint."""

    def __init__(self, raw: Any) -> None:
        import hashlib

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
    import sys

    from sms_cli.errors import InputError

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


def _print_row(row: RowCheck, json: bool) -> None:
    import json as json_module

    from sms_cli.render import output

    if json:
        document = {
            "line": row.line,
            "recipient": row.recipient,
            "text": row.text,
            "encoding": row.encoding,
            "segment_count": row.segments,
            "sender": row.sender,
            "error": row.error
            or (f"duplicate of line {row.duplicate_of}" if row.duplicate_of else None),
        }
        output.stdout().write(json_module.dumps(document, ensure_ascii=False) + "\n")
        return
    verdict = row.error or (
        f"skipped: duplicate of line {row.duplicate_of}" if row.duplicate_of else "ok"
    )
    output.stdout().write(f"line {row.line}\t{row.recipient or '-'}\t{row.segments}\t{verdict}\n")


def _print_totals(totals: Totals, *, price: float | None, json: bool, dry_run: bool) -> None:
    import json as json_module

    from sms_cli.render import output

    summary = {
        "rows": totals.rows,
        "messages": totals.messages,
        "duplicates_skipped": totals.duplicates,
        "invalid": sum(totals.errors.values()),
        "errors": totals.errors,
        "error_lines": totals.error_lines,
        "messages_gsm": totals.messages_gsm,
        "messages_ucs2": totals.messages_ucs2,
        "segments_gsm": totals.segments_gsm,
        "segments_ucs2": totals.segments_ucs2,
        "cost": round(totals.segments * price, 6) if price is not None else None,
    }
    if json and dry_run:
        output.stdout().write(json_module.dumps({"totals": summary}) + "\n")
        return
    lines = [
        f"rows: {totals.rows}; messages: {totals.messages}; "
        f"duplicates skipped: {totals.duplicates}; "
        f"invalid: {sum(totals.errors.values())}"
        + (
            f" ({totals.error_lines} lines in error)"
            if totals.error_lines > sum(totals.errors.values())
            else ""
        ),
        f"segments: {totals.segments} (GSM-7 {totals.segments_gsm} in {totals.messages_gsm} "
        f"messages, UCS-2 {totals.segments_ucs2} in {totals.messages_ucs2})",
    ]
    if price is not None:
        lines.append(f"cost: {totals.segments * price:.4f} ({price:g} per segment)")
    lines += [f"  {kind}: {n}" for kind, n in sorted(totals.errors.items())]
    for line in lines:
        output.info(line)


def _print_summary(
    journal: Journal, job_id: str, requests: int, json: bool, elapsed: float = 0.0
) -> None:
    from sms_cli.core.printable import visible
    from sms_cli.render import output
    from sms_cli.render.table import table

    outcome = journal.outcome(job_id)
    job = journal.job(job_id) or {}
    if json:
        output.print_json(
            {
                "job_id": job_id,
                "state": job.get("state"),
                "requests": requests,
                "seconds": round(elapsed, 3),
                **outcome,
            }
        )
        return
    rows: dict[str, int] = outcome["rows"]  # type: ignore[assignment]
    lines = [(state, str(n)) for state, n in sorted(rows.items())]
    reasons: dict[str, int] = outcome["failed_by_reason"]  # type: ignore[assignment]
    # A reason is the provider's words: shown, never obeyed (visible).
    lines += [(f"  {visible(reason)}", str(n)) for reason, n in reasons.items()]
    lines.append(("segments sent", str(outcome["segments_sent"])))
    if outcome["provider_price"] is not None:
        lines.append(("charged", str(outcome["provider_price"])))
    table(("Rows", "Count"), lines)
    rate = f" in {elapsed:.1f} s ({requests / elapsed:.1f}/s)" if elapsed > 0 else ""
    output.info(f"job {job_id}: {requests} requests{rate}")


def _write_report(journal: Journal, job_id: str, path: Path) -> None:
    import csv

    from sms_cli.errors import InputError

    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "recipient", "status", "id", "bulk_id", "error", "text"])
            for row in journal.report_rows(job_id):
                writer.writerow(["" if v is None else v for v in row])
    except OSError as exc:
        raise InputError(f"cannot write the report {path}: {exc.strerror or exc}") from None


def _list_jobs(json: bool) -> None:
    from sms_cli.render import output
    from sms_cli.render.table import table
    from sms_cli.services.bulk.engine import Journal
    from sms_cli.storage.messages import History

    history = History()
    try:
        jobs = Journal(history).jobs()
    finally:
        history.close()
    if json:
        output.print_json({"jobs": jobs})
        return
    rows = [
        (
            str(j["job_id"]),
            str(j["created_at"])[:19],
            str(j["state"]),
            str(j["source"]),
            str(j["rows"]),
            str(j["pending"] or 0),
            str(j["accepted"] or 0),
            str(j["failed"] or 0),
            str(j["unknown"] or 0),
        )
        for j in jobs
    ]
    table(
        ("Job", "Created", "State", "Source", "Rows", "Pending", "Accepted", "Failed", "Unknown"),
        rows,
    )


class ProgressDisplay:
    """Progress on stderr: a rich bar on a terminal, a plain line a second otherwise."""

    def __init__(self, total: int) -> None:
        import threading

        from sms_cli.render import output

        self.total = total
        self.last = 0.0
        self.lock = threading.Lock()  # updated from every worker thread
        self.bar: Any = None
        self.broken = 0  # writes that failed: after the first, nothing more is shown
        if output.is_terminal(output.stderr()):
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
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

    def update(self, progress: Any) -> None:
        """Show the progress; a display that cannot be written stops displaying, and never
        stops the sending (`2> >(head -c 150)`)."""
        import time

        now = time.monotonic()
        with self.lock:  # every worker calls this after every request: decide first, then format
            if self.broken or now - self.last < (0.1 if self.bar is not None else 1.0):
                return
            self.last = now
            done = progress.accepted + progress.failed + progress.unknown
            elapsed = max(now - progress.started, 1e-6)
            detail = (
                f"{progress.accepted} accepted, {progress.failed} failed, "
                f"{progress.unknown} unknown, {done / elapsed:.1f}/s"
            )
            self._show(done, detail)

    def _show(self, done: int, detail: str) -> None:
        from sms_cli.render import output

        try:
            if self.bar is not None:
                self.bar.update(self.task, completed=done, detail=detail)
            elif not output.diagnostic(f"answered {done} of {self.total}: {detail}\n"):
                self.broken += 1
        except OSError:
            self.broken += 1

    def close(self) -> None:
        if self.bar is not None:
            try:
                self.bar.stop()
            except OSError:
                self.broken += 1
