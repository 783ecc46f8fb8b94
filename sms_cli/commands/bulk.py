"""`smsctl bulk FILE`: many messages from a CSV, checked first, journaled, resumable."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, ProfileOption, TimeoutOption, handled_errors


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
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.bulk import BulkRenderer
        from sms_cli.render.bulk import jobs as render_jobs
        from sms_cli.services.bulk import jobs

        with jobs.storage_errors():
            for option, value in (
                ("--message", message),
                ("--from", sender),
                ("--to-column", to_column),
                ("--sender-column", sender_column),
            ):
                _check_argv_text(option, value)
            if report is not None and not dry_run and file != "jobs":
                _check_writable(report)  # before anything is sent, not after
            run = jobs.RunOptions(concurrency, rate, batch_size, timeout, report, json)
            view = BulkRenderer(json=json)
            if file == "jobs" and resume is None:
                render_jobs(jobs.list_jobs(), json=json)
                return
            if resume is not None:
                if file is not None:
                    raise InputError("give a FILE or --resume JOB, not both")
                _check_argv_text("--resume", resume)
                code = jobs.resume(
                    resume,
                    retry_unknown=retry_unknown,
                    profile=profile,
                    yes=yes,
                    run=run,
                    view=view,
                )
                raise typer.Exit(int(code))
            if retry_unknown:
                raise InputError("--retry-unknown goes with --resume JOB")
            if file is None:
                raise InputError("give a CSV file (or '-' for standard input)")
            new = jobs.NewJob(
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
            )
            raise typer.Exit(int(jobs.start(new, run, view)))


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
