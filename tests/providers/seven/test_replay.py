"""seven.io seed answers replayed by the emulator and read by the real client over loopback HTTP;
and the send options the seeds document: `balance`, `encoding`/`parts`, `utf8`, `udh`, and
address-book recipients in `to` (PROVIDERS.md §7.D).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from typer.testing import Result

from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.seven.client import CODE_TEXTS
from sms_cli.storage.messages import History
from tests.fixtures import fixture_json, fixture_text
from tests.integration.conftest import CANARY, Emu, run

SEED_RECIPIENT = "+491771783130"  # the JSON example's recipient
FIRST = "+46701234567"
CODES = fixture_json("seven", "return_codes.json")
# What each documented return code becomes: exit code and per-message status (None: the whole
# request fails with an error). A code the table lists and this does not fails the test.
OUTCOMES: dict[str, tuple[int, str | None]] = {
    "100": (0, "queued"),
    "101": (7, "rejected"),  # failed for at least one recipient: with one number, that one
    "201": (7, "rejected"),
    "202": (7, "rejected"),
    "301": (7, "rejected"),
    "305": (7, "rejected"),
    "401": (7, "rejected"),
    "402": (7, "rejected"),
    "403": (7, "rejected"),
    "500": (7, "rejected"),
    "600": (7, "failed"),
    "700": (8, "unknown"),
    "900": (5, None),
    "901": (5, None),
    "902": (5, None),
    "903": (5, None),
}


@pytest.fixture
def provider() -> str:
    return "seven"


def send(*args: str) -> Result:
    result = run(["send", *args])
    assert CANARY not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def replay(emu: Emu, body: str, **settings: Any) -> None:
    emu.control("replay", {"body": body, **settings})


def rows() -> list[dict[str, Any]]:
    history = History()
    try:
        found = history.connection.execute("SELECT * FROM messages ORDER BY rowid")
        return [dict(row) for row in found]
    finally:
        history.close()


def test_the_json_seed_answer(emu: Emu, profile: str) -> None:
    # The seed's answer is a debug answer (`"debug": "true"`, no id): the reply to `--test`.
    replay(emu, fixture_text("seven", "send_json_debug.json"))
    result = send("--json", "--test", "--to", SEED_RECIPIENT, "Dear customer")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["balance"] == 14.693
    (item,) = doc["results"]
    assert (item["status"], item["id"], item["parts"], item["price"]) == ("queued", None, 1, 0)
    assert item["provider_encoding"] == "gsm"
    (row,) = rows()
    assert (row["provider_encoding"], row["parts"], row["encoding"], row["segments"]) == (
        "gsm",
        1,
        "gsm7",
        1,
    )


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_return_msg_id_seed_answers(emu: Emu, profile: str, language: str) -> None:
    replay(emu, fixture_text("seven", f"send_text_return_msg_id_{language}.txt"))
    result = send("--json", "--to", FIRST, "my first message")
    assert result.exit_code == 0, result.stderr
    (item,) = json.loads(result.stdout)["results"]
    assert (item["status"], item["id"]) == ("queued", "123456789")
    assert rows()[0]["provider_id"] == "123456789"


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_details_seed_answers(emu: Emu, profile: str, language: str) -> None:
    replay(emu, fixture_text("seven", f"send_text_details_{language}.txt"))
    # The seeds' request: to=Group1 (Gruppe1 on the German page), debug and details on.
    name = "Group1" if language == "en" else "Gruppe1"
    result = send("--json", "--test", "--to", f"group:{name}", "Test SMS")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["balance"] == 27.38
    (item,) = doc["results"]
    assert (item["status"], item["price"], item["provider_encoding"]) == ("queued", 0.089, "gsm")
    assert item["recipient"] == item["address_book"] == f"group:{name}"


@pytest.mark.parametrize("code", sorted(set(CODES["en"]) | set(CODES["de"])))
def test_every_seed_return_code_has_a_documented_outcome(emu: Emu, profile: str, code: str) -> None:
    assert code in OUTCOMES, f"return code {code} has no documented smsctl outcome"
    exit_code, status = OUTCOMES[code]
    replay(emu, code)
    result = send("--json", "--to", FIRST, "Hi")
    assert result.exit_code == exit_code, result.stderr
    if status is None:
        assert f"(code {code})" in result.stderr
        assert rows()[0]["status"] == "not_sent"
        return
    (item,) = json.loads(result.stdout)["results"]
    assert (item["status"], item["provider_code"]) == (status, code)
    assert item["provider_text"] == CODE_TEXTS[code]  # our words for it, not "code N"
    assert rows()[0]["status"] == status


def _types(value: Any) -> Any:
    """A JSON document's shape: key -> JSON type (int and float are both numbers)."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def test_the_emulators_answer_has_the_seeds_keys_and_types(
    sandbox: SandboxServer, emu: Emu
) -> None:
    seed = _types(fixture_json("seven", "send_json_debug.json"))
    answer = httpx.post(
        f"{emu.base_url}/sms",
        data={"to": SEED_RECIPIENT.removeprefix("+"), "text": "Dear customer", "debug": "1"},
        headers={"X-Api-Key": CANARY, "Accept": "application/json"},
        timeout=5,
    ).json()
    ours = _types(answer)
    seed_message, our_message = seed.pop("messages")[0], ours.pop("messages")[0]
    assert ours == seed
    # §7.D.1: `udh` and `is_binary` are documented by the official clients, not the seed.
    extra = {key: our_message.pop(key) for key in ("udh", "is_binary")}
    assert our_message == seed_message
    assert extra == {"udh": "NoneType", "is_binary": "bool"}


