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
from tests.integration.conftest import Emu, run
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


def _short_options(command: Any) -> tuple[list[str], list[str]]:
    """The short option letters of `command`: (flags, value-taking)."""
    flags, values = [], []
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        for name in [*param.opts, *param.secondary_opts]:
            if len(name) == 2:
                (flags if param.is_flag or param.count else values).append(name[1])
    return flags, values


def _clustered() -> Iterator[tuple[tuple[str, ...], str, str]]:
    for path, command in _leaves():
        paths = [path, ("bulk", "people.csv")] if path == ("bulk", "start") else [path]
        flags, values = _short_options(command)
        for shown in paths:
            for flag in [*flags, "h"]:
                for value in values:
                    yield shown, flag, value


def test_a_cluster_whose_last_letter_takes_a_value_takes_the_next_word() -> None:
    """`-ym --json`: -y is a flag, -m takes the next word, "--json", as its value (as click
    reads it), for every pair of a flag and a value-taking short option of every command;
    `-my --json` is -m with the value "y", then JSON mode."""
    assert any(shown == ("send",) and (f, v) == ("u", "f") for shown, f, v in _clustered())
    wrong = []
    for path, flag, value in _clustered():
        for word in ("--json", "--debug", "-pay", "--profile"):
            argv = [*path, f"-{flag}{value}", word, "tail"]
            scanned = scan(_root(), argv)
            if scanned.args != argv or scanned.json or scanned.debug:
                wrong.append((argv, scanned.args))
        argv = [*path, f"-{value}{flag}", "--json", "tail"]
        scanned = scan(_root(), argv)
        if not scanned.json:
            wrong.append((argv, scanned.args))
    assert wrong == []


@pytest.mark.parametrize("emu", [any_provider()], indirect=True)
def test_a_cluster_with_a_value_then_debug_is_a_dry_run_not_a_send(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """The repros: `-ym --debug --dry-run` sent the text "--dry-run"; `-uf --debug --dry-run`
    sent from the sender "--dry-run"."""
    path = write_csv(tmp_path / "people.csv", [["phone"], *[[n] for n in numbers(2)]])
    result = bulk(str(path), "-ym", "--debug", "--dry-run", "--new-job")
    assert emu.sends() == []
    assert result.exit_code == 0, result.stderr
    sent = run(["send", "hi", "--to", numbers(1)[0], "-p", profile, "-uf", "--debug", "--dry-run"])
    assert emu.sends() == []
    assert "Traceback" not in sent.stderr and sent.exit_code in (0, 2), sent.stderr


def test_json_mode_is_what_click_parses() -> None:
    """`-ym --json`: the text is "--json", errors are prose; `-my --json`: JSON mode."""
    assert not scan(_root(), ["bulk", "p.csv", "-ym", "--json"]).json
    assert scan(_root(), ["bulk", "p.csv", "-my", "--json"]).json
    assert not scan(_root(), ["send", "--to=1", "-uf", "--json"]).json
    assert scan(_root(), ["send", "-f=x", "--json"]).json
