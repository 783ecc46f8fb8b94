"""`smsctl bulk`: many messages from a CSV, checked first, journaled, resumable; and the jobs
that makes, as nouns (`bulk jobs`, `show`, `resume`, `cancel`, `report`, `delete`, `retry`).

`smsctl bulk FILE ...` is short for `smsctl bulk start FILE ...`: any first argument that is not
a subcommand starts a job (a file named like a subcommand: `bulk start jobs` or `bulk ./jobs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sms_cli.commands._runtime import (
    DryRunJsonFlag,
    JsonFlag,
    ProfileOption,
    TimeoutOption,
    handled_errors,
    is_stdin,
    require_utf8,
    results_written,
)
from sms_cli.commands._send_options import (
    PANEL,
    AtOption,
    AttachOption,
    AttachPasswordEnvOption,
    AttachValidityOption,
    FlashOption,
    LabelOption,
    NoReloadOption,
    PerformanceTrackingOption,
    TestOption,
    TtlOption,
    UdhOption,
    UnicodeOption,
    Utf8Option,
)


class _StartByDefault(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is the CSV of `start`."""

    default_command = "start"  # commands/_root.py's scan resolves it the same way

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


bulk_app = typer.Typer(
    cls=_StartByDefault,
    help="Send many messages from a CSV, and manage the jobs that makes.\n\n"
    "`smsctl bulk FILE [OPTIONS]` is short for `smsctl bulk start FILE [OPTIONS]`. JOB is a "
    "job's id, any unique prefix of it (4 characters or more), its --name, or `last`.",
    rich_markup_mode="markdown",
)

JobArgument = Annotated[
    str,
    typer.Argument(
        metavar="JOB",
        help="A job id, a unique prefix of it (4+ characters), its name, or 'last'.",
        show_default=False,
    ),
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=256, help="Requests at once.")
]
RateOption = Annotated[
    float | None,
    typer.Option(
        "--rate", min=0.1, help="At most this many requests a second.", show_default=False
    ),
]
BatchSizeOption = Annotated[
    int,
    typer.Option(
        "--batch-size", min=1, max=1000, help="Recipients per request for identical texts."
    ),
]


def _report_path(value: str) -> Path:
    """A report's path; an empty one (`--report ""`) is no path, not the current directory."""
    if not value:
        raise typer.BadParameter("no path given")
    return Path(value)


ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Write every row's outcome to this CSV.",
        show_default=False,
        parser=_report_path,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Send without asking.")]


