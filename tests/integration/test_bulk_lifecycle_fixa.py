"""Review fixes of the job lifecycle (issue 14): no door to sending one file twice (a deleted
job that sent keeps a tombstone), cancel and delete landing at the prompt or before the lock,
a cancel racing a refused token, a cancel of a job whose runner died, and abandoned
pre-flights."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sms_cli.render.bulk import BulkRenderer
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, received, write_csv
from tests.integration.test_bulk_lifecycle import listed, people
from tests.providers.selection import any_provider

pytestmark = pytest.mark.parametrize("provider", [any_provider()])  # one is enough


def db_rows(tmp_path: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "data" / "history.sqlite3") as db:
        return list(db.execute(query, params))


# -- 1. no door to sending one file twice ------------------------------------------------------


def test_deleting_a_job_that_sent_keeps_its_file_refused(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 2)
    first = bulk(str(path), "-m", "Hi {n}", "--yes", "--name", "spring")
    assert first.exit_code == 0, first.stderr
    (job,) = listed()
    gone = run(["bulk", "delete", "spring"])
    assert gone.exit_code == 0, gone.stderr
    assert "still refused as already sent" in gone.stderr
    assert listed() == []  # hidden from the list, `last` and names
    assert run(["bulk", "show", "last", "--offline"]).exit_code == 2
    assert run(["bulk", "report", job["job_id"]]).exit_code == 2
    for name in ("spring", None):  # with its old name, and without
        again = bulk(str(path), "-m", "Hi {n}", "--yes", *(["--name", name] if name else []))
        assert again.exit_code == 2, again.stderr
        assert "already sent" in again.stderr and job["job_id"] in again.stderr
        assert "bulk delete" not in again.stderr
    assert received(emu) == {n: 1 for n in numbers(2)}
    anyway = bulk(str(path), "-m", "Hi {n}", "--yes", "--new-job")  # on purpose: sent again
    assert "already sent" not in anyway.stderr and len(emu.sends()) == 4, anyway.stderr


def test_deleting_a_job_that_sent_nothing_removes_it(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}").exit_code == 2  # ready, nothing sent
    assert run(["bulk", "delete", "last"]).exit_code == 0
    assert db_rows(tmp_path, "SELECT * FROM jobs") == []
    assert bulk(str(path), "-m", "Hi {n}", "--yes").exit_code == 0


def test_a_name_held_by_a_job_that_sent_never_suggests_deleting_it(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}", "--yes", "--name", "spring").exit_code == 0
    (tmp_path / "copy").mkdir()
    other = Path(shutil.copy(path, tmp_path / "copy" / "a.csv"))  # the same file elsewhere
    again = bulk(str(other), "-m", "Hi {n}", "--yes", "--name", "spring")
    assert again.exit_code == 2
    assert "bulk delete" not in again.stderr, again.stderr
    assert len(emu.sends()) == 2


def test_another_name_on_a_reused_job_is_said(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = people(tmp_path / "a.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}", "--name", "first").exit_code == 2
    again = bulk(str(path), "-m", "Hi {n}", "--yes", "--name", "second")
    assert again.exit_code == 0, again.stderr
    assert "--name 'second' is not used" in again.stderr
    (job,) = listed()
    assert job["name"] == "first" and job["state"] == "finished"


def test_a_preflight_killed_is_discarded_by_the_same_command_with_its_name(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 3)
    args = ["bulk", str(path), "-m", "Hi {n}", "--yes", "--name", "spring"]
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_CONFIRM, *args],
        env=dict(os.environ), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert db_rows(tmp_path, "SELECT state FROM jobs") == [("preparing",)]
    again = bulk(str(path), "-m", "Hi {n}", "--yes", "--name", "spring")
    assert again.exit_code == 0, again.stderr
    assert "pre-flight never finished" in again.stderr
    assert db_rows(tmp_path, "SELECT state, name FROM jobs") == [("finished", "spring")]


# A kill -9 at the end of the pre-flight: the process dies where confirm would begin.
_KILLED_AT_CONFIRM = """
import os, runpy, signal, sys
from sms_cli.storage import jobs
jobs.Journal.confirm = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
sys.argv = ["smsctl", *sys.argv[1:]]
runpy.run_module("sms_cli", run_name="__main__")
"""


# -- 2, 3. a cancel or delete landing at the prompt, or between confirm and the lock ----------


class Terminal(BulkRenderer):
    """The real renderer, on a terminal whose user does something else at the prompt (or when
    a warning is shown): AT_PROMPT runs there (a `bulk cancel` from another shell), then yes."""

    def __init__(self, *, at_prompt: Callable[[], object], at_warning: bool = False) -> None:
        super().__init__(json=False)
        self.at_prompt = at_prompt
        self.at_warning = at_warning

    def interactive(self) -> bool:
        return True

    def confirm(self, question: str) -> bool:
        self.at_prompt()
        return True

    def warning(self, message: str, hint: str | None = None) -> None:
        super().warning(message, hint)
        if self.at_warning:
            self.at_prompt()


def start_in_process(path: Path, view: BulkRenderer, name: str | None = None) -> int:
    from sms_cli.services.bulk.jobs import NewJob, RunOptions, start

    new = NewJob(str(path), "Hi {n}", None, None, None, None, None, False, False, False, False,
                 name)  # fmt: skip
    return int(start(new, RunOptions(2, None, 500, 5.0, None, False), view))


def test_a_cancel_at_the_prompt_is_a_cancelled_run_and_the_next_run_a_new_job(
    emu: Emu, profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sms_cli.services.bulk import lifecycle

    path = people(tmp_path / "a.csv", 3)
    code = start_in_process(path, Terminal(at_prompt=lambda: lifecycle.cancel("last")))
    stderr = capsys.readouterr().err
    assert code == 6, stderr  # nothing sent: the rows were cancelled
    assert "was cancelled before it started: nothing sent; 3 row(s) will never be sent" in stderr
    assert "finished" not in stderr
    assert emu.sends() == []
    (job,) = listed()
    assert (job["state"], job["cancelled"]) == ("cancelled", 3)
    again = bulk(str(path), "-m", "Hi {n}", "--yes")  # a cancelled job that sent nothing: not it
    assert again.exit_code == 0, again.stderr
    assert [j["state"] for j in listed()] == ["finished", "cancelled"]
    assert received(emu) == {n: 1 for n in numbers(3)}


@pytest.mark.parametrize("what", ["delete", "cancel"])
def test_a_delete_or_cancel_between_confirm_and_the_lock_stops_the_reuse(
    emu: Emu, profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    from sms_cli.services.bulk import lifecycle

    path = people(tmp_path / "a.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}", "--name", "first").exit_code == 2  # a ready job
    act = lifecycle.delete if what == "delete" else lifecycle.cancel
    # The name warning is said between confirm and the job lock: the other shell acts then.
    view = Terminal(at_prompt=lambda: act("first"), at_warning=True)
    code = start_in_process(path, view, name="second")
    stderr = capsys.readouterr().err
    assert code == 6, stderr
    assert "nothing sent" in stderr and "finished" not in stderr
    assert emu.sends() == []


# -- 6. a pre-flight whose process died -------------------------------------------------------


def test_an_abandoned_preflight_is_marked_and_said_and_deleted(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 2)
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_CONFIRM, "bulk", str(path), "-m", "Hi {n}", "--yes"],
        env=dict(os.environ), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (job,) = listed()
    assert job["state"] == "preparing (abandoned)"
    assert "preparing (abandoned)" in run(["bulk", "jobs"]).stdout
    for command in ("cancel", "report"):
        said = run(["bulk", command, job["short_id"]])
        assert said.exit_code == 2
        assert "never finished its pre-flight check" in said.stderr, said.stderr
        assert f"smsctl bulk delete {job['short_id']}" in said.stderr
        assert "when its check ends" not in said.stderr
    assert run(["bulk", "delete", job["short_id"]]).exit_code == 0
    assert listed() == [] and emu.sends() == []


# -- 7. Ctrl-C at the resume prompt, and during the pre-flight ---------------------------------


class CtrlC(Terminal):
    def __init__(self, *, in_preflight: bool = False) -> None:
        super().__init__(at_prompt=self.interrupt)
        self.in_preflight = in_preflight

    def interrupt(self) -> None:
        raise KeyboardInterrupt

    def invalid(self, row: Any) -> None:  # shown during the pre-flight
        if self.in_preflight:
            self.interrupt()


def test_ctrl_c_at_the_resume_prompt_says_what_is_left(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    from sms_cli.services.bulk.jobs import RunOptions, resume

    path = people(tmp_path / "a.csv", 2)
    assert bulk(str(path), "-m", "Hi {n}").exit_code == 2  # a ready job
    (job,) = listed()
    short = job["short_id"]
    with pytest.raises(KeyboardInterrupt) as caught:
        resume(short, retry_unknown=False, profile=None, yes=False,
               run=RunOptions(2, None, 500, 5.0, None, False), view=CtrlC())  # fmt: skip
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert f"nothing sent; job {short} is saved, ready" in notes
    assert f"smsctl bulk resume {short} --yes" in notes
    assert f"smsctl bulk delete {short}" in notes
    assert listed()[0]["state"] == "ready" and emu.sends() == []


def test_ctrl_c_during_the_preflight_says_no_job_was_kept(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", [["phone", "n"], ["12345", "x"], [numbers(1)[0], "y"]])
    with pytest.raises(KeyboardInterrupt) as caught:
        start_in_process(path, CtrlC(in_preflight=True))
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert "the pre-flight check was stopped: no job was kept" in notes
    assert listed() == [] and emu.sends() == []


# -- 8. a report read by `head -1` -------------------------------------------------------------


def test_a_report_cut_short_by_its_reader_says_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = people(tmp_path / "a.csv", 4000)  # more than a pipe holds
    assert bulk(str(path), "-m", "Hi {n}, " + "x" * 40).exit_code == 2  # a ready job
    reader = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "bulk", "report", "last"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline().startswith(b"line,recipient")
    reader.stdout.close()  # `| head -1`
    stderr = reader.stderr.read().decode()
    assert reader.wait(30) == 141, stderr
    assert stderr == "", stderr
