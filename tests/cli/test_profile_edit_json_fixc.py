"""`profile edit --json` on a terminal: the reason to edit again is shown at once (a notice
the command recovers from, not an error kept for the JSON object), and a run that ends well
(exit 0) never ends with an error object."""

from __future__ import annotations

import os
import pty
import sys
import time
from pathlib import Path

import pytest

from sms_cli.render import output
from tests.cli.conftest import Invoke
from tests.cli.test_profile_edit import add_work, edits, runs
from tests.cli.test_profile_edit import editor as editor  # the fixture


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    transcript = b""
    while marker not in transcript and time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    return transcript


def test_json_edit_again_reason_is_shown_and_success_has_no_error_object(
    smsctl: Invoke, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    edits(monkeypatch, ('sender = "Acme"', 'region = "QQ"'), ('region = "QQ"', 'region = "DE"'))
    pid, fd = pty.fork()
    if pid == 0:  # child: smsctl on the terminal
        os.execve(sys.executable,
                  [sys.executable, "-m", "sms_cli", "profile", "edit", "work", "--json"],
                  dict(os.environ))  # fmt: skip
    deadline = time.monotonic() + 30
    transcript = _read_until(fd, b"Edit again?", deadline)
    assert b"'QQ' is not a country code" in transcript, transcript
    os.write(fd, b"y\n")
    transcript += _read_until(fd, b"\x00never", deadline)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript
    assert len(runs(editor)) == 2
    assert b'"error"' not in transcript and b"smsctl: error" not in transcript, transcript


def test_finish_zero_never_writes_an_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    output.Errors.reset(json=True)
    try:
        output.error("something recovered from", "a hint", code="input")
        output.finish(0)
    finally:
        output.Errors.active = False
    err = capsys.readouterr().err
    assert '"error"' not in err
    assert "smsctl: warning: something recovered from" in err and "hint: a hint" in err
