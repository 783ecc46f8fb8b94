"""The root command: help that teaches, global options anywhere, and errors scripts can read.

Typer builds the click command tree on every run; `RootGroup` (the root's class) finishes it
once it is built, in one place instead of on 150 options:
- metavars that read as values (`--to NUMBER`, `--timeout SECONDS`), none on flags, no
  `<float range> [x>=0.1]` (ranges are said in words in the help where they matter);
- an "Examples" section on every command's help, from commands/_examples.py;
- the root's commands in panels (Sending, Tracking, Receiving, Setup).
Before parsing it moves the global options (`--debug`, `--json`, `-p/--profile`) to where
they belong, so they work before or after the subcommand; and it shows errors (click's usage
errors too) as one JSON object on stderr when `--json` was given anywhere.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import typer
from typer._click.core import Context
from typer._click.exceptions import ClickException
from typer.core import TyperArgument, TyperGroup, TyperOption

from sms_cli.commands._examples import EXAMPLES
from sms_cli.commands._runtime import RunState
from sms_cli.errors import ExitCode
from sms_cli.render import output

# Commands of `smsctl --help`, by panel, in this order.
PANELS: dict[str, tuple[str, ...]] = {
    "Sending": ("send", "bulk", "split"),
    "Tracking": ("status", "log"),
    "Receiving": ("listen", "inbox", "hooks"),
    "Setup": ("profile", "providers", "doctor", "balance", "sandbox"),
}

# Metavars where the option's name says what the value is; others follow the type below.
METAVARS: dict[str, str] = {
    "--to": "NUMBER",
    "--from": "SENDER",
    "--profile": "NAME",
    "--timeout": "SECONDS",
    "--interval": "SECONDS",
    "--advance-every": "SECONDS",
    "--limit": "N",
    "--max-segments": "N",
    "--concurrency": "N",
    "--batch-size": "N",
    "--rate": "PER_SECOND",
    "--since": "WHEN",
    "--at": "WHEN",
    "--ttl": "MINUTES",
    "--attach-validity": "DAYS",
    "--file": "FILE",
    "--to-file": "FILE",
    "--template-file": "FILE",
    "--attach": "FILE",
    "--report": "FILE",
    "--output": "FILE",
    "--job": "JOB",
    "--resume": "JOB",
    "--port": "PORT",
    "--host": "ADDRESS",
    "--base-url": "URL",
    "--public-url": "URL",
    "--region": "REGION",
    "--national": "REGION",
    "--currency": "CURRENCY",
    "--price-per-segment": "PRICE",
    "--provider": "PROVIDER",
    "--sender": "SENDER",
    "--message": "TEMPLATE",
    "--token-env": "VAR",
    "--credential-env": "NAME=VAR",
    "--credential": "NAME=VALUE",
    "--credential-stdin": "NAME",
    "--secret": "SECRET",
    "--status": "STATE",
    "--label": "TEXT",
    "--foreign-id": "TEXT",
    "--name": "NAME",
    "--token-store": "file|keyring",
    "--event": "dlr|sms_mo|all",
    "--method": "POST|GET|JSON",
    "--to-column": "COL",
    "--sender-column": "COL",
    "--at-column": "COL",
    "--label-column": "COL",
}
# Positional arguments, by parameter name.
ARGUMENT_METAVARS: dict[str, str] = {"hook_id": "HOOK_ID", "ids": "ID"}
TYPE_METAVARS: dict[str, str] = {"int": "N", "float": "NUMBER", "Path": "PATH", "str": "TEXT"}

HELP_NAMES = ["-h", "--help"]
JSON_VALUE_HINT = "--json takes no value: give it alone (--json, not --json=true)"
_TYPED = "smsctl.typed"  # ctx.meta: the words typed, for completion
PROFILE_OPTIONS = ("-p", "--profile")


def _option_metavar(option: TyperOption) -> str:
    for name in option.opts:
        if name in METAVARS:
            return METAVARS[name]
    descriptor = option.type_descriptor
    if descriptor.is_choice and descriptor.choices is not None:
        return "|".join(str(getattr(choice, "value", choice)) for choice in descriptor.choices)
    annotation = descriptor.annotation
    if descriptor.is_list:
        annotation = getattr(annotation, "__args__", (str,))[0]
    name = getattr(annotation, "__name__", "str")
    return TYPE_METAVARS.get(name, "PATH" if descriptor.is_path else "VALUE")


def _no_type(ctx: object) -> None:
    return None


def _usage_name(param: TyperArgument) -> str:
    name = param.display_name_raw
    name = name if param.required else f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def fix_metavars(command: typer.core.TyperCommand | TyperGroup) -> None:
    """Metavars that read as values: flags none, values a word, ranges in the help's words."""
    help_option = getattr(command, "_help_option", None)
    for param in [*command.params, *([help_option] if help_option else [])]:
        # A metavar chosen where the parameter is declared (HEX, VAR, file|keyring) stays,
        # unless METAVARS names the option: one option name, one metavar, in every command.
        explicit = bool(param.metavar)
        if isinstance(param, TyperOption):
            if param.is_flag or param.count:
                # Typer shows `<bool>` for flags in rich help; an empty metavar shows nothing.
                param.metavar = ""
            elif not explicit or any(name in METAVARS for name in param.opts):
                param.metavar = _option_metavar(param)
            param.min = param.max = None  # help only: values are checked by the type
        elif isinstance(param, TyperArgument):
            if not explicit:
                name = param.name or "value"
                param.metavar = ARGUMENT_METAVARS.get(name, name.upper())
            # The name column says it already; the type column would repeat `<str>`.
            param.display_type_rich = _no_type  # type: ignore[method-assign]
            # Usage: `JOB` for a required argument, `[FILE]` for an optional one (not `{JOB}`).
            param._usage_display_name = functools.partial(  # type: ignore[method-assign]
                _usage_name, param
            )
            param.min = param.max = None


