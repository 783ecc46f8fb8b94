"""A bulk job's life over loopback: names and short ids, honest states (ready, reused, already
started only when something was sent), a message with the next command on every exit, and
cancel, report and delete."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sms_cli.storage.jobs import JobSummary
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, received, summary, write_csv


def people(path: Path, count: int, start: int = 0) -> Path:
    rows = [[n, str(i)] for i, n in enumerate(numbers(count, start))]
    return write_csv(path, [["phone", "n"], *rows])


def listed() -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    return jobs


def saved_ready(path: Path) -> str:
    """A run off a terminal without --yes: a ready job; its short id as the hint gives it."""
    saved = bulk(str(path), "--message", "Hi {n}")
    assert saved.exit_code == 2, saved.stderr
    (job,) = listed()
    assert job["state"] == "ready"
    return str(job["short_id"])


# -- names and short ids ---------------------------------------------------------------------


def test_jobs_lists_short_ids_names_and_counts(emu: Emu, profile: str, tmp_path: Path) -> None:
    people(tmp_path / "a.csv", 2)
    people(tmp_path / "b.csv", 3, start=10)
    a = bulk(str(tmp_path / "a.csv"), "--message", "Hi {n}", "--yes", "--name", "spring")
    assert a.exit_code == 0, a.stderr
    assert bulk(str(tmp_path / "b.csv"), "--message", "Hi {n}", "--yes").exit_code == 0
    second, first = listed()  # newest first
    assert first["name"] == "spring" and second["name"] is None
    assert set(first) >= {"job_id", "short_id", "state", "source", "rows", "pending", "accepted"}
    assert first["job_id"].startswith(first["short_id"]) and len(first["short_id"]) >= 8
    assert (first["accepted"], first["cancelled"]) == (2, 0)
    human = run(["bulk", "jobs"]).stdout
    assert first["short_id"] in human and second["short_id"] in human and "spring" in human
    # The name, the short id, a 4-character prefix (when unique) and `last` all name a job.
    for ref in ("spring", first["short_id"]):
        report = run(["bulk", "report", ref])
        assert report.exit_code == 0, report.stderr
        assert len(report.stdout.splitlines()) == 3  # header and two rows
    last = run(["bulk", "report", "last"])
    assert len(last.stdout.splitlines()) == 4


def test_a_taken_or_bad_name_is_refused_before_anything(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    people(tmp_path / "a.csv", 1)
    people(tmp_path / "b.csv", 1, start=5)
    assert bulk(str(tmp_path / "a.csv"), "-m", "Hi", "--yes", "--name", "q3").exit_code == 0
    (first,) = listed()
    taken = bulk(str(tmp_path / "b.csv"), "-m", "Hi", "--yes", "--name", "q3")
    assert taken.exit_code == 2
    assert "taken by job" in taken.stderr and first["job_id"] in taken.stderr
    bad = bulk(str(tmp_path / "b.csv"), "-m", "Hi", "--yes", "--name", "beef")
    assert bad.exit_code == 2 and "reads as a job id" in bad.stderr
    assert len(emu.sends()) == 1 and len(listed()) == 1


def _terminal_jobs(monkeypatch: pytest.MonkeyPatch, columns: int, jobs: list[JobSummary]) -> str:
    from sms_cli.render.bulk import jobs as render_jobs

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    monkeypatch.setenv("COLUMNS", str(columns))
    render_jobs(jobs, json=False)
    return screen.getvalue()


@pytest.mark.parametrize("columns", [80, 40])
def test_the_job_column_is_never_cut(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """Two ids that share their first 10 characters, on a narrow terminal: each is shown by a
    prefix that tells them apart, whole (the issue: `01a21…` twice)."""
    base = dict(
        created_at="2026-01-01T00:00:00.000Z", source="/a/very/long/path/" + "x" * 60 + ".csv",
        fingerprint="f", profile="p", provider="connectel", state="paused", rows=3,
        note="Connectel refused the token (HTTP 401)", updated_at="u", runner_pid=None,
        runner_token=None, name=None, parent_job=None, options=None, pending=3, accepted=0,
        failed=0, unknown=0, cancelled=0,
    )  # fmt: skip
    ids = ["01a21bcdef" + "0" * 22, "01a21bcdef" + "1" * 22]
    jobs = [JobSummary(job_id=i, **base) for i in ids]  # type: ignore[arg-type]
    shown = _terminal_jobs(monkeypatch, columns, jobs)
    assert "01a21bcdef0" in shown and "01a21bcdef1" in shown, shown
    assert "paused" in shown


# -- ready jobs, reuse, already started ------------------------------------------------------


def test_off_a_terminal_a_ready_job_is_kept_and_the_same_command_reuses_it(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "r.csv", 3)
    saved = bulk(str(path), "--message", "Hi {n}")
    assert saved.exit_code == 2
    (job,) = listed()
    short = job["short_id"]
    assert f"smsctl bulk resume {short} --yes" in saved.stderr
    assert f"smsctl bulk delete {short}" in saved.stderr
    assert emu.requests() == []
    again = bulk(str(path), "--message", "Hi {n}", "--yes")
    assert again.exit_code == 0, again.stderr
    assert "already started" not in again.stderr
    (after,) = listed()  # no second job: the ready one was sent
    assert after["job_id"] == job["job_id"] and after["state"] == "finished"
    assert received(emu) == Counter(numbers(3))


def answer_on_a_terminal(path: Path, typed: bytes) -> tuple[int, str]:
    """`smsctl bulk PATH` in a real process whose standard input is a terminal (a pty), on
    which TYPED is typed; its exit code and standard error."""
    import pty
    import subprocess

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sms_cli", "bulk", str(path), "--message", "Hi {n}"],
            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ),
        )  # fmt: skip
        os.close(terminal)
        os.write(controller, typed)  # the terminal holds the line until the prompt reads it
        _, stderr = process.communicate(timeout=30)
    finally:
        os.close(controller)
    assert "Traceback" not in stderr
    return process.returncode, stderr


def test_no_at_the_prompt_keeps_a_ready_job_and_says_so(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """A real process on a terminal (a pty) answering `n`: the issue's silent exit 0."""
    path = people(tmp_path / "r.csv", 2)
    code, stderr = answer_on_a_terminal(path, b"n\n")
    assert code == 0, stderr
    (job,) = listed()
    short = job["short_id"]
    assert job["state"] == "ready"
    assert f"nothing sent; job {short} is saved, ready" in stderr
    assert f"smsctl bulk resume {short} --yes" in stderr
    assert emu.requests() == []
    sent = bulk(str(path), "--message", "Hi {n}", "--yes")  # the same command: that job
    assert sent.exit_code == 0, sent.stderr
    assert [j["job_id"] for j in listed()] == [job["job_id"]]


