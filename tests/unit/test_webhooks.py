"""Callback payloads (PROVIDERS.md §2.10, §3.6, §3.7), signatures, and the history taking them."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from sms_cli.core.callbacks import (
    BadCallback,
    CallbackRequest,
    DeliveryEvent,
    InboundEvent,
    decode_fields,
)
from sms_cli.providers.connectel.client import Connectel
from sms_cli.providers.seven.client import Seven
from sms_cli.storage.messages import History
from tests.conftest import record_sent

FORM = "application/x-www-form-urlencoded"

# §2.10.3, verbatim.
SEVEN_DLR = {
    "webhook_event": "dlr",
    "webhook_timestamp": "2021-08-24T08:08:00+02:00",
    "data": {"msg_id": "77149843739", "status": "TRANSMITTED", "timestamp": "2021-08-24 08:08:00"},
}
SEVEN_MO = {
    "webhook_event": "sms_mo",
    "webhook_timestamp": "2020-12-02 11:55:44",
    "data": {
        "id": "681590",
        "sender": "4917612345678",
        "system": "491771783130",
        "text": "Hello World",
        "time": "1605878104",
        "message_type": "SMS",
    },
}
# §3.6 and §3.7.
CONNECTEL_DLR = {
    "action": "dlr",
    "requestid": "r-1",
    "tokenid": "t-9",
    "statusInt": 1,
    "statusStr": "DELIVRD",
    "sender": "Acme",
    "recipient": "46701234567",
}
CONNECTEL_MO = {"from": "46701234567", "to": "46700000000", "requestid": "r-7", "message": "Hej"}


def test_seven_form_keys_nest_like_php() -> None:
    body = b"webhook_event=dlr&data%5Bmsg_id%5D=77&data[status]=DELIVERED&data[timestamp]="
    fields = decode_fields("POST", FORM, "", body)
    assert fields == {
        "webhook_event": "dlr",
        "data": {"msg_id": "77", "status": "DELIVERED", "timestamp": ""},
    }


def test_get_reads_the_query_string() -> None:
    fields = decode_fields("GET", "", "webhook_event=sms_mo&data[id]=5&data[text]=a%20b", b"")
    assert fields == {"webhook_event": "sms_mo", "data": {"id": "5", "text": "a b"}}


def test_json_body_is_read_as_is() -> None:
    assert decode_fields("POST", "application/json; charset=utf-8", "", b'{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"{not json", 400),
        ("application/json", b"[1, 2]", 400),
        ("application/json", b"\xff\xfe", 400),
        (FORM, b"a=\xff", 400),
        ("text/xml", b"<dlr/>", 415),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, 400),
    ],
)
def test_unreadable_bodies_are_refused_with_a_4xx(
    content_type: str, body: bytes, status: int
) -> None:
    with pytest.raises(BadCallback) as caught:
        decode_fields("POST", content_type, "", body)
    assert caught.value.status == status


def test_seven_dlr() -> None:
    event = Seven.parse_callback(SEVEN_DLR)
    assert event == DeliveryEvent(
        provider="seven",
        message_id="77149843739",
        status="enroute",
        provider_status="TRANSMITTED",
        at="2021-08-24T08:08:00.000Z",
    )


def test_seven_inbound() -> None:
    event = Seven.parse_callback(SEVEN_MO)
    assert event == InboundEvent(
        provider="seven",
        id="681590",
        sender="+4917612345678",
        recipient="+491771783130",
        text="Hello World",
        sent_at="2020-11-20T13:15:04.000Z",
    )


def test_seven_inbound_from_an_alphanumeric_sender_keeps_the_name() -> None:
    payload = json.loads(json.dumps(SEVEN_MO))
    payload["data"]["sender"] = "ACME"
    event = Seven.parse_callback(payload)
    assert isinstance(event, InboundEvent) and event.sender == "ACME"


def test_connectel_dlr_and_inbound() -> None:
    assert Connectel.parse_callback(CONNECTEL_DLR) == DeliveryEvent(
        provider="connectel",
        message_id="r-1",
        status="delivered",
        provider_status="DELIVRD",
        recipient="+46701234567",
    )
    assert Connectel.parse_callback(CONNECTEL_MO) == InboundEvent(
        provider="connectel", id="r-7", sender="+46701234567", recipient="+46700000000", text="Hej"
    )


def test_connectel_form_values_are_text() -> None:
    form = "&".join(f"{k}={v}" for k, v in CONNECTEL_DLR.items() if k != "statusStr").encode()
    event = Connectel.parse_callback(decode_fields("POST", FORM, "", form))
    assert isinstance(event, DeliveryEvent)
    assert (event.status, event.provider_status) == ("delivered", "1")


@pytest.mark.parametrize(
    ("provider", "fields", "status"),
    [
        (Seven, {"webhook_event": "voice_call", "data": {}}, 422),
        (Seven, {"data": SEVEN_DLR["data"]}, 400),
        (Seven, {"webhook_event": "dlr", "data": "77"}, 400),
        (Seven, {"webhook_event": "dlr", "data": {"status": "DELIVERED"}}, 400),
        (Seven, {"webhook_event": "dlr", "data": {"msg_id": {"x": 1}, "status": "X"}}, 400),
        (Seven, {"webhook_event": "sms_mo", "data": {"text": "no sender"}}, 400),
        (Seven, {"webhook_event": ["dlr"], "data": {}}, 400),
        (Connectel, {"action": "send"}, 422),
        (Connectel, {"hello": "world"}, 400),
        (Connectel, {"action": "dlr", "statusStr": "DELIVRD"}, 400),
        (Connectel, {"from": "4670", "message": "x" * 10_001}, 400),
    ],
)
def test_bad_payloads_name_their_problem(
    provider: Any, fields: dict[str, Any], status: int
) -> None:
    with pytest.raises(BadCallback) as caught:
        provider.parse_callback(fields)
    assert caught.value.status == status
    assert caught.value.reason


# -- seven.io signatures (§2.2, §2.10.2) ---------------------------------------------------------

KEY = "signing-secret-1"
URL = "https://hooks.example.com/s3cr3t-s3cr3t-s3cr3t/seven"
BODY = b"webhook_event=dlr&data%5Bmsg_id%5D=77&data%5Bstatus%5D=DELIVERED"
NOW = 1_800_000_000.0


def signed(
    key: str = KEY, url: str = URL, body: bytes = BODY, stamp: float = NOW
) -> CallbackRequest:
    """A request signed the way §2.2 describes, computed here without smsctl's code."""
    timestamp, nonce = str(int(stamp)), "n" * 32
    lines = [timestamp, nonce, "POST", url, hashlib.md5(body).hexdigest()]
    digest = hmac.new(key.encode(), "\n".join(lines).encode(), hashlib.sha256).hexdigest()
    headers = {"x-signature": digest, "x-timestamp": timestamp, "x-nonce": nonce}
    return CallbackRequest("POST", url, headers, body)


