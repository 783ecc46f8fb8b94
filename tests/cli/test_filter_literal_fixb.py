"""Senders stored as the provider sent them (a short code `+72345`, a national number stored as
`+0709999998`) can be used as filters; a national number needing a region keeps its hint."""

from __future__ import annotations

import json

from sms_cli.core.callbacks import InboundEvent
from sms_cli.storage.messages import History
from tests.cli.conftest import Invoke
from tests.cli.test_send_daily_filters import _add_profile

ME = "+46701234567"


def _receive(*senders: str) -> None:
    history = History()
    try:
        for n, sender in enumerate(senders):
            history.receive(
                InboundEvent(provider="connectel", id=f"in{n}", sender=sender,
                             recipient=ME, text="yo")
            )  # fmt: skip
    finally:
        history.close()


def _senders(smsctl: Invoke, *args: str) -> list[str]:
    result = smsctl(["inbox", "--json", *args])
    assert result.exit_code == 0, result.stderr
    return [m["from"] for m in json.loads(result.stdout)["messages"]]


def test_a_short_code_filters_with_or_without_plus(smsctl: Invoke) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    _receive("+72345", "+46709999999", "72345")
    assert sorted(_senders(smsctl, "--from", "72345")) == ["+72345", "72345"]
    assert sorted(_senders(smsctl, "--from", "+72345")) == ["+72345", "72345"]


def test_a_sender_stored_as_written_filters(smsctl: Invoke) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    _receive("+0709999998", "+46709999998", "+46709999999")
    assert _senders(smsctl, "--from", "+0709999998") == ["+0709999998"]
    # The national spelling with the profile's region: the number and the stored spelling.
    assert sorted(_senders(smsctl, "--from", "0709999998")) == ["+0709999998", "+46709999998"]


def test_a_national_number_needing_a_region_keeps_its_hint(smsctl: Invoke) -> None:
    _add_profile(smsctl, "work")
    _receive("+72345")
    result = smsctl(["inbox", "--from", "0709999999"])
    assert result.exit_code == 2
    assert "smsctl profile set work --region XX" in result.stderr
    assert smsctl(["inbox", "--from", "+4612"]).exit_code == 2  # stored nowhere: a typo
