"""Lifecycle races with a real `smsctl bulk` process: a cancel landing while a request the
provider will refuse (HTTP 401) is under way; a cancel of a job whose runner was killed."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import finish, smsctl
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import numbers, write_csv
from tests.providers.selection import any_provider

pytestmark = pytest.mark.parametrize("emu", [any_provider()], indirect=True)


def rows_of(tmp_path: Path) -> Counter[str]:
    file = tmp_path / "data" / "history.sqlite3"
    if not file.exists():
        return Counter()
    db = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        return Counter(state for (state,) in db.execute("SELECT state FROM job_rows"))
    except sqlite3.OperationalError:  # not migrated yet
        return Counter()
    finally:
        db.close()


def wait_for_in_flight(tmp_path: Path) -> None:
    deadline = time.monotonic() + 30
    while rows_of(tmp_path)["in_flight"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rows_of(tmp_path)["in_flight"] > 0


def test_a_cancel_while_a_refused_request_is_under_way_loses_no_row(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone", "n"]] + [[n, "x"] for n in numbers(3)])
    emu.set(tokens=["another-token"])  # ours is refused: HTTP 401, nothing sent
    emu.faults(latency=10)
    runner = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "1",
                    "--batch-size", "1", "--name", "spring")  # fmt: skip
    try:
        wait_for_in_flight(tmp_path)
        cancelled = run(["bulk", "cancel", "spring"])
        assert cancelled.exit_code == 0, cancelled.stderr
        emu.wait_idle(hurry=True)  # the 401 now
        code, stderr = finish(runner)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    emu.faults()
    # The row the provider refused is not put back to pending in a cancelled job: a resume
    # could never send it, and the counts say every row was never sent.
    assert rows_of(tmp_path) == Counter(cancelled=3), stderr
    assert "was cancelled: 3 row(s) were never sent" in stderr
    assert "refused" in stderr.split("was cancelled:")[1]  # the token cause is said too
    assert code == 6, stderr


def test_a_cancel_of_a_job_whose_runner_died_settles_its_rows_in_flight(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone", "n"]] + [[n, "x"] for n in numbers(3)])
    emu.faults(latency=10)
    runner = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "1",
                    "--batch-size", "1", "--name", "spring")  # fmt: skip
    try:
        wait_for_in_flight(tmp_path)
    finally:
        runner.kill()  # kill -9: the job stays `running`, one row in flight
        runner.communicate(timeout=10)
    emu.wait_idle(hurry=True)
    emu.faults()
    cancelled = run(["bulk", "cancel", "spring"])
    assert cancelled.exit_code == 0, cancelled.stderr
    assert rows_of(tmp_path) == Counter(cancelled=2, unknown=1)
    # The row that may have gone out is in the history, for `status --job` to settle.
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        ((status, n),) = db.execute(
            "SELECT m.status, COUNT(*) FROM job_rows r JOIN messages m ON m.local_id ="
            " r.local_id WHERE r.state = 'unknown' GROUP BY 1"
        )
    assert (status, n) == ("unknown", 1)


def test_a_cancel_with_no_pending_row_is_nothing_to_cancel(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone", "n"], [numbers(1)[0], "x"]])
    emu.faults(latency=10)
    runner = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--name", "spring")
    try:
        wait_for_in_flight(tmp_path)  # its only row is under way
        refused = run(["bulk", "cancel", "spring"])
        emu.wait_idle(hurry=True)
        code, stderr = finish(runner)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    emu.faults()
    assert refused.exit_code == 2 and "nothing to cancel" in refused.stderr, refused.stderr
    assert code == 0 and "finished: 1 message(s) accepted" in stderr, stderr
    assert "error" not in stderr
