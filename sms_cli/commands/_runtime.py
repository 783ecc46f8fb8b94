"""What every command shares: turning errors into exit codes, and reading text input."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from sms_cli.core.redaction import redact
from sms_cli.core.times import MAX_TIMEOUT
from sms_cli.errors import ExitCode, InputError, SmsError, StorageError
from sms_cli.render import output
from sms_cli.services import profiles as profile_service

# Options several commands share, spelled once.
TextArgument = Annotated[
    str | None,
    typer.Argument(
        help="The message text; '-' or nothing reads standard input.", show_default=False
    ),
]
NoPagerFlag = Annotated[
    bool, typer.Option("--no-pager", help="Print directly, never through $PAGER.")
]

JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as one JSON document on stdout; an error as one JSON object on "
        "stderr.",
    ),
]
# bulk start and bulk retry: a dry run streams one line per row, then a line of totals.
DryRunJsonFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as one JSON document; with --dry-run, one JSON object per line "
        "(JSON Lines): one per row, then one with the totals. An error as one JSON object on "
        "stderr.",
    ),
]
# For commands that stream (listen): one line per event, as it comes.
JsonLinesFlag = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON object per line (JSON Lines), one for each event as it comes; an "
        "error as one JSON object on stderr.",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only messages since: a date (2026-11-01), a time, or an age (30m, 12h, 7d).",
        show_default=False,
    ),
]
# Bounds that keep numbers the user types inside what SQLite, sockets and timers can hold: a
# value past them is a usage error at parsing (exit 2), never an overflow deep inside.
MAX_LIMIT = 1_000_000
LimitOption = Annotated[
    int, typer.Option("-n", "--limit", min=1, max=MAX_LIMIT, help="At most this many.")
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0.1,
        max=MAX_TIMEOUT,
        help="Seconds to wait for the provider's answer (at most 3600).",
    ),
]
# `profile check` and `doctor`: a check waits less than a send may (at most 300 s).
CheckTimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0.1,
        max=300,
        help="Seconds to wait for each provider's answer (at most 300).",
    ),
]


def complete_profile_name(incomplete: str) -> list[str]:
    """Shell completion of profile names; silent when the file cannot be read."""
    try:
        profiles = profile_service.store().load()
    except Exception:
        return []
    names = [*profiles.profiles, *(b.shown_name for b in profiles.broken.values())]
    return [name for name in sorted(names) if name.startswith(incomplete)]


ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile to use (default: SMSCTL_PROFILE, then the default profile).",
        autocompletion=complete_profile_name,
        show_default=False,
    ),
]


class RunState:
    """Process-wide switches set by the root command."""

    debug: bool = False


@contextmanager
def handled_errors() -> Iterator[None]:
    """Map every failure to its documented exit code, with one line on stderr and no traceback.

    Used inside each command (not around the whole app) so in-process runners see real codes.
    Warnings found while loading the profiles (a file others can read) go to stderr.
    """
    profile_service.warn_with(output.warning)
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except SmsError as exc:
        # Notes a service added on the way out (a record it could not write): warnings, first.
        for note in getattr(exc, "__notes__", ()):
            output.warning(str(note))
        output.error(exc.message, exc.hint, code=exc.code)
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt as exc:
        for note in getattr(exc, "__notes__", ()):  # what a send left behind
            output.warning(str(note))
        # What the interrupt left behind (a send that may have gone out) when known.
        message = getattr(exc, "message", None) or "interrupted"
        output.error(message, getattr(exc, "hint", None), code="interrupted")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        # The reader went away (`smsctl log | head`): not an error worth a message. Point stdout
        # at /dev/null so the interpreter's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
        output.Errors.first = output.Errors.first or (
            "standard output was closed early",
            None,
            "broken_pipe",
        )
        raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
    except Exception as exc:
        mapped = _last_resort(exc)
        if mapped is not None:
            if RunState.debug:
                output.stderr().write(redact(traceback.format_exc()))
            output.error(mapped.message, mapped.hint, code=mapped.code)
            raise typer.Exit(int(mapped.exit_code)) from None
        if RunState.debug:
            output.stderr().write(redact(traceback.format_exc()))
        output.error(
            f"internal error ({type(exc).__name__}); this is a bug in smsctl",
            hint=None if RunState.debug else "run again with --debug to see the traceback",
            code="internal",
        )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


@contextmanager
def results_written(sent: str | None, *, see: str = "`smsctl log` shows them") -> Iterator[None]:
    """Write results to stdout, flushed inside. For a command that sent (`sent` says what went
    out), a stdout that cannot take them (`> /dev/full`, a reader gone) is a warning, not an
    error: the exit code must keep saying what the provider answered, or a script would resend
    what went out."""
    if sent is None:
        yield
        return
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        # Drop what is buffered: the final flush must not fail (and complain) again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        with contextlib.suppress(OSError, ValueError):
            output.warning(
                f"the results could not be written to standard output "
                f"({exc.strerror or exc}), but {sent}: {see}"
            )


_STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EACCES, getattr(errno, "EDQUOT", errno.ENOSPC)}
)


def _last_resort(exc: Exception) -> SmsError | None:
    """Failures of the machine, not of smsctl, that slipped past the layer meant to name them:
    local storage (exit 4) and undecodable arguments (exit 2). None for a real bug."""
    if isinstance(exc, UnicodeError) and "surrogate" in str(exc):
        return InputError(
            "an argument is not valid UTF-8",
            hint="convert it first, e.g. iconv -f LATIN1 -t UTF-8",
        )
    if type(exc).__module__ == "sqlite3":
        # sqlite3 is not imported at startup: its errors are recognised by their module.
        from sms_cli.storage.db import FILE_NAME, data_dir, storage_error

        return storage_error(exc, data_dir() / FILE_NAME)
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        reason = exc.strerror or str(exc)
        if exc.filename:
            return StorageError(
                f"cannot write {exc.filename}: {reason}",
                path=exc.filename,
                hint="free some space, or make the file and its directory writable",
            )
        # No file named: the results' stream, the one write our storage layers do not name.
        return StorageError(
            f"cannot write the output{_stdout_target()}: {reason}",
            hint="free some space where the output goes, or send it elsewhere",
        )
    return None


def _stdout_target() -> str:
    """Where standard output goes, when it is a file or device: ` (standard output: PATH)`."""
    import stat

    try:
        mode = os.fstat(1).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
            return ""
        return f" (standard output: {os.readlink('/proc/self/fd/1')})"
    except OSError:
        return ""


def require_utf8(value: str, what: str) -> str:
    """`value`, or an InputError when it came from bytes that are not UTF-8 (argv decoded with
    surrogateescape keeps them as lone surrogates, which can be neither sent nor stored)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{what} is not valid UTF-8",
            hint="convert it first, e.g. iconv -f LATIN1 -t UTF-8",
        ) from None
    return value


