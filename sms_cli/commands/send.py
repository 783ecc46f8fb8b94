"""`smsctl send`: one text to one or more recipients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sms_cli.commands._runtime import (
    JsonFlag,
    ProfileOption,
    TextArgument,
    TimeoutOption,
    handled_errors,
    is_stdin,
    read_text,
    require_utf8,
    results_written,
)
from sms_cli.commands._send_options import (
    AtOption,
    AttachOption,
    AttachPasswordEnvOption,
    AttachValidityOption,
    FlashOption,
    ForeignIdOption,
    LabelOption,
    NoReloadOption,
    PerformanceTrackingOption,
    TestOption,
    TtlOption,
    UdhOption,
    UnicodeOption,
    Utf8Option,
)

if TYPE_CHECKING:
    from sms_cli.services.sending import SendReport


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
    to_file: Annotated[
        str | None,  # as typed: Path('./-') would be '-'
        typer.Option(
            "--to-file",
            help="Read recipients from a file ('-': standard input), one a line; blank lines "
            "and # comments are skipped. Adds to --to.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,  # as typed: Path('./-') would be '-'
        typer.Option(
            "--file",
            help="Read the text from a UTF-8 file ('-': standard input), as split --file does.",
            show_default=False,
        ),
    ] = None,
    smart: Annotated[
        bool,
        typer.Option(
            "--smart",
            help="Send typographic look-alikes (curly quotes, dashes, odd spaces) as GSM "
            "characters when that makes the whole text GSM-7 (see smsctl split --smart).",
        ),
    ] = False,
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
    flash: FlashOption = False,
    at: AtOption = None,
    ttl: TtlOption = None,
    label: LabelOption = None,
    foreign_id: ForeignIdOption = None,
    performance_tracking: PerformanceTrackingOption = False,
    no_reload: NoReloadOption = False,
    unicode: UnicodeOption = False,
    utf8: Utf8Option = False,
    udh: UdhOption = None,
    attach: AttachOption = None,
    attach_validity: AttachValidityOption = None,
    attach_password_env: AttachPasswordEnvOption = None,
    test: TestOption = False,
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
        from dataclasses import replace

        from sms_cli.core.redaction import register_secret
        from sms_cli.errors import InputError, StorageError
        from sms_cli.render.send import emit, explain, plan_notes, repeat_warning
        from sms_cli.services.sending import (
            SendArgs,
            dry_run_report,
            execute,
            plan_send,
            recent_duplicates,
            refuse_attach_extras,
        )
        from sms_cli.storage.messages import History

        if not to and to_file is None:
            raise InputError("no recipients: give at least one --to NUMBER (or --to-file PATH)")
        for number in to or ():
            require_utf8(number, "--to")
        from_stdin = _stdin_text(text, file)
        if is_stdin(to_file) and from_stdin:
            raise InputError(
                "standard input cannot hold both the text and the recipients",
                hint="give the text as an argument or with --file PATH, or the recipients "
                "with --to-file PATH",
            )
        recipients_file = _recipient_lines(to_file)
        message = read_text(None, None) if from_stdin else read_text(text, file)
        if sender is not None:
            require_utf8(sender, "--from")
        refuse_attach_extras(
            bool(attach), attach_validity is not None, attach_password_env is not None
        )
        password = None
        if attach_password_env:
            password = os.environ.get(attach_password_env)
            if not password:
                raise InputError(f"--attach-password-env: ${attach_password_env} is not set")
            register_secret(password)
        args = SendArgs(
            to=to or [],
            text=message,
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
            smart=smart,
            to_file=recipients_file,
            to_file_name=None if to_file is None else f"--to-file {to_file}",
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
                recent = recent_duplicates(plan, history)
                if recent is not None:
                    repeat_warning(plan, recent)
                report = execute(plan, timeout=timeout, history=history)
            finally:
                history.close()
            if recent is not None:
                report = replace(report, recently_sent=recent.recipients)
        with results_written(None if dry_run else _what_went_out(report)):
            emit(report, json=json)
        explain(report)
        raise typer.Exit(int(report.exit_code))


def _stdin_text(text: str | None, file: str | None) -> bool:
    """Whether the text comes from standard input: no text, '-', or --file - (or /dev/stdin)."""
    from sms_cli.errors import InputError

    if file is not None and text is not None:
        raise InputError("give the text as an argument or with --file, not both")
    if file is not None:
        return is_stdin(file)
    return text is None or text == "-"


def _recipient_lines(path: str | None) -> tuple[tuple[int, str], ...]:
    """--to-file's recipients (PATH, or '-': standard input), at most RECIPIENTS_LIMIT bytes."""
    from sms_cli.commands._runtime import RECIPIENTS_LIMIT, decode_input, read_input
    from sms_cli.services.sending import recipient_lines

    if path is None:
        return ()
    data = read_input(path, option="--to-file", limit=RECIPIENTS_LIMIT)
    return recipient_lines(decode_input(data, f"--to-file {path}"))


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
