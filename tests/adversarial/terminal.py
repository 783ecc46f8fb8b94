"""smsctl as a real process on a pseudo-terminal of a chosen size (output_fit tests)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    returncode: int
    text: str  # stdout and stderr as the terminal got them, "\r\n" turned back into "\n"

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def smsctl_on_terminal(
    *args: str,
    columns: int,
    lines: int = 24,
    env: Mapping[str, str] | None = None,
    timeout: float = 15.0,
) -> Screen:
    """Run `smsctl ARGS` with stdin, stdout and stderr on a pty `columns` x `lines` big (set with
    TIOCSWINSZ, and in COLUMNS/LINES as a terminal emulator's shell would), and read all it
    writes. Bounded in time: a process still running after `timeout` is killed."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environment = {
        **os.environ,
        **(env or {}),
        "COLUMNS": str(columns),
        "LINES": str(lines),
        "TERM": "xterm-256color",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=environment,
        close_fds=True,
    )
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: every writer has closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:
                break
        else:
            process.kill()
        returncode = process.wait(timeout=5)
    finally:
        os.close(controller)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return Screen(returncode, text)
