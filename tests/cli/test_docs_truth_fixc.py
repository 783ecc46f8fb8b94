"""What the help and the docs say about the sandbox, short flags and listen is true."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main
from typer.core import TyperGroup

from sms_cli.app import app
from sms_cli.commands._examples import EXAMPLES

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_no_example_invents_a_sandbox_url_shape() -> None:
    """The sandbox's URL differs by provider (a path of its API or none): an example names
    the line `smsctl sandbox` prints instead of a shape true for only some providers."""
    for examples in EXAMPLES.values():
        for line, _ in examples:
            words = shlex.split(line.split("|")[-1])
            if "--base-url" in words:
                url = words[words.index("--base-url") + 1]
                assert url == "URL" or url.startswith("https://"), line


def _commands_with(short: str) -> set[str]:
    found: set[str] = set()

    def walk(command: object, path: list[str]) -> None:
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
            return
        for param in getattr(command, "params", ()):
            if short in getattr(param, "opts", ()):
                found.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return found


def _listed(cell: str) -> set[str]:
    """`bulk start, resume, retry` -> {"bulk start", "bulk resume", "bulk retry"}."""
    names: set[str] = set()
    group = ""
    for item in (part.strip() for part in cell.split(",")):
        words = item.split()
        if len(words) == 2:
            group = words[0]
            names.add(item)
        elif group:
            names.add(f"{group} {item}")
        else:
            names.add(item)
    return names


def test_short_flag_table_lists_exactly_the_commands_that_have_each_flag() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(-\w)` \| `--[\w-]+` \| (.+) \|$", page, flags=re.M)
    assert rows
    for short, cell in rows:
        if short == "-h":
            continue
        assert _listed(cell) == _commands_with(short), short


def test_receiving_says_what_a_closed_reader_leaves_on_stderr() -> None:
    page = (DOCS / "receiving.md").read_text(encoding="utf-8")
    sentence = page[page.index("listen --json | head -1") :][:300]
    assert "broken_pipe" in sentence
