"""The pager owns Ctrl-C while it runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sms_cli.render import output
from sms_cli.render.pager import paged, show
from tests.adversarial.test_output_fit_pty import fake_pager


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ctrl_c_while_the_pager_reads_is_the_pagers(tmp_path: Path) -> None:
    # The pager tells smsctl "Ctrl-C" (the terminal sends SIGINT to both) before it reads a
    # byte, while smsctl is blocked writing a text bigger than the pipe's buffer.
    seen = tmp_path / "seen.txt"
    pager = fake_pager(tmp_path, f"trap '' INT\nkill -INT $PPID\ncat > \"{seen}\"\n")
    text = "a line of the log\n" * 100_000
    try:
        show([pager], text, FakeTerminal())
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C in the pager ended smsctl")
    assert seen.read_text(encoding="utf-8") == text


def test_ctrl_c_before_the_pager_starts_dumps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER", "less")
    terminal = FakeTerminal()
    with output.captured(terminal), pytest.raises(KeyboardInterrupt), paged(enabled=True):
        output.stdout().write("half a table\n")
        raise KeyboardInterrupt
    assert terminal.getvalue() == ""
