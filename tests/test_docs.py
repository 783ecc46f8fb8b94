"""README stays true: its test command is what CI runs, and its examples are real output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sms_cli.app import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_install_and_the_test_command() -> None:
    install, tests = fenced_blocks("sh")[:2]
    assert "pip install ." in install and "smsctl split" in install
    assert "pip install -e '.[test]'" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = fenced_blocks("sh")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def console_examples() -> list[tuple[str, str]]:
    """`$ smsctl ...` blocks with their output, from README and every page under docs/."""
    examples = []
    blocks = [
        block
        for page in DOCS
        for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S)
    ]
    for block in blocks:
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            examples.append((command, expected.rstrip("\n")))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_readme_console_examples_are_real_output(command: str, expected: str) -> None:
    args = shlex.split(command)
    assert args[0] == "smsctl"
    result = CliRunner().invoke(app, args[1:], prog_name="smsctl")
    assert result.exit_code == 0
    assert result.stdout.rstrip("\n") == expected
