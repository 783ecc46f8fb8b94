"""`smsctl hooks`: register, list and remove the provider's webhooks, where its API allows."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, ProfileOption, TimeoutOption, handled_errors

EVENTS = ("all", "dlr", "sms_mo")
METHODS = ("POST", "GET", "JSON")

hooks_app = typer.Typer(
    name="hooks",
    help="Register the URLs the provider pushes delivery reports and inbound SMS to (providers "
    "with a webhook API; see smsctl providers).",
    no_args_is_help=True,
)


def _complete_event(incomplete: str) -> list[str]:
    return [e for e in EVENTS if e.startswith(incomplete)]


def _complete_method(incomplete: str) -> list[str]:
    return [m for m in METHODS if m.startswith(incomplete.upper())]


@hooks_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="The public URL smsctl listen prints.")],
    event: Annotated[
        str,
        typer.Option(
            "--event",
            help="What to push: dlr (delivery reports), sms_mo (inbound SMS) or all.",
            autocompletion=_complete_event,
        ),
    ] = "all",
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="How the provider calls: POST (a form), GET (a query string) or JSON.",
            autocompletion=_complete_method,
        ),
    ] = "POST",
    profile: ProfileOption = None,
    timeout: TimeoutOption = 30.0,
    json: JsonFlag = False,
) -> None:
    """Register a webhook: the provider will push events to URL."""
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.hooks import emit_added
        from sms_cli.services import account
        from sms_cli.storage.profiles import validate_base_url

        if event not in EVENTS:
            raise InputError(f"--event must be one of {', '.join(EVENTS)}")
        if method.upper() not in METHODS:
            raise InputError(f"--method must be one of {', '.join(METHODS)}")
        validate_base_url(url)
        with account.hook_manager(profile, timeout) as manager:
            hook_id = manager.add_hook(url, event, method.upper())
        emit_added(hook_id, url=url, event=event, method=method, json=json)


@hooks_app.command("list")
def list_command(
    profile: ProfileOption = None, timeout: TimeoutOption = 30.0, json: JsonFlag = False
) -> None:
    """List the registered webhooks."""
    with handled_errors():
        from sms_cli.render.hooks import emit
        from sms_cli.services import account

        with account.hook_manager(profile, timeout) as manager:
            hooks = manager.hooks()
        emit(hooks, json=json)


@hooks_app.command("remove")
def remove_command(
    hook_id: Annotated[str, typer.Argument(metavar="ID", help="The hook's id (hooks list).")],
    profile: ProfileOption = None,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Remove a webhook."""
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render import output
        from sms_cli.services import account

        with account.hook_manager(profile, timeout) as manager:
            removed = manager.remove_hook(hook_id)
        if not removed:
            raise InputError(f"the provider has no hook {hook_id!r}", hint="smsctl hooks list")
        output.info(f"removed hook {hook_id}")
