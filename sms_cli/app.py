"""The Typer root. It registers the commands and imports nothing heavy: no httpx, no sqlite3."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli import __version__
from sms_cli.commands._runtime import RunState
from sms_cli.commands.log import log_command
from sms_cli.commands.profile import profile_app
from sms_cli.commands.sandbox import sandbox_command
from sms_cli.commands.send import send_command
from sms_cli.commands.split import split_command
from sms_cli.commands.status import status_command

app = typer.Typer(
    name="smsctl",
    help="Send SMS from the command line: exact segmentation, safe sending, scriptable output.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"smsctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="SMSCTL_DEBUG", help="Show tracebacks of internal errors."),
    ] = False,
) -> None:
    """smsctl: send SMS through Connectel or seven.io, and preview segmentation offline."""
    RunState.debug = debug


app.command("send")(send_command)
app.command("status")(status_command)
app.command("log")(log_command)
app.command("split")(split_command)
app.add_typer(profile_app)
app.command("sandbox")(sandbox_command)


def main() -> None:
    app(prog_name="smsctl")