def examples_text(path: str, *, markdown: bool) -> str | None:
    """The "Examples" section of one command's help; None when it has none."""
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    lines: list[str] = []
    for line, what in examples:
        lines += [f"# {what}", line]
    if markdown:
        return "**Examples**\n\n```text\n" + "\n".join(lines) + "\n```"
    # \b: click keeps the block's lines as they are instead of re-wrapping them.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _finish(command: Any, path: str, markdown: bool) -> None:
    # The help option is made on first use; make it now, so its metavar is fixed too.
    command.get_help_option(Context(command, help_option_names=HELP_NAMES))
    fix_metavars(command)
    text = examples_text(path, markdown=markdown)
    if text is not None:
        command.epilog = text
    for name, sub in getattr(command, "commands", {}).items():
        _finish(sub, f"{path} {name}".strip(), markdown)


@dataclass
class Scanned:
    """A command line with the global options moved to where they belong."""

    args: list[str]
    json: bool = False
    json_value: bool = False  # `--json=...` was given: a usage error that should say why
    debug: bool = False
    path: list[str] = field(default_factory=list)  # the subcommands named, e.g. ["bulk", "show"]


def _params(command: Any) -> list[Any]:
    help_option = getattr(command, "_help_option", None)
    return [*getattr(command, "params", ()), *([help_option] if help_option else [])]


def _option(command: Any, name: str) -> Any:
    for param in _params(command):
        if name in getattr(param, "opts", ()) or name in getattr(param, "secondary_opts", ()):
            return param
    return None


def _value_taking(param: Any) -> bool:
    return not (getattr(param, "is_flag", False) or getattr(param, "count", False))


def _takes_value(command: Any, token: str) -> bool:
    """Whether the option token `token` of `command` consumes the next argument, read as
    click's parser reads it: `--opt` (no `=`) or a cluster of short options (`-ym`, `-uf`)
    walked letter by letter, where a flag letter goes on to the next letter and a letter that
    takes a value takes the rest of the token, or the next argument when it is the last."""
    head, _, _ = token.partition("=")
    param = _option(command, head)
    if param is not None and (token.startswith("--") or len(head) > 2):
        # A long option (`--to`, or a declared `-long`); `=` attaches its value.
        return "=" not in token and _value_taking(param)
    if token.startswith("--"):
        return False  # unknown: click reports it
    for at, letter in enumerate(token[1:], start=2):
        param = _option(command, "-" + letter)
        if param is None:
            return False  # unknown: click reports it
        if _value_taking(param):
            return at == len(token)  # the last letter: its value is the next argument
    return False


