"""Exit-path edges an adversarial review found: numbers past what the machine holds, a history
from a newer smsctl, output that cannot be written or encoded, closed stdin, a held profiles
lock, files that are not files. Each ends with a documented exit code and one line, never 1.

Real parts: the sandbox emulators and a small hostile HTTP server over loopback, real processes
with closed or full streams, a real flock held by the test.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.errors import InputError, StorageError
from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.http import MAX_TIMEOUT, Transport
from sms_cli.storage.messages import History, MessageRecord, text_hash
from tests.providers.selection import any_provider

TOKEN = "CANARY-edges-3f9b1d7c5e2a4086"
NUMBER = "+46701234567"
# A process still running after this is a hang: the test fails instead of waiting forever.
PROCESS_TIMEOUT = 20


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


def cli(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """smsctl as a real process, in this test's config and data directories; a process still
    running after PROCESS_TIMEOUT fails the test (a hang is the bug some tests look for)."""
    env = {**os.environ, "NO_COLOR": "1", **kwargs.pop("env", {})}
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs["capture_output"] = True
    try:
        return subprocess.run(
            [sys.executable, "-m", "sms_cli", *args],
            env=env,
            text=True,
            errors="replace",
            timeout=kwargs.pop("timeout", PROCESS_TIMEOUT),
            **kwargs,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"smsctl {' '.join(args)} still running after its timeout")


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert "bug in smsctl" not in stderr, stderr
    assert TOKEN not in stderr


@pytest.fixture
def seven(sandbox: SandboxServer) -> str:
    """A profile on the seven emulator (reset, accepting TOKEN); returns the emulator's root."""
    root = f"{sandbox.url}/seven"
    httpx.post(f"{root}/__emu/reset", json={}, timeout=10).raise_for_status()
    httpx.post(f"{root}/__emu/set", json={"tokens": [TOKEN]}, timeout=10).raise_for_status()
    add_profile(f"{root}/api")
    return root


def add_profile(base_url: str, name: str = "sb") -> None:
    result = run(
        ["profile", "add", name, "--provider", "seven", "--base-url", base_url,
         "--sender", "Acme", "--token-stdin"],
        input=TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def sends(root: str) -> list[Any]:
    requests = httpx.get(f"{root}/__emu/requests", timeout=10).json()
    return [r for r in requests if r["method"] == "POST"]


def history_rows() -> int:
    path = Path(os.environ["SMSCTL_DATA_DIR"]) / "history.sqlite3"
    if not path.exists():
        return 0
    history = History(path)
    try:
        return int(history.connection.execute("SELECT count(*) FROM messages").fetchone()[0])
    finally:
        history.close()


# -- 1. numbers past what SQLite holds ---------------------------------------------------------


@pytest.mark.parametrize("command", ["log", "inbox"])
def test_a_limit_past_the_bound_is_a_usage_error(command: str) -> None:
    result = run([command, "-n", "9223372036854775808"])
    assert result.exit_code == 2, result.output
    assert "damaged" not in result.output
    assert run([command, "-n", "1000000"]).exit_code == 0


# -- 2. a history from a newer smsctl ------------------------------------------------------------


def test_a_history_from_a_newer_smsctl_is_refused() -> None:
    path = Path(os.environ["SMSCTL_DATA_DIR"]) / "history.sqlite3"
    History(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES ('0099_future', '2030-01-01T00:00Z')")
    db.close()
    with pytest.raises(StorageError) as caught:
        History(path)
    expected = (
        f"the history at {path} is from a newer smsctl (migration 0099_future); "
        "upgrade smsctl or set SMSCTL_DATA_DIR"
    )
    assert caught.value.message == expected
    result = run(["log"])
    assert result.exit_code == 4
    assert expected in result.stderr


# -- 3. timeouts past what sockets and timers hold ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", NUMBER, "--timeout", "1e10", "hi"],
        ["balance", "--timeout", "1e10"],
        ["hooks", "list", "--timeout", "1e10"],
        ["status", "--last", "--timeout", "1e10"],
        ["status", "--last", "--wait", "--interval", "1e309"],
        ["send", "--to", NUMBER, "--timeout", "inf", "hi"],
    ],
)
def test_a_timeout_past_the_bound_is_a_usage_error_and_sends_nothing(
    seven: str, args: list[str]
) -> None:
    result = run(args)
    assert result.exit_code == 2, result.output
    assert sends(seven) == []
    assert history_rows() == 0


