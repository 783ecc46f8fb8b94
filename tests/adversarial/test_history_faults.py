"""The history under faults, and what `send`, `status` and `log` make of them.

Real parts only: the sandbox emulator over loopback HTTP, a second SQLite connection holding the
write lock, a proxy that takes that lock while the provider answers, real damaged files.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.core.times import parse_send_time, parse_since
from sms_cli.errors import InputError, StorageError
from sms_cli.providers.emulation import SandboxServer
from sms_cli.storage.db import new_id
from sms_cli.storage.messages import History, MessageRecord, text_hash

CANARY = "CANARY-hist-7a0c2e9d4b1f6e35"
NUMBER = "+46701234567"


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


def history_path() -> Path:
    return Path(os.environ["SMSCTL_DATA_DIR"]) / "history.sqlite3"


def record(local_id: str) -> MessageRecord:
    return MessageRecord(
        local_id, "b", "p", "seven", NUMBER, "Acme", "hi", text_hash("hi"), 1, "gsm7"
    )


class Locker:
    """Another process's write transaction on the history, from a connection of its own."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.held = False

    def hold(self) -> None:
        self.connection.execute("BEGIN EXCLUSIVE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.connection.execute("ROLLBACK")
            self.held = False
        self.connection.close()


@pytest.fixture
def seven(sandbox: SandboxServer) -> str:
    """The seven emulator, reset, accepting only the canary token; returns its base URL."""
    root = f"{sandbox.url}/seven"
    httpx.post(f"{root}/__emu/reset", json={}, timeout=10).raise_for_status()
    httpx.post(f"{root}/__emu/set", json={"tokens": [CANARY]}, timeout=10).raise_for_status()
    return f"{root}/api"


def sends(base_url: str) -> list[object]:
    root = base_url.removesuffix("/api")
    requests = httpx.get(f"{root}/__emu/requests", timeout=10).json()
    return [r for r in requests if r["method"] == "POST"]


def add_profile(base_url: str, token: str = CANARY) -> None:
    result = run(
        ["profile", "add", "sb", "--provider", "seven", "--base-url", base_url,
         "--sender", "Acme", "--token-stdin"],
        input=token,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def no_token(result: Result) -> None:
    for fragment in (CANARY, CANARY[:12], CANARY[-12:]):
        assert fragment not in result.stdout + result.stderr


# -- the storage boundary ----------------------------------------------------------------------


def test_a_locked_history_waits_a_bounded_time_then_names_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).close()
    locker = Locker(path)
    locker.hold()
    try:
        history = History(path, busy_timeout=0.2)  # opening reads only: no wait
        started = time.monotonic()
        with pytest.raises(StorageError) as caught:
            history.record_intent([record(new_id())])
        elapsed = time.monotonic() - started
        # Reading still works while another process writes.
        assert history.find("nothing") == []
        history.close()
    finally:
        locker.release()
    assert 0.15 <= elapsed < 2.0
    assert caught.value.exit_code == 4
    assert f"cannot write the history at {path}" in caught.value.message
    assert "locked by another smsctl process" in caught.value.message


def test_the_busy_timeout_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.25")
    history = History(tmp_path / "h.sqlite3")
    assert history.busy_timeout == 0.25
    assert history.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 250
    history.close()
    for junk in ("soon", "nan", "-3", "1e999"):
        monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", junk)
        history = History(tmp_path / "h.sqlite3")
        assert 0 <= history.busy_timeout <= 3600
        history.close()


@pytest.mark.parametrize("damage", ["random", "truncated", "zeroed-header"])
def test_a_damaged_history_says_how_to_move_it_away(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "h.sqlite3"
    history = History(path)
    history.record_intent([record(new_id()) for _ in range(200)])
    history.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    history.close()
    size = path.stat().st_size
    if damage == "random":
        path.write_bytes(os.urandom(size))
    elif damage == "truncated":
        with path.open("r+b") as file:
            file.truncate(size // 3)
    else:
        with path.open("r+b") as file:
            file.write(b"\0" * 100)
    with pytest.raises(StorageError) as caught:
        opened = History(path)
        try:
            opened.query(limit=1000)
        finally:
            opened.close()
    assert (
        caught.value.message
        == f"the history at {path} is damaged: move it away: mv {path} {path}.broken"
    )
    assert caught.value.exit_code == 4


# -- send: the intent first, the answer after ---------------------------------------------------


def test_send_with_a_locked_history_sends_nothing(
    seven: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_profile(seven)
    History().close()
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
    locker = Locker(history_path())
    locker.hold()
    try:
        result = run(["send", "--to", NUMBER, "hi"])
    finally:
        locker.release()
    assert result.exit_code == 4, result.stderr
    assert "locked by another smsctl process" in result.stderr
    assert "nothing was sent" in result.stderr
    assert sends(seven) == []
    no_token(result)


class LockingProxy(ThreadingHTTPServer):
    """Forwards to the emulator, but takes the history's write lock while the request is at the
    provider: the send happens, and recording its answer then finds the history locked."""

    daemon_threads = True

    def __init__(self, target: str, history: Path) -> None:
        self.target = target
        self.locker = Locker(history)
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: LockingProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self.server.locker.held:
            self.server.locker.hold()
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
        }
        answer = httpx.post(
            self.server.target + self.path, content=body, headers=headers, timeout=10
        )
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)


def test_a_send_whose_answer_cannot_be_recorded_still_says_what_was_sent(
    seven: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    History().close()
    proxy = LockingProxy(seven.removesuffix("/api"), history_path())
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        add_profile(proxy.url + "/api")
        monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
        result = run(["send", "--json", "--to", NUMBER, "hi"])
    finally:
        proxy.shutdown()
        proxy.server_close()
        proxy.locker.release()
    assert len(sends(seven)) == 1
    # The exit code says what the provider answered: accepted. A script must not resend it.
    assert result.exit_code == 0, result.stderr
    assert '"status": "queued"' in result.stdout
    assert "could not be recorded" in result.stderr
    assert "locked by another smsctl process" in result.stderr
    # The provider's ids, named: Connectel cannot look a message up without its id.
    assert "the provider's ids: +46701234567 77000000001" in result.stderr
    assert "smsctl status ID" in result.stderr
    no_token(result)
    # The intent was recorded: the history knows a message may have gone out.
    history = History()
    ((status, provider_status),) = history.connection.execute(
        "SELECT status, provider_status FROM messages"
    ).fetchall()
    history.close()
    assert (status, provider_status) == ("unknown", "in_flight")


# -- never sent is not a delivery state ---------------------------------------------------------


def test_a_send_refused_before_it_left_is_not_sent_and_status_does_not_say_undelivered(
    seven: str,
) -> None:
    add_profile(seven, token="wrong-token-0000")
    sent = run(["send", "--to", NUMBER, "hi"])
    assert sent.exit_code == 5, sent.stderr
    history = History()
    (row,) = history.query()
    history.close()
    assert row.status == "not_sent"
    assert row.error.startswith("not sent: ")

    status = run(["status", "--last", "--json"])
    assert status.exit_code == 6, status.stderr  # not 7: nothing was undelivered
    assert '"status": "not_sent"' in status.stdout
    assert '"final": false' in status.stdout

    started = time.monotonic()
    waited = run(["status", "--last", "--wait", "--timeout", "30", "--interval", "0.05"])
    assert time.monotonic() - started < 5  # nothing to wait for
    assert waited.exit_code == 6, waited.stderr

    listed = run(["log", "--status", "not_sent", "--json"])
    assert listed.exit_code == 0, listed.stderr
    assert '"status": "not_sent"' in listed.stdout
    for result in (sent, status, waited, listed):
        no_token(result)


# -- times the user types -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", NUMBER, "--at", "99999999999999", "hi"],
        ["send", "--to", NUMBER, "--at", "0001-01-01", "hi"],
        ["send", "--to", NUMBER, "--at", "9999-12-31T23:59:59-05:00", "hi"],
        ["send", "--to", NUMBER, "--at", "9" * 5000, "hi"],
        ["send", "--to", NUMBER, "--at", "-5", "hi"],
        ["log", "--since", "99999999d"],
        ["log", "--since", "0001-01-01"],
        ["log", "--since", "9" * 5000 + "w"],
        ["log", "--since", "-3d"],
        ["inbox", "--since", "99999999w"],
    ],
)
def test_times_out_of_range_are_input_errors(seven: str, args: list[str]) -> None:
    add_profile(seven)
    result = run(args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("smsctl: error: --")
    assert "bug" not in result.stderr
    assert sends(seven) == []


def test_year_out_of_range_is_said_as_such() -> None:
    with pytest.raises(InputError, match="year out of range"):
        parse_send_time("0001-01-01")
    with pytest.raises(InputError, match="year out of range"):
        parse_since("99999999d")


def test_a_sensible_since_still_works() -> None:
    now = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now=now) == "2026-10-29T12:00:00.000Z"
    assert parse_since("2026-11-01T00:00:00+00:00") == "2026-11-01T00:00:00.000Z"
    assert parse_send_time("1767225600") == datetime(2026, 1, 1, tzinfo=UTC)


TIME_TEXT = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A-?[0-9]{1,30}\s*[mhdwy]?\Z"),
    st.from_regex(r"\A[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?"
                  r"([+-][0-9]{2}:[0-9]{2}|Z)?\Z"),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(TIME_TEXT)
def test_any_string_is_a_time_or_an_input_error(text: str) -> None:
    for parse in (parse_send_time, parse_since):
        with contextlib.suppress(InputError):
            parse(text)


# -- arguments that are not UTF-8 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ([b"--to", NUMBER.encode(), b"caf\xe9"], "the text"),
        ([b"--to", b"+4670123\xff4567", b"hi"], "--to"),
        ([b"--to", NUMBER.encode(), b"--from", b"Acm\xe9", b"hi"], "--from"),
    ],
)
def test_arguments_that_are_not_utf8_send_nothing(seven: str, args: list[bytes], what: str) -> None:
    add_profile(seven)
    process = subprocess.run(
        [sys.executable.encode(), b"-m", b"sms_cli", b"send", *args],
        env={**os.environ, "PYTHONUTF8": "1"},
        capture_output=True,
        timeout=30,
    )
    stderr = process.stderr.decode("utf-8", "replace")
    assert process.returncode == 2, stderr
    assert f"smsctl: error: {what} is not valid UTF-8" in stderr
    assert sends(seven) == []


