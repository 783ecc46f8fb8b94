"""README stays true: its test command is what CI runs, and its examples are real output."""

from __future__ import annotations

import re
import shlex
import sys
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


# -- the generated reference and man pages ------------------------------------------------------

sys.path.insert(0, str(ROOT / "scripts"))

import generate_docs  # noqa: E402


def test_reference_and_man_pages_are_fresh() -> None:
    stale = generate_docs.stale()
    assert stale == [], f"stale: {', '.join(stale)}; run: python scripts/generate_docs.py"


def test_every_command_has_a_reference_page_and_a_man_page() -> None:
    import typer.main

    command = typer.main.get_command(app)
    names = list(getattr(command, "commands", {}))
    assert "send" in names and "profile" in names
    for name in names:
        assert (ROOT / "docs" / "reference" / f"{name}.md").is_file(), name
        assert (ROOT / "man" / f"smsctl-{name}.1").is_file(), name
    assert (ROOT / "man" / "smsctl.1").is_file()


def test_the_generated_pages_do_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    first = generate_docs.generate()
    monkeypatch.setenv("COLUMNS", "37")
    monkeypatch.setenv("NO_COLOR", "1")
    assert generate_docs.generate() == first


def test_man_pages_are_roff_without_raw_control_lines_or_non_ascii() -> None:
    for page in sorted((ROOT / "man").glob("*.1")):
        text = page.read_text(encoding="utf-8")
        assert text.startswith('.TH "'), page.name
        assert text.isascii(), page.name
        for line in text.splitlines():
            # A line that starts with a dot or quote is a request; only ours may be.
            if line.startswith((".", "'")):
                assert re.match(r"^\.(TH|SH|PP|TP|B|\\\") ?", line), (page.name, line)
