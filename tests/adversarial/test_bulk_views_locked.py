"""`bulk jobs` and `bulk show --offline` read while another process holds the history's write
lock: a view never needs the lock (it reads the campaign state from the history), so it answers
(exit 0) instead of failing with a storage error, and still counts a settled row as settled."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest

from sms_cli.storage.db import FILE_NAME, data_dir
from sms_cli.storage.jobs import Journal
from sms_cli.storage.messages import History
from tests.integration.conftest import run

JOB = "feed" + "0" * 28


@pytest.fixture
def settled_job_locked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A finished job whose one row is `unknown` in the journal while its message is
    `delivered` in the history (settled by `status`), and another process holding the lock."""
    history = History()
    try:
        journal = Journal(history)
        journal.create(job_id=JOB, source="x.csv", fingerprint=JOB, profile="p", provider="seven")
        assert journal.confirm(JOB, JOB, new_job=False) is None
        with history.transaction() as db:
            db.execute(
                "INSERT INTO job_rows (job_id, line, recipient, text, segments, state, local_id,"
                " updated_at) VALUES (?, 2, '+46701234567', 'Hi', 1, 'unknown', 'm-1', 'now')",
                (JOB,),
            )
            db.execute(
                "INSERT INTO messages (local_id, batch_id, provider, recipient, text_sha256,"
                " segments, encoding, submitted_at, status, status_at) VALUES ('m-1', ?,"
                " 'seven', '+46701234567', 'h', 1, 'gsm7', 'now', 'delivered', 'now')",
                (JOB,),
            )
            db.execute("UPDATE jobs SET state = 'finished' WHERE job_id = ?", (JOB,))
    finally:
        history.close()
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
    holder = sqlite3.connect(data_dir() / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.close()


def test_bulk_jobs_reads_under_a_held_write_lock(settled_job_locked: None) -> None:
    listed = run(["bulk", "jobs", "--json"])
    assert listed.exit_code == 0, listed.stderr
    (job,) = json.loads(listed.stdout)["jobs"]
    assert (job["accepted"], job["unknown"]) == (1, 0)


def test_bulk_show_offline_reads_under_a_held_write_lock(settled_job_locked: None) -> None:
    shown = run(["bulk", "show", JOB[:8], "--offline", "--json"])
    assert shown.exit_code == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert (view["counts"]["delivered"], view["counts"]["unknown"]) == (1, 0)