# -- closed standard output ---------------------------------------------------------------------


def test_a_reader_gone_before_the_output_is_exit_141_without_a_word() -> None:
    History().close()
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -0` that has already exited
    try:
        process = subprocess.run(
            [sys.executable, "-m", "sms_cli", "log", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=30,
        )
    finally:
        os.close(write_end)
    assert process.returncode == 141, process.stderr
    # With --json every non-zero exit has its error object (issue 15), this one too.
    assert process.stderr == (
        b'{"error": {"code": "broken_pipe", "message": "standard output was closed early", '
        b'"hint": null, "exit_code": 141}}\n'
    )


def test_closed_stdout_does_nothing_and_says_so(seven: str) -> None:
    add_profile(seven)
    process = subprocess.run(
        [sys.executable, "-m", "sms_cli", "send", "--to", NUMBER, "hi"],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
        timeout=30,
    )
    assert process.returncode == 141
    assert process.stderr.decode() == "smsctl: error: standard output is closed; nothing was done\n"
    assert sends(seven) == []


# -- the last resort in handled_errors ----------------------------------------------------------


def _exit_of(exc: Exception) -> int:
    import typer

    from sms_cli.commands._runtime import handled_errors

    with pytest.raises(typer.Exit) as caught, handled_errors():
        raise exc
    return caught.value.exit_code


def test_storage_failures_that_slip_past_the_history_are_exit_4_not_a_bug(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import errno

    assert _exit_of(OSError(errno.ENOSPC, "No space left on device", "/x/jobs.csv")) == 4
    assert "cannot write /x/jobs.csv: No space left on device" in capsys.readouterr().err
    assert _exit_of(OSError(errno.EFBIG, "File too large")) == 4
    assert _exit_of(OSError(errno.EROFS, "Read-only file system")) == 4
    assert _exit_of(sqlite3.OperationalError("database is locked")) == 4
    assert "locked by another smsctl process" in capsys.readouterr().err
    assert _exit_of(sqlite3.DatabaseError("file is not a database")) == 4
    assert "is damaged: move it away" in capsys.readouterr().err
    surrogate = UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")
    assert _exit_of(surrogate) == 2
    assert "not valid UTF-8" in capsys.readouterr().err
    # A real bug stays a bug.
    assert _exit_of(ValueError("oops")) == 1
    assert _exit_of(OSError(errno.EBADF, "Bad file descriptor")) == 1
