"""Failure reasons end to end: the provider's words on a state reach the history, `status`,
`log` and their JSON, over real HTTP with the emulators (PROVIDERS.md §3.5, §3.6, §2.5.3)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from typer.testing import Result

from sms_cli.core.callbacks import DeliveryEvent
from sms_cli.storage.db import MIGRATIONS, now_iso
from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.integration.conftest import Emu, run
from tests.integration.test_send_contract import FIRST, send

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


def test_not_sent_reason_is_the_error(emu: Emu, profile: str) -> None:
    emu.set(tokens=["another-token"])
    result = send("--to", FIRST, "Hi")
    assert result.exit_code == 5
    (row,) = log_json()
    assert row["status"] == "not_sent"
    assert row["reason"] == row["error"] and row["reason"].startswith("not sent: ")


# -- the history: a reason belongs to its state ---------------------------------------------------


def test_same_state_without_a_reason_keeps_it_a_new_state_replaces_it() -> None:
    history = History()
    record_sent(history, "m1", "connectel", "r-1", "queued")
    assert history.update_status("m1", "enroute", "ENROUTE", reason="Buffered at the SMSC")
    assert not history.update_status("m1", "enroute", "ENROUTE", reason=None)
    assert not history.update_status("m1", "enroute", "ENROUTE", reason="  ")  # blank: none
    assert history.find("m1")[0].reason == "Buffered at the SMSC"
    assert history.update_status("m1", "failed", "UNDELIV", reason=None)
    assert history.find("m1")[0].reason is None
    # The same final state, now with the provider's reason for it: kept, the state unchanged.
    assert history.update_status("m1", "failed", "UNDELIV", reason=UNDELIVERED)
    assert history.update_status("m1", "delivered", "DELIVRD", reason="late") is False
    row = history.find("m1")[0]
    assert (row.status, row.reason) == ("failed", UNDELIVERED)
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
    assert history.find("m1")[0].reason == "Handed to the operator"
    push("failed", "UNDELIV", UNDELIVERED)
    row = history.find("m1")[0]
    assert (row.status, row.reason) == ("failed", UNDELIVERED)
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
    reasons = {row.local_id: row.reason for row in history.query()}
    history.close()
    assert reasons == {
        "refused": "Invalid recipient",
        "never": "not sent: authentication failed",
        "moved": None,  # the error was about the send, not the state a report moved it to
        "fine": None,
    }
