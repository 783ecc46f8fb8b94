"""`smsctl balance`: the account's credit, where the provider reports it."""

from __future__ import annotations

from sms_cli.commands._runtime import JsonFlag, ProfileOption, TimeoutOption, handled_errors


def balance_command(
    profile: ProfileOption = None, timeout: TimeoutOption = 30.0, json: JsonFlag = False
) -> None:
    """Show the account balance, for providers with a balance API (see smsctl providers)."""
    with handled_errors():
        from sms_cli.render.account import emit
        from sms_cli.services import account

        resolved, balance = account.balance(profile, timeout)
        emit(resolved, balance, json=json)
