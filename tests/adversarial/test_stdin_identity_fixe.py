"""/dev/stdin and /dev/fd/0 are standard input: `send --to-file /dev/stdin < nums.txt` sent the
recipient list as the text (the text came from standard input too); './-' is a file named '-'.
Real processes with a real standard input; what counts is what the emulator received."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import CANARY, Emu
from tests.integration.test_bulk import numbers, write_csv
from tests.providers.selection import any_provider

pytestmark = pytest.mark.parametrize("emu", [any_provider()], indirect=True)


def smsctl(args: list[str], stdin: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    with open(stdin or os.devnull, "rb") as source:
        done = subprocess.run(
            [sys.executable, "-m", "sms_cli", *args],
            stdin=source,
            cwd=cwd,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "Traceback" not in done.stderr and CANARY not in done.stderr
    return done


def test_to_file_dev_stdin_with_the_text_from_stdin_is_refused(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    nums = tmp_path / "nums.txt"
    nums.write_text("\n".join(numbers(2)) + "\n")
    for args in (
        ["send", "--to-file", "/dev/stdin"],
        ["send", "--to-file", "/dev/fd/0", "-"],
        ["send", "--to-file", "-", "--file", "/dev/stdin"],
        ["send", "--to-file", str(nums)],  # the very file standard input is
    ):
        refused = smsctl(args, nums, tmp_path)
        assert refused.returncode == 2, (args, refused.stderr)
        assert "standard input cannot hold both" in refused.stderr
        assert emu.sends() == [], args
    sent = smsctl(["send", "Hi", "--to-file", "/dev/stdin"], nums, tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert sorted((m["to"], m["text"]) for m in emu.messages()) == [(n, "Hi") for n in numbers(2)]


def test_dot_slash_dash_is_a_file_named_dash(emu: Emu, profile: str, tmp_path: Path) -> None:
    (tmp_path / "-").write_text(numbers(1)[0] + "\n")
    text = tmp_path / "text.txt"
    text.write_text("From stdin\n")
    sent = smsctl(["send", "--to-file", "./-", "--file", "-"], text, tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert [(m["to"], m["text"]) for m in emu.messages()] == [(numbers(1)[0], "From stdin")]


def test_bulk_stdin_and_template_file_dev_stdin_is_refused(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    people = write_csv(tmp_path / "people.csv", [["phone"], *[[n] for n in numbers(2)]])
    args = ["bulk", "-", "--template-file", "/dev/stdin", "--yes", "--new-job"]
    refused = smsctl(args, people, tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "standard input cannot hold both" in refused.stderr
    assert emu.sends() == []
