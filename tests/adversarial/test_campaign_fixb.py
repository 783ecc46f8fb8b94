"""Campaign delivery after a runner died, and `status --job --wait` on a job nobody sends."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, write_csv


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def sent_job(emu: Emu, tmp_path: Path, count: int = 3) -> None:
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in numbers(count)])
    for number in numbers(count):
        emu.script(number, "delivered")
    assert bulk(str(path), "--message", "Sale", "--yes", "--json").exit_code == 0


def killed_mid_run(tmp_path: Path, *, in_flight: int, pending: int = 0) -> None:
    """As a kill -9 leaves a job: `running`, its process gone, rows in flight (and pending)."""
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        db.execute("UPDATE jobs SET state = 'running', runner_pid = ?", (dead_pid(),))
        db.execute("UPDATE job_rows SET state = 'in_flight' WHERE line <= ?", (in_flight + 1,))
        # A row in flight has no answer yet: its message enters the history with the answer.
        db.execute(
            "DELETE FROM messages WHERE local_id IN"
            " (SELECT local_id FROM job_rows WHERE state = 'in_flight')"
        )
        db.execute(
            "DELETE FROM messages WHERE local_id IN (SELECT local_id FROM job_rows"
            " WHERE line > ? AND line <= ?)",
            (in_flight + 1, in_flight + pending + 1),
        )
        db.execute(
            "UPDATE job_rows SET state = 'pending', local_id = NULL WHERE line > ? AND line <= ?",
            (in_flight + 1, in_flight + pending + 1),
        )


def test_a_job_whose_runner_died_shows_interrupted_with_unknown_rows(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    sent_job(emu, tmp_path)
    killed_mid_run(tmp_path, in_flight=1)
    shown = bulk("show", "last", "--offline", "--json")
    assert shown.exit_code == 8, shown.stderr
    view = json.loads(shown.stdout)
    assert view["job"]["state"] == "interrupted"
    assert "process" in view["job"]["note"] and "gone" in view["job"]["note"]
    assert view["counts"]["in_flight"] == 1 and view["final"] is False
    assert "smsctl bulk resume" in shown.stderr
    status = run(["status", "--job", "last", "--json"])
    assert status.exit_code == 8
    assert json.loads(status.stdout)["job"]["state"] == "interrupted"
    listed = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"][0]
    assert (listed["state"], listed["unknown"]) == ("interrupted", 1)
    human = run(["bulk", "jobs"])
    assert "interrupted" in human.stdout and "running" not in human.stdout
    # Read-only: the journal still says running, for `bulk resume` to settle.
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        assert db.execute("SELECT state FROM jobs").fetchone()[0] == "running"
    resumed = bulk("resume", "last", "--yes", "--json")
    assert resumed.exit_code == 8, resumed.stderr  # settled as unknown, never sent again
    assert "1 row(s) were in flight" in resumed.stderr


def test_wait_on_a_job_nobody_sends_returns_at_once(emu: Emu, profile: str, tmp_path: Path) -> None:
    """Rows pending in a job whose runner died: waiting would never send them, so --timeout is
    not waited out (a generous bound on the wall time: returning at once takes a fraction)."""
    sent_job(emu, tmp_path, count=4)
    killed_mid_run(tmp_path, in_flight=0, pending=2)
    emu.control("advance", {"steps": 10})
    started = time.monotonic()
    result = run(["status", "--job", "last", "--wait", "--timeout", "5", "--interval", "0.05"])
    assert time.monotonic() - started < 4
    assert result.exit_code == 9, result.stderr
    assert "nobody is sending them" in result.stderr
    assert "smsctl bulk resume" in result.stderr


def test_wait_is_not_held_by_an_unknown_the_provider_cannot_find(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    from sms_cli.providers.info import Capability
    from tests.providers.selection import supports

    emu.faults(mode="drop_after", times=1)
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in numbers(1)])
    assert bulk(str(path), "--message", "Sale", "--yes", "--timeout", "5").exit_code == 8
    emu.faults()
    if supports(emu.name, Capability.FIND_SENT):  # findable: no reference makes it unfindable
        with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
            db.execute("UPDATE messages SET foreign_id = NULL")
    started = time.monotonic()
    result = run(["status", "--job", "last", "--wait", "--timeout", "5", "--interval", "0.05"])
    assert time.monotonic() - started < 4
    assert result.exit_code == 8, result.stderr
    assert "unknown outcome" in result.stderr


# -- one explainer; the summary counts what `bulk show` counts -------------------------------


def test_invalid_rows_are_not_failed_rows_at_the_end_nor_in_show(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", [["phone"], [numbers(2)[0]], ["not a number"]])
    sent = bulk(str(path), "--message", "Sale", "--yes", "--json")
    assert sent.exit_code == 3, sent.stderr  # exit codes unchanged
    short = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"][0]["short_id"]
    said = f"1 invalid row(s): see smsctl bulk report {short}"
    assert said in sent.stderr
    assert "retry" not in sent.stderr and "row(s) failed" not in sent.stderr
    shown = bulk("show", "last", "--offline")
    assert said in shown.stderr and "retry" not in shown.stderr


def test_the_end_of_a_run_counts_campaign_states_as_show_does(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    sent_job(emu, tmp_path, count=2)
    emu.control("advance", {"steps": 10})
    show = bulk("show", "last", "--json")
    assert show.exit_code == 0, show.stderr
    counts = {k: v for k, v in json.loads(show.stdout)["counts"].items() if v}
    assert counts == {"delivered": 2}
    again = bulk("resume", "last", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    ended = json.loads(again.stdout)
    assert ended["rows"] == counts
    assert set(ended) >= {"rows", "failed_by_reason", "segments_sent", "provider_price"}
    assert "finished: 2 message(s) accepted" in again.stderr


def test_a_history_that_fails_a_read_is_exit_4_for_show_and_jobs(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """One storage_errors (services/bulk) for the campaign view and the job commands."""
    sent_job(emu, tmp_path, count=1)
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        db.execute("ALTER TABLE job_rows RENAME TO job_rows_gone")
    for command in (["bulk", "show", "last", "--offline"], ["bulk", "jobs"]):
        result = run(command)
        assert result.exit_code == 4, (command, result.stderr)
        assert "Traceback" not in result.stderr
        assert "the history" in result.stderr


def test_the_progress_line_off_a_terminal_ends_on_the_final_count(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in numbers(10)])
    sent = bulk(str(path), "--message", "Sale", "--yes", "--batch-size", "1")
    assert sent.exit_code == 0, sent.stderr
    lines = [line for line in sent.stderr.splitlines() if line.startswith("answered ")]
    assert lines and lines[-1].startswith("answered 10 of 10: 10 accepted"), lines


def test_retry_unknown_with_none_says_none(emu: Emu, profile: str, tmp_path: Path) -> None:
    sent_job(emu, tmp_path, count=1)
    again = bulk("resume", "last", "--retry-unknown", "--yes")
    assert again.exit_code == 0, again.stderr
    assert "0 row(s)" not in again.stderr
    assert "no row of unknown outcome to send again" in again.stderr


@pytest.mark.parametrize(
    "extra",
    [["--attach-validity", "3"], ["--attach-password-env", "SMSCTL_TEST_PW"]],
    ids=["validity", "password"],
)
def test_attach_extras_without_attach_are_refused(
    emu: Emu, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    monkeypatch.setenv("SMSCTL_TEST_PW", "s3cret-pw")
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in numbers(1)])
    for command in (
        ["send", "--to", numbers(1)[0], "Hi", *extra],
        ["bulk", str(path), "--message", "Hi", "--yes", *extra],
    ):
        result = run(command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "without --attach" in result.stderr
    assert emu.sends() == []


def test_charged_says_how_many_rows_were_priced(emu: Emu, profile: str, tmp_path: Path) -> None:
    sent_job(emu, tmp_path, count=2)
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        db.execute("UPDATE messages SET price = 0.075")
        db.execute(
            "UPDATE messages SET price = NULL WHERE rowid = (SELECT MIN(rowid) FROM messages)"
        )
    view = json.loads(bulk("show", "last", "--offline", "--json").stdout)
    assert view["cost"]["charged"] == 0.075
    assert (view["cost"]["priced_rows"], view["cost"]["sent_rows"]) == (1, 2)
    human = bulk("show", "last", "--offline")
    assert "charged (1 of 2 rows priced)" in human.stdout
