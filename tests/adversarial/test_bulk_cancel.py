"""`bulk cancel` from another process while a real `smsctl bulk` process sends: after the cancel
returns, no row that was pending then reaches the provider (the emulator's own record against
the journal), and the runner ends `cancelled` with its documented exit code. Meanwhile `bulk
jobs` and `bulk report` read the running job; `bulk delete` and `bulk resume` are refused."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from pathlib import Path

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import finish, smsctl, wait_for_sends
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import numbers, received, write_csv


def test_cancel_during_a_run_sends_no_pending_row(emu: Emu, profile: str, tmp_path: Path) -> None:
    count = 60
    path = write_csv(
        tmp_path / "r.csv", [["phone", "n"]] + [[n, str(i)] for i, n in enumerate(numbers(count))]
    )
    emu.faults(latency=0.1)
    runner = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "2",
                    "--name", "spring")  # fmt: skip
    try:
        wait_for_sends(emu, 4)
        # Readers while it runs (WAL): the list and the report answer; delete and resume wait.
        (job,) = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
        assert job["state"] == "running"
        report = run(["bulk", "report", "spring"])
        assert report.exit_code == 0, report.stderr
        assert len(report.stdout.splitlines()) == count + 1
        refused = run(["bulk", "delete", "spring"])
        assert refused.exit_code == 2 and "is being run by" in refused.stderr
        again = run(["bulk", "resume", "spring", "--yes"])
        assert again.exit_code == 2 and "is being run by" in again.stderr

        cancelled = run(["bulk", "cancel", "spring", "--json"])
        assert cancelled.exit_code == 0, cancelled.stderr
        taken = json.loads(cancelled.stdout)["cancelled_rows"]
        assert 0 < taken < count
        code, stderr = finish(runner)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    emu.wait_idle(hurry=False)
    emu.faults()
    assert code == 6, stderr  # README: a cancelled run exits 6 (rows not sent) unless worse
    assert f"job {job['short_id']} was cancelled: {taken} row(s) were never sent" in stderr
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        states = dict(
            db.execute("SELECT recipient, state FROM job_rows WHERE job_id = ?", (job["job_id"],))
        )
    never = {number for number, state in states.items() if state == "cancelled"}
    assert len(never) == taken
    sent = received(emu)
    assert not never & set(sent)  # no row pending at the cancel reached the provider
    assert all(times == 1 for times in sent.values())
    assert set(sent) == {n for n, s in states.items() if s != "cancelled"}
    assert Counter(states.values())["accepted"] == len(sent)
    (after,) = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    assert (after["state"], after["pending"], after["cancelled"]) == ("cancelled", 0, taken)
    rows = list(csv.reader(io.StringIO(run(["bulk", "report", "last"]).stdout)))
    assert Counter(row[2] for row in rows[1:]) == Counter(states.values())
