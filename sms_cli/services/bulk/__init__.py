"""Bulk campaigns: reading the CSV (input), the journaled job and its runner (engine).

Here only what every part shares and that loads nothing heavy: `storage_errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def storage_errors() -> Iterator[None]:
    """A history database that fails a read or write is local storage (exit 4), not a bug: the
    job journal is transactional, so whatever it holds is still resumable. The failure is
    named as the history's own are (storage/db.py `storage_error`): damaged (move it away),
    locked (busy), read-only, full; the hint never names a command that would fail the same."""
    try:
        yield
    except Exception as exc:
        import sqlite3  # not at import time: `--help` loads no sqlite3

        if not isinstance(exc, sqlite3.Error):
            raise
        from sms_cli.storage.db import FILE_NAME, data_dir, default_busy_timeout, storage_error

        raise storage_error(exc, data_dir() / FILE_NAME, waited=default_busy_timeout()) from None