def test_the_transport_clamps_a_huge_timeout_and_refuses_nonsense(seven: str) -> None:
    transport = Transport(f"{seven}/api", title="seven", timeout=1e10, headers={})
    try:
        assert transport.timeout == MAX_TIMEOUT
        # A real request with the clamped timeout: no OverflowError in sockets or httpx.
        reply = transport.query("GET", "balance")
        assert reply.status_code in (200, 401)
    finally:
        transport.close()
    for nonsense in (math.nan, math.inf, 0.0, -1.0):
        with pytest.raises(InputError):
            Transport(f"{seven}/api", title="seven", timeout=nonsense, headers={})


# -- 4. stdout that cannot encode what we print ------------------------------------------------

ASCII = {"PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C"}


@pytest.mark.parametrize(
    "args",
    [
        ["split", "héllo ✓"],
        ["profile", "list"],
        ["send", "--dry-run", "--to", NUMBER, "é✓"],
        ["log"],
    ],
)
def test_an_ascii_stdout_shows_what_it_cannot_encode_escaped(seven: str, args: list[str]) -> None:
    history = History()
    history.record_intent(
        [MessageRecord("L1", "B1", "sb", "seven", NUMBER, "Acmé", "é✓", text_hash("é✓"), 1, "ucs2")]
    )
    history.close()
    process = cli(args, env=ASCII)
    assert process.returncode == 0, process.stderr
    clean(process.stderr)
    if args[0] == "split":
        assert "h\\xe9llo \\u2713" in process.stdout


