"""Bulk campaigns: reading the CSV (input), the journaled job and its runner (engine).

Here only what every part shares and that loads nothing heavy: `storage_errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sms_cli.errors import ConfigError

_RESUME_HINT = (
    "free space or fix the data directory, then: smsctl bulk jobs; smsctl bulk resume JOB"
)


@contextmanager
def storage_errors(
    doing: str = "record the bulk job in", hint: str = _RESUME_HINT
) -> Iterator[None]:
    """A history database that fails a read or write is local storage (exit 4), not a bug: the
    job journal is transactional, so whatever it holds is still resumable. DOING says what
    could not be done ("could not DOING the history"), HINT what to do about it."""
    try:
        yield
    except Exception as exc:
        import sqlite3  # not at import time: `--help` loads no sqlite3

        if not isinstance(exc, sqlite3.Error):
            raise
        raise ConfigError(
            f"could not {doing} the history ({type(exc).__name__}: {exc})", hint=hint
        ) from None
