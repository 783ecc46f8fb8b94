"""`smsctl inbox`: the SMS received by `smsctl listen`, newest first."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import (
    JsonFlag,
    LimitOption,
    NoPagerFlag,
    ProfileOption,
    SinceOption,
    handled_errors,
)


def _complete_provider(incomplete: str) -> list[str]:
    from sms_cli.providers import registry

    return [name for name in registry.available() if name.startswith(incomplete)]


def inbox_command(
    sender: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Only messages from this number (+46…, 0046…, or national with the region of "
            "the profile: -p, else SMSCTL_PROFILE, else the default) or sender name.",
            show_default=False,
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Only messages to this (your) number, read as --from is.",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="Only messages through this provider.",
            autocompletion=_complete_provider,
            show_default=False,
        ),
    ] = None,
    profile: ProfileOption = None,
    since: SinceOption = None,
    limit: LimitOption = 20,
    json: JsonFlag = False,
    no_pager: NoPagerFlag = False,
) -> None:
    """Show received SMS, newest first (stored by `smsctl listen`).

    Messages to every profile are shown; -p only chooses the region that reads a national number
    in --from/--to."""
    with handled_errors():
        from sms_cli.core.times import parse_since
        from sms_cli.render.received import emit
        from sms_cli.services.filters import number_filter
        from sms_cli.services.profiles import provider as validate_provider
        from sms_cli.storage.messages import History

        if provider is not None:
            validate_provider(provider)
        sender_filter = number_filter(
            sender, option="--from", column="inbound.sender", profile=profile
        )
        recipient_filter = number_filter(
            to, option="--to", column="inbound.recipient", profile=profile
        )
        history = History()
        try:
            rows = history.inbox(
                sender=sender_filter,
                recipient=recipient_filter,
                provider=provider,
                since=parse_since(since) if since is not None else None,
                limit=limit,
            )
        finally:
            history.close()
        from sms_cli.render.pager import paged

        with paged(enabled=not (json or no_pager)):
            emit(rows, json=json)
