"""`smsctl status` with ids nobody knows, over loopback HTTP against both emulators.

An id neither in the history nor known to the provider is a usage error (exit 2) naming the id,
with nothing on stdout; an id the history knows but the provider does not keeps its recorded
state, with a note. The word `None` never appears.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import Result

from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_send_contract import FIRST, document, send

GHOST = "no-such-message-4711"


def status(*args: str) -> Result:
    result = run(["status", *args])
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "bug in smsctl" not in text, text
    assert "None" not in text, text
    assert CANARY not in text
    return result


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["human", "json"])
def test_an_id_nobody_knows_is_a_usage_error_naming_it(
    emu: Emu, profile: str, json_flag: list[str]
) -> None:
    result = status(*json_flag, GHOST)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert f"message {GHOST}: not found at the provider" in result.stderr
    assert "nor in the local history" in result.stderr
    assert "smsctl log" in result.stderr  # how to find the right id
    # The error and its hint: two lines, or with --json one object holding both (issue 15).
    assert len(result.stderr.strip().splitlines()) == (1 if json_flag else 2)
    assert emu.requests()  # the provider was asked


def test_wait_on_an_id_nobody_knows_ends_at_once(emu: Emu, profile: str) -> None:
    result = status("--wait", "--timeout", "5", "--interval", "5", GHOST)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert GHOST in result.stderr


def test_two_unknown_ids_are_both_named(emu: Emu, profile: str) -> None:
    result = status(GHOST, "another-ghost")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert GHOST in result.stderr and "another-ghost" in result.stderr


def test_a_known_id_beside_an_unknown_one_is_still_a_usage_error(emu: Emu, profile: str) -> None:
    sent = document(send("--to", FIRST, "Hi"))
    result = status("--json", sent["results"][0]["id"], GHOST)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert GHOST in result.stderr


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["human", "json"])
def test_the_known_results_are_shown_before_the_unknown_ids_error(
    emu: Emu, profile: str, json_flag: list[str]
) -> None:
    """The review's `smsctl status KNOWN UNKNOWN`: the known result was thrown away."""
    sent = document(send("--to", FIRST, "Hi"))
    known = sent["results"][0]["id"]
    result = status(*json_flag, known, GHOST, "another-ghost")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    if json_flag:
        (message,) = json.loads(result.stdout)["messages"]
        assert message["id"] == known and message["status"] != "unknown"
    else:
        assert known in result.stdout
    assert GHOST in result.stderr and "another-ghost" in result.stderr
    assert known not in result.stderr
    title = {"connectel": "Connectel", "seven": "seven.io"}[emu.name]
    assert f"({title}, profile " in result.stderr  # several ids keep provider and profile


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_an_empty_id_is_a_usage_error_before_any_request(
    emu: Emu, profile: str, blank: str
) -> None:
    before = len(emu.requests())
    result = status(blank)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "an empty message id" in result.stderr
    assert len(emu.requests()) == before  # nothing asked


def test_an_unknown_ids_escapes_are_shown_and_a_long_one_is_cut(emu: Emu, profile: str) -> None:
    hostile = "ghost\x1b]0;pwned\x07\x1b[2J"
    result = status(hostile)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "ghost" in result.stderr
    long = "L" * 5000
    result = status(long)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "L" * 39 + "…" in result.stderr
    assert len(result.stderr) < 400


@pytest.mark.parametrize("recorded", ["enroute", "unknown"])
def test_an_id_in_the_history_the_provider_does_not_know_keeps_its_state(
    emu: Emu, profile: str, recorded: str
) -> None:
    history = History()
    try:
        record_sent(history, "local-ghost", emu.name, "ghost-77", recorded)
    finally:
        history.close()
    result = status("--json", "local-ghost")
    assert result.exit_code == (8 if recorded == "unknown" else 0), result.stderr
    (message,) = json.loads(result.stdout)["messages"]
    assert (message["id"], message["status"], message["local_id"]) == (
        "ghost-77",
        recorded,
        "local-ghost",
    )
    assert "does not know this id" in message["note"]
    assert "+4917612345678: " in result.stderr  # named by its recipient, never `None`
    human = status("local-ghost")
    assert "ghost-77" in human.stdout
    assert "does not know this id" in human.stderr


def test_a_wrong_base_url_is_exit_4_against_the_sandbox_too(emu: Emu) -> None:
    """The emulators answer a path their API lacks as a web server does, so a base URL with a
    wrong path is told apart from an id the provider does not know, for status as for send."""
    result = run(
        ["profile", "add", "wrong", "--provider", emu.name, "--base-url", f"{emu.root}/wrong",
         "--token-stdin"],
        input=CANARY,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    result = run(["status", "--profile", "wrong", "ghost-4711"])
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "--base-url" in result.stderr and "not found at the provider" not in result.stderr
