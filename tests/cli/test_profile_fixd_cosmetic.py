"""Round-2 fixes (fix D), small ones: an empty --token-env, a price of -0 or nan, and the
settings a keyring profile's edit draft offers."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from sms_cli.core.money import format_money
from tests.cli.conftest import Invoke
from tests.cli.test_profile_edit import ANY, add_work, editor, edits, runs

__all__ = ["editor"]  # the fixture, used by name below


def test_set_with_an_empty_token_env_says_it_is_empty(smsctl: Invoke) -> None:
    add_work(smsctl)
    for args in (["--token-env="], ["--token-env", " "]):
        result = smsctl(["profile", "set", "work", *args])
        assert result.exit_code == 2, result.stderr
        assert "smsctl: error: --token-env is empty" in result.stderr
        assert "nothing to change" not in result.stderr


def test_a_price_of_minus_0_is_0(smsctl: Invoke, tmp_path: Path) -> None:
    add_work(smsctl)
    result = smsctl(["profile", "set", "work", "--price-per-segment=-0"])
    assert result.exit_code == 0, result.stderr
    assert "-0" not in result.stdout
    table = tomllib.loads((tmp_path / "config" / "profiles.toml").read_text())
    assert str(table["profiles"]["work"]["price_per_segment"]) == "0.0"
    shown = smsctl(["profile", "show", "work"])
    assert "-0" not in shown.stdout


@pytest.mark.parametrize("amount", [-0.0, Decimal("-0"), Decimal("-0.00001"), -0.00004])
def test_money_never_reads_minus_0(amount: Decimal | float) -> None:
    assert format_money(amount, "EUR") == "0.00 EUR"


@pytest.mark.parametrize("price", ["nan", "-nan", "inf", "-1"])
def test_a_price_that_is_no_finite_number_0_or_more_says_so(smsctl: Invoke, price: str) -> None:
    add_work(smsctl)
    add = ["profile", "add", "other", "--provider", ANY, "--token-stdin"]
    for command in (["profile", "set", "work"], add):
        result = smsctl([*command, f"--price-per-segment={price}"], input="tok-abcdef-123456")
        assert result.exit_code == 2, result.stderr
        assert "must be a finite number, 0 or more" in result.stderr, result.stderr


def test_a_keyring_profiles_draft_does_not_offer_the_token(
    smsctl: Invoke, editor: Path, monkeypatch: pytest.MonkeyPatch, file_keyring: Path
) -> None:
    add_work(smsctl, "--token-store", "keyring")
    edits(monkeypatch, None)
    assert smsctl(["profile", "edit", "work"]).exit_code == 0
    (settings,) = [
        line for line in str(runs(editor)[0]["text"]).splitlines() if line.startswith("# Settings:")
    ]
    assert "token" not in settings
    assert "sender" in settings