def _strip_final_newline(text: str) -> str:
    """Drop one line ending, as a shell's $(...) would: `echo hi | smsctl split` means "hi"."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


TEXT_LIMIT = 1 << 20  # 1 MiB: a message text (one SMS, at most a few thousand characters)
RECIPIENTS_LIMIT = 16 << 20  # 16 MiB: a --to-file, one number a line (about a million)


def is_stdin(path: str | Path | None) -> bool:
    """Whether PATH names standard input: '-', or a file that is standard input itself
    (/dev/stdin, /dev/fd/0, or the file redirected to it), by its identity (device, inode).
    PATH as typed (a str): './-' is a file named '-' (a Path would collapse it to '-')."""
    if path is None:
        return False
    if str(path) == "-":
        return True
    try:
        fd = sys.stdin.fileno() if sys.stdin is not None else 0
        own, stdin = os.stat(path), os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return False  # no such file (said when it is read), or no standard input to compare
    return (own.st_dev, own.st_ino) == (stdin.st_dev, stdin.st_ino)


def read_input(path: str | Path | None, *, option: str, limit: int) -> bytes:
    """The bytes of PATH, or of standard input when PATH is None or '-', at most LIMIT of them:
    an InputError (exit 2) naming OPTION when it cannot be read or is larger (/dev/zero is
    refused, not read until memory runs out)."""
    data: bytes
    if path is None or is_stdin(path):
        source = "standard input"
        stdin = sys.stdin
        if stdin is None:
            raise InputError(f"{option}: no standard input to read from")
        buffer = getattr(stdin, "buffer", None)
        try:
            if buffer is not None:
                data = buffer.read(limit + 1)
            else:
                data = stdin.read(limit + 1).encode("utf-8")
        except (OSError, ValueError) as exc:
            raise InputError(f"{option}: cannot read standard input: {exc}") from None
    else:
        source = str(path)
        try:
            with open(path, "rb") as stream:
                data = stream.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(
            f"{option}: {source} is larger than {limit >> 20} MiB, the most smsctl reads for it",
            hint="check the path; split a larger file into several",
        )
    return data


def decode_input(data: bytes, source: str) -> str:
    """DATA as UTF-8 (a BOM dropped); an InputError naming SOURCE ("--file notes.txt") if not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source} is not valid UTF-8 (byte {exc.start})",
            hint="convert it first, e.g. iconv -f LATIN1 -t UTF-8",
        ) from None


def read_text(text: str | None, file: str | Path | None) -> str:
    """The message text from the argument, a file (`--file`; '-': standard input), or standard
    input (`-` or no argument); at most TEXT_LIMIT bytes."""
    if file is not None:
        if text is not None:
            raise InputError("give the text as an argument or with --file, not both")
        if not is_stdin(file):
            data = read_input(file, option="--file", limit=TEXT_LIMIT)
            return _strip_final_newline(decode_input(data, f"--file {file}"))
    elif text is not None and text != "-":
        return require_utf8(text, "the text")
    if sys.stdin is not None and output.is_terminal(sys.stdin):
        output.info("reading the text from standard input; end it with Ctrl-D")
    option = "--file -" if file is not None else "the text"
    data = read_input(None, option=option, limit=TEXT_LIMIT)
    return _strip_final_newline(decode_input(data, "standard input"))
