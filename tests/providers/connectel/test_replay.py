"""The Connectel seed's literal answers, replayed by the emulator over loopback HTTP to the
production client; the emulator's own answers held to the seed's shapes; and the refusals and
delivery reports the seed exposed (numeric statusStr, REJECTD without a request id)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sms_cli.providers.base import Recipient, SendRequest
from sms_cli.providers.connectel.client import Connectel
from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.fixtures import fixture_json, fixture_text
from tests.integration.conftest import CANARY, Emu
from tests.integration.test_receiving import SECRET, Listener, start_listener
from tests.integration.test_send_contract import FIRST, SECOND, document, send, statuses

SEED_NUMBERS = ("+46700000000", "+46700000001")


@pytest.fixture
def provider() -> str:
    return "connectel"


@pytest.fixture
def client(emu: Emu) -> Iterator[Connectel]:
    connectel = Connectel({"token": CANARY}, emu.base_url, timeout=5)
    try:
        yield connectel
    finally:
        connectel.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from start_listener()


def replay(emu: Emu, *names: str) -> None:
    """The emulator answers the next requests with these fixtures' literal text."""
    emu.set(replay=[fixture_text("connectel", name) for name in names])


def shape(value: Any) -> Any:
    """Keys and value types, recursively; a list by the set of its items' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes: list[Any] = []
        for item in value:
            if shape(item) not in shapes:
                shapes.append(shape(item))
        return shapes
    return type(value).__name__


# -- the seed's answers, replayed ------------------------------------------------------------


def test_single_send_answer(emu: Emu, client: Connectel) -> None:
    replay(emu, "send_single_response.json")
    request = SendRequest("Hello", (Recipient(SEED_NUMBERS[0], "L-1"),), "IKEA")
    (result,) = client.send(request)
    assert (result.status, result.provider_code) == ("enroute", "ENROUTE")
    # the id is `requestid`, not the different one in `href` (...J430... in the seed)
    assert result.id == "RXV66UX9433XJ400.15986176764672468"
    assert (result.recipient, result.local_id, result.bulk_id) == (SEED_NUMBERS[0], "L-1", None)


def test_bulk_send_answer_and_request(emu: Emu, client: Connectel) -> None:
    replay(emu, "send_bulk_response.json")
    recipients = (Recipient(SEED_NUMBERS[0], "Number1"), Recipient(SEED_NUMBERS[1], "Number2"))
    results = client.send(SendRequest("Hello", recipients, "IKEA"))
    (sent,) = emu.sends()
    assert json.loads(sent["body"])["recipient"] == fixture_json(
        "connectel", "bulk_request_recipient.json"
    )
    assert [(r.recipient, r.local_id, r.id, r.status, r.provider_code) for r in results] == [
        (SEED_NUMBERS[0], "Number1", "RQW6LMR4QSE37SEA.15986173923570254", "queued", "QUEUED"),
        (SEED_NUMBERS[1], "Number2", "R3COHH9PP6SOKIUK.15986173923570356", "queued", "QUEUED"),
    ]
    assert {r.bulk_id for r in results} == {"BRCNMX2Z2.15986173923570037"}


def test_delivery_by_request_id(emu: Emu, client: Connectel) -> None:
    replay(emu, "delivery_requestid_response.json")
    (report,) = client.status(["RMH8ZYJWCWJYIB5A.15986181942392678"])
    assert (report.id, report.status, report.provider_status, report.recipient) == (
        "RMH8ZYJWCWJYIB5A.15986181942392678",
        "delivered",
        "DELIVRD",
        "+46700000000",
    )
    assert report.updated_at is not None and report.updated_at.isoformat() == (
        "2020-01-01T14:00:00+00:00"
    )
    (query,) = emu.requests()
    assert query["query"]["requestid"] == "RMH8ZYJWCWJYIB5A.15986181942392678"


def test_delivery_by_bulk_id(emu: Emu, client: Connectel) -> None:
    replay(emu, "delivery_bulkid_response.json")
    reports = client.status(["BFQKACELG.15986181942392488"])
    assert [(r.id, r.recipient, r.status, r.bulk_id) for r in reports] == [
        ("RMH8ZYXWCWJYIB5A.15986181942392678", "+46700000000", "delivered",
         "BFQKACELG.15986181942392488"),
        ("RA5KDTPIIYSCAO6W.15986181942392778", "+46700000001", "delivered",
         "BFQKACELG.15986181942392488"),
    ]  # fmt: skip


# -- the emulator's own answers have the seed's shapes ---------------------------------------


def test_the_emulator_answers_in_the_seed_shapes(emu: Emu) -> None:
    def call(method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{emu.base_url}/{path}", timeout=5, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    emu.set(auto_advance=False)
    sending = {"authorization": CANARY, "sender": "IKEA", "message": "Hi"}
    single = call("POST", "api/v2/send/", json={**sending, "recipient": "46700000000"})
    seed_recipients = fixture_json("connectel", "bulk_request_recipient.json")
    bulk = call(
        "POST", "api/v2/send/", json={**sending, "bulk": True, "recipient": seed_recipients}
    )
    emu.control("advance")
    lookup = {"authorization": CANARY}
    by_id = call("GET", "api/v2/delivery/", params={**lookup, "requestid": single["requestid"]})
    by_bulk = call("GET", "api/v2/delivery/", params={**lookup, "requestid": bulk["bulkid"]})
    pairs = [
        (single, "send_single_response.json"),
        (bulk, "send_bulk_response.json"),
        (by_id, "delivery_requestid_response.json"),
        (by_bulk, "delivery_bulkid_response.json"),
    ]
    for own, name in pairs:
        seed = fixture_json("connectel", name)
        assert shape(own) == shape(seed), name
    assert single["href"].split("?")[0] == "https://smsapi.connectel.se/api/status/"
    assert by_id["statusStr"] == "DELIVRD" and by_id["statusInt"] == 1


# -- delivery reports with the seed's numeric statusStr -------------------------------------


@pytest.mark.parametrize("form", ["json", "form"])
def test_the_seed_dlr_pushed_by_the_emulator_delivers(
    emu: Emu, listener: Listener, form: str
) -> None:
    message_id = fixture_json("connectel", "dlr_push.json")["requestid"]
    record_sent(History(), "L-SEED", "connectel", message_id, "enroute")
    emu.set(callback_url=listener.url("connectel"), callback_format=form)
    emu.set(push=fixture_text("connectel", "dlr_push.json"))
    emu.control("flush")
    (attempt,) = emu.control("callbacks")
    assert attempt["status"] == 200
    if form == "json":
        assert attempt["body"] == fixture_text("connectel", "dlr_push.json")  # verbatim
    else:
        assert "statusStr=1" in attempt["body"]
    (received,) = listener.events
    assert (received.changed, received.status, received.local_ids) == (True, "delivered",
                                                                       ("L-SEED",))  # fmt: skip
    assert History().find("L-SEED")[0]["status"] == "delivered"


def test_listen_prints_updated_for_the_seed_dlr() -> None:
    message_id = fixture_json("connectel", "dlr_push.json")["requestid"]
    history = History()
    record_sent(history, "L-SEED", "connectel", message_id, "enroute")
    history.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "listen", "--port", "0", "--json", "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(20, process.kill)  # a hung process ends the reads below
    watchdog.start()
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        answer = httpx.post(
            started["urls"]["connectel"],
            content=fixture_text("connectel", "dlr_push.json"),
            headers={"Content-Type": "application/json"},
            timeout=5,
        )
        assert answer.status_code == 200
        line = json.loads(process.stdout.readline())
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=20)
    assert (line["event"], line["id"], line["status"], line["provider_status"]) == (
        "dlr",
        message_id,
        "delivered",
        "1",
    )
    assert (line["known"], line["updated"], line["local_ids"]) == (True, True, ["L-SEED"])


# -- bulk items refused without a request id -------------------------------------------------


def test_a_bulk_item_refused_without_request_id_is_rejected(emu: Emu, client: Connectel) -> None:
    emu.set(reject_without_id=True)
    emu.reject(FIRST)
    recipients = (Recipient(FIRST, "L-1"), Recipient(SECOND, "L-2"))
    first, second = client.send(SendRequest("Hello", recipients, "Acme"))
    (sent,) = emu.sends()
    items = json.loads(sent["body"])
    assert items["bulk"] is True
    assert (first.status, first.id, first.provider_code) == ("rejected", None, "REJECTD")
    assert first.bulk_id == second.bulk_id is not None
    assert (second.status, second.id is not None) == ("queued", True)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        # statusInt 2 alone is a refusal too
        ({"key": "L-1", "recipient": "46701234567", "statusInt": 2}, ("rejected", "2")),
        ({"key": "L-1", "recipient": "46701234567", "statusStr": "REJECTD", "statusInt": 2},
         ("rejected", "REJECTD")),
        # no request id and nothing that says refused: nobody can tell what became of it
        ({"key": "L-1", "recipient": "46701234567"}, ("unknown", None)),
        ({"key": "L-1", "recipient": "46701234567", "statusStr": "QUEUED"}, ("unknown", None)),
        ("not an object", ("unknown", None)),
    ],
)  # fmt: skip
def test_bulk_items_without_request_id(
    emu: Emu, client: Connectel, literal: Any, expected: tuple[str, str | None]
) -> None:
    answer = {"bulkid": "B-1", "recipient": [literal, {"key": "L-2", "requestid": "R-2"}],
              "statusInt": 0, "statusStr": "QUEUED"}  # fmt: skip
    emu.set(replay=[json.dumps(answer)])
    recipients = (Recipient(FIRST, "L-1"), Recipient(SECOND, "L-2"))
    first, second = client.send(SendRequest("Hello", recipients, "Acme"))
    assert (first.status, first.provider_code) == expected
    assert (second.status, second.id) == ("queued", "R-2")


def test_a_single_send_refused_without_request_id_is_rejected(emu: Emu, client: Connectel) -> None:
    emu.set(reject_without_id=True)
    emu.reject(FIRST)
    (result,) = client.send(SendRequest("Hello", (Recipient(FIRST, "L-1"),), "Acme"))
    assert (result.status, result.id, result.provider_code) == ("rejected", None, "REJECTD")


@pytest.mark.parametrize(
    ("refused", "code", "expected"),
    [((FIRST,), 3, ["rejected", "queued"]), ((FIRST, SECOND), 7, ["rejected", "rejected"])],
)
def test_send_exit_codes_when_bulk_items_are_refused_without_id(
    emu: Emu, profile: str, refused: tuple[str, ...], code: int, expected: list[str]
) -> None:
    emu.set(reject_without_id=True)
    emu.reject(*refused)
    result = send("--to", FIRST, "--to", SECOND, "Hello")
    assert result.exit_code == code, result.stderr
    assert statuses(result) == expected
    rows = {r["recipient"]: r for r in document(result)["results"]}
    assert rows[FIRST]["id"] is None and rows[FIRST]["provider_code"] == "REJECTD"
    shown = [dict(row) for row in History().find(rows[FIRST]["local_id"])]
    assert shown[0]["status"] == "rejected"
