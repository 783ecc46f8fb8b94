from __future__ import annotations

import pytest

from sms_cli.core.numbers import check, digits, normalise, normalise_all
from sms_cli.errors import InputError


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+46701234567", None, "+46701234567"),
        ("+46 70-123 45 67", None, "+46701234567"),
        ("0046701234567", None, "+46701234567"),
        ("46701234567", None, "+46701234567"),
        ("070-123 45 67", "SE", "+46701234567"),
        ("46701234567", "SE", "+46701234567"),
        ("+49 (176) 1234 5678", None, "+4917612345678"),
        ("0176 12345678", "DE", "+4917612345678"),
    ],
)
def test_accepted_forms(raw: str, region: str | None, expected: str) -> None:
    assert normalise(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("", None, "empty"),
        ("1-800-FLOWERS", None, "letters"),
        ("12345", None, "not a valid number"),
        ("0701234567", None, "not a valid number"),
        ("+46 70#1234567", None, "other than digits"),
        ("+4670123456789012", None, "not a valid number"),
    ],
)
def test_rejected_forms(raw: str, region: str | None, reason: str) -> None:
    result = check(raw, region)
    assert not isinstance(result, str)
    assert reason in result.reason
    with pytest.raises(InputError, match="invalid phone number"):
        normalise(raw, region)


def test_national_number_without_region_hints_at_region() -> None:
    with pytest.raises(InputError) as caught:
        normalise("0701234567")
    assert "--region" in (caught.value.hint or "")


def test_all_comma_lists_and_duplicates() -> None:
    assert normalise_all(["+46701234567, 0046701234567", "46731234567"]) == [
        "+46701234567",
        "+46731234567",
    ]


def test_all_names_every_bad_number() -> None:
    with pytest.raises(InputError) as caught:
        normalise_all(["+46701234567", "abc", "123"])
    assert "'abc'" in caught.value.message and "'123'" in caught.value.message


def test_no_recipients() -> None:
    with pytest.raises(InputError, match="no recipients"):
        normalise_all([" , "])


def test_digits() -> None:
    assert digits("+46701234567") == "46701234567"
