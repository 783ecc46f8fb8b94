"""Amounts the provider reports carry the provider's currency, never the profile's: the
profile's `currency` belongs only to estimates made from its `price_per_segment`."""

from __future__ import annotations

import json
from pathlib import Path

from sms_cli.providers import registry
from sms_cli.testing.contract import FIRST
from tests.integration.conftest import Emu, run
from tests.integration.test_send_daily import set_profile


def unknown_or(currency: str | None) -> str:
    return currency or "(currency unknown)"


def test_send_prices_and_balance_are_in_the_providers_currency(emu: Emu, profile: str) -> None:
    set_profile(profile, price_per_segment=0.5, currency="SEK")
    billed = registry.get(emu.name).billing_currency
    result = run(["send", "--json", "--to", FIRST, "Hi"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["currency"] == billed
    human = run(["send", "--to", FIRST, "Hi there"])
    assert human.exit_code == 0, human.stderr
    assert "SEK" not in human.stdout, human.stdout
    if document["results"][0]["price"] is not None:
        assert unknown_or(billed) in human.stdout
    # A dry run's total is the estimate at the profile's price: the profile's currency.
    dry = json.loads(run(["send", "--dry-run", "--json", "--to", FIRST, "Hi"]).stdout)
    assert (dry["total_price"], dry["currency"]) == (0.5, "SEK")


def test_bulk_charged_is_in_the_providers_currency(emu: Emu, profile: str, tmp_path: Path) -> None:
    set_profile(profile, price_per_segment=0.5, currency="SEK")
    billed = registry.get(emu.name).billing_currency
    path = tmp_path / "in.csv"
    path.write_text(f"number\n{FIRST}\n", encoding="utf-8")
    done = run(["bulk", str(path), "--message", "Hi", "--yes", "--json"])
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["currency"] == billed
    shown = json.loads(run(["bulk", "show", "last", "--json"]).stdout)
    assert (shown["cost"]["currency"], shown["cost"]["estimate_currency"]) == (billed, "SEK")
    human = run(["bulk", "show", "last"])
    assert "0.50 SEK (0.50 SEK per segment)" in human.stdout, human.stdout
    if shown["cost"]["charged"] is not None:
        charged = next(line for line in human.stdout.splitlines() if line.startswith("charged"))
        assert unknown_or(billed) in charged and "SEK" not in charged
