"""`smsctl balance`: the account's credit, where the provider reports it."""

from __future__ import annotations

from sms_cli.commands._runtime import JsonFlag, ProfileOption, TimeoutOption, handled_errors


def balance_command(
    profile: ProfileOption = None, timeout: TimeoutOption = 30.0, json: JsonFlag = False
) -> None:
    """Show the account balance, for providers with a balance API (see smsctl providers)."""
    with handled_errors():
        from sms_cli.render import output
        from sms_cli.services import account

        resolved, balance = account.balance(profile, timeout)
        if json:
            output.print_json(
                {
                    "profile": resolved.profile.name,
                    "provider": resolved.provider,
                    "amount": balance.amount,
                    "currency": balance.currency,
                }
            )
        else:
            from sms_cli.core.printable import visible

            # The currency is the provider's text: shown, never obeyed by the terminal.
            line = f"{balance.amount:.2f} {visible(balance.currency)}".rstrip()
            output.stdout().write(line + "\n")