@bulk_app.command("start")
def start_command(
    file: Annotated[
        str | None,
        typer.Argument(help="The CSV file, or '-' for standard input.", show_default=False),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Template, e.g. 'Hi {name}'.", show_default=False),
    ] = None,
    template_file: Annotated[
        str | None,  # as typed: Path('./-') would be '-'
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
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="A name for the job, usable wherever JOB is.", show_default=False
        ),
    ] = None,
    profile: ProfileOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check every row and print the verdicts; send nothing."),
    ] = False,
    yes: YesOption = False,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="Send to a recipient listed twice, twice.")
    ] = False,
    concurrency: ConcurrencyOption = 4,
    rate: RateOption = None,
    batch_size: BatchSizeOption = 500,
    timeout: TimeoutOption = 30.0,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="JOB",
            help="Same as: smsctl bulk resume JOB.",
            show_default=False,
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
    report: ReportOption = None,
    json: DryRunJsonFlag = False,
    at: AtOption = None,
    at_column: Annotated[
        str | None,
        typer.Option(
            "--at-column",
            metavar="COL",
            help="A column with each row's own --at (same formats; +2h counts from the job's "
            "start; empty: the job's --at).",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    ttl: TtlOption = None,
    label: LabelOption = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            "--label-column",
            metavar="COL",
            help="A column with each row's own --label (empty: the job's --label).",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    flash: FlashOption = False,
    performance_tracking: PerformanceTrackingOption = False,
    no_reload: NoReloadOption = False,
    unicode: UnicodeOption = False,
    utf8: Utf8Option = False,
    udh: UdhOption = None,
    attach: AttachOption = None,
    attach_validity: AttachValidityOption = None,
    attach_password_env: AttachPasswordEnvOption = None,
    test: TestOption = False,
) -> None:
    """Send many messages from a CSV: pre-flight check, batching, concurrency, resumable.

    Every row is checked before anything is sent. Each job is journaled, so a crash or Ctrl-C
    can be resumed with `smsctl bulk resume JOB` without sending anyone a message twice. Exit 0
    when every message was accepted, 3 when some failed, 8 when an outcome is unknown.
    """
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.bulk import check_report_writable
        from sms_cli.services.bulk import jobs
        from sms_cli.services.bulk.options import BulkSendArgs

        with jobs.storage_errors():
            for option, value in (
                ("--message", message),
                ("--from", sender),
                ("--to-column", to_column),
                ("--sender-column", sender_column),
                ("--name", name),
                ("--at", at),
                ("--at-column", at_column),
                ("--label", label),
                ("--label-column", label_column),
                ("--udh", udh),
                ("--attach-password-env", attach_password_env),
            ):
                if value is not None:
                    require_utf8(value, option)
            send = BulkSendArgs(
                at=at,
                ttl=ttl,
                label=label,
                flash=flash,
                performance_tracking=performance_tracking,
                no_reload=no_reload,
                unicode=unicode,
                utf8=utf8,
                udh=udh,
                attach=tuple(attach or ()),
                attach_validity=attach_validity,
                attach_password_env=attach_password_env,
                test=test,
                at_column=at_column,
                label_column=label_column,
            )
            if resume is not None:
                given = [
                    option
                    for option, value in (
                        ("--dry-run", dry_run),
                        ("--message", message is not None),
                        ("--template-file", template_file is not None),
                        ("--from", sender is not None),
                        ("--to-column", to_column is not None),
                        ("--sender-column", sender_column is not None),
                        ("--name", name is not None),
                        ("--new-job", new_job),
                        ("--allow-duplicates", allow_duplicates),
                    )
                    if value
                ]
                # The first thing wrong is said first; nothing of the job is read before.
                jobs.check_resume_options(send, given, resume)
                if file is not None:
                    raise InputError("give a FILE or --resume JOB, not both")
                _resume(
                    resume,
                    retry_unknown,
                    profile,
                    yes,
                    _run_options(concurrency, rate, batch_size, timeout, report, json),
                    send=send,
                )
            if retry_unknown:
                raise InputError("--retry-unknown goes with: smsctl bulk resume JOB")
            if file is None:
                raise InputError(
                    "give a CSV file (or '-' for standard input)",
                    hint="smsctl bulk --help lists the job commands (jobs, show, resume, ...)",
                )
            # --template-file - is a file named '-'; /dev/stdin (or the file redirected to
            # standard input) is standard input, which `bulk -` reads the CSV from.
            if template_file not in (None, "-") and is_stdin(file) and is_stdin(template_file):
                raise InputError(
                    "standard input cannot hold both the CSV and the template",
                    hint="give the template with --message, or --template-file PATH of a file",
                )
            if report is not None and not dry_run:
                check_report_writable(report)  # before anything is sent, not after
            new = jobs.NewJob(
                file,
                message,
                None if template_file is None else Path(template_file),
                to_column,
                sender_column,
                sender,
                profile,
                dry_run,
                yes,
                allow_duplicates,
                new_job,
                name,
                send=send,
            )
            run = _run_options(concurrency, rate, batch_size, timeout, report, json)
            raise typer.Exit(int(jobs.start(new, run, _view(json))))


@bulk_app.command("resume")
def resume_command(
    job: JobArgument,
    retry_unknown: Annotated[
        bool,
        typer.Option(
            "--retry-unknown",
            help="Send again the rows of unknown outcome (they may have gone out).",
        ),
    ] = False,
    profile: ProfileOption = None,
    yes: YesOption = False,
    concurrency: ConcurrencyOption = 4,
    rate: RateOption = None,
    batch_size: BatchSizeOption = 500,
    timeout: TimeoutOption = 30.0,
    report: ReportOption = None,
    json: JsonFlag = False,
) -> None:
    """Send the pending rows of a job that was stopped, paused or never confirmed.

    Rows that were in flight when a job stopped become unknown and are not sent again unless
    --retry-unknown says so. Exit codes as for `smsctl bulk FILE`.
    """
    with handled_errors():
        from sms_cli.services.bulk import jobs

        with jobs.storage_errors():
            require_utf8(job, "JOB")
            _resume(
                job,
                retry_unknown,
                profile,
                yes,
                _run_options(concurrency, rate, batch_size, timeout, report, json),
            )


@bulk_app.command("jobs")
def jobs_command(json: JsonFlag = False) -> None:
    """List the bulk jobs, newest first, with their rows counted by state."""
    with handled_errors():
        from sms_cli.render.bulk import jobs as render_jobs
        from sms_cli.services.bulk import jobs

        with jobs.storage_errors():
            render_jobs(jobs.list_jobs(), json=json)


bulk_app.command("list", hidden=True, help="Same as: smsctl bulk jobs.")(jobs_command)


@bulk_app.command("show")
def show_command(
    job: JobArgument,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Only what the journal and history know; ask the provider nothing."
        ),
    ] = False,
    profile: ProfileOption = None,
    timeout: TimeoutOption = 30.0,
    json: JsonFlag = False,
) -> None:
    """A job's campaign view: rows by delivery state, failures by reason, segments and cost.

    Asks the provider for the delivery reports of the rows not yet final, in as few requests as
    its API allows, and records them (--offline: ask nothing).
    """
    with handled_errors():
        from sms_cli.render.campaign import emit
        from sms_cli.services.bulk import campaign  # not jobs: --offline stays quick to load

        require_utf8(job, "JOB")
        view = campaign.show(job, refresh=not offline, profile=profile, timeout=timeout)
        emit(view, json=json)
        raise typer.Exit(int(view.exit_code))


