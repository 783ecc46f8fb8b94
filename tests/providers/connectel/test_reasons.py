"""Connectel's words on a state reach the history, `status` and `log` (moved from
tests/integration/test_reasons.py: these read Connectel's own wire format)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sms_cli.core.redaction import WITHHELD
from sms_cli.providers.connectel.client import Connectel
from sms_cli.render.log import LOG_KEYS
from sms_cli.storage.messages import History
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_reasons import (
    INVALID,
    STATUS_KEYS,
    UNDELIVERED,
    log_json,
    status_json,
    wait_final,
)
from tests.integration.test_receiving import Listener, point_callbacks_at, start_listener
from tests.integration.test_send_contract import FIRST, SECOND, document, send


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from start_listener()


@pytest.fixture
def provider() -> str:
    return "connectel"


def test_connectel_undelivered_reason_reaches_status_log_and_tables(emu: Emu, profile: str) -> None:
    emu.control("script", {"number": FIRST, "statuses": ["UNDELIV"]})
    send("--to", FIRST, "--to", SECOND, "Hi")
    result, messages = wait_final("--last")
    assert result.exit_code == 7
    assert all(set(m) == STATUS_KEYS for m in messages)
    assert [(m["recipient"], m["status"], m["reason"]) for m in messages] == [
        (FIRST, "failed", UNDELIVERED),
        (SECOND, "delivered", None),  # DELIVRD comes with an empty statusDesc: no reason
    ]
    logged = log_json()
    assert all(set(m) == set(LOG_KEYS) for m in logged)
    assert {m["recipient"]: m["reason"] for m in logged} == {FIRST: UNDELIVERED, SECOND: None}
    csv_lines = run(["log", "--csv"]).stdout.splitlines()
    assert csv_lines[0].endswith(",test,reason")
    assert any(line.endswith(f",false,{UNDELIVERED}") for line in csv_lines[1:])

    table = run(["status", "--last"]).stdout.splitlines()
    assert table[0].split() == [
        "Recipient", "Status", "Provider", "status", "ID", "Updated", "Reason",
    ]  # fmt: skip
    assert table[1].endswith(UNDELIVERED) and table[2].endswith("-")
    assert run(["log"]).stdout.splitlines()[0].split()[-1] == "Reason"


def test_no_reason_column_when_no_message_has_one(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    result, messages = wait_final("--last")
    assert result.exit_code == 0
    assert messages[0]["reason"] is None
    assert "Reason" not in run(["status", "--last"]).stdout
    assert "Reason" not in run(["log"]).stdout
    assert log_json()[0]["reason"] is None


def test_connectel_delivery_by_bulk_id_carries_each_reason(emu: Emu, profile: str) -> None:
    emu.control("script", {"number": SECOND, "statuses": ["EXPIRED"]})
    sent = document(send("--to", FIRST, "--to", SECOND, "Hi"))
    bulk_id = sent["results"][0]["bulk_id"]
    assert bulk_id
    emu.control("advance", {"steps": 2})
    client = Connectel({"token": CANARY}, emu.base_url, timeout=5)
    try:
        reports = client.status([bulk_id])  # /api/v2/delivery/ by the bulk id: a recipient list
    finally:
        client.close()
    assert [(r.recipient, r.status, r.reason) for r in reports] == [
        (FIRST, "delivered", None),
        (SECOND, "expired", "Validity period expired"),
    ]
    result, messages = status_json(bulk_id)  # the history knows it: each message by its id
    assert result.exit_code == 7
    assert [m["reason"] for m in messages] == [None, "Validity period expired"]


def test_connectel_send_answer_refusal_keeps_its_status_desc(emu: Emu, profile: str) -> None:
    emu.reject(FIRST)
    single = send("--to", FIRST, "Hi")
    assert single.exit_code == 7
    bulk = send("--to", FIRST, "--to", SECOND, "Hi")
    assert bulk.exit_code == 3
    assert [(m["recipient"], m["status"], m["reason"]) for m in log_json()] == [
        (SECOND, "queued", None),
        (FIRST, "rejected", INVALID),  # from the bulk answer's item
        (FIRST, "rejected", INVALID),  # from the single answer
    ]
    _, messages = status_json("--last")
    assert [m["reason"] for m in messages] == [INVALID, None]


def test_a_reason_echoing_the_token_is_withheld(emu: Emu, profile: str) -> None:
    emu.set(status_desc={"UNDELIV": f"no route; request was authorization={CANARY}&x=1"})
    emu.control("script", {"number": FIRST, "statuses": ["UNDELIV"]})
    send("--to", FIRST, "Hi")
    result, messages = wait_final("--last")
    assert result.exit_code == 7
    assert messages[0]["reason"] == WITHHELD
    assert log_json()[0]["reason"] == WITHHELD
    for args in (["status", "--last"], ["log"], ["log", "--csv"], ["log", "--json"]):
        shown = run(args)
        assert CANARY not in shown.stdout + shown.stderr
        assert CANARY[:8] not in shown.stdout + shown.stderr
    (stored,) = History().query()
    assert stored["reason"] == WITHHELD  # never stored either


@pytest.mark.parametrize("style", ["json", "form"])
def test_connectel_dlr_push_with_status_desc_reaches_the_history(
    emu: Emu, profile: str, listener: Listener, style: str
) -> None:
    point_callbacks_at(emu, listener, format=style)
    emu.control("script", {"number": FIRST, "statuses": ["UNDELIV"]})
    sent = document(send("--to", FIRST, "Hi"))
    emu.control("advance", {"steps": 1})
    emu.control("flush")
    assert not listener.refusals
    assert listener.events[-1].event.reason == UNDELIVERED  # type: ignore[union-attr]
    before = len(emu.requests())
    result, messages = status_json(sent["results"][0]["id"])
    assert result.exit_code == 7
    assert (messages[0]["status"], messages[0]["reason"]) == ("failed", UNDELIVERED)
    assert len(emu.requests()) == before  # final from the push: the provider was not asked
