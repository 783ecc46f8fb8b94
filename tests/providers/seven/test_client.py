"""seven.io specifics over loopback: the wire format, every documented code, options, quirks."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_send_contract import FIRST, SECOND, document, send, statuses


@pytest.fixture
def provider() -> str:
    return "seven"


def form(emu: Emu) -> dict[str, str]:
    (request,) = emu.sends()
    return dict(parse_qsl(request["body"]))


def test_wire_format(emu: Emu, profile: str) -> None:
    result = send("--to", FIRST, "--to", SECOND, "Hello")
    assert result.exit_code == 0
    (request,) = emu.sends()
    assert request["path"] == "/api/sms"
    headers = request["headers"]
    assert headers["x-api-key"] == CANARY
    assert headers["accept"] == "application/json"
    assert headers["sentwith"] == "smsctl"
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = form(emu)
    assert fields["to"] == "46701234567,46731234567"
    assert (fields["text"], fields["from"]) == ("Hello", "Acme")
    assert fields["foreign_id"] == document(result)["foreign_id"]
    assert fields["foreign_id"].startswith("smsctl-") and len(fields["foreign_id"]) <= 64
    results = document(result)["results"]
    assert [(r["parts"], r["price"]) for r in results] == [(1, 0.075), (1, 0.075)]
    assert document(result)["total_price"] == 0.15


def test_every_option_reaches_the_wire(
    emu: Emu, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = tmp_path / "menu.pdf"
    attachment.write_bytes(b"%PDF-1.4 menu")
    monkeypatch.setenv("FILE_PASSWORD", "file-secret-123")
    result = send(
        "--to", FIRST,
        "--flash", "--at", "2099-01-01T12:00:00+00:00", "--ttl", "90", "--label", "spring.sale",
        "--foreign-id", "order-17", "--performance-tracking", "--no-reload", "--unicode",
        "--utf8", "--attach", str(attachment), "--attach-validity", "3",
        "--attach-password-env", "FILE_PASSWORD",
        "See the menu",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "file-secret-123" not in result.stdout + result.stderr
    fields = form(emu)
    assert fields["flash"] == fields["performance_tracking"] == "1"
    assert fields["no_reload"] == fields["unicode"] == "1"
    assert fields["delay"] == "4070952000"
    assert (fields["ttl"], fields["label"], fields["foreign_id"]) == (
        "90",
        "spring.sale",
        "order-17",
    )
    assert fields["utf8"] == "1"  # --udh has its own tests (tests/cli/test_send_options.py)
    assert fields["text"] == "See the menu [[menu.pdf]]"
    assert fields["files[0][name]"] == "menu.pdf"
    assert base64.b64decode(fields["files[0][contents]"]) == b"%PDF-1.4 menu"
    assert (fields["files[0][validity]"], fields["files[0][password]"]) == ("3", "file-secret-123")
    assert "debug" not in fields
    assert "appended [[menu.pdf]]" in result.stderr


def test_test_mode_is_debug(emu: Emu, profile: str) -> None:
    result = send("--test", "--to", FIRST, "Hi")
    assert result.exit_code == 0
    assert form(emu)["debug"] == "1"
    doc = document(result)
    assert doc["test"] is True
    assert doc["results"][0]["id"] is None
    assert "nothing was sent or charged" in result.stderr


@pytest.mark.parametrize(
    ("code", "exit_code", "status", "words"),
    [
        (201, 7, "rejected", "invalid sender"),
        (202, 7, "rejected", "invalid recipient"),
        (301, 7, "rejected", "missing"),
        (305, 7, "rejected", "text missing"),
        (401, 7, "rejected", "too long"),
        (402, 7, "rejected", "reload lock"),
        (403, 7, "rejected", "daily limit"),
        (500, 7, "rejected", "not enough credit"),
        (600, 7, "failed", "carrier"),
        (11, 7, "failed", "temporarily unavailable"),
        (700, 8, "unknown", "unknown error"),
        (101, 8, "unknown", "at least one"),
    ],
)
@pytest.mark.parametrize("style", ["bare", "quoted"])
def test_request_level_codes(
    emu: Emu, profile: str, code: int, exit_code: int, status: str, words: str, style: str
) -> None:
    emu.set(force_code=code, error_style=style)
    result = send("--to", FIRST, "--to", SECOND, "Hi")
    assert result.exit_code == exit_code, result.stderr
    assert statuses(result) == [status, status]
    item = document(result)["results"][0]
    assert item["provider_code"] == str(code)
    assert words in item["error"]
    assert len(emu.sends()) == 1


@pytest.mark.parametrize("code", [900, 902, 903])
@pytest.mark.parametrize("style", ["bare", "quoted"])
def test_auth_codes(emu: Emu, profile: str, code: int, style: str) -> None:
    emu.set(tokens=["other"], auth_code=code, error_style=style)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    assert f"(code {code})" in result.stderr


@pytest.mark.parametrize("code", [300, 901])
def test_other_auth_codes_on_send(emu: Emu, profile: str, code: int) -> None:
    emu.set(force_code=code)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    assert f"(code {code})" in result.stderr


def test_reload_lock_blocks_an_identical_resend(emu: Emu, profile: str) -> None:
    assert send("--to", FIRST, "Same text").exit_code == 0
    again = send("--to", FIRST, "Same text")
    assert again.exit_code == 7
    assert "reload lock" in document(again)["results"][0]["error"]
    assert send("--no-reload", "--to", FIRST, "Same text").exit_code == 0


def test_status_then_journal_reports(emu: Emu, profile: str) -> None:
    from sms_cli.providers.seven.client import Seven

    doc = document(send("--to", FIRST, "Hi"))
    message_id = doc["results"][0]["id"]
    client = Seven({"token": CANARY}, emu.base_url, timeout=5)
    try:
        seen = [client.status([message_id])[0].status for _ in range(3)]
        assert client.balance().amount == pytest.approx(100 - 0.075)
    finally:
        client.close()
    assert seen == ["queued", "enroute", "delivered"]


def test_status_falls_back_to_the_status_endpoint(emu: Emu, profile: str) -> None:
    from sms_cli.providers.seven.client import Seven

    emu.set(journal_enabled=False)
    message_id = document(send("--to", FIRST, "Hi"))["results"][0]["id"]
    client = Seven({"token": CANARY}, emu.base_url, timeout=5)
    try:
        seen = [client.status([message_id])[0].status for _ in range(3)]
        missing = client.status(["77999999999"])[0]
    finally:
        client.close()
    assert seen == ["queued", "enroute", "delivered"]
    assert (missing.status, missing.provider_status) == ("unknown", None)
    paths = [r["path"] for r in emu.requests() if r["method"] == "GET"]
    assert paths.count("/api/status") == 4 and paths.count("/api/journal/outbound") == 4


def test_legacy_plain_text_is_never_requested(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    assert all(r["headers"].get("accept") == "application/json" for r in emu.requests())


def test_an_unparsable_200_is_unknown(emu: Emu, profile: str) -> None:
    emu.faults(mode="malformed")
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 8
    assert "could not be read" in document(result)["results"][0]["error"]


def test_json_output_is_valid_with_unicode(emu: Emu, profile: str) -> None:
    result = send("--to", FIRST, "Grüße 😀")
    assert json.loads(result.stdout)["encoding"] == "ucs2"


def test_profile_without_sender_sends_without_from(emu: Emu) -> None:
    run(
        [
            "profile",
            "add",
            "nosender",
            "--provider",
            "seven",
            "--base-url",
            emu.base_url,
            "--token-stdin",
        ],
        input=CANARY,
    )
    assert send("--to", FIRST, "Hi").exit_code == 0
    assert "from" not in form(emu)