def test_balance_after_a_send(emu: Emu, profile: str) -> None:
    emu.set(balance=10.0)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 0, result.stderr
    assert "Balance: 9.925" in result.stdout
    doc = json.loads(send("--json", "--no-reload", "--to", FIRST, "Hi").stdout)
    assert doc["balance"] == 9.85


def test_no_balance_in_the_answer_is_null(emu: Emu, profile: str) -> None:
    replay(emu, "100")
    result = send("--json", "--to", FIRST, "Hi")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["balance"] is None
    replay(emu, "100")
    assert "Balance" not in send("--to", FIRST, "Hi").stdout


def test_provider_encoding_is_kept_next_to_ours(emu: Emu, profile: str) -> None:
    result = send("--json", "--to", FIRST, "Привет " * 12)
    assert result.exit_code == 0, result.stderr
    (row,) = rows()
    assert (row["encoding"], row["segments"]) == ("ucs2", 2)
    assert (row["provider_encoding"], row["parts"]) == ("ucs2", 2)


def _form(emu: Emu) -> dict[str, str]:
    return dict(parse_qsl(emu.sends()[-1]["body"]))


def test_utf8_is_sent_only_when_asked(emu: Emu, profile: str) -> None:
    assert send("--to", FIRST, "Hi").exit_code == 0
    assert "utf8" not in _form(emu)
    assert send("--utf8", "--no-reload", "--to", FIRST, "Hi").exit_code == 0
    assert _form(emu)["utf8"] == "1"


def test_udh_with_hex_text_is_binary(emu: Emu, profile: str) -> None:
    data = "48" * 135  # 135 octets: two parts of 134 next to the 6-octet UDH
    result = send("--json", "--udh", "050003CC0201", "--to", FIRST, data)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["encoding"], doc["segment_count"]) == ("binary", 2)
    (item,) = doc["results"]
    assert (item["provider_encoding"], item["parts"]) == ("binary", 2)
    assert _form(emu)["udh"] == "050003CC0201"
    (row,) = rows()
    assert (row["encoding"], row["segments"], row["provider_encoding"]) == ("binary", 2, "binary")


def test_a_group_reaches_every_member_and_each_is_recorded(emu: Emu, profile: str) -> None:
    emu.set(address_book={"Team": ["4915112345671", "4915112345672"]})
    result = send("--json", "--to", "group:Team", "--to", FIRST, "Meeting at 10")
    assert result.exit_code == 0, result.stderr
    assert _form(emu)["to"] == f"Team,{FIRST.removeprefix('+')}"
    items = json.loads(result.stdout)["results"]
    assert [(i["recipient"], i["address_book"]) for i in items] == [
        ("+4915112345671", "group:Team"),
        ("+4915112345672", "group:Team"),
        (FIRST, None),
    ]
    assert len({i["id"] for i in items}) == 3 and len({i["local_id"] for i in items}) == 3
    recorded = rows()
    assert [(r["recipient"], r["provider_recipient"], r["status"]) for r in recorded] == [
        ("group:Team", "+4915112345671", "queued"),
        (FIRST, None, "queued"),
        ("group:Team", "+4915112345672", "queued"),
    ]
    assert {r["provider_id"] for r in recorded} == {i["id"] for i in items}
    assert "unknown until" in result.stderr  # pre-flight: the count is not known before


def test_an_unknown_contact_is_refused(emu: Emu, profile: str) -> None:
    result = send("--json", "--to", "contact:Nobody", "Hi")
    assert result.exit_code == 7, result.stderr
    (item,) = json.loads(result.stdout)["results"]
    assert (item["status"], item["provider_code"]) == ("rejected", "202")
    assert rows()[0]["recipient"] == "contact:Nobody"


def test_connectel_refuses_address_book_recipients_before_any_request(
    sandbox: SandboxServer,
) -> None:
    connectel = Emu(sandbox, "connectel")
    connectel.control("reset")
    added = run(
        [
            "profile",
            "add",
            "c",
            "--provider",
            "connectel",
            "--base-url",
            connectel.base_url,
            "--sender",
            "Acme",
            "--token-stdin",
        ],
        input=CANARY,
    )
    assert added.exit_code == 0, added.stderr
    for recipient in ("group:Team", "contact:Peter"):
        result = send("--to", recipient, "Hi")
        assert result.exit_code == 2
        assert "Connectel has no address book" in result.stderr
    assert connectel.requests() == []
