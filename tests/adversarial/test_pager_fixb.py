"""The pager owns Ctrl-C while it runs; a pager that fails does not swallow the output; only a
bare `cat` means no pager."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from sms_cli.render import output
from sms_cli.render.pager import paged, pager_command, show
from tests.adversarial.terminal import smsctl_on_terminal
from tests.adversarial.test_output_fit_pty import LONG_ID, fake_pager, seed_history


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
        failure = show([pager], text, FakeTerminal())
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C in the pager ended smsctl")
    assert failure is None
    assert seen.read_text(encoding="utf-8") == text


def test_ctrl_c_before_the_pager_starts_dumps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER", "less")
    terminal = FakeTerminal()
    with output.captured(terminal), pytest.raises(KeyboardInterrupt), paged(enabled=True):
        output.stdout().write("half a table\n")
        raise KeyboardInterrupt
    assert terminal.getvalue() == ""


def test_a_failing_pager_does_not_lose_the_output(tmp_path: Path) -> None:
    seed_history(8)
    pager = fake_pager(tmp_path, "exit 3\n")  # reads nothing, fails (as PAGER=false)
    screen = smsctl_on_terminal("log", columns=80, lines=10, env={"PAGER": pager, "NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    assert "exited with status 3" in screen.text, screen.text
    assert f"{LONG_ID}7" in screen.text and f"{LONG_ID}0" in screen.text


def test_only_a_bare_cat_means_no_pager() -> None:
    for value, expected in (("cat", None), ("/bin/cat", None), ("cat -n", ["cat", "-n"])):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PAGER", value)
            assert pager_command() == expected


def test_cat_n_as_pager_numbers_the_lines(tmp_path: Path) -> None:
    seed_history(8)
    screen = smsctl_on_terminal(
        "log", columns=80, lines=10, env={"PAGER": "cat -n", "NO_COLOR": "1"}
    )
    assert screen.returncode == 0, screen.text
    assert re.search(r"^\s+1\t", screen.text, re.M), screen.text
