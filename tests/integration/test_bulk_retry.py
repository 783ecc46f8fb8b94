"""Sending again over loopback: `bulk retry JOB --failed` (rejected, failed and expired rows as a
new job linked to the old one) and `bulk resume JOB --retry-unknown` after a lost answer."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sms_cli.providers import registry
from sms_cli.providers.info import Capability
from sms_cli.storage.jobs import JobLock, Journal, short_ids
from sms_cli.storage.messages import History
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, received, summary, write_csv
from tests.providers.selection import supports

A, B, C, D = numbers(4, start=1)


def campaign(path: Path, recipients: list[str]) -> Path:
    """A CSV of personalised rows: one request each, row i on line i + 2."""
    return write_csv(path, [["phone", "n"]] + [[n, str(i)] for i, n in enumerate(recipients)])


def jobs() -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    return listed


def job_by_id(job_id: str) -> dict[str, Any]:
    return next(job for job in jobs() if job["job_id"] == job_id)


def later(emu: Emu) -> None:
    """The retry comes later than a provider's duplicate lock (an identical message to the same
    recipient refused for a while, unless the send says --no-reload): the emulator's is off."""
    if "--no-reload" in registry.get(emu.name).send_options:
        emu.set(reload_lock=False)


def report_lines(path: Path) -> dict[int, tuple[str, str]]:
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    return {int(row[0]): (row[1], row[2]) for row in rows}


