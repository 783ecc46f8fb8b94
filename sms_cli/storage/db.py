"""The history's database: where it lives, how it is opened, its schema, what its failures mean.

SQLite in the user data directory, WAL mode and a busy timeout so several smsctl processes can
write at once; the schema is an ordered list of named migrations (the sent messages, what was
received, and the bulk journal). `storage/messages.py` and the bulk journal own their SQL on top.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import math
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, ParamSpec, TypeVar

from sms_cli.errors import StorageError

ENV_DATA_DIR: Final = "SMSCTL_DATA_DIR"
FILE_NAME: Final = "history.sqlite3"
# How long a write waits for another smsctl process holding the history (seconds).
ENV_BUSY_TIMEOUT: Final = "SMSCTL_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT: Final = 10.0

_P = ParamSpec("_P")
_R = TypeVar("_R")

MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "0001_messages",
        """
        CREATE TABLE messages (
            local_id        TEXT PRIMARY KEY,
            batch_id        TEXT NOT NULL,
            profile         TEXT,
            provider        TEXT NOT NULL,
            provider_id     TEXT,
            bulk_id         TEXT,
            foreign_id      TEXT,
            recipient       TEXT NOT NULL,
            sender          TEXT,
            text            TEXT,
            text_sha256     TEXT NOT NULL,
            segments        INTEGER NOT NULL,
            encoding        TEXT NOT NULL,
            parts           INTEGER,
            price           REAL,
            test            INTEGER NOT NULL DEFAULT 0,
            submitted_at    TEXT NOT NULL,
            status          TEXT NOT NULL,
            provider_status TEXT,
            provider_code   TEXT,
            error           TEXT,
            status_at       TEXT NOT NULL
        );
        CREATE INDEX messages_provider_id ON messages (provider, provider_id);
        CREATE INDEX messages_bulk_id ON messages (bulk_id);
        CREATE INDEX messages_batch_id ON messages (batch_id);
        """,
    ),
    (
        "0002_bulk_jobs",
        """
        CREATE TABLE jobs (
            job_id        TEXT PRIMARY KEY,
            created_at    TEXT NOT NULL,
            source        TEXT NOT NULL,
            fingerprint   TEXT NOT NULL,
            profile       TEXT,
            provider      TEXT NOT NULL,
            state         TEXT NOT NULL,
            rows          INTEGER NOT NULL,
            note          TEXT,
            updated_at    TEXT NOT NULL
        );
        CREATE INDEX jobs_fingerprint ON jobs (fingerprint);
        CREATE TABLE job_rows (
            job_id        TEXT NOT NULL,
            line          INTEGER NOT NULL,
            recipient     TEXT,
            sender        TEXT,
            text          TEXT,
            encoding      TEXT,
            segments      INTEGER NOT NULL DEFAULT 0,
            state         TEXT NOT NULL,
            local_id      TEXT,
            foreign_id    TEXT,
            provider_id   TEXT,
            bulk_id       TEXT,
            error         TEXT,
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (job_id, line)
        );
        """,
    ),
    (
        "0003_receiving",
        """
        CREATE TABLE inbound (
            provider      TEXT NOT NULL,
            provider_id   TEXT,
            sender        TEXT NOT NULL,
            recipient     TEXT,
            text          TEXT NOT NULL,
            sent_at       TEXT,
            received_at   TEXT NOT NULL
        );
        CREATE TABLE callback_events (
            key           TEXT PRIMARY KEY,
            provider      TEXT NOT NULL,
            kind          TEXT NOT NULL,
            received_at   TEXT NOT NULL
        );
        """,
    ),
    (
        "0004_bulk_runner",
        """
        ALTER TABLE jobs ADD COLUMN runner_pid INTEGER;
        ALTER TABLE jobs ADD COLUMN runner_token TEXT;
        """,
    ),
    (
        # Why a message is in its state, in the provider's words (a statusDesc, an
        # error_text) or smsctl's (why a send was refused or never left). A history from before
        # keeps its send-time errors as reasons: a row whose state is still the send answer's
        # (provider_status IS provider_code) has an error that explains that state.
        "0005_reasons",
        """
        ALTER TABLE messages ADD COLUMN reason TEXT;
        UPDATE messages SET reason = error
            WHERE error IS NOT NULL AND error != '' AND provider_status IS provider_code;
        """,
    ),
    (
        # What the provider reported for each message, next to our own prediction (`encoding`,
        # `segments`) and its `parts` and `price`: to check the bill later (PROVIDERS.md §7.D.1).
        # `provider_recipient`: the number a `group:`/`contact:` send went to (§7.D.3).
        "0006_provider_billing",
        """
        ALTER TABLE messages ADD COLUMN provider_encoding TEXT;
        ALTER TABLE messages ADD COLUMN provider_recipient TEXT;
        """,
    ),
    (
        # Jobs as nouns: a name to call one by, the job a retry came from, the send options
        # that apply to every row (JSON, so a resume sends with the same ones), and per-row
        # send times and labels (--at-column, --label-column). `done` is now `finished`.
        "0007_job_lifecycle",
        """
        ALTER TABLE jobs ADD COLUMN name TEXT;
        ALTER TABLE jobs ADD COLUMN parent_job TEXT;
        ALTER TABLE jobs ADD COLUMN options TEXT;
        CREATE UNIQUE INDEX jobs_name ON jobs (name) WHERE name IS NOT NULL;
        ALTER TABLE job_rows ADD COLUMN send_at TEXT;
        ALTER TABLE job_rows ADD COLUMN label TEXT;
        UPDATE jobs SET state = 'finished' WHERE state = 'done';
        """,
    ),
)


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("smsctl", appauthor=False)


def default_busy_timeout() -> float:
    """Seconds a write waits for the lock: $SMSCTL_BUSY_TIMEOUT, else 10."""
    raw = os.environ.get(ENV_BUSY_TIMEOUT, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT
    if not math.isfinite(value):
        return DEFAULT_BUSY_TIMEOUT
    return min(max(value, 0.0), 3600.0)


_FULL_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})
_READ_ONLY_ERRNOS: Final = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def storage_error(exc: BaseException, path: Path, *, waited: float | None = None) -> StorageError:
    """What a failure of the history's file means to the user, naming the file and the fix."""
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if "locked" in text or "busy" in text:
        seconds = f" (waited {waited:g} s)" if waited else ""
        return StorageError(
            f"cannot write the history at {path}: the database is locked by another smsctl "
            f"process{seconds}; try again",
            path=path,
            hint=f"a long `smsctl bulk` or `smsctl listen` may hold it; ${ENV_BUSY_TIMEOUT} "
            "sets how long to wait",
        )
    # Only SQLite's own word on the file: a constraint or trigger refusing a write is a
    # DatabaseError too, and telling the user to move a sound history away would lose it.
    damaged = type(exc) is sqlite3.DatabaseError or any(
        word in text for word in ("malformed", "not a database", "corrupt")
    )
    if damaged:
        return StorageError(
            f"the history at {path} is damaged: move it away: mv {path} {path}.broken",
            path=path,
            hint="smsctl then starts a new history; `sqlite3 FILE .recover` may save the old one",
        )
    if code in _FULL_ERRNOS or "disk is full" in text or "too large" in text:
        return StorageError(
            f"cannot write the history at {path}: the disk is full (or the file size limit "
            "was reached)",
            path=path,
            hint="free some space, or set SMSCTL_DATA_DIR to another disk",
        )
    if code in _READ_ONLY_ERRNOS or "readonly" in text or "read-only" in text:
        return StorageError(
            f"cannot write the history at {path}: it or its directory is read-only",
            path=path,
            hint=f"make {path.parent} and the files in it writable, or set SMSCTL_DATA_DIR to "
            "a writable directory",
        )
    if "disk i/o error" in text:
        return StorageError(
            f"cannot write the history at {path}: disk I/O error{_why_io_failed(path)}",
            path=path,
            hint="check the free space (df) and the file size limit (ulimit -f), or set "
            "SMSCTL_DATA_DIR to another disk",
        )
    if "unable to open" in text:
        return StorageError(
            f"cannot open the history at {path}: unable to open the database file",
            path=path,
            hint=f"check that {path.parent} exists and is writable, or set SMSCTL_DATA_DIR",
        )
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return StorageError(
        f"cannot use the history at {path}: {reason}",
        path=path,
        hint="check the disk, or set SMSCTL_DATA_DIR to another directory",
    )


