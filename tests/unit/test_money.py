from __future__ import annotations

from decimal import Decimal

import pytest

from sms_cli.core.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (0.15, "EUR", "0.15 EUR"),
        (Decimal("0.0750"), "EUR", "0.075 EUR"),
        (3, "SEK", "3.00 SEK"),
        (0.123456, "EUR", "0.1235 EUR"),
        (0.00005, "EUR", "0.00 EUR"),
        (12.5, None, "12.50 (currency unknown)"),
    ],
)
def test_one_format_with_the_currency(amount: object, currency: str | None, shown: str) -> None:
    assert format_money(amount, currency) == shown  # type: ignore[arg-type]


@pytest.mark.parametrize(("given", "stored"), [("eur", "EUR"), (" SEK ", "SEK")])
def test_a_profile_currency_is_an_iso_code(given: str, stored: str) -> None:
    from sms_cli.storage.profiles import validate_currency

    assert validate_currency(given) == stored


@pytest.mark.parametrize("given", ["", "EURO", "€", "E1R", "ÅÄÖ"])
def test_a_bad_currency_is_an_input_error(given: str) -> None:
    from sms_cli.errors import InputError
    from sms_cli.storage.profiles import validate_currency

    with pytest.raises(InputError):
        validate_currency(given)
