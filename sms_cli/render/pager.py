"""Long `log` and `inbox` output through $PAGER, as git does: only on a terminal, only when it is
longer than the screen, never for JSON, CSV or a pipe.

The renderer writes to a buffer that says it is a terminal (so the table, its widths and its
colours are the terminal's); the buffer then goes to the screen directly, or to the pager.
PAGER unset means `less -FRX` (quit at the end of one screen, pass colours, leave the text on
the screen); PAGER empty or a bare `cat` means no pager. A pager that cannot start, or that ends
with a non-zero status (it may not have shown the text): a warning on stderr naming it, then the
text printed directly. A pager the user quits early (q, status 0) is not an error: the rest is
dropped quietly.
While the pager runs, Ctrl-C is the pager's: smsctl ignores SIGINT until it ends.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import shutil
from collections.abc import Callable, Iterator
from typing import TextIO

from sms_cli.render import output

DEFAULT_PAGER = "less -FRX"


class _Screen(io.StringIO):
    """What the renderer writes to while the pager is pending: a terminal, to the renderer."""

    def __init__(self, terminal: TextIO) -> None:
        super().__init__()
        self.encoding_of_terminal = getattr(terminal, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return True


def pager_command() -> list[str] | None:
    """The pager to run, split into words; None when the user asked for none."""
    chosen = os.environ.get("PAGER")
    if chosen is None:
        chosen = DEFAULT_PAGER
    try:
        words = shlex.split(chosen)
    except ValueError:  # unbalanced quotes: run no pager rather than a wrong one
        return None
    if not words or (len(words) == 1 and os.path.basename(words[0]) == "cat"):
        return None  # a bare `cat`: no pager; `cat -n` is a pager like any other
    return words


@contextlib.contextmanager
def paged(*, enabled: bool) -> Iterator[None]:
    """Inside, results go to the pager when they should (see the module's docstring)."""
    terminal = output.stdout()
    command = pager_command()
    if not enabled or command is None or not output.is_terminal(terminal):
        yield
        return
    screen = _Screen(terminal)
    try:
        with output.captured(screen):
            yield
    except KeyboardInterrupt:
        raise  # Ctrl-C while rendering: a half-drawn table is not dumped on the screen
    except BaseException:
        # An error after some output: what was written is shown before the error's message.
        terminal.write(screen.getvalue())
        raise
    text = screen.getvalue()
    height = shutil.get_terminal_size().lines
    if text.count("\n") < height:
        terminal.write(text)
        return
    failure = show(command, text, terminal)
    if failure is not None:
        output.warning(f"{failure}; the output follows without a pager")
        terminal.write(text)


def show(command: list[str], text: str, terminal: TextIO) -> str | None:
    """Run the pager on `text`; None when it took it, else why it may not have shown it: it
    could not start, or it ended with a non-zero status or by a signal."""
    import subprocess

    terminal.flush()
    environment = {**os.environ}
    environment.setdefault("LESS", "FRX")
    encoding = getattr(terminal, "encoding", None) or "utf-8"
    shown = shlex.join(command)
    # SIGINT is ignored from before the pager starts (a Ctrl-C as it starts is its too); the
    # pager itself gets the default back, as if smsctl had never touched it.
    with _interrupts_ignored() as in_child:
        try:
            pager = subprocess.Popen(
                command, stdin=subprocess.PIPE, env=environment, preexec_fn=in_child
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            return f"the pager ({shown}) could not start: {reason}"
        assert pager.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):  # the user quit before the end
            pager.stdin.write(text.encode(encoding, "replace"))
        with contextlib.suppress(BrokenPipeError, OSError):
            pager.stdin.close()
        status = pager.wait()
    if status == 0:
        return None
    if status < 0:
        return f"the pager ({shown}) was ended by signal {-status}"
    return f"the pager ({shown}) exited with status {status}"


def _default_interrupts() -> None:
    """In the pager's process, before it runs: Ctrl-C does what the pager says, not ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[Callable[[], None] | None]:
    """SIGINT ignored inside, then restored; yields what resets it in a child process (None
    when there is nothing to reset, or other threads make a child's preexec_fn unsafe, so the
    pager inherits the ignore: less and more set their own handler). Only the main thread can
    change signal handlers: elsewhere nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield _default_interrupts if threading.active_count() == 1 else None
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
