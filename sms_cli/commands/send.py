"""`smsctl send`: one text to one or more recipients."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sms_cli.commands._runtime import (
    JsonFlag,
    ProfileOption,
    TextArgument,
    TimeoutOption,
    handled_errors,
    read_text,
    require_utf8,
    results_written,
)

if TYPE_CHECKING:
    from sms_cli.services.sending import SendReport

# Options only some providers understand (INFO.send_options); `smsctl providers` lists whose.
PANEL = "Provider options (providers that support them; see smsctl providers)"


def send_command(
    text: TextArgument = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            "-t",
            help="Recipient number; repeat it or give a comma-separated list. +46…, 0046… and "
            "national numbers (with the profile's region) are accepted. Providers with an "
            "address book also take group:NAME and contact:NAME (see smsctl providers).",
            show_default=False,
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            "-f",
            help="Sender name or number (default: the profile's).",
            show_default=False,
        ),
    ] = None,
    profile: ProfileOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check everything and show the segments; send nothing."),
    ] = False,
    json: JsonFlag = False,
    timeout: TimeoutOption = 30.0,
    max_segments: Annotated[
        int | None,
        typer.Option(
            "--max-segments",
            min=1,
            help="Refuse (exit 10) a text needing more segments.",
            show_default=False,
        ),
    ] = None,
    flash: Annotated[
        bool, typer.Option("--flash", help="Flash SMS.", rich_help_panel=PANEL)
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Send later: '2026-12-24 18:00' (local time), ISO 8601, or Unix time.",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    ttl: Annotated[
        int | None,
        typer.Option(
            "--ttl",
            help="Validity in minutes.",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="Label for statistics.",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    foreign_id: Annotated[
        str | None,
        typer.Option(
            "--foreign-id",
            help="Your reference, echoed in reports (default: one smsctl makes).",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    performance_tracking: Annotated[
        bool,
        typer.Option(
            "--performance-tracking",
            help="Track clicks on links.",
            rich_help_panel=PANEL,
        ),
    ] = False,
    no_reload: Annotated[
        bool,
        typer.Option(
            "--no-reload",
            help="Lift the 180 s lock against sending the same SMS twice.",
            rich_help_panel=PANEL,
        ),
    ] = False,
    unicode: Annotated[
        bool, typer.Option("--unicode", "-u", help="Force UCS-2.", rich_help_panel=PANEL)
    ] = False,
    utf8: Annotated[
        bool,
        typer.Option(
            "--utf8",
            help="Send utf8=1 (force UTF-8 detection). Deprecated: providers detect the "
            "encoding themselves.",
            rich_help_panel=PANEL,
        ),
    ] = False,
    udh: Annotated[
        str | None,
        typer.Option(
            "--udh",
            metavar="HEX",
            help="User data header; the text is then the message's data in hex, sent as "
            "8-bit binary (140 octets a part, UDH included).",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    attach: Annotated[
        list[Path] | None,
        typer.Option(
            "--attach",
            help="Send a file as a link; the text marks its place with [[file name]].",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    attach_validity: Annotated[
        int | None,
        typer.Option(
            "--attach-validity",
            min=1,
            help="Days the file stays available.",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    attach_password_env: Annotated[
        str | None,
        typer.Option(
            "--attach-password-env",
            metavar="VAR",
            help="Protect the file with the password in this environment variable.",
            rich_help_panel=PANEL,
            show_default=False,
        ),
    ] = None,
    test: Annotated[
        bool,
        typer.Option(
            "--test",
            help="Provider test mode: validated, not sent, not charged.",
            rich_help_panel=PANEL,
        ),
    ] = False,
    no_store_text: Annotated[
        bool,
        typer.Option("--no-store-text", help="Keep only a hash of the text in the local history."),
    ] = False,
) -> None:
    """Send one text to one or more recipients.

    Exit 0 when every message was accepted, 3 when some were refused, 7 when all were, 8 when
    the outcome of any is unknown (nothing is ever resent automatically).
    """
    with handled_errors():
        import os

        from sms_cli.core.redaction import register_secret
        from sms_cli.errors import InputError, StorageError
        from sms_cli.render.send import emit, explain, plan_notes
        from sms_cli.services.sending import SendArgs, dry_run_report, execute, plan_send
        from sms_cli.storage.messages import History

        if not to:
            raise InputError("no recipients: give at least one --to NUMBER")
        for number in to:
            require_utf8(number, "--to")
        if sender is not None:
            require_utf8(sender, "--from")
        password = None
        if attach_password_env:
            password = os.environ.get(attach_password_env)
            if not password:
                raise InputError(f"--attach-password-env: ${attach_password_env} is not set")
            register_secret(password)
        args = SendArgs(
            to=to,
            text=read_text(text, None),
            sender=sender,
            profile=profile,
            max_segments=max_segments,
            flash=flash,
            at=at,
            ttl=ttl,
            label=label,
            foreign_id=foreign_id,
            performance_tracking=performance_tracking,
            no_reload=no_reload,
            unicode=unicode,
            utf8=utf8,
            udh=udh,
            attach=attach or [],
            attach_validity=attach_validity,
            attach_password=password,
            test=test,
            store_text=not no_store_text,
        )
        plan = plan_send(args, dry_run=dry_run)
        plan_notes(plan)
        if dry_run:
            report = dry_run_report(plan)
        else:
            try:
                history = History()
            except StorageError as exc:
                raise StorageError(
                    f"{exc.message}; nothing was sent", path=exc.path, hint=exc.hint
                ) from None
            try:
                report = execute(plan, timeout=timeout, history=history)
            finally:
                history.close()
        with results_written(None if dry_run else _what_went_out(report)):
            emit(report, json=json)
        explain(report)
        raise typer.Exit(int(report.exit_code))


def _what_went_out(report: SendReport) -> str:
    from sms_cli.core.status import ACCEPTED_STATUSES
    from sms_cli.errors import ExitCode

    if report.not_sent and any(r.status in ACCEPTED_STATUSES for r in report.results):
        return "some of the messages WERE sent"
    return {
        ExitCode.OK: "the messages WERE sent",
        ExitCode.PARTIAL: "some of the messages WERE sent",
        ExitCode.UNKNOWN_OUTCOME: "the messages may have been sent",
    }.get(report.exit_code, "the provider refused the messages")
