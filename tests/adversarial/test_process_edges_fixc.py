"""Edges of the process around a command: results that cannot be written, --help and
--version into a closed pipe, a closed stdout with --json after `--`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def _smsctl(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "sms_cli", *args],
        env=dict(os.environ),
        text=True,
        timeout=60,
        **kwargs,
    )


def _dev_full() -> bool:
    path = Path("/dev/full")
    return path.exists() and stat.S_ISCHR(path.stat().st_mode)


@pytest.mark.skipif(not _dev_full(), reason="needs the /dev/full character device")
def test_results_that_cannot_be_written_are_a_storage_error_naming_stdout() -> None:
    with open("/dev/full", "w") as full:
        done = _smsctl("--json", "split", "hi", stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 4, done.stderr
    error = json.loads(done.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "storage" and error["exit_code"] == 4, error
    assert "standard output" in error["message"] and "/dev/full" in error["message"], error
    with open("/dev/full", "w") as full:
        human = _smsctl("split", "hi", stdout=full, stderr=subprocess.PIPE)
    assert human.returncode == 4
    assert human.stderr.startswith("smsctl: error: cannot write the output"), human.stderr
    assert "Traceback" not in human.stderr
