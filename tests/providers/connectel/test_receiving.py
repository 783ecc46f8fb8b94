"""Receiving from Connectel: its own push styles (moved from
tests/integration/test_receiving.py: these speak Connectel's wire format)."""

from __future__ import annotations

import json

import pytest

from sms_cli.storage.messages import History
from tests.integration.conftest import Emu, run
from tests.integration.test_receiving import (
    Listener,
    delivered,
    listener,
    point_callbacks_at,
)
from tests.integration.test_send_contract import FIRST, document, send

__all__ = ["listener"]


@pytest.fixture
def provider() -> str:
    return "connectel"


@pytest.mark.parametrize("style", ["json", "form"])
def test_every_push_style_is_understood(
    emu: Emu, profile: str, listener: Listener, style: str
) -> None:
    point_callbacks_at(emu, listener, format=style)
    sent = document(send("--to", FIRST, "Hello"))
    delivered(emu)
    assert not listener.refusals
    rows = History().find(sent["results"][0]["local_id"])
    assert rows[0]["status"] == "delivered"
    emu.control("inbound", {"from": "+46709999999", "to": "+46700000000", "text": "Svar: ja"})
    emu.control("flush")
    inbox = run(["inbox", "--json"])
    assert inbox.exit_code == 0, inbox.stderr
    (message,) = json.loads(inbox.stdout)["messages"]
    assert (message["from"], message["to"], message["text"], message["provider"]) == (
        "+46709999999",
        "+46700000000",
        "Svar: ja",
        emu.name,
    )