def test_a_correct_signature_passes() -> None:
    assert Seven.callback_problem(signed(), [KEY], NOW) is None
    assert Seven.callback_problem(signed(), ["other-key", KEY], NOW + 299) is None


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (signed(key="wrong"), "does not match"),
        (CallbackRequest("POST", URL, signed().headers, BODY + b"&x=1"), "does not match"),
        (CallbackRequest("POST", URL + "?x", signed().headers, BODY), "does not match"),
        (CallbackRequest("GET", URL, signed().headers, BODY), "does not match"),
        (signed(stamp=NOW - 301), "old"),
        (CallbackRequest("POST", URL, {}, BODY), "not signed"),
    ],
)
def test_a_wrong_or_stale_signature_is_refused(request_: CallbackRequest, problem: str) -> None:
    found = Seven.callback_problem(request_, [KEY], NOW)
    assert found is not None and problem in found


def test_without_a_signing_key_nothing_is_checked() -> None:
    assert Seven.callback_problem(CallbackRequest("POST", URL, {}, BODY), [], NOW) is None
    assert Connectel.callback_problem(CallbackRequest("POST", URL, {}, BODY), [KEY], NOW) is None


# -- the history ---------------------------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> History:
    store = History(tmp_path / "history.sqlite3")
    record_sent(store, "L1", "seven", "77", "queued")
    return store


def dlr(status: str, raw: str) -> DeliveryEvent:
    return DeliveryEvent("seven", "77", status, raw)  # type: ignore[arg-type]


def test_a_report_moves_the_message_on_once(history: History) -> None:
    first = history.receive(dlr("enroute", "ACCEPTED"))
    assert (first.duplicate, first.changed, first.status, first.local_ids) == (
        False,
        True,
        "enroute",
        ("L1",),
    )
    again = history.receive(dlr("enroute", "ACCEPTED"))
    assert again.duplicate and not again.changed
    assert history.find("L1")[0].provider_status == "ACCEPTED"


def test_late_reports_never_move_a_message_back(history: History) -> None:
    history.receive(dlr("enroute", "TRANSMITTED"))
    assert not history.receive(dlr("queued", None)).changed  # type: ignore[arg-type]
    assert history.receive(dlr("delivered", "DELIVERED")).changed
    late = history.receive(dlr("enroute", "ACCEPTED"))
    assert (late.changed, late.status) == (False, "delivered")
    late_failure = history.receive(dlr("failed", "NOTDELIVERED"))
    assert not late_failure.changed
    assert history.find("L1")[0].status == "delivered"


def test_a_report_for_a_message_not_sent_from_here_is_kept_as_seen(history: History) -> None:
    received = history.receive(DeliveryEvent("seven", "999", "delivered", "DELIVERED"))
    assert received.local_ids == () and not received.changed and not received.duplicate
    assert history.receive(DeliveryEvent("seven", "999", "delivered", "DELIVERED")).duplicate


def test_inbound_messages_are_stored_once(history: History) -> None:
    event = InboundEvent("seven", "681590", "+4917612345678", "+491771783130", "Hello")
    assert not history.receive(event).duplicate
    assert history.receive(event).duplicate
    rows = history.inbox()
    assert [(r.provider_id, r.sender, r.text) for r in rows] == [
        ("681590", "+4917612345678", "Hello")
    ]
    assert history.inbox(sender="+4917612345678") and not history.inbox(sender="+1")


def test_inbound_without_an_id_dedupes_on_its_content(history: History) -> None:
    one = InboundEvent("connectel", None, "+46701234567", "+46700000000", "Hej", None)
    other = InboundEvent("connectel", None, "+46701234567", "+46700000000", "Hej då", None)
    assert not history.receive(one).duplicate
    assert history.receive(one).duplicate
    assert not history.receive(other).duplicate
