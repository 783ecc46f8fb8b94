"""`smsctl log`: what was sent, from the local history, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import (
    JsonFlag,
    LimitOption,
    NoPagerFlag,
    SinceOption,
    complete_profile_name,
    handled_errors,
)


def _complete_status(incomplete: str) -> list[str]:
    from sms_cli.core.status import STATUSES
    from sms_cli.storage.messages import NOT_SENT

    return [s for s in (*STATUSES, NOT_SENT) if s.startswith(incomplete)]


def log_command(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Only messages to this number: +46…, 0046…, or national with the profile's "
            "region (as send reads it); or a group:NAME / contact:NAME entry.",
            show_default=False,
        ),
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
    since: SinceOption = None,
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
    limit: LimitOption = 20,
    json: JsonFlag = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV, for export.")] = False,
    no_pager: NoPagerFlag = False,
) -> None:
    """Show the local history of sent messages, newest first."""
    with handled_errors():
        from sms_cli.core.times import parse_since
        from sms_cli.errors import InputError
        from sms_cli.render.log import emit
        from sms_cli.services.filters import number_filter
        from sms_cli.storage.messages import History

        if json and csv:
            raise InputError("choose --json or --csv, not both")
        from sms_cli.core.status import STATUSES
        from sms_cli.storage.messages import NOT_SENT

        known = (*STATUSES, NOT_SENT)
        if status is not None and status not in known:
            raise InputError(f"--status must be one of {', '.join(known)}")
        recipient = number_filter(to, option="--to", column="messages.recipient", profile=profile)
        history = History()
        try:
            rows = history.query(
                recipient=recipient,
                status=status,
                since=parse_since(since) if since is not None else None,
                profile=profile,
                limit=limit,
            )
        finally:
            history.close()
        if not rows and profile is not None:
            # -p names a profile: one that does not exist (a typo) is exit 4, as for any
            # command, unless the history still has its messages (a profile since removed).
            from sms_cli.services import profiles as profile_service

            loaded = profile_service.load()
            if profile not in loaded.profiles and profile not in loaded.broken:
                loaded.get(profile)  # ConfigError naming the profiles there are
        from sms_cli.render.pager import paged

        with paged(enabled=not (json or csv or no_pager)):
            emit(rows, json=json, csv=csv)
