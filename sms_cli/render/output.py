"""Where output goes: results to stdout, everything else to stderr; colour only on a terminal.

Streams are looked up when used, not when imported, so in-process test runners that swap
sys.stdout see everything. rich is imported only when a terminal will show its output.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from sms_cli.core.printable import visible_lines
from sms_cli.core.redaction import redact
from sms_cli.errors import (
    CODE_FOR_EXIT,
    HINT_FOR_EXIT,
    SUMMARY_FOR_EXIT,
    ExitCode,
    SmsError,
)

if TYPE_CHECKING:
    from rich.console import Console


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_allowed(stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


_captured: list[TextIO] = []  # render/pager.py: results gathered for the pager


def stdout() -> TextIO:
    return _captured[-1] if _captured else sys.stdout


@contextlib.contextmanager
def captured(stream: TextIO) -> Iterator[None]:
    """Results written to `stream` instead of stdout while inside (for the pager)."""
    _captured.append(stream)
    try:
        yield
    finally:
        _captured.remove(stream)


def stderr() -> TextIO:
    return sys.stderr


def print_json(
    document: Any, *, reveal: bool = False, line: bool = False, ensure_ascii: bool = False
) -> None:
    """One JSON document on stdout: UTF-8 text as is, two-space indent, a final newline; or,
    with `line`, on one line (a JSON Lines stream).

    Known secrets are redacted unless the user explicitly asked to see them (`reveal`).
    """
    try:
        text = json.dumps(
            document, ensure_ascii=ensure_ascii, indent=None if line else 2, allow_nan=False
        )
    except ValueError:  # NaN or infinity: json.dumps would write invalid JSON, never print it
        raise SmsError(
            "a result held NaN or infinity, which JSON cannot carry; this is a bug"
        ) from None
    stdout().write((text if reveal else redact(text, urls=False)) + "\n")


def rich_console(stream: TextIO) -> Console:
    from rich.console import Console

    return Console(
        file=stream,
        force_terminal=is_terminal(stream),
        no_color=not color_allowed(stream),
        highlight=False,
        soft_wrap=False,
    )


# Diagnostics quote provider text, ids and file names: shown through visible_lines, so an escape
# sequence in any of them is seen, never obeyed by the terminal.


class Errors:
    """How errors are shown in this run, set by the root command (app.py) before anything runs.

    Human mode: each error at once, `smsctl: error: ...` and `hint: ...`. JSON mode (--json
    anywhere on the command line): the first error is kept and written as ONE object on one
    line by `finish`, which knows the exit code; warnings and notes stay prose lines.
    """

    json: bool = False
    active: bool = False  # inside a run of the root command, which will call `finish`
    reported: bool = False
    first: tuple[str, str | None, str | None] | None = None  # message, hint, code

    @classmethod
    def reset(cls, *, json: bool) -> None:
        cls.json, cls.active, cls.reported, cls.first = json, True, False, None


def error(message: str, hint: str | None = None, *, code: str | None = None) -> None:
    """One error for the user; `code` is its stable word (errors.ERROR_CODES) when known."""
    Errors.reported = True
    if Errors.json and Errors.active:
        if Errors.first is None:
            Errors.first = (message, hint, code)
        return
    text = f"smsctl: error: {message}\n" + (f"hint: {hint}\n" if hint else "")
    diagnostic(visible_lines(redact(text)))


def error_object(message: str, hint: str | None, code: str, exit_code: int) -> str:
    """The --json error line: {"error": {"code", "message", "hint", "exit_code"}}."""
    document = {"error": {"code": code, "message": message, "hint": hint, "exit_code": exit_code}}
    return redact(json.dumps(document, ensure_ascii=False)) + "\n"


def finish(exit_code: int) -> None:
    """At the end of a run: an exit no error explained gets one line saying why (human), and
    with --json every non-zero exit gets its error object. A closed stdout (141) is quiet in
    human mode, as `| head` must be."""
    if exit_code == 0:
        # A run that succeeded has no error object; an error it recovered from, kept for the
        # object in JSON mode, is still said, as the warning it turned out to be.
        if Errors.first is not None and Errors.json:
            message, hint, _ = Errors.first
            warning(message, hint)
        Errors.first = None
        return
    try:
        known = ExitCode(exit_code)
    except ValueError:
        known = ExitCode.INTERNAL
    if not Errors.json:
        if not Errors.reported and known not in (ExitCode.OK, ExitCode.BROKEN_PIPE):
            error(SUMMARY_FOR_EXIT[known], HINT_FOR_EXIT.get(known))
        return
    message, hint, code = Errors.first or (
        SUMMARY_FOR_EXIT.get(known, "error"),
        HINT_FOR_EXIT.get(known),
        None,
    )
    Errors.first = None
    diagnostic(error_object(message, hint, code or CODE_FOR_EXIT.get(known, "internal"), exit_code))


def warning(message: str, hint: str | None = None) -> None:
    text = f"smsctl: warning: {message}\n" + (f"hint: {hint}\n" if hint else "")
    diagnostic(visible_lines(redact(text)))


def info(message: str) -> None:
    diagnostic(visible_lines(redact(f"{message}\n")))


def diagnostic(text: str) -> bool:
    """Write to stderr; False when it cannot be written (2>/dev/full, a reader gone away).

    A diagnostic that cannot be written must not stop the program: it is dropped, and stderr
    is pointed at /dev/null, so later ones and the interpreter's final flush are quiet too.
    """
    stream = stderr()
    try:
        stream.write(text)
        return True
    except OSError:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        return False