class _Refusing(BaseHTTPRequestHandler):
    """seven's send endpoint, refusing every message with words an ASCII terminal cannot show."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {
                "success": "100",
                "messages": [
                    {
                        "recipient": NUMBER.removeprefix("+"),
                        "success": False,
                        "error": "202",
                        "error_text": "Numéro refusé ✗",
                    }
                ],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_refusal_in_words_ascii_cannot_show_is_still_exit_7() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        add_profile(f"http://127.0.0.1:{server.server_address[1]}/api")
        process = cli(["send", "--to", NUMBER, "hi"], env=ASCII)
    finally:
        server.shutdown()
        server.server_close()
    assert process.returncode == 7, process.stderr
    clean(process.stderr)
    assert "Num\\xe9ro" in process.stdout + process.stderr


# -- 5. results that cannot be written after a send --------------------------------------------


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_send_whose_results_cannot_be_written_keeps_its_exit_code(
    seven: str, json_flag: list[str]
) -> None:
    with open("/dev/full", "w") as full:
        process = cli(
            ["send", *json_flag, "--to", NUMBER, "hi"], stdout=full, stderr=subprocess.PIPE
        )
    assert process.returncode == 0, process.stderr
    clean(process.stderr)
    assert "could not be written to standard output" in process.stderr
    assert "the messages WERE sent" in process.stderr
    assert "smsctl log" in process.stderr
    assert len(sends(seven)) == 1


# -- 6. empty times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["send", "--to", NUMBER, "--at", "", "hi"], "--at: empty"),
        (["send", "--to", NUMBER, "--at", "  ", "hi"], "--at: empty"),
        (["log", "--since", ""], "--since: empty"),
        (["inbox", "--since", ""], "--since: empty"),
    ],
)
def test_an_empty_time_is_a_usage_error(seven: str, args: list[str], message: str) -> None:
    result = run(args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert sends(seven) == []


# -- 9. output failures outside any command ----------------------------------------------------


def _closed_pipe() -> int:
    read, write = os.pipe()
    os.close(read)
    return write


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["send", "--help"]])
def test_version_and_help_into_a_closed_pipe_are_141_quietly(args: list[str]) -> None:
    write = _closed_pipe()
    try:
        process = cli(args, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert process.returncode == 141
    assert process.stderr == ""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["log", "--help"]])
def test_version_and_help_into_a_full_disk_are_exit_4_in_one_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        process = cli(args, stdout=full, stderr=subprocess.PIPE)
    assert process.returncode == 4
    clean(process.stderr)
    assert process.stderr.splitlines() == [
        "smsctl: error: cannot write the output: No space left on device"
    ]


def test_a_usage_error_that_cannot_be_told_is_not_exit_1() -> None:
    with open("/dev/full", "w") as full:
        process = cli(["send", "--bogus"], stderr=full, stdout=subprocess.PIPE)
    assert process.returncode == 4
    write = _closed_pipe()
    try:
        process = cli(["send", "--bogus"], stderr=write, stdout=subprocess.PIPE)
    finally:
        os.close(write)
    assert process.returncode == 141


# -- 10. closed stdin --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["profile", "add", "x", "--provider", any_provider(), "--token-stdin"], "token"),
        (["profile", "signing-key", "sb", "--stdin"], "signing key"),
    ],
)
def test_a_secret_from_a_closed_stdin_is_a_usage_error(
    seven: str, args: list[str], what: str
) -> None:
    process = cli(args, stdin=None, preexec_fn=lambda: os.close(0))
    assert process.returncode == 2, process.stderr
    clean(process.stderr)
    assert f"no standard input to read the {what} from" in process.stderr


# -- 12. the profiles file: a held lock, a file that is not a file -----------------------------


def test_a_held_profiles_lock_is_waited_for_a_bounded_time(seven: str) -> None:
    config = Path(os.environ["SMSCTL_CONFIG_DIR"])
    fd = os.open(config / ".profiles.toml.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        process = cli(["profile", "use", "sb"], env={"SMSCTL_BUSY_TIMEOUT": "0.2"}, timeout=10)
        elapsed = time.monotonic() - started
    finally:
        os.close(fd)
    assert process.returncode == 4, process.stderr
    clean(process.stderr)
    assert "profiles.toml is locked by another smsctl process" in process.stderr
    assert elapsed < 5.0
    assert run(["profile", "use", "sb"]).exit_code == 0


@pytest.mark.parametrize("args", [["profile", "list"], ["log"], ["send", "--to", NUMBER, "hi"]])
def test_a_fifo_in_place_of_profiles_toml_is_refused_not_waited_on(args: list[str]) -> None:
    config = Path(os.environ["SMSCTL_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    os.mkfifo(config / "profiles.toml")
    process = cli(args)
    if args[0] == "log":  # log never reads the profiles
        assert process.returncode == 0, process.stderr
        return
    assert process.returncode == 4, process.stderr
    clean(process.stderr)
    assert "profiles.toml is not a regular file" in process.stderr


@pytest.mark.parametrize("kind", ["devnull", "fifo"])
def test_a_history_that_is_not_a_file_is_refused(kind: str) -> None:
    data = Path(os.environ["SMSCTL_DATA_DIR"])
    data.mkdir(parents=True)
    if kind == "devnull":
        (data / "history.sqlite3").symlink_to(os.devnull)
    else:
        os.mkfifo(data / "history.sqlite3")
    process = cli(["log"])
    assert process.returncode == 4, process.stderr
    clean(process.stderr)
    assert "is not a regular file" in process.stderr


# -- 14. the sandbox's clock -------------------------------------------------------------------


@pytest.mark.parametrize("every", ["1e309", "1e-300", "nan", "-1", "0.001", "86401"])
def test_the_sandbox_advance_interval_is_bounded(every: str) -> None:
    # A process, bounded: without the bound the sandbox would start and serve until killed.
    process = cli(["sandbox", "--port", "0", "--advance-every", every], timeout=10)
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr


# -- cosmetic: status names the id it could not find -------------------------------------------


def test_status_of_an_unknown_id_names_that_id(seven: str) -> None:
    result = run(["status", "12345"])
    assert "None" not in result.stderr
    assert "12345: not found at the provider" in result.stderr


def test_bulk_timeout_past_the_bound_is_a_usage_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sms_cli.app import app

    table = tmp_path / "r.csv"
    table.write_text("phone\n+46701234567\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["bulk", str(table), "-m", "Hi", "--timeout", "1e10"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
