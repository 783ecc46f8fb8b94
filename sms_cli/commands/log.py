"""`smsctl log`: what was sent, from the local history, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, handled_errors
from sms_cli.commands.profile import complete_profile_name


def _complete_status(incomplete: str) -> list[str]:
    from sms_cli.providers.base import STATUSES

    return [s for s in STATUSES if s.startswith(incomplete)]


def log_command(
    to: Annotated[
        str | None, typer.Option("--to", help="Only messages to this number.", show_default=False)
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only messages in this state.",
            autocompletion=_complete_status,
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only messages sent since: a date (2026-11-01), a time, or an age (30m, 12h, 7d).",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Only messages sent with this profile.",
            autocompletion=complete_profile_name,
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("-n", "--limit", min=1, help="At most this many.")] = 20,
    json: JsonFlag = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV, for export.")] = False,
) -> None:
    """Show the local history of sent messages, newest first."""
    with handled_errors():
        from sms_cli import output, render
        from sms_cli.errors import InputError
        from sms_cli.history import History, parse_since
        from sms_cli.numbers import check as check_number

        if json and csv:
            raise InputError("choose --json or --csv, not both")
        from sms_cli.providers.base import STATUSES

        if status is not None and status not in STATUSES:
            raise InputError(f"--status must be one of {', '.join(STATUSES)}")
        recipient = None
        if to is not None:
            normalised = check_number(to)
            recipient = normalised if isinstance(normalised, str) else to
        history = History()
        try:
            rows = history.query(
                recipient=recipient,
                status=status,
                since=parse_since(since) if since else None,
                profile=profile,
                limit=limit,
            )
        finally:
            history.close()
        if json:
            output.print_json(render.log_json(rows))
        elif csv:
            render.log_csv(rows)
        else:
            render.log_human(rows)
