"""Issue 15 item 8: seven.io's reload lock (PROVIDERS.md §4.3, code 402) is named as such, the
recipients it kept from the text are listed as not sent, and smsctl warns before a repeat."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_send_contract import FIRST, SECOND, document, send, statuses


@pytest.fixture
def provider() -> str:
    return "seven"


def test_a_repeat_is_warned_about_then_named_as_the_reload_lock(emu: Emu, profile: str) -> None:
    first = send("--to", FIRST, "Same text")
    assert first.exit_code == 0, first.stderr
    assert "within the last" not in first.stderr  # nothing before it
    again = send("--to", FIRST, "--to", SECOND, "Same text")
    assert again.exit_code == 7
    lines = again.stderr.splitlines()
    warning = next(line for line in lines if line.startswith("smsctl: warning:"))
    assert f"this text went to {FIRST} within the last 180 s" in warning
    assert SECOND not in warning
    assert "may refuse" in warning and "--no-reload" in warning
    # `send` runs with --json: the error is one JSON object, the last line; the warning before it.
    error = json.loads(lines[-1])["error"]
    assert error["message"].startswith(
        f"refused by seven.io's reload lock: this text went to {FIRST} within the last 180 s"
    )
    assert f"nothing was sent to: {FIRST}, {SECOND}" in error["message"]
    assert error["hint"] == "send again with --no-reload to lift the lock for this send"
    assert error["exit_code"] == 7
    assert lines.index(warning) < len(lines) - 1
    assert statuses(again) == ["rejected", "rejected"]
    for item in document(again)["results"]:
        assert item["error"].startswith("not sent: refused by seven.io's reload lock")
    assert len(emu.messages()) == 1  # only the first went out


def test_no_reload_neither_warns_nor_is_refused(emu: Emu, profile: str) -> None:
    assert send("--to", FIRST, "Same text").exit_code == 0
    again = send("--no-reload", "--to", FIRST, "Same text")
    assert again.exit_code == 0, again.stderr
    assert "within the last" not in again.stderr


def test_another_text_is_no_repeat(emu: Emu, profile: str) -> None:
    assert send("--to", FIRST, "One text").exit_code == 0
    other = send("--to", FIRST, "Another text")
    assert other.exit_code == 0
    assert other.stderr == ""


def test_a_hash_only_history_still_finds_the_repeat(emu: Emu, profile: str) -> None:
    assert send("--no-store-text", "--to", FIRST, "Secret code 1234").exit_code == 0
    again = send("--to", FIRST, "Secret code 1234")
    assert f"this text went to {FIRST} within the last 180 s" in again.stderr


def test_a_refused_send_that_never_went_out_is_no_repeat(emu: Emu, profile: str) -> None:
    emu.set(force_code=500)  # not enough credit: refused, nothing sent
    assert send("--to", FIRST, "Same text").exit_code == 7
    emu.set(force_code=None)
    again = send("--to", FIRST, "Same text")
    assert again.exit_code == 0, again.stderr
    assert "within the last" not in again.stderr


def test_every_refusal_says_why_on_stderr(emu: Emu, profile: str) -> None:
    emu.set(force_code=403)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 7
    error = json.loads(result.stderr.splitlines()[-1])["error"]
    assert error["message"].startswith("seven.io refused 1 of 1 message(s): daily limit")
