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


def _closed_pipe() -> int:
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("args", [["--json", "--help"], ["--json", "--version"]])
def test_help_and_version_are_never_json_even_into_a_closed_pipe(args: list[str]) -> None:
    """As docs/exit-codes.md says: help and the version are text, never JSON, so into a
    closed pipe they are 141 with nothing on stderr, --json or not."""
    write = _closed_pipe()
    try:
        done = _smsctl(*args, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
    page = (Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md").read_text()
    assert "`--help` and `--version` print text, never JSON" in page


def _close_stdout() -> None:
    os.close(1)


def test_json_after_double_dash_is_the_text_not_json_mode_with_stdout_closed() -> None:
    """`split -- --json >&-`: "--json" is the text there, so the error is prose; `split hi
    --json >&-` asks for JSON, so it is the object."""
    text = _smsctl("split", "--", "--json", stderr=subprocess.PIPE, preexec_fn=_close_stdout)
    assert text.returncode == 141
    assert text.stderr == "smsctl: error: standard output is closed; nothing was done\n"
    asked = _smsctl("split", "hi", "--json", stderr=subprocess.PIPE, preexec_fn=_close_stdout)
    assert asked.returncode == 141
    assert json.loads(asked.stderr)["error"]["code"] == "broken_pipe"
    label = _smsctl("send", "--label", "--json", "x", stderr=subprocess.PIPE,
                    preexec_fn=_close_stdout)  # fmt: skip
    assert label.returncode == 141 and label.stderr.startswith("smsctl: error:")
