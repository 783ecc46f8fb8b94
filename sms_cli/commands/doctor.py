"""`smsctl doctor`: paths, permissions, profiles, tokens, clock and completions, checked."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import CheckTimeoutOption, JsonFlag, handled_errors


def doctor_command(
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Do not ask the providers; check only what is local."),
    ] = False,
    timeout: CheckTimeoutOption = 10.0,
    json: JsonFlag = False,
) -> None:
    """Check smsctl's set-up: paths and permissions, profiles, tokens, clock, completions.

    Each check is ok, info, warning, error or skipped, with how to fix it. Exit 0 without
    errors (warnings allowed); else 5 (a token rejected), 6 (a provider unreachable) or 4
    (configuration or local storage), the most serious first.
    """
    with handled_errors():
        from sms_cli.render.doctor import emit_doctor
        from sms_cli.services.doctor import run

        report = run(timeout=timeout, offline=offline)
        emit_doctor(report, json=json)
        code = report.exit_code
    if code:
        raise typer.Exit(int(code))