def test_end_of_input_at_the_prompt_is_a_no_that_keeps_the_job(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """Ctrl-D at the prompt is "no", as `n` is: exit 0 with the ready job's commands, never
    an interrupt (130) nor the exit 1 `Aborted!` of the prompt library."""
    code, stderr = answer_on_a_terminal(people(tmp_path / "r.csv", 1), b"\x04")
    assert code == 0, stderr
    assert "nothing sent" in stderr and "interrupted" not in stderr, stderr
    (job,) = listed()
    assert job["state"] == "ready"
    assert f"smsctl bulk resume {job['short_id']} --yes" in stderr
    assert emu.requests() == []


def test_already_started_names_the_state_and_the_commands(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "r.csv", 2)
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 0
    (job,) = listed()
    again = bulk(str(path), "--message", "Hi {n}", "--yes")
    assert again.exit_code == 2
    assert "already started" in again.stderr and "(finished)" in again.stderr
    assert f"smsctl bulk show {job['short_id']}" in again.stderr and "--new-job" in again.stderr
    assert len(emu.sends()) == 2


def test_a_cancelled_job_that_sent_nothing_does_not_block_a_new_run(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "r.csv", 2)
    short = saved_ready(path)
    assert run(["bulk", "cancel", short]).exit_code == 0
    fresh = bulk(str(path), "--message", "Hi {n}", "--yes")
    assert fresh.exit_code == 0, fresh.stderr
    states = sorted(j["state"] for j in listed())
    assert states == ["cancelled", "finished"]
    assert received(emu) == Counter(numbers(2))


# -- a message on every exit -----------------------------------------------------------------


def test_a_lost_answer_says_unknown_and_what_to_do(emu: Emu, profile: str, tmp_path: Path) -> None:
    """The issue's case: exit 8 with an empty stderr (--json)."""
    path = people(tmp_path / "r.csv", 1)
    emu.faults(mode="drop_after", times=1)
    result = bulk(str(path), "--message", "Hi {n}", "--yes", "--json")
    assert result.exit_code == 8, result.stderr
    (job,) = listed()
    short = job["short_id"]
    assert "1 row(s) of unknown outcome" in result.stderr
    assert "may have been sent" in result.stderr
    assert f"smsctl status --job {short}" in result.stderr
    assert f"smsctl bulk resume {short} --retry-unknown" in result.stderr
    assert json.loads(result.stdout)["rows"] == {"unknown": 1}  # stdout: the data alone


def test_failed_rows_point_at_show_and_retry(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = people(tmp_path / "r.csv", 2)
    emu.reject(numbers(2)[1])
    result = bulk(str(path), "--message", "Hi {n}", "--yes", "--json")
    assert result.exit_code == 3
    short = listed()[0]["short_id"]
    assert "1 row(s) failed" in result.stderr
    assert f"smsctl bulk show {short}" in result.stderr
    assert f"smsctl bulk retry {short} --failed" in result.stderr


def test_success_says_so(emu: Emu, profile: str, tmp_path: Path) -> None:
    result = bulk(str(people(tmp_path / "r.csv", 2)), "--message", "Hi {n}", "--yes", "--json")
    assert result.exit_code == 0
    assert "finished: 2 message(s) accepted" in result.stderr


def test_resume_with_nothing_pending_writes_the_report_and_the_summary(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "r.csv", 2)
    emu.reject(numbers(2)[0])
    assert bulk(str(path), "--message", "Hi {n}", "--yes").exit_code == 3
    report = tmp_path / "out.csv"
    again = bulk("resume", "last", "--yes", "--json", "--report", str(report))
    assert again.exit_code == 3  # from the rows' states
    assert summary(again)["rows"] == {"accepted": 1, "rejected": 1}
    lines = report.read_text().splitlines()
    assert lines[0] == "line,recipient,status,id,bulk_id,error,text" and len(lines) == 3
    assert "bulk retry" in again.stderr
    assert len(emu.sends()) == 2


def test_a_ctrl_c_outside_the_engine_loop_ends_interrupted_with_the_hint(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """Ctrl-C lands anywhere in the main thread: here as the progress bar closes, after the
    engine's loop and before the job's state is written (the `running` job of issue 13)."""
    from sms_cli.render.bulk import BulkRenderer, ProgressDisplay
    from sms_cli.services.bulk import jobs

    short = saved_ready(people(tmp_path / "r.csv", 2))

    class Interrupted(ProgressDisplay):
        def close(self) -> None:
            raise KeyboardInterrupt

    class View(BulkRenderer):
        def progress(self, total: int) -> ProgressDisplay:
            return Interrupted(total)

    options = jobs.RunOptions(1, None, 500, 5.0, None, False)
    with pytest.raises(KeyboardInterrupt) as stopped:
        jobs.resume(
            short, retry_unknown=False, profile=None, yes=True, run=options, view=View(json=True)
        )
    assert f"continue with: smsctl bulk resume {short}" in " ".join(stopped.value.__notes__)
    (job,) = listed()
    assert job["state"] == "interrupted"


def test_a_broken_client_leaves_no_job_behind(tmp_path: Path) -> None:
    from tests.plugins.kit import installed
    from tests.plugins.test_plugin_failures import DIST, TOKEN, plugin

    modules = {"brokensms_plugin.py": plugin("brokensms", "no_such_module_anywhere:Client")}
    with installed(tmp_path, DIST, "1.0", {"brokensms": "brokensms_plugin:INFO"}, modules):
        added = run(["profile", "add", "b", "--provider", "brokensms", "--token-stdin"], TOKEN)
        assert added.exit_code == 0, added.stderr
        path = write_csv(tmp_path / "r.csv", [["phone"], ["+46700000001"]])
        result = run(["bulk", str(path), "--message", "Hi", "--yes"])
        assert result.exit_code == 4, result.stderr
        assert "is broken" in result.stderr
        assert listed() == []


# -- resume, cancel, report, delete ----------------------------------------------------------


def test_cancel_a_ready_job(emu: Emu, profile: str, tmp_path: Path) -> None:
    short = saved_ready(people(tmp_path / "r.csv", 3))
    cancelled = run(["bulk", "cancel", short, "--json"])
    assert cancelled.exit_code == 0, cancelled.stderr
    document = json.loads(cancelled.stdout)
    assert document["cancelled_rows"] == 3
    assert document["job"]["state"] == "cancelled" and document["job"]["short_id"] == short
    (job,) = listed()
    assert (job["state"], job["pending"], job["cancelled"]) == ("cancelled", 0, 3)
    resumed = bulk("resume", short, "--yes")
    assert resumed.exit_code == 2 and "was cancelled" in resumed.stderr
    again = run(["bulk", "cancel", short])
    assert again.exit_code == 2 and "nothing to cancel" in again.stderr
    assert emu.requests() == []
    human = run(["bulk", "cancel", "last"])
    assert human.exit_code == 2


def test_a_cancelled_job_that_sent_never_hints_new_job_as_the_way_to_send_the_rest(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    from sms_cli.storage.messages import History

    short = saved_ready(people(tmp_path / "r.csv", 3))
    history = History()
    try:  # one row went out before the cancel
        history.connection.execute("UPDATE job_rows SET state = 'accepted' WHERE line = 2")
        history.connection.commit()
    finally:
        history.close()
    assert run(["bulk", "cancel", short]).exit_code == 0
    resumed = bulk("resume", short, "--yes")
    assert resumed.exit_code == 2 and "was cancelled" in resumed.stderr
    assert "would send every row again" in resumed.stderr
    assert "to send the file again" not in resumed.stderr


def test_cancel_a_finished_job_is_nothing_to_cancel(emu: Emu, profile: str, tmp_path: Path) -> None:
    assert bulk(str(people(tmp_path / "r.csv", 1)), "-m", "Hi {n}", "--yes").exit_code == 0
    result = run(["bulk", "cancel", "last"])
    assert result.exit_code == 2 and "nothing to cancel" in result.stderr


def test_report_of_a_ready_job_to_stdout_and_to_a_private_file(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    short = saved_ready(people(tmp_path / "r.csv", 2))
    shown = run(["bulk", "report", short])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        "line,recipient,status,id,bulk_id,error,text",
        f"2,{numbers(2)[0]},pending,,,,Hi 0",
        f"3,{numbers(2)[1]},pending,,,,Hi 1",
    ]
    target = tmp_path / "report.csv"
    target.write_text("old and public\n")
    os.chmod(target, 0o644)
    written = run(["bulk", "report", short, "--output", str(target)])
    assert written.exit_code == 0 and written.stdout == ""
    assert target.read_text().splitlines()[1].startswith("2,")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    nowhere = run(["bulk", "report", short, "--output", str(tmp_path / "no" / "r.csv")])
    assert nowhere.exit_code == 2 and "cannot write the report" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr


def test_delete_keeps_the_history(emu: Emu, profile: str, tmp_path: Path) -> None:
    assert bulk(str(people(tmp_path / "r.csv", 2)), "-m", "Hi {n}", "--yes").exit_code == 0
    (job,) = listed()
    deleted = run(["bulk", "delete", job["short_id"], "--json"])
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout)["deleted"]["job_id"] == job["job_id"]
    assert listed() == []
    logged = json.loads(run(["log", "--json"]).stdout)["messages"]
    assert len(logged) == 2
    gone = run(["bulk", "delete", job["short_id"]])
    assert gone.exit_code == 2 and "no bulk job" in gone.stderr


def test_prefixes_and_ambiguity() -> None:
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    first, second = "abcd" + "1" * 28, "abcd" + "2" * 28
    history = History()
    try:
        journal = Journal(history)
        for job_id in (first, second):
            journal.create(
                job_id=job_id, source="x.csv", fingerprint=job_id, profile="p", provider="seven"
            )
            assert journal.confirm(job_id, job_id, new_job=False) is None
    finally:
        history.close()
    ambiguous = run(["bulk", "report", "abcd"])
    assert ambiguous.exit_code == 2 and "names 2 jobs" in ambiguous.stderr
    assert first in ambiguous.stderr and second in ambiguous.stderr
    assert run(["bulk", "report", "abcd1"]).exit_code == 0
    too_short = run(["bulk", "report", "abc"])
    assert too_short.exit_code == 2 and "at least 4 characters" in too_short.stderr


def test_jobs_begun_in_one_moment_have_short_ids_of_8(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    for i, name in enumerate(("a.csv", "b.csv", "c.csv")):
        people(tmp_path / name, 1, start=i * 3)
        assert bulk(str(tmp_path / name), "-m", "Hi {n}").exit_code == 2  # ready jobs
    shown = [job["short_id"] for job in listed()]
    assert len(set(shown)) == 3 and all(len(short) == 8 for short in shown)


def test_the_same_command_with_its_name_continues_the_ready_job(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "r.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}", "--name", "spring").exit_code == 2  # ready
    again = bulk(str(path), "-m", "Hi {n}", "--name", "spring", "--yes")
    assert again.exit_code == 0, again.stderr
    (job,) = listed()
    assert (job["name"], job["state"]) == ("spring", "finished")
    assert received(emu) == Counter(numbers(2))
    other = people(tmp_path / "o.csv", 1, start=7)
    taken = bulk(str(other), "-m", "Hi {n}", "--name", "spring", "--yes")
    assert taken.exit_code == 2 and "taken by job" in taken.stderr
    assert len(listed()) == 1 and received(emu) == Counter(numbers(2))
