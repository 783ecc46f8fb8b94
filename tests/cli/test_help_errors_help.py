"""Help that teaches (issue 15, item 4): metavars that read as values, an Examples section on
every command (each example parses), the root's commands in panels, one meaning per short
flag, and global options before or after the subcommand."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from sms_cli.app import app
from sms_cli.commands._examples import EXAMPLES
from sms_cli.commands._root import PANELS, scan

runner = CliRunner()
# Options other engineers of issue 15 are adding now: examples using them are skipped until
# they are merged, then parsed like every other.
IN_PROGRESS = {"send": {"--smart", "--file", "--to-file"}, "doctor": {"--json"}}


@functools.cache
def root_command() -> Any:
    return typer.main.get_command(app)


def commands(command: Any = None, path: str = "") -> Iterator[tuple[str, Any]]:
    command = command or root_command()
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, f"{path} {name}".strip())


def test_no_option_shows_a_type_signature() -> None:
    for path, command in commands():
        ctx = typer.core._click.Context(command, help_option_names=["-h", "--help"])
        for param in command.get_params(ctx):
            shown = param.display_type_rich(ctx) if hasattr(param, "display_type_rich") else ""
            record = param.get_help_record(ctx)
            for text in (shown or "", record[0] if record else "", param.metavar or ""):
                where = f"smsctl {path} {param.opts}"
                assert "<" not in text, where
                assert "bool" not in text and "list[" not in text, where
                assert "range" not in text, where
            if getattr(param, "is_flag", False):
                assert not shown, f"smsctl {path} {param.opts} shows {shown!r}"


@pytest.mark.parametrize("args", [["send", "--help"], ["split", "-h"], ["--help"]])
def test_rendered_help_has_no_type_signatures(args: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for bad in ("<bool>", "<list", "range]", "x>=", "<str>", "<float"):
        assert bad not in result.output, bad


def test_value_metavars_read_as_values() -> None:
    result = runner.invoke(app, ["send", "--help"], env={"COLUMNS": "200"})
    lines = result.output.splitlines()
    for option, metavar in (("--to", "NUMBER"), ("--timeout", "SECONDS"), ("--at", "WHEN")):
        assert any(option in line and metavar in line for line in lines), option
    result = runner.invoke(app, ["log", "--help"], env={"COLUMNS": "200"})
    assert any("--limit" in line and " N " in line for line in result.output.splitlines())


def test_every_command_has_examples() -> None:
    missing = [path or "smsctl" for path, _ in commands() if not EXAMPLES.get(path)]
    assert missing == []


def test_examples_are_shown_in_help() -> None:
    for args in (["send", "--help"], ["bulk", "show", "--help"], ["--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "120"})
        assert "Examples" in result.output, args
        path = " ".join(args[:-1])
        assert EXAMPLES[path][0][0] in result.output


def _parse(argv: list[str]) -> None:
    """Through the real click parser, without invoking anything: each group resolves its
    subcommand, the last command parses its options and arguments."""
    command = root_command()
    args = scan(command, argv).args
    ctx = command.make_context("smsctl", list(args), resilient_parsing=False)
    while isinstance(command, TyperGroup):
        rest = [*ctx._protected_args, *ctx.args]
        _, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(command.name, rest, parent=ctx, resilient_parsing=False)


def _examples() -> Iterator[tuple[str, str]]:
    for path, examples in EXAMPLES.items():
        for line, _ in examples:
            yield path, line


@pytest.mark.parametrize(("path", "line"), list(_examples()))
def test_every_example_parses(path: str, line: str) -> None:
    present = dict(commands())
    words = shlex.split(line.split("|")[-1])
    assert words[0] == "smsctl"
    named = " ".join(scan(root_command(), words[1:]).path)
    # An example naming a subcommand not merged yet stops at its group.
    if path not in present or isinstance(present[named], TyperGroup):
        pytest.skip(f"smsctl {path}: {line} names a command not in the app yet")
    known = {name for param in present[named].params for name in param.opts}
    if IN_PROGRESS.get(named, set()) & set(words) - known:
        pytest.skip(f"smsctl {named}: {IN_PROGRESS[named] - known} not in the app yet")
    _parse(words[1:])


def test_an_example_with_an_unknown_option_fails_to_parse() -> None:
    with pytest.raises(typer.core._click.exceptions.UsageError):
        _parse(["log", "--no-such-option"])


def test_root_help_groups_commands_in_panels() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "120"})
    text = result.output
    positions = [text.index(panel) for panel in PANELS]
    assert positions == sorted(positions)
    for panel, names in PANELS.items():
        for name in names:
            if name in dict(commands()):
                start = text.index(panel)
                assert text.index(f" {name} ", start) > start
    plain = runner.invoke(app, ["--help"], env={"TYPER_USE_RICH": "0"})
    assert "Sending:" in plain.output or "Sending" in plain.output


def test_each_short_flag_means_one_long_option() -> None:
    meaning: dict[str, set[str]] = {}
    for _, command in commands():
        for param in command.params:
            opts = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
            shorts = [o for o in opts if len(o) == 2 and o.startswith("-")]
            longs = [o for o in opts if o.startswith("--")]
            for short in shorts:
                meaning.setdefault(short, set()).update(longs)
    clashes = {short: longs for short, longs in meaning.items() if len(longs) > 1}
    assert clashes == {}
    assert meaning["-f"] == {"--from"}


def test_short_flags_table_in_docs_matches_the_app() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for _, command in commands():
        for param in command.params:
            opts = [*getattr(param, "opts", ())]
            for short in (o for o in opts if len(o) == 2 and o != "--"):
                found[short] = next(o for o in opts if o.startswith("--"))
    for short, long in found.items():
        assert f"| `{short}` | `{long}` |" in page, short


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--json", "status", "X"], ["status", "--json", "X"]),
        (["status", "--debug", "X"], ["--debug", "status", "X"]),
        (["-p", "work", "log"], ["log", "-p", "work"]),
        (
            ["--profile=work", "--json", "bulk", "show", "J"],
            ["bulk", "show", "--profile=work", "--json", "J"],
        ),
        # An option's value stays its value; nothing after -- moves.
        (["send", "--label", "--json", "x"], ["send", "--label", "--json", "x"]),
        (["send", "--", "--debug"], ["send", "--", "--debug"]),
    ],
)
def test_global_options_move_to_where_they_belong(argv: list[str], expected: list[str]) -> None:
    assert scan(root_command(), argv).args == expected


def test_label_value_is_not_json_mode() -> None:
    assert scan(root_command(), ["send", "--label", "--json", "x"]).json is False
    assert scan(root_command(), ["send", "x", "--json"]).json is True


def test_debug_after_the_subcommand_shows_the_traceback(tmp_path: Any) -> None:
    """`smsctl log --debug` works as `smsctl --debug log` (and the hint that says so is true):
    an unreadable history is an error either way, never "no such option"."""
    before = runner.invoke(app, ["--debug", "log", "-n", "1"])
    after = runner.invoke(app, ["log", "-n", "1", "--debug"])
    assert after.exit_code == before.exit_code
    assert "No such option" not in after.output


def test_json_before_the_subcommand() -> None:
    result = runner.invoke(app, ["--json", "split", "hello"])
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("{")


def test_profile_before_the_subcommand() -> None:
    result = runner.invoke(app, ["-p", "nosuch", "balance"])
    assert result.exit_code == 4
    assert "nosuch" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["listen", "--help"], "one JSON object per line"),
        (["bulk", "start", "--help"], "one JSON object per line"),
        (["send", "--help"], "one JSON document"),
    ],
)
def test_json_help_says_what_is_printed(args: list[str], says: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "400"})
    line = next(line for line in result.output.splitlines() if "--json" in line)
    assert says in line
