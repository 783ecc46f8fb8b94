"""Amounts of money as every command shows them: one format, always with the currency."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

_MIN_PLACES = 2
_MAX_PLACES = 4


def format_money(amount: Decimal | float | int, currency: str | None) -> str:
    """`amount` with two to four decimals (0.075 stays 0.075, 3 is 3.00; more places are
    rounded half-even) and the currency code after it: "0.075 EUR". Without a known currency
    the number says so: "0.075 (currency unknown)", never a bare figure a reader could misread."""
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
        value = value.quantize(Decimal(1).scaleb(-_MAX_PLACES), rounding=ROUND_HALF_EVEN)
        if value.is_zero():
            value = value.copy_abs()  # never "-0.00", also for what rounds to 0
    except (InvalidOperation, ValueError):
        return f"{amount} {currency or '(currency unknown)'}"
    text = f"{value:f}"
    whole, _, places = text.partition(".")
    places = places.rstrip("0").ljust(_MIN_PLACES, "0")
    number = f"{whole}.{places}"
    return f"{number} {currency}" if currency else f"{number} (currency unknown)"
