"""The history database as `smsctl doctor` sees it: does it open, is its schema current, can a
writer get the lock. Looks without changing anything: no file is created, no migration run."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from sms_cli.errors import StorageError
from sms_cli.storage.db import FILE_NAME, MIGRATIONS, data_dir, storage_error


@dataclass(frozen=True)
class HistoryHealth:
    path: Path
    exists: bool
    pending: tuple[str, ...] = ()  # migrations the next smsctl command that writes will apply
    writable: bool = True


def inspect_history(path: Path | None = None, *, busy_timeout: float = 1.0) -> HistoryHealth:
    """The state of the history file; StorageError (exit 4) when it is damaged, locked by
    another process past `busy_timeout`, from a newer smsctl, or not a regular file."""
    path = path or data_dir() / FILE_NAME
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return HistoryHealth(path=path, exists=False)
    except OSError as exc:
        raise storage_error(exc, path) from None
    if not stat.S_ISREG(mode):
        raise StorageError(
            f"the history at {path} is not a regular file; smsctl will not use it",
            path=path,
            hint="move it away (smsctl then starts a new history), or set SMSCTL_DATA_DIR",
        )
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    uri = f"{path.as_uri()}?mode={'rw' if writable else 'ro'}"
    connection = None
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        try:
            applied = {r[0] for r in connection.execute("SELECT name FROM schema_migrations")}
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a database?
            applied = set()
        known = [name for name, _ in MIGRATIONS]
        newer = sorted(set(applied) - set(known))
        if newer:
            raise StorageError(
                f"the history at {path} is from a newer smsctl (migration {newer[-1]}); "
                "upgrade smsctl or set SMSCTL_DATA_DIR",
                path=path,
            )
        if writable:
            # The write lock, taken and given back at once: a process holding it (a stuck
            # `bulk`, a `sqlite3` shell) would make every send wait and then fail.
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise storage_error(exc, path, waited=busy_timeout) from None
    finally:
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
    pending = tuple(name for name in known if name not in applied)
    return HistoryHealth(path=path, exists=True, pending=pending, writable=writable)
