"""The Connectel seed's literal examples, read by the production parsers (no HTTP here; the
send and delivery answers go over loopback in tests/providers/connectel/test_replay.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from sms_cli.core.callbacks import DeliveryEvent, InboundEvent, decode_fields
from sms_cli.providers.connectel.client import Connectel, map_status
from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.fixtures import fixture_json, fixture_text

SEED_DLR_ID = "RMH8ZYXWCWJYIB5A.15986181942392678"


def form_of(document: dict[str, Any]) -> bytes:
    """A JSON object's fields as a provider posts them as a form: every value as text."""
    return urlencode({key: str(value) for key, value in document.items()}).encode()


def test_the_fixtures_keep_the_seed_quirks() -> None:
    dlr = fixture_json("connectel", "dlr_push.json")
    assert (dlr["statusInt"], dlr["statusStr"]) == (1, 1)  # both numbers, as the seed prints
    assert dlr["tokenid"] == "<token id used in request>"
    assert dlr["recipient"] == "4670000001"  # 10 digits in the seed
    assert "{YOURTOKEN}" in fixture_json("connectel", "send_single_response.json")["href"]
    assert fixture_json("connectel", "bulk_request_recipient.json") == [
        {"Number1": "46700000000"},
        {"Number2": "46700000001"},
    ]


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_seed_dlr_is_a_delivery(encoding: str) -> None:
    text = fixture_text("connectel", "dlr_push.json")
    if encoding == "json":
        fields = decode_fields("POST", "application/json", "", text.encode())
    else:
        body = form_of(json.loads(text))
        fields = decode_fields("POST", "application/x-www-form-urlencoded", "", body)
    event = Connectel.parse_callback(fields)
    assert event == DeliveryEvent(
        provider="connectel",
        message_id=SEED_DLR_ID,
        status="delivered",
        provider_status="1",
        recipient="+4670000001",
    )


def test_the_seed_dlr_moves_a_sent_message_to_delivered() -> None:
    history = History()
    try:
        record_sent(history, "L-1", "connectel", SEED_DLR_ID, "enroute")
        event = Connectel.parse_callback(fixture_json("connectel", "dlr_push.json"))
        received = history.receive(event)
        assert (received.changed, received.status, received.local_ids) == (
            True,
            "delivered",
            ("L-1",),
        )
        assert history.find("L-1")[0]["status"] == "delivered"
        assert history.find("L-1")[0]["provider_status"] == "1"
    finally:
        history.close()


def test_the_seed_inbound_push() -> None:
    event = Connectel.parse_callback(fixture_json("connectel", "inbound_push.json"))
    assert event == InboundEvent(
        provider="connectel",
        id=SEED_DLR_ID,
        sender="+35890010000",
        recipient="+3581000000",
        text="Your incoming message",
    )


@pytest.mark.parametrize(
    ("status_str", "status_int", "expected"),
    [
        # the word decides when it is one of §3's words, whatever statusInt says
        ("DELIVRD", 1, ("delivered", "DELIVRD")),
        (" enroute ", None, ("enroute", "ENROUTE")),
        ("QUEUE", 0, ("queued", "QUEUE")),
        ("QUEUED", None, ("queued", "QUEUED")),
        ("REJECTD", None, ("rejected", "REJECTD")),
        ("UNDELIV", 5, ("failed", "UNDELIV")),
        ("EXPIRED", 8, ("expired", "EXPIRED")),
        ("UNKNOWN", 1, ("unknown", "UNKNOWN")),
        # statusStr as a number or a numeric string is the status code (the seed DLR)
        (1, 1, ("delivered", "1")),
        (1, None, ("delivered", "1")),
        ("1", "1", ("delivered", "1")),
        (" 2 ", None, ("rejected", "2")),
        ("5", None, ("failed", "5")),
        (8.0, None, ("expired", "8")),
        # a missing or unknown word: statusInt decides, the word stays the raw value
        (None, 1, ("delivered", "1")),
        ("", "2", ("rejected", "2")),
        ("SOMETHING", 8, ("expired", "SOMETHING")),
        (None, 0, ("queued", "0")),  # 0 alone: ENROUTE and QUEUE share it (§1.1)
        (None, 3, ("unknown", "3")),  # reserved
        (None, -1, ("unknown", "-1")),
        # nothing readable
        (None, None, ("unknown", None)),
        ("SOMETHING", None, ("unknown", "SOMETHING")),
        (True, True, ("unknown", None)),
        (None, "1e9", ("unknown", None)),
        (None, 1.5, ("unknown", None)),
        ("¹", None, ("unknown", "¹")),
    ],
)
def test_status_mapping(status_str: Any, status_int: Any, expected: tuple[str, str | None]) -> None:
    assert map_status(status_str, status_int) == expected


# The seed's status table, row by row: what each documented code and word must mean to smsctl.
# 0 alone is `queued` (ENROUTE and QUEUE share it); the reserved codes say nothing we can use.
EXPECTED_BY_CODE = {0: "queued", 1: "delivered", 2: "rejected", 5: "failed", 8: "expired"}
EXPECTED_BY_WORD = {"ENROUTE": "enroute", "QUEUE": "queued", "DELIVRD": "delivered"}
EXPECTED_BY_WORD |= {"REJECTD": "rejected", "UNDELIV": "failed", "EXPIRED": "expired"}


@pytest.mark.parametrize(
    "row", fixture_json("connectel", "status_codes.json"), ids=lambda r: str(r["statusStr"])
)
def test_every_seed_status_code_has_a_meaning(row: dict[str, Any]) -> None:
    code, word = row["statusInt"], row["statusStr"]
    expected_by_code = EXPECTED_BY_CODE.get(code, "unknown")
    # The code alone (a report without a word), as a number and as the numeric statusStr.
    assert map_status(None, code)[0] == expected_by_code
    assert map_status(code, None)[0] == expected_by_code
    assert map_status(str(code), None)[0] == expected_by_code
    if word != "N/A":
        # The documented word decides, with its code beside it, in any case.
        assert map_status(word, code)[0] == EXPECTED_BY_WORD.get(word, "unknown")
        assert map_status(word.lower(), code)[0] == EXPECTED_BY_WORD.get(word, "unknown")
