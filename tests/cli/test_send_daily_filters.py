"""Issue 15 item 7: number filters read a national number with the region of the profile the
command would use, exactly as `send` reads a recipient; a bad number is exit 2, not "no rows"."""

from __future__ import annotations

import json

import pytest

from sms_cli.core.callbacks import InboundEvent
from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash
from tests.cli.conftest import Invoke

STORED = "+46701234567"
OTHER = "+46709999999"


def _rows(stdout: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(stdout)["messages"]
    return rows


def _seed_history() -> None:
    history = History()
    try:
        for n, recipient in enumerate((STORED, STORED, "+4917612345678")):
            record = MessageRecord(
                local_id=f"L{n}",
                batch_id=f"B{n}",
                profile="se",
                provider="connectel",
                recipient=recipient,
                sender=None,
                text="hi",
                text_sha256=text_hash("hi"),
                segments=1,
                encoding="gsm7",
            )
            history.record_intent([record])
            history.record_outcomes([Outcome(f"L{n}", "queued", provider_id=f"P{n}")])
        for n, sender in enumerate((OTHER, OTHER, "+4917612345678")):
            history.receive(
                InboundEvent(provider="connectel", id=f"in{n}", sender=sender,
                             recipient=STORED, text="yo")
            )  # fmt: skip
    finally:
        history.close()


def _add_profile(smsctl: Invoke, name: str, *extra: str) -> None:
    result = smsctl(
        ["profile", "add", name, "--provider", "connectel", "--token-stdin", *extra],
        input="tok-abcdef-123456\n",
    )
    assert result.exit_code == 0, result.stderr


def test_log_to_national_number_uses_the_default_profiles_region(smsctl: Invoke) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    _seed_history()
    result = smsctl(["log", "--to", "070-123 45 67", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = _rows(result.stdout)
    assert len(rows) == 2 and {r["recipient"] for r in rows} == {STORED}


def test_log_to_uses_the_region_of_the_profile_given_or_in_the_environment(
    smsctl: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_profile(smsctl, "de", "--region", "DE")
    _add_profile(smsctl, "se", "--region", "SE")
    smsctl(["profile", "use", "de"])
    _seed_history()
    assert smsctl(["log", "--to", "0701234567", "--json"]).exit_code == 2  # DE: not valid
    assert len(_rows(smsctl(["log", "--to", "0701234567", "-p", "se", "--json"]).stdout)) == 2
    monkeypatch.setenv("SMSCTL_PROFILE", "se")
    result = smsctl(["inbox", "--from", "0709999999", "--json"])
    assert result.exit_code == 0, result.stderr
    assert [r["from"] for r in _rows(result.stdout)] == [OTHER, OTHER]


def test_inbox_from_and_to_national_numbers(smsctl: Invoke) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    _seed_history()
    result = smsctl(["inbox", "--from", "070 999 99 99", "--to", "0701234567", "--json"])
    assert result.exit_code == 0, result.stderr
    assert len(_rows(result.stdout)) == 2


@pytest.mark.parametrize("spelling", ["+46701234567", "0046 70 123 45 67", "46701234567"])
def test_international_spellings_need_no_profile(smsctl: Invoke, spelling: str) -> None:
    _seed_history()
    result = smsctl(["log", "--to", spelling, "--json"])
    assert result.exit_code == 0, result.stderr
    assert len(_rows(result.stdout)) == 2


def test_a_national_number_without_a_region_names_the_profile_set_command(
    smsctl: Invoke,
) -> None:
    _add_profile(smsctl, "work")
    _seed_history()
    for args in (["log", "--to", "0701234567"], ["inbox", "--from", "0709999999"]):
        result = smsctl(args)
        assert result.exit_code == 2, result.stderr
        assert "smsctl: error: --" in result.stderr
        assert "smsctl profile set work --region XX" in result.stderr
        assert result.stdout == ""


def test_a_national_number_with_no_profile_at_all_says_how_to_add_one(smsctl: Invoke) -> None:
    _seed_history()
    result = smsctl(["log", "--to", "0701234567"])
    assert result.exit_code == 2
    assert "smsctl profile add NAME --provider NAME --region XX" in result.stderr


@pytest.mark.parametrize("bad", ["+4612", "0046", "12-34", " "])
def test_an_invalid_number_in_a_filter_is_exit_2(smsctl: Invoke, bad: str) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    _seed_history()
    for args in (["log", "--to", bad], ["inbox", "--from", bad], ["inbox", "--to", bad]):
        result = smsctl(args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_names_still_filter_as_given(smsctl: Invoke) -> None:
    _seed_history()
    assert _rows(smsctl(["log", "--to", "group:Team", "--json"]).stdout) == []
    assert smsctl(["inbox", "--from", "MyBank", "--json"]).exit_code == 0
