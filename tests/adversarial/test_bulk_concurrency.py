"""Two smsctl processes on one bulk job, crashed pre-flights, and a history that refuses writes.

What counts is what the emulator received, not what our own journal says.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sms_cli.providers.info import Capability
from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_bulk import bulk, job_ids, numbers, received, summary, write_csv
from tests.providers.selection import supports


def smsctl(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sms_cli", *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and CANARY not in stderr
    return process.returncode, stderr


def ready_job(path: Path, count: int) -> str:
    """A checked job saved without sending: a run without --yes and without a terminal."""
    write_csv(path, [["phone", "n"]] + [[n, str(i)] for i, n in enumerate(numbers(count))])
    saved = bulk(str(path), "--message", "Hi {n}")
    assert saved.exit_code == 2 and "smsctl bulk resume" in saved.stderr
    (job,) = job_ids()
    return job


def wait_for_sends(emu: Emu, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while len(emu.sends()) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(emu.sends()) >= at_least


def test_two_resumes_at_once_send_each_recipient_once(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    count = 40
    job = ready_job(tmp_path / "r.csv", count)
    asked = bulk("--resume", job)  # a saved job still needs --yes off a terminal
    assert asked.exit_code == 2 and "--yes" in asked.stderr
    assert emu.requests() == []
    emu.faults(latency=0.05)
    first = smsctl("bulk", "--resume", job, "--yes", "--concurrency", "2")
    second = smsctl("bulk", "--resume", job, "--yes", "--concurrency", "2")
    outcomes = sorted([finish(first), finish(second)])
    assert [code for code, _ in outcomes] == [0, 2], outcomes
    assert "is being run by smsctl process" in outcomes[1][1]
    assert received(emu) == Counter(numbers(count))  # everyone, exactly once
    emu.faults()
    (listed,) = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    assert (listed["accepted"], listed["unknown"], listed["pending"]) == (count, 0, 0)


def test_a_resume_during_a_live_run_is_refused_and_touches_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    count = 40
    path = write_csv(
        tmp_path / "r.csv", [["phone", "n"]] + [[n, str(i)] for i, n in enumerate(numbers(count))]
    )
    emu.faults(latency=0.05)
    live = smsctl("bulk", str(path), "--message", "Hi {n}", "--yes", "--concurrency", "2")
    wait_for_sends(emu, 5)
    (job,) = job_ids()
    second = bulk("--resume", job, "--yes")
    assert second.exit_code == 2
    assert "is being run by smsctl process" in second.stderr
    again = bulk(str(path), "--message", "Hi {n}", "--yes")  # the same file, a new run
    assert again.exit_code == 2 and "already started" in again.stderr
    code, stderr = finish(live)
    assert code == 0, stderr
    assert received(emu) == Counter(numbers(count))
    (listed,) = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    # The live run's rows in flight were never turned into unknown by the refused resume.
    assert (listed["accepted"], listed["unknown"]) == (count, 0)


def test_the_engine_sends_only_rows_it_claims(emu: Emu, profile: str, tmp_path: Path) -> None:
    """The claim is a compare-and-set: a row another runner took between the read of the
    pending rows and the claim is not sent, lock or no lock."""
    from sms_cli.providers import registry
    from sms_cli.providers.registry import load
    from sms_cli.services.bulk.engine import Engine, batches
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    job = ready_job(tmp_path / "r.csv", 10)
    history = History()
    try:
        journal = Journal(history)
        planned = list(batches(journal.pending(job), 1))
        assert len(planned) == 10
        with history.transaction() as db:  # lines 2-6: claimed meanwhile by someone else
            db.execute(
                "UPDATE job_rows SET state = 'in_flight' WHERE job_id = ? AND line <= 6", (job,)
            )
        client_class = load(registry.get(emu.name).client)
        engine = Engine(
            job_id=job,
            profile=profile,
            provider=emu.name,
            make_client=lambda: client_class({"token": CANARY}, emu.base_url, timeout=5.0),
            history_factory=History,
            concurrency=3,
            rate=None,
        )
        result = engine.run(iter(planned))
        assert result.progress.accepted == 5
        assert received(emu) == Counter(numbers(10)[5:])
        assert journal.counts(job) == {"in_flight": 5, "accepted": 5}
    finally:
        history.close()


def test_a_preflight_killed_midway_is_never_sent_and_the_fixed_file_replaces_it(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    count = 6000
    if supports(emu.name, Capability.BALANCE):
        emu.set(balance=10_000)  # 6,000 messages cost more than the emulator's usual credit
    path = tmp_path / "r.csv"
    os.mkfifo(path)
    crashed = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "bulk", str(path), "--message", "Hi", "--yes"],
        env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    database = tmp_path / "data" / "history.sqlite3"
    with open(path, "w") as feed:  # more than one chunk of rows; then the reader waits
        feed.write("phone\n" + "".join(f"{n}\n" for n in numbers(count)))
        feed.flush()
        stored = 0
        deadline = time.monotonic() + 30
        while stored < 5000 and time.monotonic() < deadline:
            time.sleep(0.05)
            if database.exists():
                with sqlite3.connect(database) as db:
                    try:
                        stored = db.execute("SELECT COUNT(*) FROM job_rows").fetchone()[0]
                    except sqlite3.OperationalError:  # tables not created yet
                        stored = 0
        assert stored >= 5000
        crashed.send_signal(signal.SIGKILL)
        crashed.wait(timeout=30)
    (job,) = job_ids()
    refused = bulk("--resume", job, "--yes")
    assert refused.exit_code == 2
    assert "never finished its pre-flight" in refused.stderr
    assert "run the file again" in refused.stderr
    assert emu.requests() == []
    path.unlink()
    write_csv(path, [["phone"]] + [[n] for n in numbers(count)])  # the fixed file
    fixed = bulk(str(path), "--message", "Hi", "--yes", "--json")
    assert fixed.exit_code == 0, fixed.stdout.replace("\n", " ")
    assert f"discarded job {job}" in fixed.stderr
    assert summary(fixed)["rows"] == {"accepted": count}
    assert received(emu) == Counter(numbers(count))
    assert len(job_ids()) == 1


def test_a_history_that_refuses_a_claim_stops_with_exit_4_and_stays_resumable(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 10)
    database = tmp_path / "data" / "history.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF state ON job_rows"
            " WHEN NEW.line = 6 AND NEW.state = 'in_flight'"
            " BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
        )
    stopped = bulk("--resume", job, "--yes", "--concurrency", "1")
    assert stopped.exit_code == 4, stopped.stderr
    assert "could not record the job in the history" in stopped.stderr
    assert "smsctl bulk resume" in stopped.stderr
    assert received(emu) == Counter(numbers(10)[:4])
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER refuse")
    resumed = bulk("--resume", job, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert summary(resumed)["rows"] == {"accepted": 10}
    assert received(emu) == Counter(numbers(10))


def test_a_history_that_refuses_an_answer_stops_with_exit_4_never_resends(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 10)
    database = tmp_path / "data" / "history.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF state ON job_rows"
            " WHEN NEW.line = 6 AND NEW.state = 'accepted'"
            " BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
        )
    stopped = bulk("--resume", job, "--yes", "--concurrency", "1")
    assert stopped.exit_code == 4, stopped.stderr
    assert "could not record the job in the history" in stopped.stderr
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER refuse")
    resumed = bulk("--resume", job, "--yes", "--json")
    rows = summary(resumed)["rows"]
    assert rows.get("unknown", 0) >= 1  # line 6 went out; its answer was never recorded
    assert rows.get("accepted", 0) + rows["unknown"] == 10
    assert resumed.exit_code == 8
    assert received(emu) == Counter(numbers(10))  # nobody twice


def test_a_history_that_refuses_the_job_state_is_exit_4_not_a_bug(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 3)
    database = tmp_path / "data" / "history.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF state ON jobs WHEN NEW.state = 'running'"
            " BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
        )
    stopped = bulk("--resume", job, "--yes")
    assert stopped.exit_code == 4, stopped.stderr
    assert "history" in stopped.stderr and "disk full (injected)" in stopped.stderr
    assert "damaged" not in stopped.stderr  # a refused write says nothing about the file
    assert emu.requests() == []
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER refuse")
    resumed = bulk("--resume", job, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert received(emu) == Counter(numbers(3))


def test_a_history_that_fails_after_the_run_names_the_job_to_resume(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 3)
    database = tmp_path / "data" / "history.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE OF state ON jobs WHEN NEW.state = 'finished'"
            " BEGIN SELECT RAISE(ABORT, 'disk full (injected)'); END"
        )
    stopped = bulk("--resume", job, "--yes")
    assert stopped.exit_code == 4, stopped.stderr
    assert f"smsctl bulk resume {job[:8]}" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    with sqlite3.connect(database) as db:
        db.execute("DROP TRIGGER refuse")
    resumed = bulk("--resume", job, "--yes")
    assert resumed.exit_code == 0, resumed.stderr
    assert received(emu) == Counter(numbers(3))  # nobody twice
