"""Receiving from seven.io: its own push styles, signatures, hooks and balance (moved from
tests/integration/test_receiving.py: these speak seven.io's wire format)."""

from __future__ import annotations

import json

import httpx
import pytest

from sms_cli.storage.messages import History
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_receiving import (
    SIGNING_KEY,
    Listener,
    assert_push_round_trip,
    delivered,
    listener,
    point_callbacks_at,
    signed_listener,
)
from tests.integration.test_send_contract import FIRST, document, send

__all__ = ["listener", "signed_listener"]


@pytest.fixture
def provider() -> str:
    return "seven"


@pytest.mark.parametrize("style", ["POST", "GET", "JSON"])
def test_every_push_style_is_understood(
    emu: Emu, profile: str, listener: Listener, style: str
) -> None:
    point_callbacks_at(emu, listener, method=style)
    assert_push_round_trip(emu, listener)


@pytest.mark.parametrize("method", ["POST", "GET", "JSON"])
def test_signed_pushes_are_accepted_and_forged_ones_refused(
    emu: Emu, profile: str, signed_listener: Listener, method: str
) -> None:
    # GET signs the URL with its query string, POST and JSON the body's md5 (§2.2).
    point_callbacks_at(emu, signed_listener, signing_key=SIGNING_KEY, method=method)
    sent = document(send("--to", FIRST, "Hello"))
    delivered(emu, steps=1)
    assert [r.event.kind for r in signed_listener.events] == ["dlr"]
    assert not signed_listener.refusals

    emu.set(signing_key="not-the-key-" + "x" * 10)
    delivered(emu, steps=1)
    refused = [a for a in emu.control("callbacks") if a["status"] == 401]
    assert refused and signed_listener.refusals[0].status == 401
    assert "does not match" in signed_listener.refusals[0].reason
    assert len(signed_listener.events) == 1
    assert History().find(sent["results"][0]["local_id"])[0].provider_status == "ACCEPTED"

    unsigned = httpx.post(
        signed_listener.url("seven"),
        json={"webhook_event": "sms_mo", "data": {"id": "1", "sender": "49170", "text": "x"}},
    )
    assert unsigned.status_code == 401 and not History().inbox()


def test_hooks_add_list_remove(emu: Emu, profile: str) -> None:
    added = run(["hooks", "add", "https://example.com/hook", "--event", "dlr", "--json"])
    assert added.exit_code == 0, added.stderr
    hook_id = json.loads(added.stdout)["id"]
    listed = run(["hooks", "list", "--json"])
    assert listed.exit_code == 0, listed.stderr
    (hook,) = json.loads(listed.stdout)["hooks"]
    assert (hook["id"], hook["url"], hook["event"], hook["method"]) == (
        hook_id,
        "https://example.com/hook",
        "dlr",
        "POST",
    )
    sent = [r for r in emu.requests() if r["path"].endswith("/hooks") and r["method"] == "POST"]
    assert "target_url=https%3A%2F%2Fexample.com%2Fhook" in sent[0]["body"]
    assert "event_type=dlr" in sent[0]["body"]
    human = run(["hooks", "list"])
    assert "https://example.com/hook" in human.stdout
    assert run(["hooks", "remove", hook_id]).exit_code == 0
    assert json.loads(run(["hooks", "list", "--json"]).stdout) == {"hooks": []}
    missing = run(["hooks", "remove", hook_id])
    assert missing.exit_code == 2 and "no hook" in missing.stderr


def test_balance(emu: Emu, profile: str) -> None:
    emu.set(balance=12.5)
    assert run(["balance"]).stdout == "12.50 EUR\n"
    result = run(["balance", "--json"])
    assert json.loads(result.stdout) == {
        "profile": "seven",
        "provider": "seven",
        "amount": 12.5,
        "currency": "EUR",
    }
    emu.set(tokens=["another"])
    refused = run(["balance"])
    assert refused.exit_code == 5 and CANARY not in refused.stderr
