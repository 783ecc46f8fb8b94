"""More of the send contract, run against every built-in provider's emulator over loopback HTTP.

The exported suite (sms_cli.testing.ProviderContract, run by test_contract_builtins.py) holds the
checks a plugin must pass too; these go further into smsctl's own send command.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import Result

from sms_cli.providers import registry
from sms_cli.storage.messages import History
from sms_cli.testing.contract import CANARY, DOCUMENT_KEYS, FIRST, RESULT_KEYS, SECOND
from tests.conftest import FakeClock
from tests.integration.conftest import Emu, run


def send(*args: str, input: str | None = None) -> Result:
    result = run(["send", "--json", *args], input=input)
    for stream in (result.stdout, result.stderr):
        assert CANARY not in stream
        assert "authorization=" not in stream
    assert "Traceback" not in result.stderr
    return result


def document(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def statuses(result: Result) -> list[str]:
    return [r["status"] for r in document(result)["results"]]


def test_one_recipient_accepted(emu: Emu, profile: str) -> None:
    result = send("--to", FIRST, "Hello from the contract suite")
    assert result.exit_code == 0, result.stderr
    doc = document(result)
    assert set(doc) == DOCUMENT_KEYS
    assert (doc["provider"], doc["profile"], doc["sender"]) == (emu.name, profile, "Acme")
    (item,) = doc["results"]
    assert set(item) == RESULT_KEYS
    assert item["recipient"] == FIRST
    assert item["status"] in ("queued", "enroute")
    assert item["id"]
    assert item["error"] is None
    assert len(emu.sends()) == 1


def test_several_recipients_go_in_one_request(emu: Emu, profile: str) -> None:
    result = send("--to", f"{FIRST},{SECOND}", "--to", "0046701234567", "Hi all")
    assert result.exit_code == 0, result.stderr
    assert [r["recipient"] for r in document(result)["results"]] == [FIRST, SECOND]
    assert len(emu.sends()) == 1
    ids = [r["id"] for r in document(result)["results"]]
    assert len(set(ids)) == 2


def test_bad_token_is_an_auth_error(emu: Emu, profile: str) -> None:
    emu.set(tokens=["some-other-token"])
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "refused" in result.stderr
    assert "smsctl profile show" in result.stderr


def test_rate_limit_is_waited_out_and_retried(
    emu: Emu, profile: str, retry_clock: FakeClock
) -> None:
    emu.faults(mode="rate_limit", times=1, retry_after=0.6)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 0, result.stderr
    assert retry_clock.sleeps == [0.6]  # the sandbox's Retry-After, not the 0.25 s backoff
    assert len(emu.sends()) == 2  # the 429 was not processed, so the retry is the only send


def test_rate_limit_that_never_clears_exits_6(
    emu: Emu, profile: str, retry_clock: FakeClock
) -> None:
    emu.faults(mode="rate_limit", retry_after=0.05)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 6
    assert "rate limited" in result.stderr
    assert len(emu.sends()) == 4  # the first try and three retries
    assert retry_clock.sleeps == [0.05] * 3


def test_a_response_slower_than_the_timeout_is_unknown_and_not_resent(
    emu: Emu, profile: str
) -> None:
    emu.faults(latency=1.5)
    started = time.monotonic()
    result = send("--timeout", "0.4", "--to", FIRST, "Hi")
    assert time.monotonic() - started < 1.4
    assert result.exit_code == 8, result.stderr
    assert statuses(result) == ["unknown"]
    assert "within the timeout" in document(result)["results"][0]["error"]
    emu.wait_idle()  # let the emulator finish the slow answer, then check it got one request
    assert len(emu.sends()) == 1


def test_unknown_outcomes_are_in_the_history(emu: Emu, profile: str) -> None:
    emu.faults(mode="drop_after")
    result = send("--to", FIRST, "Hi there")
    batch = document(result)["batch_id"]
    history = History()
    try:
        (row,) = history.by_batch(batch)
    finally:
        history.close()
    assert (row.recipient, row.status, row.provider) == (FIRST, "unknown", emu.name)
    assert row.text == "Hi there"


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port bound but never listening: a connection to it is refused. Held for the
    whole test, so no other test (or pytest-xdist worker) can bind and answer on it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_connection_refused_is_retried_then_a_clear_error(
    provider: str, retry_clock: FakeClock, refusing_port: int
) -> None:
    dead = f"http://127.0.0.1:{refusing_port}"
    added = run(
        [
            "profile",
            "add",
            "dead",
            "--provider",
            provider,
            "--base-url",
            dead,
            "--sender",
            "Acme",
            "--token-stdin",
        ],
        input=CANARY,
    )
    assert added.exit_code == 0
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 6
    assert "cannot reach" in result.stderr and "nothing was sent" in result.stderr
    assert retry_clock.sleeps == [0.25, 0.5, 1.0]  # three retries with backoff before giving up
    history = History()
    try:
        rows = list(history.connection.execute("SELECT status, error FROM messages"))
    finally:
        history.close()
    assert [(r["status"], r["error"].startswith("not sent")) for r in rows] == [("not_sent", True)]


def test_dry_run_sends_nothing(emu: Emu, profile: str) -> None:
    result = send("--dry-run", "--to", FIRST, "a" * 161)
    assert result.exit_code == 0
    doc = document(result)
    assert doc["dry_run"] is True
    assert doc["preview"]["segment_count"] == 2
    assert [r["status"] for r in doc["results"]] == ["not_sent"]
    assert emu.requests() == []
    human = run(["send", "--dry-run", "--to", FIRST, "a" * 161])
    assert "not sent (dry run)" in human.stdout
    assert "Segments:" in human.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--to", "12345", "Hi"], 2, "invalid phone number"),
        (["--to", FIRST, "--from", "WayTooLongSenderName", "Hi"], 2, "does not fit"),
        (["--to", FIRST, "--max-segments", "1", "a" * 161], 10, "more than --max-segments 1"),
        (["--to", FIRST, ""], 2, "empty"),
        (["Hi"], 2, "no recipients"),
    ],
)
def test_refused_before_any_request(
    emu: Emu, profile: str, args: list[str], code: int, message: str
) -> None:
    result = send(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert emu.requests() == []


def test_text_over_the_providers_limit_is_refused_before_sending(emu: Emu, profile: str) -> None:
    limit = registry.get(emu.name).max_text_chars
    result = send("--to", FIRST, "a" * (limit + 1))
    assert result.exit_code == 2
    assert f"at most {limit}" in result.stderr
    assert emu.requests() == []
    assert send("--to", FIRST, "a" * limit).exit_code == 0


ALL_OPTIONS = {
    "--flash": [],
    "--at": ["2099-01-01 12:00"],
    "--ttl": ["60"],
    "--label": ["spring"],
    "--foreign-id": ["order-17"],
    "--performance-tracking": [],
    "--no-reload": [],
    "--unicode": [],
    "--utf8": [],
    "--udh": ["050003CC0201"],
    "--test": [],
}


@pytest.mark.parametrize("option", sorted(ALL_OPTIONS))
def test_options_the_provider_lacks_are_refused_not_dropped(
    emu: Emu, profile: str, option: str
) -> None:
    text = "4869" if option == "--udh" else "Hi"  # with a UDH the text is hex data
    result = send("--to", FIRST, option, *ALL_OPTIONS[option], text)
    if option in registry.get(emu.name).send_options:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 2
        assert f"does not support {option}" in result.stderr
        assert emu.requests() == []


def test_text_from_stdin(emu: Emu, profile: str) -> None:
    result = send("--to", FIRST, "-", input="Piped text\n")
    assert result.exit_code == 0
    body = emu.sends()[0]["body"]
    assert "Piped" in body
    assert "%0A" not in body and "\\n" not in body  # the final newline was dropped


def test_human_output_is_a_table(emu: Emu, profile: str) -> None:
    result = run(["send", "--to", FIRST, "Hi"])
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split()
    assert header == ["Recipient", "Status", "ID", "Parts", "Price", "Error"]
    assert FIRST in result.stdout


def test_ctrl_c_while_waiting_leaves_the_message_recorded_in_flight(emu: Emu, profile: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    emu.faults(latency=3.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "send", "--to", FIRST, "Hi"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not emu.sends() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    history = History()
    try:
        (row,) = history.query()
    finally:
        history.close()
    assert (row.status, row.provider_status) == ("unknown", "in_flight")
    emu.wait_idle()
    assert len(emu.sends()) == 1
