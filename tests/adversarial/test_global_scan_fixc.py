"""The global options scan (commands/_root.py) never takes an option's value for a global
option: `bulk FILE -m --json --dry-run` is a dry run of the text "--json", never a send of
the text "--dry-run"; and for every option of every command that takes a value, `--opt --json`
keeps "--json" as that value."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

from sms_cli.app import app
from sms_cli.commands._root import scan
from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import Emu
from tests.integration.test_bulk import bulk, numbers, write_csv
from tests.providers.selection import any_provider


@functools.cache
def _root() -> Any:
    return typer.main.get_command(app)


def _leaves(
    command: Any = None, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    command = command or _root()
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


def _value_options() -> Iterator[tuple[tuple[str, ...], str]]:
    for path, command in _leaves():
        for param in command.params:
            if getattr(param, "param_type_name", "") != "option":
                continue
            if param.is_flag or param.count:
                continue
            for name in [*param.opts]:
                yield path, name
        if path == ("bulk", "start"):  # the short form, `bulk FILE`, runs start too
            for param in command.params:
                if getattr(param, "param_type_name", "") == "option" and not (
                    param.is_flag or param.count
                ):
                    for name in param.opts:
                        yield ("bulk", "people.csv"), name


def test_an_option_value_that_looks_global_stays_the_value() -> None:
    wrong = []
    for path, option in _value_options():
        for word in ("--json", "-pay", "--profile"):
            argv = [*path, option, word, "tail"]
            scanned = scan(_root(), argv)
            if scanned.args != argv or scanned.json:
                wrong.append((argv, scanned.args))
    assert wrong == []


@pytest.mark.parametrize("emu", [any_provider()], indirect=True)
def test_bulk_short_form_message_json_is_a_dry_run_not_a_send(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """The exact repro: before, `--json` was pulled out of `-m --json`, `--dry-run` became the
    text and two real messages went out."""
    path = write_csv(tmp_path / "people.csv", [["phone"], *[[n] for n in numbers(2)]])
    short = bulk(str(path), "-m", "--json", "--dry-run", "-y", "--new-job")
    assert emu.sends() == []
    assert short.exit_code == 0, short.stderr
    long = bulk("start", str(path), "-m", "--json", "--dry-run", "-y", "--new-job")
    assert emu.sends() == []
    assert (short.exit_code, short.stdout) == (long.exit_code, long.stdout)
    assert short.stdout.count("\tok") == 2, short.stdout
    paid = bulk(str(path), "-m", "-pay", "--dry-run", "-y", "--new-job")
    assert emu.sends() == [] and paid.exit_code == 0, paid.stderr
