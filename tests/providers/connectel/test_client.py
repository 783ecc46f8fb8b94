"""Connectel specifics over loopback: the wire format, bulk keys, error styles."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_send_contract import FIRST, SECOND, document, send, statuses


@pytest.fixture
def provider() -> str:
    return "connectel"


def body(emu: Emu) -> dict:  # type: ignore[type-arg]
    (request,) = emu.sends()
    return json.loads(request["body"])  # type: ignore[no-any-return]


def test_single_send_wire_format(emu: Emu, profile: str) -> None:
    result = send("--to", "+46 70-123 45 67", "Hello")
    assert result.exit_code == 0
    (request,) = emu.sends()
    assert request["path"] == "/api/v2/send/"  # with the documented trailing slash
    assert request["headers"]["content-type"] == "application/json"
    assert "authorization" not in request["headers"]
    assert body(emu) == {
        "authorization": CANARY,
        "sender": "Acme",
        "message": "Hello",
        "recipient": "46701234567",
    }
    item = document(result)["results"][0]
    assert (item["status"], item["provider_code"]) == ("enroute", "ENROUTE")


def test_bulk_request_keys_are_our_message_ids(emu: Emu, profile: str) -> None:
    emu.set(reverse_bulk=True)
    result = send("--to", FIRST, "--to", SECOND, "Hello both")
    assert result.exit_code == 0
    sent = body(emu)
    assert sent["bulk"] is True
    results = document(result)["results"]
    assert sent["recipient"] == [{r["local_id"]: r["recipient"][1:]} for r in results]
    assert [r["recipient"] for r in results] == [FIRST, SECOND]
    assert len({r["bulk_id"] for r in results}) == 1
    assert statuses(result) == ["queued", "queued"]


@pytest.mark.parametrize("style", ["401", "403", "200"])
def test_auth_error_styles(emu: Emu, profile: str, style: str) -> None:
    emu.set(tokens=["other"], auth_style=style)
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    assert "refused the token" in result.stderr


@pytest.mark.parametrize("style", ["json", "text"])
def test_bad_request_rejects_every_recipient(emu: Emu, profile: str, style: str) -> None:
    emu.set(bad_request_style=style, force_bad_request="invalid sender")
    result = send("--to", FIRST, "--to", SECOND, "Hi")
    assert result.exit_code == 7
    assert statuses(result) == ["rejected", "rejected"]
    item = document(result)["results"][0]
    assert item["provider_code"] == "400"
    assert "invalid sender" in item["provider_text"]


def test_emulator_refuses_what_the_api_refuses(emu: Emu, profile: str) -> None:
    """The client checks before sending; the emulator must still refuse on its own."""
    from sms_cli.providers.base import Recipient, SendRequest
    from sms_cli.providers.connectel.client import Connectel

    client = Connectel({"token": CANARY}, emu.base_url, timeout=5)
    try:
        (refused,) = client.send(SendRequest("", (Recipient(FIRST, "local-1"),), "Acme"))
        (too_long,) = client.send(SendRequest("a" * 1601, (Recipient(FIRST, "l-2"),), "Acme"))
    finally:
        client.close()
    assert (refused.status, refused.provider_code) == ("rejected", "400")
    assert "message is required" in (refused.provider_text or "")
    assert "1600" in (too_long.provider_text or "")


def test_sender_is_required(emu: Emu) -> None:
    run(
        [
            "profile",
            "add",
            "nosender",
            "--provider",
            "connectel",
            "--base-url",
            emu.base_url,
            "--token-stdin",
        ],
        input=CANARY,
    )
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 2
    assert "Connectel needs a sender" in result.stderr
    assert emu.requests() == []


def test_the_token_in_href_never_reaches_output(emu: Emu, profile: str) -> None:
    result = send("--to", FIRST, "Hi")
    assert "href" not in result.stdout
    human = run(["send", "--to", SECOND, "Hi"])
    assert CANARY not in human.stdout + human.stderr


def test_delivery_reports(emu: Emu, profile: str) -> None:
    from sms_cli.providers.connectel.client import Connectel

    emu.control("script", {"number": FIRST, "statuses": ["EXPIRED"]})
    doc = document(send("--to", FIRST, "--to", SECOND, "Hi"))
    ids = [r["id"] for r in doc["results"]]
    bulk_id = doc["results"][0]["bulk_id"]
    client = Connectel({"token": CANARY}, emu.base_url, timeout=5)
    try:
        first = client.status(ids)
        second = client.status([bulk_id])
        missing = client.status(["R-does-not-exist"])
    finally:
        client.close()
    assert [r.status for r in first] == ["enroute", "enroute"]
    assert [(r.recipient, r.status) for r in second] == [(FIRST, "expired"), (SECOND, "delivered")]
    assert all(r.bulk_id == bulk_id and r.final for r in second)
    assert (missing[0].status, missing[0].final) == ("unknown", False)
    delivery = [r for r in emu.requests() if r["path"] == "/api/v2/delivery/"]
    assert all(r["query"]["authorization"] == CANARY for r in delivery)
