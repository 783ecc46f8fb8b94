"""Failure reasons end to end: the provider's words on a state reach the history, `status`,
`log` and their JSON, over real HTTP with the emulators (PROVIDERS.md §3.5, §3.6, §2.5.3)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from sms_cli.core.callbacks import DeliveryEvent
from sms_cli.core.redaction import WITHHELD
from sms_cli.providers.connectel.client import Connectel
from sms_cli.render.log import LOG_KEYS
from sms_cli.storage.messages import MIGRATIONS, History, now_iso
from tests.conftest import record_sent
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_receiving import Listener, point_callbacks_at, start_listener
from tests.integration.test_send_contract import FIRST, SECOND, document, send

CONNECTEL = pytest.mark.parametrize("provider", ["connectel"], indirect=True)
SEVEN = pytest.mark.parametrize("provider", ["seven"], indirect=True)
STATUS_KEYS = {
    "id", "recipient", "status", "provider_status", "updated_at", "final", "local_id",
    "bulk_id", "provider", "profile", "note", "reason",
}  # fmt: skip
UNDELIVERED = "Absent subscriber"  # the Connectel emulator's statusDesc for UNDELIV
INVALID = "Invalid destination number"  # ... and for REJECTD


def status_json(*args: str) -> tuple[Result, list[dict[str, Any]]]:
    result = run(["status", "--json", *args])
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)["messages"]


def log_json() -> list[dict[str, Any]]:
    result = run(["log", "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["messages"]  # type: ignore[no-any-return]


def wait_final(*args: str) -> tuple[Result, list[dict[str, Any]]]:
    return status_json(*args, "--wait", "--interval", "0.05", "--timeout", "20")


@CONNECTEL
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


@CONNECTEL
def test_no_reason_column_when_no_message_has_one(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    result, messages = wait_final("--last")
    assert result.exit_code == 0
    assert messages[0]["reason"] is None
    assert "Reason" not in run(["status", "--last"]).stdout
    assert "Reason" not in run(["log"]).stdout
    assert log_json()[0]["reason"] is None


@CONNECTEL
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


@CONNECTEL
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


@SEVEN
def test_seven_error_text_of_a_refused_recipient_is_the_reason(emu: Emu, profile: str) -> None:
    emu.reject(SECOND)
    result = send("--to", FIRST, "--to", SECOND, "Hi")
    assert result.exit_code == 3
    _, messages = status_json("--last")
    assert [(m["recipient"], m["reason"]) for m in messages] == [
        (FIRST, None),
        (SECOND, "Invalid recipient"),  # messages[].error_text (§2.5.3)
    ]
    assert messages[1]["status"] == "rejected"
    assert {m["recipient"]: m["reason"] for m in log_json()} == {
        FIRST: None,
        SECOND: "Invalid recipient",
    }


def test_not_sent_reason_is_the_error(emu: Emu, profile: str) -> None:
    emu.set(tokens=["another-token"])
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    (row,) = log_json()
    assert row["status"] == "not_sent"
    assert row["reason"] == row["error"] and row["reason"].startswith("not sent: ")


@CONNECTEL
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


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from start_listener()


@CONNECTEL
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


# -- the history: a reason belongs to its state ---------------------------------------------------


def test_same_state_without_a_reason_keeps_it_a_new_state_replaces_it() -> None:
    history = History()
    record_sent(history, "m1", "connectel", "r-1", "queued")
    assert history.update_status("m1", "enroute", "ENROUTE", reason="Buffered at the SMSC")
    assert not history.update_status("m1", "enroute", "ENROUTE", reason=None)
    assert not history.update_status("m1", "enroute", "ENROUTE", reason="  ")  # blank: none
    assert history.find("m1")[0]["reason"] == "Buffered at the SMSC"
    assert history.update_status("m1", "failed", "UNDELIV", reason=None)
    assert history.find("m1")[0]["reason"] is None
    # The same final state, now with the provider's reason for it: kept, the state unchanged.
    assert history.update_status("m1", "failed", "UNDELIV", reason=UNDELIVERED)
    assert history.update_status("m1", "delivered", "DELIVRD", reason="late") is False
    row = history.find("m1")[0]
    assert (row["status"], row["reason"]) == ("failed", UNDELIVERED)
    history.close()


def test_pushed_reports_keep_or_replace_the_reason_as_polling_does() -> None:
    history = History()
    record_sent(history, "m1", "connectel", "r-1", "queued")

    def push(status: Any, raw: str, reason: str | None) -> None:
        history.receive(DeliveryEvent("connectel", "r-1", status, raw, reason=reason))
        # A provider's repeat is dropped by its key; these are reports of their own.
        history.connection.execute("DELETE FROM callback_events")

    push("enroute", "ENROUTE", "Handed to the operator")
    push("enroute", "ENROUTE", None)  # the same state again, without a statusDesc
    assert history.find("m1")[0]["reason"] == "Handed to the operator"
    push("failed", "UNDELIV", UNDELIVERED)
    row = history.find("m1")[0]
    assert (row["status"], row["reason"]) == ("failed", UNDELIVERED)
    history.close()


def test_migration_keeps_send_time_errors_as_reasons(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, script in MIGRATIONS[:4]:
        db.executescript(script)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, now_iso()))
    rows = [
        # local id, status, provider_status, provider_code, error
        ("refused", "rejected", "202", "202", "Invalid recipient"),
        ("never", "not_sent", None, None, "not sent: authentication failed"),
        ("moved", "failed", "UNDELIV", None, "the answer was lost; it may have been sent"),
        ("fine", "delivered", "DELIVRD", None, None),
    ]
    for local_id, status, raw, code, error in rows:
        db.execute(
            "INSERT INTO messages (local_id, batch_id, provider, recipient, text_sha256, "
            "segments, encoding, submitted_at, status, provider_status, provider_code, error, "
            "status_at) VALUES (?, 'b', 'seven', '+46701234567', 'x', 1, 'gsm7', '', ?, ?, ?, "
            "?, '')",
            (local_id, status, raw, code, error),
        )
    db.commit()
    db.close()
    history = History(path)
    assert "0005_reasons" in history.applied_migrations()
    reasons = {row["local_id"]: row["reason"] for row in history.query()}
    history.close()
    assert reasons == {
        "refused": "Invalid recipient",
        "never": "not sent: authentication failed",
        "moved": None,  # the error was about the send, not the state a report moved it to
        "fine": None,
    }