def _is_global(args: Sequence[str], i: int) -> int:
    """How many tokens from `args[i]` are a global option scan moves (0: none)."""
    token = args[i]
    if token in ("--debug", "--json"):
        return 1
    if token in PROFILE_OPTIONS:
        return 2
    return 1 if token.startswith(("-p", "--profile=")) else 0


def default_of(group: Any) -> str | None:
    default = getattr(group, "default_command", None)
    return default if default in getattr(group, "commands", {}) else None


def _default_command(group: Any, args: Sequence[str], i: int) -> Any:
    """The command a group with a default (`bulk FILE` is `bulk start FILE`) will run when
    `args[i:]` follow its name; None when it names a subcommand itself or has no default."""
    default = getattr(group, "default_command", None)
    if default is None or default not in group.commands:
        return None
    while i < len(args) and (skip := _is_global(args, i)):
        i += skip
    if i < len(args) and (args[i] in group.commands or args[i] in HELP_NAMES):
        return None
    return group.commands[default]


def scan(root: Any, args: Sequence[str]) -> Scanned:
    """Move `--debug` to the root and `--json`, `-p/--profile` given before a subcommand to
    just after it (they are the subcommand's options). Option values stay values
    (`send --label --json` labels the message "--json"), and nothing after `--` is moved.
    A group's default command (`bulk FILE`) is resolved as the group will; a command line
    whose shape is unknown (a group followed by a word that names none of its commands) is
    left as it is from there on: which option takes a value is not known, so nothing moves."""
    rest: list[str] = []
    moved: list[str] = []
    result = Scanned(args=[])
    command, insert_at = root, 0
    named = False  # a group's `--` was just read: the next word is its command's name
    i = 0
    while i < len(args):
        token = args[i]
        if named:
            named = False
            if token in command.commands:
                command = command.commands[token]
                result.path.append(token)
                rest.append(token)
                insert_at = len(rest)
                i += 1
                continue
            rest.extend(args[i:])  # click reports it (`No such command '--json'`)
            break
        if token == "--" and isinstance(command, TyperGroup) and default_of(command) is None:
            # Click's group drops a `--` before its command's name and the command parses
            # its own options as ever (`smsctl -- send --to N hi --json` asks for JSON).
            rest.append(token)
            named = True
            i += 1
            continue
        if token == "--":
            rest.extend(args[i:])
            break
        if (
            isinstance(command, TyperGroup)
            and (default := _default_command(command, args, i)) is not None
        ):
            command = default
            result.path.append(default.name)
            insert_at = len(rest)  # the group adds the default's name itself
            continue
        if token == "--debug":
            result.debug = True
            i += 1
            continue
        is_group = isinstance(command, TyperGroup)
        if token.startswith("-") and len(token) > 1:
            if token == "--json" or token.startswith("--json="):
                # `--json=true` is a usage error (a flag takes no value), shown as JSON too.
                result.json = True
                result.json_value = result.json_value or token != "--json"
                if is_group:
                    moved.append(token)
                    i += 1
                    continue
            head = token.split("=", 1)[0]
            if is_group and (head in PROFILE_OPTIONS or token.startswith("-p")):
                alone = token in PROFILE_OPTIONS
                moved.extend(args[i : i + 2] if alone else [token])
                i += 2 if alone else 1
                continue
            if _takes_value(command, token) and i + 1 < len(args):
                rest.extend(args[i : i + 2])
                i += 2
                continue
            rest.append(token)
        elif is_group and token in command.commands:
            command = command.commands[token]
            result.path.append(token)
            rest.append(token)
            insert_at = len(rest)
        elif is_group:
            # Not a command of this group: click reports it; nothing after it is moved.
            rest.extend(args[i:])
            result.json = result.json or any(
                word == "--json" or word.startswith("--json=") for word in args[i:]
            )
            break
        else:
            rest.append(token)
        i += 1
    if isinstance(command, TyperGroup):
        # No command named (`smsctl --json profile`, `smsctl --json bulk -h`), or an unknown
        # one: a group takes none of the global options, so the error (or help) is the
        # group's own; JSON mode is already known. `--json=x` stays: an error that says why.
        moved = [token for token in moved if token.startswith("--json=")]
    rest[insert_at:insert_at] = moved
    result.args = (["--debug"] if result.debug else []) + rest
    return result


