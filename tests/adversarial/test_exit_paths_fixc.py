"""Exit paths of the bulk commands: reports written to pipes and full disks, a stdout that
cannot take a cancel's or a delete's answer, a damaged history, a history locked mid-run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import ready_job
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