@bulk_app.command("cancel")
def cancel_command(job: JobArgument, json: JsonFlag = False) -> None:
    """Cancel a job: its pending rows will never be sent. Rows in flight keep their fate.

    Works on a running job too: the runner sends no row after the cancel is acknowledged.
    """
    with handled_errors():
        from sms_cli.render.bulk import cancelled
        from sms_cli.services.bulk import jobs, lifecycle

        with jobs.storage_errors():
            require_utf8(job, "JOB")
            done = lifecycle.cancel(job)
        # The job IS cancelled: a stdout that cannot take the answer must not hide it.
        with results_written(
            f"job {done.short_id} was cancelled ({done.rows} pending row(s) will never be sent)",
            see=f"`smsctl bulk show {done.short_id}` shows it",
        ):
            cancelled(done, json=json)


@bulk_app.command("report")
def report_command(
    job: JobArgument,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the CSV here (default: standard output).",
            show_default=False,
            parser=_report_path,
        ),
    ] = None,
) -> None:
    """Every row of a job and its outcome, as CSV: at any time after the job started.

    The columns are those of `--report`. With --output the file is written whole or not at all,
    readable by its owner only.
    """
    with handled_errors():
        from sms_cli.render.bulk import report_csv
        from sms_cli.services.bulk import jobs, lifecycle

        with jobs.storage_errors():
            require_utf8(job, "JOB")
            lifecycle.report(job, lambda rows: report_csv(rows, output_file))


@bulk_app.command("delete")
def delete_command(job: JobArgument, json: JsonFlag = False) -> None:
    """Delete a job's journal (refused while it runs). Its messages stay in the history."""
    with handled_errors():
        from sms_cli.render.bulk import deleted
        from sms_cli.services.bulk import jobs, lifecycle

        with jobs.storage_errors():
            require_utf8(job, "JOB")
            gone = lifecycle.delete(job)
        # The job IS deleted: a stdout that cannot take the answer must not hide it.
        with results_written(
            f"job {gone.short_id} was deleted", see="its messages stay in the history (smsctl log)"
        ):
            deleted(gone, json=json)


@bulk_app.command("retry")
def retry_command(
    job: JobArgument,
    failed: Annotated[
        bool,
        typer.Option("--failed", help="The rows that were rejected, failed or expired."),
    ] = False,
    profile: ProfileOption = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="A name for the new job.", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the rows that would be sent; send nothing.")
    ] = False,
    yes: YesOption = False,
    concurrency: ConcurrencyOption = 4,
    rate: RateOption = None,
    batch_size: BatchSizeOption = 500,
    timeout: TimeoutOption = 30.0,
    report: ReportOption = None,
    json: DryRunJsonFlag = False,
) -> None:
    """Send a job's failed rows again, as a new job linked to it.

    Never touches rows that were accepted or delivered. The new job is checked and confirmed
    like any other.
    """
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.bulk import check_report_writable
        from sms_cli.services.bulk import jobs, retry

        with jobs.storage_errors():
            require_utf8(job, "JOB")
            if name is not None:
                require_utf8(name, "--name")
            if not failed:
                raise InputError("say which rows to send again: --failed")
            if report is not None and not dry_run:
                check_report_writable(report)
            code = retry.retry_failed(
                job,
                profile=profile,
                name=name,
                dry_run=dry_run,
                yes=yes,
                run=_run_options(concurrency, rate, batch_size, timeout, report, json),
                view=_view(json),
            )
            raise typer.Exit(int(code))


def _run_options(
    concurrency: int,
    rate: float | None,
    batch_size: int,
    timeout: float,
    report: Path | None,
    json: bool,
) -> Any:
    from sms_cli.services.bulk.jobs import RunOptions

    return RunOptions(concurrency, rate, batch_size, timeout, report, json)


def _view(json: bool) -> Any:
    from sms_cli.render.bulk import BulkRenderer

    return BulkRenderer(json=json)


def _resume(
    job: str,
    retry_unknown: bool,
    profile: str | None,
    yes: bool,
    run: Any,
    send: Any = None,
) -> None:
    from sms_cli.render.bulk import check_report_writable
    from sms_cli.services.bulk import jobs

    require_utf8(job, "--resume")
    if run.report is not None:
        check_report_writable(run.report)
    code = jobs.resume(
        job,
        retry_unknown=retry_unknown,
        profile=profile,
        yes=yes,
        run=run,
        view=_view(run.json),
        send=send,
    )
    raise typer.Exit(int(code))
