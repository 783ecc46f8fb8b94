"""`smsctl bulk` under attack: a deleted lock file, a stderr that goes away or is full, hostile
CSVs (duplicate headers, runaway quotes, no newlines, rows of delimiters), a profile of another
provider, an account out of credit.

What counts is what the emulator received, not what our own journal says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.info import Capability
from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import finish, ready_job, smsctl, wait_for_sends
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_bulk import bulk, job_ids, numbers, received, summary, write_csv
from tests.providers.selection import supports


def listed_job() -> dict[str, object]:
    (job,) = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    return job  # type: ignore[no-any-return]


def personal_csv(path: Path, count: int) -> Path:
    return write_csv(path, [["phone", "n"]] + [[n, str(i)] for i, n in enumerate(numbers(count))])


# -- F2: the lock file deleted under a live run ------------------------------------------------


def test_a_deleted_lock_file_lets_no_second_runner_in(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    count = 40
    path = personal_csv(tmp_path / "r.csv", count)
    emu.faults(latency=0.05)
    live = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "2")
    wait_for_sends(emu, 5)
    (job,) = job_ids()
    locks = tmp_path / "data" / "locks"
    for lock in locks.iterdir():
        lock.unlink()
    second = bulk("--resume", job, "--yes")
    assert second.exit_code == 2, second.stderr
    assert f"is being run by smsctl process {live.pid}" in second.stderr
    code, stderr = finish(live)
    assert code == 0, stderr
    emu.faults()
    assert received(emu) == Counter(numbers(count))  # everyone, exactly once
    listed = listed_job()
    # The live run's rows in flight were never turned into unknown by the refused resume.
    assert (listed["state"], listed["accepted"], listed["unknown"]) == ("finished", count, 0)


def test_a_job_left_running_by_a_dead_process_is_resumable(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    import sqlite3

    job = ready_job(tmp_path / "r.csv", 3)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        db.execute(
            "UPDATE jobs SET state = 'running', runner_pid = ? WHERE job_id = ?",
            (int(dead.stdout), job),
        )
    resumed = bulk("--resume", job, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert received(emu) == Counter(numbers(3))


def test_a_lock_taken_on_a_file_deleted_meanwhile_is_taken_again() -> None:
    from sms_cli.storage.jobs import JobLock

    first = JobLock("a" * 32)
    assert first.try_acquire()
    first.path.unlink()  # as `rm data/locks/*` would, under a live run
    second = JobLock("a" * 32)
    assert second.try_acquire()  # a new file: the first cannot be seen through the path
    try:
        third = JobLock("a" * 32)
        assert not third.try_acquire()  # but the new one holds
        assert second.fd is not None
        held, named = os.fstat(second.fd), os.stat(second.path)
        assert (held.st_ino, held.st_dev) == (named.st_ino, named.st_dev)
    finally:
        second.release()
        first.release()


# -- F3: a stderr whose reader goes away; F6: a stderr that is full -----------------------------


def test_a_stderr_reader_that_goes_away_does_not_stop_the_run(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """`2> >(head -c 150 >/dev/null)`: the totals are read, then the reader is gone before the
    first progress line. Every row is still sent, once, and the job is not `done` early."""
    count = 20
    path = personal_csv(tmp_path / "r.csv", count)
    read, write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "bulk", str(path), "--message", "Hi {n}", "--yes",
         "--json", "--concurrency", "1"],
        env=dict(os.environ), stdout=subprocess.PIPE, stderr=write, text=True,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as stderr:
        for _ in range(20):  # the pre-flight totals, then the reader goes away
            line = stderr.readline()
            if not line or line.startswith("segments:"):
                break
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0, stdout
    assert json.loads(stdout)["rows"] == {"accepted": count}
    assert received(emu) == Counter(numbers(count))
    assert listed_job()["state"] == "finished"


def test_a_worker_that_dies_is_never_a_quiet_finish(emu: Emu, profile: str, tmp_path: Path) -> None:
    """Whatever ends a worker (here the progress callback) reaches the caller: the run does
    not return as if every row had been sent."""
    from sms_cli.providers import registry
    from sms_cli.providers.registry import load
    from sms_cli.services.bulk.engine import Engine, batches
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    job = ready_job(tmp_path / "r.csv", 6)

    def progress(_: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    history = History()
    try:
        journal = Journal(history)
        client_class = load(registry.get(emu.name).client)
        engine = Engine(
            job_id=job, profile=profile, provider=emu.name,
            make_client=lambda: client_class({"token": CANARY}, emu.base_url, timeout=5.0),
            history_factory=History, concurrency=1, rate=None, on_progress=progress,
        )  # fmt: skip
        pending = journal.pending(job)
        with pytest.raises(BrokenPipeError):
            engine.run(batches(pending, 1))
        pending.close()
        assert journal.counts(job) == {"accepted": 1, "pending": 5}
    finally:
        history.close()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_stderr_does_not_stop_the_program(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = personal_csv(tmp_path / "r.csv", 3)
    with open("/dev/full", "w") as full:
        process = subprocess.run(
            [sys.executable, "-m", "sms_cli", "bulk", str(path), "--message", "Hi {n}", "--yes",
             "--json"],
            env=dict(os.environ), stdout=subprocess.PIPE, stderr=full, text=True, timeout=60,
        )  # fmt: skip
    assert process.returncode == 0
    assert json.loads(process.stdout)["rows"] == {"accepted": 3}
    assert received(emu) == Counter(numbers(3))


# -- F4: argv that is not UTF-8 ------------------------------------------------------------------


def test_a_resume_id_that_is_not_utf8_is_exit_2(emu: Emu, profile: str) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "sms_cli", "bulk", "--resume", b"\xff", "--yes"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    stderr = process.stderr.decode(errors="replace")
    assert process.returncode == 2, stderr
    assert "--resume is not valid UTF-8" in stderr and "Traceback" not in stderr


# -- F5: hostile CSVs ----------------------------------------------------------------------------


def test_a_header_naming_a_column_twice_is_exit_2(emu: Emu, profile: str, tmp_path: Path) -> None:
    a, b = numbers(2)
    path = tmp_path / "r.csv"
    path.write_text(f"phone,name,phone,name,n\n{a},Anna,{b},Bo,1\n")
    for mode in ("--dry-run", "--yes"):
        result = bulk(str(path), "--message", "Hi {name}", mode)
        assert result.exit_code == 2
        assert "the header names 'name', 'phone' more than once" in result.stderr
    assert emu.requests() == [] and job_ids() == []


def stray_quote_csv(path: Path, count: int) -> list[str]:
    """Line 3 opens a quote that nothing closes; the rows after it are inside the quote."""
    first, second, *rest = numbers(count)
    lines = ["phone,name", f"{first},Anna", f'{second},"Bo']
    lines += [f"{n},Name number {i}" for i, n in enumerate(rest)]
    path.write_text("\n".join(lines) + "\n")
    return [first]


def test_a_stray_quote_past_64_kib_is_one_error_row_covering_every_line(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    count = 8000  # about 200 KiB inside the quote: past the csv module's default field limit
    path = tmp_path / "r.csv"
    sendable = stray_quote_csv(path, count)
    dry = bulk(str(path), "--message", "Hi {name}", "--dry-run", "--json")
    *verdicts, totals = [json.loads(line) for line in dry.stdout.splitlines()]
    assert [v["line"] for v in verdicts] == [2, 3]  # no row restarts inside the quote
    assert verdicts[1]["error"] == (
        f"malformed CSV: a quoted field runs from line 3 to the end of the file "
        f"(line {count + 1}); unbalanced quote?"
    )
    assert totals["totals"]["error_lines"] == count - 1
    sent = bulk(str(path), "--message", "Hi {name}", "--yes")
    assert sent.exit_code == 3
    assert f"invalid: 1 ({count - 1} lines in error)" in sent.stderr
    assert received(emu) == Counter(sendable)


def test_a_stray_quote_past_1_mib_refuses_the_file(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    stray_quote_csv(path, 50_000)  # about 1.3 MB inside the quote
    for mode in ("--dry-run", "--yes"):
        result = bulk(str(path), "--message", "Hi {name}", mode)
        assert result.exit_code == 2
        assert "line 3: a field runs past 1 MiB" in result.stderr
    assert emu.requests() == [] and job_ids() == []


@pytest.mark.parametrize("tail", ["a" * (3 << 20), "\x00" * (3 << 20)])
def test_a_line_longer_than_1_mib_refuses_the_file(
    emu: Emu, profile: str, tmp_path: Path, tail: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"phone\n{numbers(1)[0]}\n{tail}")  # no newline: read whole, before
    result = bulk(str(path), "--message", "Hi", "--yes")
    assert result.exit_code == 2
    assert "line 3 is longer than 1 MiB; is this a CSV file?" in result.stderr
    assert emu.requests() == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_in_bounded_memory(emu: Emu, profile: str) -> None:
    import resource

    def limit() -> None:  # far below the 1.4 GB that reading it whole took
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    process = subprocess.run(
        [sys.executable, "-m", "sms_cli", "bulk", "/dev/zero", "--dry-run"],
        capture_output=True, text=True, timeout=60, preexec_fn=limit,
    )  # fmt: skip
    assert process.returncode == 2, process.stderr
    assert "line 1 is longer than 1 MiB; is this a CSV file?" in process.stderr


def test_rows_of_only_delimiters_are_reported(emu: Emu, profile: str, tmp_path: Path) -> None:
    a, b = numbers(2)
    path = tmp_path / "r.csv"
    path.write_text(f"phone,name\n{a},Anna\n,\n\n,,\n , \n{b},Bo\n")
    dry = bulk(str(path), "--message", "Hi {name}", "--dry-run", "--json")
    *verdicts, totals = [json.loads(line) for line in dry.stdout.splitlines()]
    errors = {v["line"]: v["error"] for v in verdicts}
    assert errors == {
        2: None,
        3: "empty row: no values, only delimiters",
        5: "empty row: no values, only delimiters",  # fields it has too many: still empty
        6: "empty row: no values, only delimiters",
        7: None,
    }  # line 4, a blank line, is no row at all
    assert totals["totals"]["rows"] == 5 and totals["totals"]["invalid"] == 3
    sent = bulk(str(path), "--message", "Hi {name}", "--yes", "--json")
    assert sent.exit_code == 3
    assert summary(sent)["rows"] == {"accepted": 2, "invalid": 3}
    assert received(emu) == Counter([a, b])


# -- F6: a profile of another provider; an account out of credit ---------------------------------


def test_a_resume_through_another_providers_profile_is_refused(
    emu: Emu, profile: str, server: SandboxServer, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 3)
    (other_name,) = {"seven", "connectel"} - {emu.name}
    other = Emu(server, other_name)
    other.control("reset")
    other.set(tokens=[CANARY])
    added = run(
        ["profile", "add", "elsewhere", "--provider", other_name, "--base-url", other.base_url,
         "--sender", "Acme", "--token-stdin"],
        input=CANARY,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    refused = bulk("--resume", job, "--yes", "--profile", "elsewhere", "--retry-unknown")
    assert refused.exit_code == 2
    assert f"was checked for {emu.name}; not sending anything" in refused.stderr
    assert emu.requests() == [] and other.requests() == []
    assert listed_job()["pending"] == 3
    resumed = bulk("--resume", job, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert received(emu) == Counter(numbers(3))


def test_an_account_out_of_credit_pauses_the_job(emu: Emu, profile: str, tmp_path: Path) -> None:
    if not supports(emu.name, Capability.BALANCE):
        pytest.skip("only a provider with an account balance runs out of credit")
    count = 10
    job = ready_job(tmp_path / "r.csv", count)
    emu.set(balance=0)
    paused = bulk("--resume", job, "--yes", "--concurrency", "1")
    assert paused.exit_code == 7, paused.stderr
    assert "job paused" in paused.stderr and "not enough credit" in paused.stderr
    assert len(emu.sends()) == 1  # one refusal, not one per row
    listed = listed_job()
    assert (listed["state"], listed["pending"], listed["failed"]) == ("paused", count, 0)
    emu.set(balance=100)
    resumed = bulk("--resume", job, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert summary(resumed)["rows"] == {"accepted": count}
    assert len(emu.sends()) == 1 + count
