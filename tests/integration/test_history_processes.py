"""The history under real processes: several writers at once, and a writer killed mid-stream."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sms_cli.storage.db import MIGRATIONS, new_id
from sms_cli.storage.messages import History, MessageRecord, Outcome

WRITER = """
import sys
from pathlib import Path
from sms_cli.storage.db import new_id
from sms_cli.storage.messages import History, MessageRecord, Outcome

history = History(Path(sys.argv[1]))
prefix, count = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
for i in range(count):
    local_id = new_id()
    history.record_intent([MessageRecord(local_id, f"{prefix}-{i}", "p", "seven", "+46701234567",
                                         None, "hi", "h", 1, "gsm7")])
    history.record_outcomes([Outcome(local_id, "queued", provider_id=f"{prefix}-{i}")])
"""


def record(local_id: str, batch: str = "b") -> MessageRecord:
    return MessageRecord(
        local_id, batch, "p", "seven", "+46701234567", "Acme", "hi", "h", 1, "gsm7"
    )


def writer(path: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def wait_for_rows(path: Path, count: int, within: float = 20.0) -> None:
    """Until the history holds `count` messages (another process writing them)."""
    deadline = time.monotonic() + within
    while True:
        with sqlite3.connect(path, timeout=5) as connection:
            try:
                (found,) = connection.execute("SELECT COUNT(*) FROM messages").fetchone()
            except sqlite3.OperationalError:  # the tables are not there yet
                found = 0
        connection.close()
        if found >= count:
            return
        assert time.monotonic() < deadline, f"{found} of {count} messages written"
        time.sleep(0.01)


def test_migrations_are_applied_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).close()
    history = History(path)
    assert history.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert history.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    history.close()


def test_final_states_never_move_back(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    local_id = new_id()
    history.record_intent([record(local_id)])
    assert history.update_status(local_id, "enroute", "ACCEPTED")
    assert history.update_status(local_id, "delivered", "DELIVERED")
    assert not history.update_status(local_id, "enroute", "TRANSMITTED")
    assert not history.update_status(local_id, "failed", "NOTDELIVERED")
    (row,) = history.find(local_id)
    assert (row.status, row.provider_status) == ("delivered", "DELIVERED")
    history.close()


def test_in_flight_until_the_answer(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    local_id = new_id()
    history.record_intent([record(local_id)])
    (row,) = history.find(local_id)
    assert (row.status, row.provider_status) == ("unknown", "in_flight")
    history.record_outcomes([Outcome(local_id, "queued", provider_id="77")])
    (row,) = history.find("77")
    assert row.status == "queued"
    history.close()


def test_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    processes = [writer(path, prefix, 60) for prefix in "abcd"]
    for process in processes:
        assert process.wait(timeout=120) == 0
    history = History(path)
    rows = history.query()
    assert len(rows) == 240
    assert {r.status for r in rows} == {"queued"}
    assert {r.batch_id for r in rows} == {f"{p}-{i}" for p in "abcd" for i in range(60)}
    history.close()


def test_history_survives_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    process = writer(path, "k", 1_000_000)
    wait_for_rows(path, 50)  # killed mid-stream, not before the first write
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    history = History(path)
    rows = history.query()
    assert rows
    # Every message is either answered, or still recorded as in flight: never lost.
    assert all(
        (r.status, r.provider_id) == ("queued", r.batch_id)
        or (r.status, r.provider_status) == ("unknown", "in_flight")
        for r in rows
    )
    history.close()
