"""The Typer root. It registers the commands and imports nothing heavy: no httpx, no sqlite3.

Typer inspects the signature of every registered command on each run, so `main()` registers
only the command being run when the first argument names one; `--help`, completion and anything
else get the whole app. `app` (the whole app) is built on first use, for tests and tools.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sms_cli import __version__
from sms_cli.commands._root import RootGroup
from sms_cli.commands._runtime import RunState
from sms_cli.errors import ExitCode
from sms_cli.render import output

if TYPE_CHECKING:
    app: typer.Typer

# name -> "module:attribute". A Typer attribute is a group. `smsctl --help` lists them in
# panels (commands/_root.py, PANELS).
COMMANDS: dict[str, str] = {
    "send": "sms_cli.commands.send:send_command",
    "status": "sms_cli.commands.status:status_command",
    "log": "sms_cli.commands.log:log_command",
    "bulk": "sms_cli.commands.bulk:bulk_app",
    "split": "sms_cli.commands.split:split_command",
    "listen": "sms_cli.commands.listen:listen_command",
    "inbox": "sms_cli.commands.inbox:inbox_command",
    "hooks": "sms_cli.commands.hooks:hooks_app",
    "balance": "sms_cli.commands.balance:balance_command",
    "profile": "sms_cli.commands.profile:profile_app",
    "doctor": "sms_cli.commands.doctor:doctor_command",
    "providers": "sms_cli.commands.providers:providers_command",
    "sandbox": "sms_cli.commands.sandbox:sandbox_command",
}


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"smsctl {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="SMSCTL_DEBUG",
            help="Show tracebacks of internal errors (before or after the command).",
        ),
    ] = False,
) -> None:
    """smsctl: send SMS through the providers installed (smsctl providers), and preview
    segmentation offline."""
    RunState.debug = debug


def build_app(only: str | None = None) -> typer.Typer:
    """The app with every command, or with just `only`."""
    built = typer.Typer(
        name="smsctl",
        help="Send SMS from the command line: exact segmentation, safe sending, scriptable output."
        "\n\nGlobal options, before or after the command: `--json` (results as JSON, errors as "
        "one JSON object), `-p`/`--profile NAME` (for commands that use a profile), `--debug`.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode="markdown",
        cls=RootGroup,
    )
    built.callback()(root)
    for name, target in COMMANDS.items():
        if only not in (None, name):
            continue
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if isinstance(command, typer.Typer):
            built.add_typer(command, name=name)
        else:
            built.command(name)(command)
    return built


def __getattr__(name: str) -> Any:
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(name)


def _process_error(message: str, code: str, exit_code: ExitCode, *, json: bool) -> None:
    """An error of the process around the command (its streams): prose, or the object."""
    if json:
        sys.stderr.write(output.error_object(message, None, code, int(exit_code)))
    else:
        sys.stderr.write(f"smsctl: error: {message}\n")


def _prepare_process() -> None:
    """What the process needs before any command runs: writes past RLIMIT_FSIZE fail with EFBIG
    (a storage error, exit 4) instead of SIGXFSZ killing us mid-write; a closed stderr is not
    a crash; a closed stdout stops us before anything is done (exit 141)."""
    import signal

    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    if sys.stdout is None:
        # `smsctl log >&-`: fd 1 is not open, so no result could be shown; do nothing at all.
        _process_error(
            "standard output is closed; nothing was done",
            "broken_pipe",
            ExitCode.BROKEN_PIPE,
            json=_json_asked(sys.argv[1:]),
        )
        raise SystemExit(int(ExitCode.BROKEN_PIPE))
    # A terminal or pipe that cannot show a character (LANG=C, PYTHONIOENCODING=ascii) must not
    # turn a name or a provider's answer into a crash: show it escaped, in the same encoding.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError, LookupError):
                reconfigure(errors="backslashreplace")


def _json_asked(args: list[str]) -> bool:
    """Whether the command line asks for JSON, read as the root command reads it (not after
    `--`, not as an option's value), before anything runs."""
    import typer.main

    from sms_cli.commands._root import scan

    first = _first_command(args)
    command = typer.main.get_command(build_app(first if first in COMMANDS else None))
    return scan(command, args).json


def _flush_stdout() -> None:
    """Flush results now, so a reader that went away (`| head -0`) is exit 141, not a complaint
    from the interpreter's final flush."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.flush()
    except ValueError:  # already closed
        return
    except OSError as exc:
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())
        if isinstance(exc, BrokenPipeError):
            if output.Errors.json:  # with --json, every non-zero exit has its object
                output.diagnostic(
                    output.error_object(
                        "standard output was closed early",
                        None,
                        "broken_pipe",
                        int(ExitCode.BROKEN_PIPE),
                    )
                )
            raise SystemExit(int(ExitCode.BROKEN_PIPE)) from None
        # Results that could not be written (a full disk behind `> file`): say so, exit 4.
        _process_error(
            f"cannot write standard output: {exc.strerror or exc}",
            "storage",
            ExitCode.CONFIG,
            json=output.Errors.json,
        )
        raise SystemExit(int(ExitCode.CONFIG)) from None


def _stdout_identity() -> tuple[int, int] | None:
    try:
        stat = os.fstat(1)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _output_failed(exc: OSError) -> SystemExit:
    """An output failure outside any command (`--help`, `--version`, a usage error, into a
    closed pipe or a full disk): a reader gone is 141, quietly; anything else exit 4."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, 1)
    os.close(devnull)
    if isinstance(exc, BrokenPipeError):
        return SystemExit(int(ExitCode.BROKEN_PIPE))
    with contextlib.suppress(OSError, ValueError):
        _process_error(
            f"cannot write the output: {exc.strerror or exc}",
            "storage",
            ExitCode.CONFIG,
            json=output.Errors.json,
        )
        sys.stderr.flush()
    return SystemExit(int(ExitCode.CONFIG))


def _first_command(args: list[str]) -> str | None:
    """The command named first, past global options (`smsctl --json -p work log`)."""
    skip = False
    for token in args:
        if skip:
            skip = False
        elif token in ("-p", "--profile"):
            skip = True
        elif not (token in ("--debug", "--json") or token.startswith(("-p", "--profile="))):
            return token
    return None


def main() -> None:
    _prepare_process()
    first = _first_command(sys.argv[1:])
    completing = "_SMSCTL_COMPLETE" in os.environ
    only = first if first in COMMANDS and not completing else None
    stdout, stdout_file = sys.stdout, _stdout_identity()
    try:
        try:
            build_app(only)(prog_name="smsctl")
        finally:
            _flush_stdout()
    except SystemExit as exc:
        # Click (a usage error, --version) and rich (help) meet a closed pipe by replacing
        # sys.stdout, or pointing fd 1 at /dev/null, and exiting 1: that is 141 here.
        if exc.code == ExitCode.INTERNAL and (
            sys.stdout is not stdout or _stdout_identity() != stdout_file
        ):
            raise SystemExit(int(ExitCode.BROKEN_PIPE)) from None
        raise
    except OSError as exc:
        raise _output_failed(exc) from None