def test_retry_sends_exactly_the_failed_rows_as_a_linked_job(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.script(B, "failed")  # accepted, then a delivery report says it failed
    emu.reject(C)  # refused at the send
    path = campaign(tmp_path / "r.csv", [A, B, C, D])
    first = bulk(str(path), "--message", "Hi {n}", "--yes", "--json", "--concurrency", "1")
    assert first.exit_code == 3, first.stderr
    waited = run(["status", "--last", "--wait", "--interval", "0.05", "--timeout", "20", "--json"])
    assert waited.exit_code == 7, waited.stderr
    delivered = {m["recipient"]: m["status"] for m in json.loads(waited.stdout)["messages"]}
    assert delivered == {A: "delivered", B: "failed", C: "rejected", D: "delivered"}
    (parent,) = [job["job_id"] for job in jobs()]
    before = received(emu)
    asked = len(emu.requests())

    dry = bulk("retry", "last", "--failed", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    listed = [json.loads(line) for line in dry.stdout.splitlines()]
    assert [(v["line"], v["recipient"], v["text"]) for v in listed[:-1]] == [
        (3, B, "Hi 1"),
        (4, C, "Hi 2"),
    ]
    assert listed[-1]["totals"]["messages"] == 2
    assert "2 row(s) to send again (1 failed, 1 rejected)" in dry.stderr
    unconfirmed = bulk("retry", parent[:6], "--failed")  # no terminal, no --yes
    assert unconfirmed.exit_code == 2
    assert f"smsctl bulk retry {parent[:8]} --failed --yes" in unconfirmed.stderr
    assert "no job was made" in unconfirmed.stderr
    assert len(jobs()) == 1 and len(emu.requests()) == asked

    emu.reject()
    later(emu)
    report = tmp_path / "retry.csv"
    sent = bulk("retry", parent, "--failed", "--yes", "--json", "--report", str(report))
    assert sent.exit_code == 0, sent.stderr
    assert summary(sent)["rows"] == {"accepted": 2}
    assert received(emu) - before == Counter([B, C])  # never A or D again
    child = summary(sent)["job_id"]
    made = job_by_id(child)
    assert (made["parent_job"], made["source"], made["rows"]) == (
        parent,
        f"retry of {parent[:8]}",
        2,
    )
    assert made["profile"] == profile and made["state"] == "finished"
    # The parent's line numbers, so the report matches the CSV.
    assert report_lines(report) == {3: (B, "accepted"), 4: (C, "accepted")}


def test_retry_twice_sends_nothing_and_the_child_can_be_retried(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.reject(B)
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 3
    (parent,) = [job["job_id"] for job in jobs()]
    later(emu)

    once = bulk("retry", parent, "--failed", "--yes", "--json", "--name", "again")
    assert once.exit_code == 7  # refused again: every row of the retry failed
    child = summary(once)["job_id"]
    assert summary(once)["rows"] == {"rejected": 1}
    assert received(emu) == Counter({A: 1, B: 2})

    twice = bulk("retry", parent, "--failed", "--yes")
    assert twice.exit_code == 0
    assert "nothing to retry" in twice.stderr
    shown = short_ids(job["job_id"] for job in jobs())[child]  # as tables show it
    assert f"retry that job: smsctl bulk retry {shown} --failed" in twice.stderr
    assert received(emu) == Counter({A: 1, B: 2})
    assert len(jobs()) == 2

    emu.reject()
    grandchild = bulk("retry", "again", "--failed", "--yes", "--json")  # the child, by name
    assert grandchild.exit_code == 0, grandchild.stderr
    assert received(emu) == Counter({A: 1, B: 3})
    assert job_by_id(summary(grandchild)["job_id"])["parent_job"] == child
    assert "nothing to retry" in bulk("retry", parent, "--failed", "--yes").stderr
    assert "has no rejected, failed or expired rows" in bulk("retry", "last", "--failed").stderr
    assert received(emu) == Counter({A: 1, B: 3})


def test_deleting_a_retry_job_that_sent_never_frees_its_rows_for_the_parent(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.reject(B)
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 3
    (parent,) = [job["job_id"] for job in jobs()]
    later(emu)
    emu.reject()
    assert bulk("retry", parent, "--failed", "--yes", "--name", "kid").exit_code == 0
    assert received(emu) == Counter({A: 1, B: 2})
    assert bulk("delete", "kid").exit_code == 0
    again = bulk("retry", parent, "--failed", "--yes")
    assert again.exit_code == 0 and "nothing to retry" in again.stderr
    assert received(emu) == Counter({A: 1, B: 2})  # B never a third time


def test_deleting_a_job_whose_runner_died_keeps_its_rows_in_flight_in_the_history(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """kill -9 mid-run leaves rows in flight (they may have gone out): `bulk delete` puts them
    in the history as unknown before the journal forgets them, so `status` can look."""
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}").exit_code == 2  # a ready job
    (job,) = [j["job_id"] for j in jobs()]
    history = History()
    try:  # what a run killed after claiming its rows leaves: in flight, no message yet
        history.connection.execute(
            "UPDATE job_rows SET state = 'in_flight', local_id = 'l-' || line WHERE job_id = ?",
            (job,),
        )
        history.connection.execute("UPDATE jobs SET state = 'running' WHERE job_id = ?", (job,))
        history.connection.commit()
    finally:
        history.close()
    deleted = bulk("delete", job)
    assert deleted.exit_code == 0, deleted.stderr
    logged = json.loads(run(["log", "--json"]).stdout)["messages"]
    assert sorted(m["recipient"] for m in logged) == sorted([A, B])
    assert {m["status"] for m in logged} == {"unknown"}


def test_show_of_a_retried_job_points_at_the_retry_not_at_retrying_again(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.reject(B)
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes", "--name", "par").exit_code == 3
    later(emu)
    emu.reject()
    assert bulk("retry", "par", "--failed", "--yes", "--name", "kid").exit_code == 0
    shown = bulk("show", "par", "--offline")
    assert shown.exit_code == 7  # the parent's own row was rejected: that stays true
    assert "sent again as job" in shown.stderr
    assert "bulk retry par --failed" not in shown.stderr


def test_nothing_failed_is_nothing_to_retry(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 0
    result = bulk("retry", "last", "--failed", "--yes")
    assert result.exit_code == 0
    assert "nothing to retry" in result.stderr
    assert len(jobs()) == 1
    assert received(emu) == Counter([A, B])


def test_a_parent_run_by_another_process_is_refused(emu: Emu, profile: str, tmp_path: Path) -> None:
    emu.reject(B)
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 3
    (parent,) = [job["job_id"] for job in jobs()]
    emu.reject()
    running = JobLock(parent)  # what a runner holds: the OS refuses it to a second opener
    assert running.try_acquire()
    try:
        refused = bulk("retry", parent, "--failed", "--yes")
    finally:
        running.release()
    assert refused.exit_code == 2
    assert "being run by" in refused.stderr
    assert len(jobs()) == 1 and received(emu) == Counter([A, B])


def on_a_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """smsctl ARGS on a pseudo-terminal, answering its question; (exit code, transcript)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: smsctl on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "sms_cli", *args], dict(os.environ))
    transcript = b""
    answered = False
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if not answered and b"[y/N]" in transcript:
                os.write(fd, answer.encode() + b"\n")
                answered = True
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            transcript += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), transcript.decode(errors="replace")


def test_on_a_terminal_it_asks_and_a_no_makes_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.reject(B)
    path = campaign(tmp_path / "r.csv", [A, B])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 3
    (parent,) = [job["job_id"] for job in jobs()]
    emu.reject()
    later(emu)
    declined, transcript = on_a_terminal(["bulk", "retry", parent, "--failed"], "n")
    assert declined == 0, transcript
    assert "Send the 1 failed rows of job" in transcript
    assert "not sent; no job was made" in transcript
    assert len(jobs()) == 1 and received(emu) == Counter([A, B])
    confirmed, transcript = on_a_terminal(["bulk", "retry", parent, "--failed"], "y")
    assert confirmed == 0, transcript
    assert len(jobs()) == 2 and received(emu) == Counter({A: 1, B: 2})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--failed"),
        (["--failed", "--name", "last"], "cannot name a job"),
        (["--failed", "--name", "0123abcd"], "cannot name a job"),
    ],
)
def test_bad_retry_options(
    emu: Emu, profile: str, tmp_path: Path, args: list[str], message: str
) -> None:
    emu.reject(A)
    assert bulk(str(campaign(tmp_path / "r.csv", [A])), "--message", "Hi", "--yes").exit_code == 7
    result = bulk("retry", "last", *args, "--yes")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(jobs()) == 1


def test_the_retry_takes_the_parents_options_and_checks_its_name(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.reject(A)
    assert bulk(str(campaign(tmp_path / "r.csv", [A])), "--message", "Hi", "--yes").exit_code == 7
    history = History()
    try:
        journal = Journal(history)
        with history.transaction() as db:  # what a job started with send options records
            db.execute("UPDATE jobs SET options = ?, name = 'spring'", ('{"label": "spring"}',))
        parent = journal.resolve("spring")
        with pytest.raises(Exception, match="'spring' is taken by job"):
            journal.create_retry(
                parent=parent, job_id="f" * 32, lines=[2], source="x", profile=profile,
                name="spring",
            )  # fmt: skip
        assert (
            journal.create_retry(
                parent=parent, job_id="e" * 32, lines=[2], source="x", profile=profile, name=None
            )
            == 1
        )
        child = journal.resolve("e" * 32)
        assert (child.options, child.parent_job, child.state) == (
            '{"label": "spring"}',
            parent.job_id,
            "ready",
        )
    finally:
        history.close()


def test_resume_retry_unknown_sends_the_lost_answer_again(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.faults(mode="drop_after", times=1)  # processed, and the answer lost
    path = campaign(tmp_path / "r.csv", [A, B, C])
    lost = bulk(str(path), "--message", "Hi {n}", "--yes", "--json", "--concurrency", "1")
    assert lost.exit_code == 8
    assert summary(lost)["rows"] == {"accepted": 2, "unknown": 1}
    (job,) = [j["job_id"] for j in jobs()]
    later(emu)
    again = bulk("resume", job[:4], "--retry-unknown", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    assert summary(again)["rows"] == {"accepted": 3}
    assert "1 row(s) of unknown outcome will be sent again" in again.stderr
    assert received(emu) == Counter({A: 2, B: 1, C: 1})  # the first row went twice, as asked
    # Nothing failed, so retry --failed has nothing: an unknown row is not a failed one.
    assert "nothing to retry" in bulk("retry", job, "--failed", "--yes").stderr


def test_a_refused_retry_unknown_leaves_the_rows_unknown(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """A `resume --retry-unknown` refused (no terminal, no --yes) must not turn the unknown
    rows into pending: the plain `resume --yes` its hint suggests would send them again."""
    emu.faults(mode="drop_after", times=1)
    path = campaign(tmp_path / "r.csv", [A, B, C])
    lost = bulk(str(path), "--message", "Hi {n}", "--yes", "--json", "--concurrency", "1")
    assert lost.exit_code == 8
    (job,) = [j["job_id"] for j in jobs()]
    refused = bulk("resume", job, "--retry-unknown")
    assert refused.exit_code == 2
    assert "--yes --retry-unknown" in refused.stderr
    assert "will be sent again" not in refused.stderr
    (listed,) = jobs()
    assert (listed["pending"], listed["unknown"]) == (0, 1)
    plain = bulk("resume", job, "--yes")
    assert plain.exit_code == 8, plain.stderr  # still unknown: nothing resent
    assert received(emu) == Counter({A: 1, B: 1, C: 1})


def test_resume_retry_unknown_skips_a_row_the_history_knows_delivered(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if not supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider cannot find a message whose answer was lost")
    emu.faults(mode="drop_after", times=2)  # both processed, both answers lost
    path = campaign(tmp_path / "r.csv", [A, B, C])
    lost = bulk(str(path), "--message", "Hi {n}", "--yes", "--json", "--concurrency", "1")
    assert summary(lost)["rows"] == {"accepted": 1, "unknown": 2}
    logged = json.loads(run(["log", "--json"]).stdout)["messages"]
    first = next(m["local_id"] for m in logged if m["recipient"] == A)
    settled = run(["status", first, "--wait", "--interval", "0.05", "--timeout", "20", "--json"])
    assert json.loads(settled.stdout)["messages"][0]["status"] == "delivered"
    later(emu)
    again = bulk("resume", "last", "--retry-unknown", "--yes", "--json")
    assert received(emu) == Counter({A: 1, B: 2, C: 1})  # A is known delivered: never resent
    assert again.exit_code == 0, again.stderr


def test_an_unknown_row_settled_as_failed_is_retried_once(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if not supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider cannot find a message whose answer was lost")
    emu.script(A, "failed")
    emu.faults(mode="drop_after", times=1)  # processed, the answer lost: unknown in the job
    path = campaign(tmp_path / "r.csv", [A, B])
    lost = bulk(str(path), "--message", "Hi {n}", "--yes", "--json", "--concurrency", "1")
    assert summary(lost)["rows"] == {"accepted": 1, "unknown": 1}
    # `status` finds it in the provider's journal, then its delivery report says failed.
    waited = run(["status", "--last", "--wait", "--interval", "0.05", "--timeout", "20", "--json"])
    assert [m["status"] for m in json.loads(waited.stdout)["messages"]] == ["failed", "delivered"]
    (parent,) = [job["job_id"] for job in jobs()]
    later(emu)
    retried = bulk("retry", parent, "--failed", "--yes", "--json")
    assert retried.exit_code == 0, retried.stderr
    assert received(emu) == Counter({A: 2, B: 1})
    # The parent's row is the child's now: a resume of the parent never sends it a third time.
    resumed = bulk("resume", parent, "--retry-unknown", "--yes", "--json")
    assert resumed.exit_code == 3, resumed.stderr
    assert summary(resumed)["rows"] == {"delivered": 1, "failed": 1}  # campaign states, as show
    assert received(emu) == Counter({A: 2, B: 1})
