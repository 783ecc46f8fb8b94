"""One request per recipient, and what happens when a later one fails: smsctl's sending service
makes the requests (max_recipients_per_request is 1), over loopback HTTP to the emulator, whose
`replay` knob answers the first request as the docs do and the next one as the test needs.

A request refused before it reached Textbelt (401, a rate limit that does not clear, a 404)
leaves its recipient and every later one `not_sent`, never `rejected`: they may be sent again.
An ambiguous answer stops the send too: nothing more is risked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from smsctl_textbelt.emulator import TextbeltEmulator
from textbelt_kit import run
from typer.testing import Result

pytestmark = pytest.mark.usefixtures("no_waiting")


NUMBERS = ("+12025550101", "+12025550102", "+12025550103")
SENT = '{"success": true, "quotaRemaining": 40, "textId": "12345"}'


def send_three(emulator: TextbeltEmulator, second: dict[str, Any] | None) -> Result:
    if second is not None:
        emulator.set({"replay": [SENT, second]})
    return run("send", "--json", *(a for n in NUMBERS for a in ("--to", n)), "Hello")


def phones(emulator: TextbeltEmulator) -> list[str]:
    return [r.form()["phone"] for r in emulator.requests if r.path == "/text"]


def logged() -> dict[str, str]:
    result = run("log", "--json")
    assert result.exit_code == 0, result.stderr
    return {m["recipient"]: m["status"] for m in json.loads(result.stdout)["messages"]}


@pytest.mark.parametrize(
    ("second", "code", "why"),
    [
        ({"status": 401, "body": '{"success": false, "error": "Invalid API key"}'}, 5, "token"),
        ({"status": 429, "body": "{}"}, 6, "rate limit"),
        ({"status": 404, "body": "Cannot POST /text", "content_type": "text/plain"}, 4, "404"),
    ],
    ids=["auth", "rate-limit", "not-found"],
)
def test_a_later_request_refused_before_textbelt_leaves_the_rest_not_sent(
    profile: str, emulator: TextbeltEmulator, second: dict[str, Any], code: int, why: str
) -> None:
    result = send_three(emulator, second)
    assert result.exit_code == code, result.stderr
    items = json.loads(result.stdout)["results"]
    assert [(r["recipient"], r["status"]) for r in items] == [
        (NUMBERS[0], "queued"),
        (NUMBERS[1], "not_sent"),
        (NUMBERS[2], "not_sent"),
    ]
    assert why in items[1]["error"] and items[1]["error"].startswith("not sent: ")
    assert "not tried" in items[2]["error"]
    assert phones(emulator) == list(NUMBERS[:2])  # the third was never requested
    assert "2 message(s) were not sent" in result.stderr
    assert logged() == {NUMBERS[0]: "queued", NUMBERS[1]: "not_sent", NUMBERS[2]: "not_sent"}
    # Not a delivery state, and not final: `status` says never sent (6), not rejected (7).
    status = run("status", "--json", items[2]["local_id"])
    assert status.exit_code == 6, status.stderr
    assert json.loads(status.stdout)["messages"][0]["status"] == "not_sent"


def test_an_ambiguous_answer_stops_the_send_and_the_rest_are_not_sent(
    profile: str, emulator: TextbeltEmulator
) -> None:
    result = send_three(emulator, {"status": 502, "body": "<html>bad gateway</html>"})
    assert result.exit_code == 8, result.stderr
    items = json.loads(result.stdout)["results"]
    assert [r["status"] for r in items] == ["queued", "unknown", "not_sent"]
    assert "unknown" in items[2]["error"]
    assert phones(emulator) == list(NUMBERS[:2])
    assert logged() == {NUMBERS[0]: "queued", NUMBERS[1]: "unknown", NUMBERS[2]: "not_sent"}


def test_the_first_request_refused_is_an_auth_error_and_nothing_is_sent(
    profile: str, emulator: TextbeltEmulator
) -> None:
    emulator.tokens = {"another-key"}
    result = send_three(emulator, None)
    assert result.exit_code == 5, result.stderr
    assert result.stdout == ""
    assert phones(emulator) == [NUMBERS[0]]
    assert set(logged().values()) == {"not_sent"}


def test_every_recipient_gets_its_own_request(profile: str, emulator: TextbeltEmulator) -> None:
    result = send_three(emulator, None)
    assert result.exit_code == 0, result.stderr
    assert [r["status"] for r in json.loads(result.stdout)["results"]] == ["queued"] * 3
    assert phones(emulator) == list(NUMBERS)


def test_a_bulk_job_sends_one_recipient_per_request(
    profile: str, emulator: TextbeltEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "to.csv"
    path.write_text("phone\n" + "".join(f"{n}\n" for n in NUMBERS), encoding="utf-8")
    result = run("bulk", str(path), "--message", "Same", "--yes", "--json", "--rate", "1000")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == {"accepted": 3}
    assert sorted(phones(emulator)) == sorted(NUMBERS)