class RootGroup(TyperGroup):
    """smsctl's root: see the module's docstring."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        markdown = self.rich_markup_mode == "markdown" and typer.core.HAS_RICH
        _finish(self, "", markdown)
        for panel, names in PANELS.items():
            for name in names:
                command = self.commands.get(name)
                if command is not None:
                    command.rich_help_panel = panel  # type: ignore[attr-defined]

    def get_params(self, ctx: Any) -> list[Any]:
        fix_metavars(self)  # the completion options are added after __init__
        return super().get_params(ctx)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Completion (the only parse without a parent that is resilient) reads the words typed
        so far as a run does: global options before the command are moved after it."""
        if parent is None and extra.get("resilient_parsing"):
            typed = list(args)
            args = scan(self, typed).args
            ctx = super().make_context(info_name, args, parent, **extra)
            ctx.meta[_TYPED] = typed
            return ctx
        return super().make_context(info_name, args, parent, **extra)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """`smsctl -p <TAB>`: profile names, not commands."""
        typed = ctx.meta.get(_TYPED) or []
        if typed and typed[-1] in PROFILE_OPTIONS and ctx.command is self:
            from typer._click.shell_completion import CompletionItem

            from sms_cli.commands._runtime import complete_profile_name

            return [CompletionItem(name) for name in complete_profile_name(incomplete)]
        return list(super().shell_complete(ctx, incomplete))

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Plain help (without rich): the same panels as sections."""
        rows: dict[str, list[tuple[str, str]]] = {}
        limit = formatter.width - 6 - max(len(name) for name in self.commands)
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            panel = getattr(command, "rich_help_panel", None) or "Commands"
            rows.setdefault(panel, []).append((name, command.get_short_help_str(limit)))
        for panel, entries in rows.items():
            with formatter.section(panel):
                formatter.write_dl(entries)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        scanned = scan(self, list(sys.argv[1:] if args is None else args))
        output.Errors.reset(json=scanned.json)
        RunState.debug = scanned.debug
        self._json_value = scanned.json_value
        try:
            code = self._run(scanned.args, prog_name, complete_var, standalone_mode, **extra)
        finally:
            output.Errors.active = False
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        args: list[str],
        prog_name: str | None,
        complete_var: str | None,
        standalone_mode: bool,
        **extra: Any,
    ) -> int:
        """Run the command line; the exit code, with why it failed said on stderr."""
        try:
            result = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except ClickException as exc:
            if not standalone_mode:
                raise
            self._usage_error(exc)
            return exc.exit_code
        except typer.Abort:
            if not standalone_mode:
                raise
            output.error("aborted at a prompt", code="interrupted")
            output.finish(int(ExitCode.INTERRUPTED))
            return int(ExitCode.INTERRUPTED)
        code = result if isinstance(result, int) else int(ExitCode.OK)
        output.finish(code)
        return code

    _json_value = False

    def _usage_error(self, exc: ClickException) -> None:
        """A usage error: as click shows it, or with --json as the error object."""
        if output.Errors.json:  # `--json=true` too: JSON was asked for, if misspelled
            no_args = type(exc).__name__ == "NoArgsIsHelpError"
            hint = _usage_hint(exc)
            if self._json_value and "--json" in exc.format_message():
                hint = JSON_VALUE_HINT
            output.diagnostic(
                output.error_object(
                    "no command given" if no_args else exc.format_message(),
                    _commands_hint(exc) if no_args else hint,
                    "usage",
                    exc.exit_code,
                )
            )
        elif typer.core.HAS_RICH and self.rich_markup_mode is not None:
            from typer import rich_utils

            rich_utils.rich_format_error(exc)
        else:
            exc.show()


def _commands_hint(exc: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    return f"{ctx.command_path if ctx is not None else 'smsctl'} --help lists the commands"


def _usage_hint(exc: Any) -> str | None:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return None
    return f"{ctx.command_path} --help shows the options"
