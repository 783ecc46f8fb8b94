"""The account: `smsctl balance` as one line or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sms_cli.core.money import format_money
from sms_cli.core.printable import visible
from sms_cli.render import output

if TYPE_CHECKING:
    from sms_cli.providers.base import Balance
    from sms_cli.storage.profiles import ResolvedProfile


def emit(resolved: ResolvedProfile, balance: Balance, *, json: bool) -> None:
    """`smsctl balance`'s result: JSON, or the amount and currency on one line."""
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
        # The currency is the provider's text: shown, never obeyed by the terminal.
        currency = visible(balance.currency).strip() or None
        output.stdout().write(format_money(balance.amount, currency) + "\n")
