"""Exit paths of the bulk commands: reports written to pipes and full disks, a stdout that
cannot take a cancel's or a delete's answer, a damaged history, a history locked mid-run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import finish, ready_job, smsctl
from tests.adversarial.test_bulk_lifecycle_fixa import rows_of, wait_for_in_flight
from tests.integration.conftest import Emu
from tests.integration.test_bulk import bulk, job_ids, numbers, write_csv
from tests.providers.selection import any_provider

pytestmark = pytest.mark.parametrize("emu", [any_provider()], indirect=True)


def smsctl_piped(*args: str) -> subprocess.CompletedProcess[str]:
    """smsctl in its own process, its stdout a real pipe."""
    return subprocess.run(
        [sys.executable, "-m", "sms_cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bulk_report_to_dev_stdout_through_a_pipe_prints_the_csv(
    profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 2)
    done = smsctl_piped("bulk", "report", job, "--output", "/dev/stdout")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "line,recipient,status,id,bulk_id,error,text"
    assert len(lines) == 3 and all(",pending," in line for line in lines[1:]), done.stdout


def _small_files() -> None:
    import resource

    # Writes past 64 KiB fail (EFBIG): room for the history's small writes, not the report.
    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))


def test_a_report_the_disk_cannot_take_is_exit_4_a_bad_path_exit_2(
    profile: str, tmp_path: Path
) -> None:
    rows = [[n, "x" * 600] for n in numbers(150)]  # a report of about 100 KiB
    write_csv(tmp_path / "r.csv", [["phone", "n"], *rows])
    assert bulk(str(tmp_path / "r.csv"), "--message", "Hi {n}").exit_code == 2  # saved, not sent
    (job,) = job_ids()
    full = subprocess.run(
        [sys.executable, "-m", "sms_cli", "bulk", "report", job, "--output",
         str(tmp_path / "out.csv")],
        env=dict(os.environ), capture_output=True, text=True, timeout=60,
        preexec_fn=_small_files,
    )  # fmt: skip
    assert full.returncode == 4, full.stderr
    assert "cannot write the report" in full.stderr and "Traceback" not in full.stderr
    assert not (tmp_path / "out.csv").exists()
    missing = smsctl_piped("bulk", "report", job, "--output", str(tmp_path / "no" / "out.csv"))
    assert missing.returncode == 2 and "cannot write the report" in missing.stderr
    directory = smsctl_piped("bulk", "report", job, "--output", str(tmp_path))
    assert directory.returncode == 2 and "directory" in directory.stderr
    for option in ("--output", "--report"):
        args = ("report", job) if option == "--output" else ("resume", job)
        empty = smsctl_piped("bulk", *args, option, "")
        assert empty.returncode == 2 and "no path" in empty.stderr, empty.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("verb", ["cancel", "delete"])
def test_a_cancel_or_delete_whose_answer_cannot_be_written_says_it_was_done(
    profile: str, tmp_path: Path, verb: str
) -> None:
    job = ready_job(tmp_path / "r.csv", 2)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "sms_cli", "bulk", verb, job, "--json"],
            env=dict(os.environ), stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    assert "Traceback" not in done.stderr
    assert f"job {job[:8]}" in done.stderr and f"was {verb}" in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    after = smsctl_piped("bulk", "jobs", "--json")
    if verb == "delete":
        assert job not in after.stdout
    else:
        assert '"cancelled"' in after.stdout, after.stdout


def test_a_damaged_history_is_named_with_its_fix_not_a_hint_to_a_failing_command(
    profile: str, tmp_path: Path
) -> None:
    rows = [[n, "x" * 100] for n in numbers(40)]
    write_csv(tmp_path / "r.csv", [["phone", "n"], *rows])
    sent = bulk(str(tmp_path / "r.csv"), "--message", "Hi {n}", "--yes")
    assert sent.exit_code == 0, sent.stderr
    (job,) = job_ids()
    history = tmp_path / "data" / "history.sqlite3"
    assert history.stat().st_size > 16384 and not Path(f"{history}-wal").exists()
    with open(history, "r+b") as file:
        file.seek(12288)
        file.write(bytes(range(256)) * 16)  # 4 KiB of garbage over a page (the messages)
    shows = ("bulk", "show", job, "--offline")
    for args in (("bulk", "jobs"), shows, ("bulk", "report", job), ("bulk", "resume", job)):
        done = smsctl_piped(*args)
        assert done.returncode == 4, (args, done.stderr)
        assert "is damaged: move it away" in done.stderr, (args, done.stderr)
        assert "smsctl bulk jobs" not in done.stderr and "Traceback" not in done.stderr


def test_answers_a_locked_history_could_not_record_are_said_with_how_to_settle_them(
    emu: Emu, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
    path = write_csv(tmp_path / "r.csv", [["phone", "n"]] + [[n, "x"] for n in numbers(3)])
    emu.faults(latency=10)
    runner = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "1",
                    "--batch-size", "1", "--name", "spring")  # fmt: skip
    holder: sqlite3.Connection | None = None
    try:
        wait_for_in_flight(tmp_path)  # the first row's request is under way
        holder = sqlite3.connect(tmp_path / "data" / "history.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the history stays locked past the busy timeout
        emu.wait_idle(hurry=True)  # its answer now: accepted, and not recordable
        code, stderr = finish(runner)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
        if holder is not None:
            holder.close()
    emu.faults()
    assert code == 4, stderr
    assert "what it sent is journaled" not in stderr
    assert "1 answer(s) arrived (accepted 1) but could not be recorded" in stderr, stderr
    assert "unknown on resume although they were answered" in stderr
    assert "smsctl status --job " in stderr and "before any --retry-unknown" in stderr
    assert rows_of(tmp_path)["in_flight"] == 1  # the engine's design: unknown on resume