def _why_io_failed(path: Path) -> str:
    """The likely cause of a disk I/O error, when the machine can tell: a full disk, or a file
    size limit (SQLite cannot size its shared-memory index past RLIMIT_FSIZE)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        stats = os.statvfs(path.parent)
        if stats.f_bavail * stats.f_frsize < 1 << 20:
            return " (the disk is full)"
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            return f" (the file size limit of {soft} bytes was reached)"
    return ""


def guarded(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """A Database method whose SQLite failures become StorageError naming the file."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            database = args[0]
            assert isinstance(database, Database)
            raise storage_error(exc, database.path, waited=database.busy_timeout) from None

    return wrapper


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    """A UUIDv7-style id: sortable by creation time, unique across processes."""
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return f"{value:032x}"


def _create_private(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode).

    Only ever a new file (O_EXCL): closing any descriptor of a file releases every POSIX lock
    this process holds on it, so opening and closing an existing history beside a live
    connection (a bulk run has two) would let another process checkpoint and delete the WAL
    under it, and that connection's later commits would be lost.
    """
    with contextlib.suppress(FileExistsError):
        # O_NONBLOCK: should a FIFO appear in its place meanwhile, the open must not block.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NONBLOCK, 0o600))


class Database:
    """One connection to the history file, its schema brought up to date."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float | None = None) -> None:
        self.path = path or data_dir() / FILE_NAME
        self.busy_timeout = default_busy_timeout() if busy_timeout is None else busy_timeout
        self.connection = self._connect()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _create_private(self.path)
            # stat, not open: closing a descriptor would drop this process's SQLite locks.
            regular = stat.S_ISREG(os.stat(self.path).st_mode)
        except OSError as exc:
            raise storage_error(exc, self.path) from None
        if not regular:
            # A link to /dev/null or a FIFO: SQLite would "work" and keep nothing, or hang.
            raise StorageError(
                f"the history at {self.path} is not a regular file; smsctl will not use it",
                path=self.path,
                hint=f"move it away (smsctl then starts a new history), or set {ENV_DATA_DIR}",
            )
        connection = None
        try:
            # Not tied to its creating thread: a bulk worker opens it, the main thread closes it.
            connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            if connection is not None:
                connection.close()
            raise storage_error(exc, self.path, waited=self.busy_timeout) from None
        connection.row_factory = sqlite3.Row
        return connection

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: take the write lock up front, so concurrent writers queue, not fail.

        A SQLite failure inside (locked past the busy timeout, a full disk, a damaged file)
        rolls back and becomes a StorageError naming the file.
        """
        try:
            # BEGIN inside: a Ctrl-C that lands just as it took the lock (after waiting for it)
            # rolls back too, and leaves no transaction open for the next write to trip over.
            self.connection.execute("BEGIN IMMEDIATE")
            yield self.connection
            self.connection.execute("COMMIT")
        except BaseException as exc:
            if self.connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise storage_error(exc, self.path, waited=self.busy_timeout) from None
            raise

    def _migrate(self) -> None:
        # Read first: an up-to-date history needs no write lock, so reading commands work while
        # another process writes, and on a history they may not write.
        try:
            applied = {r[0] for r in self.connection.execute("SELECT name FROM schema_migrations")}
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise storage_error(exc, self.path, waited=self.busy_timeout) from None
            applied = set()
        except sqlite3.Error as exc:
            raise storage_error(exc, self.path, waited=self.busy_timeout) from None
        self._refuse_newer(applied)
        if all(name in applied for name, _ in MIGRATIONS):
            return
        with self.transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
            self._refuse_newer(applied)
            for name, script in MIGRATIONS:
                if name in applied:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, now_iso()),
                )

    def _refuse_newer(self, applied: Iterable[str]) -> None:
        """A migration we do not know was applied by a newer smsctl: its schema may mean things
        this version would misread or break, so refuse rather than use it."""
        known = {name for name, _ in MIGRATIONS}
        unknown = sorted(name for name in applied if name not in known)
        if unknown:
            raise StorageError(
                f"the history at {self.path} is from a newer smsctl (migration {unknown[-1]}); "
                f"upgrade smsctl or set {ENV_DATA_DIR}",
                path=self.path,
            )

    @guarded
    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.connection.execute("SELECT name FROM schema_migrations")]
