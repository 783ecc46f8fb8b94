"""The Textbelt wire format: the docs' literal examples, replayed over loopback HTTP by the
emulator and read by the real client; reply payloads and their signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from smsctl_textbelt.client import Textbelt, map_status
from smsctl_textbelt.emulator import TextbeltEmulator

from sms_cli.core.callbacks import CallbackRequest, InboundEvent, decode_fields
from sms_cli.errors import AuthError
from sms_cli.providers.base import Recipient, SendOptions, SendRequest

# The docs' own examples (docs.textbelt.com: "Getting started", "Other API endpoints", and
# shared/PROVIDERS.md §8), verbatim.
DOCS_SENT = '{"success": true, "quotaRemaining": 40, "textId": "12345"}'
DOCS_OUT_OF_QUOTA = '{"success": false, "quotaRemaining": 0, "error": "Out of quota"}'
DOCS_STATUS = '{"status": "DELIVERED"}'
DOCS_QUOTA = '{"success": true, "quotaRemaining": 98}'
# A status answer as seen from the live service: `success` beside `status`.
WILD_STATUS = '{"success":true,"status":"DELIVERED"}'
DOCS_REPLY = b'{"textId": "123456", "fromNumber": "+1555123456", "text": "Here is my reply"}'

KEY = "sandbox-token"


@pytest.fixture
def client(base_url: str) -> Iterator[Textbelt]:
    provider = Textbelt({"key": KEY}, base_url, timeout=2.0)
    yield provider
    provider.close()


def one(text: str = "hi", number: str = "+15555555555", **options: Any) -> SendRequest:
    return SendRequest(text, (Recipient(number, "L1"),), None, SendOptions(**options))


def control(base_url: str, action: str, payload: Any) -> Any:
    request = urllib.request.Request(
        f"{base_url}/__emu/{action}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_the_docs_send_answer_is_an_accepted_message(client: Textbelt, base_url: str) -> None:
    control(base_url, "set", {"replay": [DOCS_SENT]})
    (result,) = client.send(one())
    assert (result.status, result.id, result.balance) == ("queued", "12345", 40.0)


def test_the_docs_out_of_quota_answer_is_an_account_refusal(
    client: Textbelt, base_url: str
) -> None:
    control(base_url, "set", {"replay": [DOCS_OUT_OF_QUOTA]})
    (result,) = client.send(one())
    assert result.status == "rejected"
    assert result.provider_code in Textbelt.account_codes
    assert result.provider_text == "Out of quota"
    assert result.id is None


@pytest.mark.parametrize("answer", [DOCS_STATUS, WILD_STATUS])
def test_the_docs_status_answer(client: Textbelt, base_url: str, answer: str) -> None:
    control(base_url, "set", {"replay": [answer]})
    (report,) = client.status(["12345"])
    assert (report.id, report.status, report.provider_status) == ("12345", "delivered", "DELIVERED")


def test_the_docs_quota_answer(client: Textbelt, base_url: str) -> None:
    control(base_url, "set", {"replay": [DOCS_QUOTA]})
    assert client.balance().amount == 98.0


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("DELIVERED", "delivered"),
        ("SENT", "enroute"),
        ("SENDING", "enroute"),
        ("FAILED", "failed"),
        ("UNKNOWN", "unknown"),
        ("LOST", "unknown"),
    ],
)
def test_every_documented_status_word(word: str, status: str) -> None:
    assert map_status(word) == (status, word)


@pytest.mark.parametrize(
    "answer",
    [
        '{"success": true, "quotaRemaining": 40}',  # accepted, no textId
        '{"success": false, "textId": "9", "error": "x"}',  # contradicts itself
        '{"quotaRemaining": 40, "textId": "9"}',  # no success flag
        '{"success": "true", "textId": "9"}',  # a word, not the documented boolean
        "<html>gateway</html>",
    ],
)
def test_an_answer_that_is_neither_accepted_nor_refused_is_unknown(
    client: Textbelt, base_url: str, answer: str
) -> None:
    control(base_url, "set", {"replay": [answer]})
    (result,) = client.send(one())
    assert result.status == "unknown"


def test_an_unknown_key_is_an_auth_failure_without_the_key_in_it(base_url: str) -> None:
    provider = Textbelt({"key": "not-the-key-4711"}, base_url, timeout=2.0)
    with pytest.raises(AuthError) as raised:
        provider.send(one())
    assert "4711" not in str(raised.value)
    with pytest.raises(AuthError):
        provider.balance()
    provider.close()


def test_a_send_whose_answer_was_lost_is_unknown_and_sent_once(
    client: Textbelt, base_url: str, emulator: TextbeltEmulator
) -> None:
    control(base_url, "faults", {"mode": "drop_after", "times": 1})
    (result,) = client.send(one())
    assert result.status == "unknown"
    assert len([r for r in emulator.requests if r.path == "/text"]) == 1
    assert len(emulator.messages) == 1  # it did go out


def test_emulator_round_trip_send_status_quota(
    client: Textbelt, base_url: str, emulator: TextbeltEmulator
) -> None:
    control(base_url, "script", {"number": "+15555555555", "statuses": ["SENT", "DELIVERED"]})
    (result,) = client.send(one())
    assert result.status == "queued" and result.id
    form = emulator.requests[-1].form()
    assert form == {"phone": "+15555555555", "message": "hi", "key": KEY}
    words = [client.status([result.id])[0].provider_status for _ in range(4)]
    assert words == ["SENDING", "SENT", "DELIVERED", "DELIVERED"]
    assert client.balance().amount == 999.0
    (missing,) = client.status(["no-such-id"])
    assert (missing.status, missing.provider_status) == ("unknown", None)


def test_a_test_send_uses_the_test_key_and_no_quota(
    client: Textbelt, emulator: TextbeltEmulator
) -> None:
    (result,) = client.send(one(test=True))
    assert result.status == "queued"
    assert emulator.requests[-1].form()["key"] == KEY + "_test"
    assert emulator.quota == 1000 and not emulator.messages


def test_a_refused_number_is_rejected_with_textbelts_words(client: Textbelt, base_url: str) -> None:
    control(base_url, "reject", {"numbers": ["+15555555555"]})
    (result,) = client.send(one())
    assert (result.status, result.provider_text) == ("rejected", "Invalid phone number")
    assert result.provider_code not in Textbelt.account_codes


def test_the_docs_reply_payload_is_an_inbound_message() -> None:
    fields = decode_fields("POST", "application/json", "", DOCS_REPLY)
    event = Textbelt.parse_callback(fields)
    assert isinstance(event, InboundEvent)
    assert (event.sender, event.text, event.provider) == (
        "+1555123456",
        "Here is my reply",
        "textbelt",
    )


def _signed(body: bytes, key: str, stamp: str) -> CallbackRequest:
    digest = hmac.new(key.encode(), stamp.encode() + body, hashlib.sha256).hexdigest()
    headers = {"x-textbelt-timestamp": stamp, "x-textbelt-signature": digest}
    return CallbackRequest("POST", "http://127.0.0.1/x", headers, body)


def test_reply_signatures() -> None:
    now = time.time()
    stamp = str(int(now))
    good = _signed(DOCS_REPLY, KEY, stamp)
    assert Textbelt.callback_problem(good, [KEY], now) is None
    assert Textbelt.callback_problem(good, ["other", KEY], now) is None
    tampered = CallbackRequest("POST", good.url, good.headers, DOCS_REPLY + b" ")
    assert Textbelt.callback_problem(tampered, [KEY], now) is not None
    assert Textbelt.callback_problem(good, ["other"], now) is not None
    assert Textbelt.callback_problem(good, [KEY], now + 16 * 60) is not None
    unsigned = CallbackRequest("POST", good.url, {}, DOCS_REPLY)
    assert Textbelt.callback_problem(unsigned, [KEY], now) == "the request is not signed"
    nan = _signed(DOCS_REPLY, KEY, "nan")
    assert Textbelt.callback_problem(nan, [KEY], now) is not None


def test_the_emulator_pushes_replies_signed_as_textbelt_does(
    client: Textbelt, base_url: str, emulator: TextbeltEmulator
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[tuple[dict[str, str], bytes]] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    sink = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=sink.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        emulator.callback_url = f"http://127.0.0.1:{sink.server_address[1]}/hook"
        (result,) = client.send(one())
        control(base_url, "inbound", {"from": "+15555555555", "to": "", "text": "yes"})
        control(base_url, "flush", {"timeout": 5})
    finally:
        sink.shutdown()
        sink.server_close()
    ((headers, body),) = received
    request = CallbackRequest("POST", "http://x/hook", headers, body)
    assert Textbelt.callback_problem(request, [KEY], time.time()) is None
    event = Textbelt.parse_callback(decode_fields("POST", headers["content-type"], "", body))
    assert isinstance(event, InboundEvent)
    assert (event.sender, event.text) == ("+15555555555", "yes")
    assert json.loads(body)["textId"] == result.id


def test_an_ambiguous_answer_makes_its_recipient_unknown(
    client: Textbelt, base_url: str, emulator: TextbeltEmulator
) -> None:
    control(base_url, "faults", {"mode": "process_then_5xx", "times": 1})
    (result,) = client.send(one())
    assert (result.local_id, result.status) == ("L1", "unknown")
    assert len([r for r in emulator.requests if r.path == "/text"]) == 1  # never resent
    assert len(emulator.messages) == 1  # it did go out


def test_more_than_one_recipient_is_refused_before_any_request(
    client: Textbelt, emulator: TextbeltEmulator
) -> None:
    """One phone number per /text: the sending service and the bulk engine split recipients
    by max_recipients_per_request; the client never decides alone whether to go on."""
    two = (Recipient("+15555555555", "L1"), Recipient("+15555555556", "L2"))
    with pytest.raises(ValueError, match="one recipient per request"):
        client.send(SendRequest("hi", two, None))
    assert emulator.requests == []
