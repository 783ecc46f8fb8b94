"""Hostile callers of `smsctl listen`: poison payloads, forged signature headers, escape
sequences aimed at the terminal, idle and slow connections, and readers that stall or go away.

The receiver is the real ASGI app under a real uvicorn server on loopback; callers are raw
sockets or httpx, as anyone who learns the URL could be.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sms_cli.services.receiving import Receiver, ReceiverConfig, Refusal, bind
from sms_cli.storage.messages import History, Received
from sms_cli.testing import receiver_running

SECRET = "hostile-secret-0123456789"
SIGNING_KEY = "sign-key-5c1d9e7f3a"


@dataclass
class Served:
    base: str
    port: int
    events: list[Received] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    server: Any = None

    def url(self, provider: str) -> str:
        return f"{self.base}/{SECRET}/{provider}"


@contextmanager
def serve(send_buffer: int | None = None, **config: Any) -> Iterator[Served]:
    history = History()
    sock = bind("127.0.0.1", 0)
    if send_buffer is not None:  # accepted connections inherit it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    port = sock.getsockname()[1]
    served = Served(f"http://127.0.0.1:{port}", port)
    app = Receiver(
        ReceiverConfig(secret=SECRET, **config),
        history,
        on_event=served.events.append,
        on_refusal=served.refusals.append,
    )
    try:
        with receiver_running(app, sock) as server:
            served.server = server
            yield served
    finally:
        history.close()
        sock.close()


# -- poison payloads and forged headers ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"from": "\\ud800", "message": "x"}',
        b'{"from": "4670", "message": "\\udfff tail"}',
        b'{"from": "4670", "message": "x", "\\ud83d": 1}',
        b'{"action": "dlr", "requestid": "r-\\udc00", "statusStr": "DELIVRD"}',
    ],
)
def test_a_lone_surrogate_in_json_is_a_400_not_a_retry(body: bytes) -> None:
    """A 503 asks the provider to try again: for a payload that can never be stored, it would
    retry the poison for days."""
    with serve() as served:
        answer = httpx.post(
            served.url("connectel"), content=body, headers={"content-type": "application/json"}
        )
    assert answer.status_code == 400, answer.text
    assert [r.status for r in served.refusals] == [400]
    assert not served.events and not History().inbox()


@pytest.mark.parametrize(
    "headers",
    [
        {"x-signature": "é" * 64},
        {"x-signature": "ab\xff" + "0" * 61},
        {"x-timestamp": "１７００"},
        {"x-nonce": "nönce\xa0"},
        {"x-timestamp": "nan"},
        {"x-timestamp": "inf"},
    ],
)
def test_malformed_signature_headers_are_a_401(headers: dict[str, str]) -> None:
    signed = {"x-signature": "0" * 64, "x-timestamp": str(int(time.time())), "x-nonce": "n" * 32}
    signed.update(headers)
    raw = [(k.encode(), v.encode("latin-1", "replace")) for k, v in signed.items()]
    body = b"webhook_event=sms_mo&data%5Bid%5D=5&data%5Bsender%5D=4917612345678&data%5Btext%5D=x"
    with serve(signing_keys={"seven": [SIGNING_KEY]}) as served:
        answer = httpx.post(
            served.url("seven"),
            content=body,
            headers=[(b"content-type", b"application/x-www-form-urlencoded"), *raw],
        )
    assert answer.status_code == 401, answer.text
    assert [r.status for r in served.refusals] == [401]
    assert not History().inbox()


# -- escape sequences aimed at the terminal ------------------------------------------------------

TITLE = "\x1b]0;pwned\x07"  # sets the terminal window's title
CLEAR = "\x1b[2J\x1b[H"  # clears the screen
HIDDEN = "\x9b31m\u202eevil\u2066\x7f"  # a C1 CSI, bidi overrides and DEL
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\x7f")


def test_escape_sequences_from_a_callback_are_shown_not_obeyed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connectel callbacks are unsigned: anyone with the URL chooses every field."""
    import io

    from sms_cli.render.received import inbox_human, received_line, received_row
    from tests.integration.conftest import run

    pushes = [
        {"from": f"46701{TITLE}", "to": f"4670{HIDDEN}", "message": f"hi{CLEAR}{TITLE}",
         "requestid": f"r{TITLE}"},
        {"action": "dlr", "requestid": f"r-{CLEAR}{HIDDEN}", "statusStr": f"DELIVRD{TITLE}",
         "recipient": f"4670{TITLE}"},
        {"from": "[link=https://evil.example]bank[/link]", "message": "[bold]x"},
    ]  # fmt: skip
    with serve() as served:
        for payload in pushes:
            assert httpx.post(served.url("connectel"), json=payload).status_code == 200
    assert len(served.events) == 3

    listen_lines = "\n".join(received_line(received_row(received)) for received in served.events)
    inbox = run(["inbox"])
    assert inbox.exit_code == 0, inbox.stderr
    for shown in (listen_lines, inbox.stdout):
        assert not [c for c in RAW if c in shown], shown
        assert "␛]0;pwned␇" in shown
    assert "<U+202E>" in listen_lines and "<U+009B>" in listen_lines

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setenv("COLUMNS", "200")
    from sms_cli.storage.messages import History

    history = History()
    try:
        inbox_human(history.inbox())
    finally:
        history.close()
    drawn = terminal.getvalue()
    # rich styles the header with SGR sequences; nothing else may reach the terminal raw.
    assert "\x1b]" not in drawn and "\x07" not in drawn and "\x9b" not in drawn
    assert "[link=https://evil.example]bank[/link]" in drawn and "[bold]x" in drawn


def test_a_refusal_warning_shows_quoted_request_content_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sms_cli.commands.listen import _Printer

    printer = _Printer(as_json=False)
    printer.refusal(Refusal("connectel", 400, f"field {TITLE}{HIDDEN} is odd"))
    printer.close()
    warning = capsys.readouterr().err
    assert "␛]0;pwned␇" in warning and not [c for c in RAW if c in warning]


# -- idle, slow and too many connections ---------------------------------------------------------


def closed_by_server(socks: list[socket.socket], within: float) -> list[float]:
    """How long each socket waited for the server to close it (EOF or reset), bounded."""
    start = time.monotonic()
    waited: dict[socket.socket, float] = {}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        while len(waited) < len(socks):
            left = start + within - time.monotonic()
            assert left > 0, f"{len(socks) - len(waited)} connection(s) still open after {within} s"
            for key, _ in selector.select(left):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    waited[sock] = time.monotonic() - start
                    selector.unregister(sock)
    return list(waited.values())


def connect(port: int, first: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first:
        sock.sendall(first)
    return sock


def test_idle_and_slow_connections_cannot_starve_a_real_callback() -> None:
    timeout = 1.0  # production: 10 s a request, 5 s idle (ReceiverConfig); the same code paths
    with serve(request_timeout=timeout, idle_timeout=timeout) as served:
        path = f"/{SECRET}/connectel".encode()
        hostile = [connect(served.port) for _ in range(300)]  # never send a byte
        hostile += [  # headers that never end
            connect(served.port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nX-Slow: a")
            for _ in range(50)
        ]
        hostile += [  # a body that never arrives in full
            connect(
                served.port,
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{",
            )
            for _ in range(10)
        ]
        opened = time.monotonic()
        try:
            started = time.monotonic()
            answer = httpx.post(
                served.url("connectel"), json={"from": "46701", "message": "real"}, timeout=5
            )
            assert answer.status_code == 200, answer.text
            assert time.monotonic() - started < timeout  # before any hostile one is closed
            assert len(served.events) == 1

            # Each hostile socket is closed by the server once its deadline passes.
            closed_by_server(hostile, within=timeout + 2)
            assert time.monotonic() - opened < timeout + 2

            # Between requests a kept-alive connection is closed after the idle timeout.
            body = b'{"from": "46702", "message": "kept"}'
            kept = connect(
                served.port,
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
            )
            hostile.append(kept)
            assert kept.recv(100).startswith(b"HTTP/1.1 200")
            closed_by_server([kept], within=timeout + 2)
        finally:
            for sock in hostile:
                sock.close()
    assert not [r for r in served.refusals if r.status >= 500]


def test_past_the_connection_cap_the_oldest_idle_connection_makes_room() -> None:
    with serve(request_timeout=30, idle_timeout=30, max_connections=20) as served:
        hostile = [connect(served.port) for _ in range(40)]
        try:
            answer = httpx.post(
                served.url("connectel"), json={"from": "46701", "message": "real"}, timeout=5
            )
            assert answer.status_code == 200, answer.text
            # 21 of the 40 idle ones (and the real one, done) were closed long before 30 s.
            closed_by_server(hostile[:20], within=3)
        finally:
            for sock in hostile:
                sock.close()


# -- readers that stall or go away ---------------------------------------------------------------


def spawn_listen(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "listen", "--port", "0", "--secret", SECRET, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )


def first_line(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    assert process.stdout is not None
    document: dict[str, Any] = json.loads(process.stdout.readline())
    assert document["event"] == "listening"
    return document


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_reader_that_went_away_stops_listen_quietly_with_141() -> None:
    """`smsctl listen --json | head -1`: once head exits, listen exits too, as any command does
    on a closed pipe (README, "Exit codes"), instead of answering every callback with a 500."""
    process = spawn_listen("--json")
    try:
        urls = first_line(process)["urls"]
        assert process.stdout is not None
        process.stdout.close()  # what head does after its line
        answer = httpx.post(urls["connectel"], json={"from": "46701", "message": "a"}, timeout=5)
        assert answer.status_code == 200  # stored before the display was tried
        assert process.wait(timeout=10) == 141
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        # No complaint; with --json the exit has its one error object (issue 15), last.
        *prose, last = errors.splitlines()
        assert json.loads(last)["error"]["code"] == "broken_pipe", errors
        assert "Traceback" not in errors and "error" not in "\n".join(prose), errors
        assert [row.text for row in History().inbox()] == ["a"]
    finally:
        stop(process)


def test_a_stalled_reader_never_delays_a_callback() -> None:
    """Nobody reads stdout (a paused `| less`, Ctrl-S): the pipe fills, the display drops
    events and says so, and every callback is still stored and answered at once."""
    process = spawn_listen("--json")
    try:
        urls = first_line(process)["urls"]
        text = "x" * 9000  # 9 KB a line: the 64 KiB pipe and the 256-line backlog fill by ~265
        started = time.monotonic()
        with httpx.Client(timeout=5) as client:
            for n in range(300):
                answer = client.post(
                    urls["connectel"], json={"from": "46701", "message": f"{n}{text}"}
                )
                assert answer.status_code == 200, (n, answer.text)
        assert time.monotonic() - started < 15
        history = History()
        try:
            stored = history.connection.execute("SELECT COUNT(*) FROM inbound").fetchone()[0]
        finally:
            history.close()
        assert stored == 300
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        assert "Traceback" not in errors
        assert "standard output is not keeping up" in errors
        assert "stopped; 300 event(s) received" in errors and "not shown" in errors
        # Every event is either on stdout, whole, or counted as not shown: lines still queued
        # when the 1 s close timeout passed are counted too.
        not_shown = int(errors.split("event(s) received, ")[1].split(" not shown")[0])
        assert process.stdout is not None
        shown = [line for line in process.stdout.read().split(b"\n")[:-1] if line]
        assert len(shown) + not_shown == 300, (len(shown), not_shown)
    finally:
        stop(process)


def announced_port(fd: int, within: float = 10.0) -> int:
    """The port `smsctl listen --port 0` bound, from its first line on stderr ("smsctl listen on
    http://127.0.0.1:PORT ..."): no port picked beforehand that another process could take."""
    deadline = time.monotonic() + within
    seen = b""
    while b"\n" not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"listen did not start: {seen!r}"
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            assert chunk, f"listen exited: {seen!r}"
            seen += chunk
    found = re.search(rb"listen on http://127\.0\.0\.1:(\d+) ", seen.split(b"\n")[0])
    assert found, seen
    return int(found[1])


def wait_until_listening(port: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "listen did not start"
            time.sleep(0.02)


def garbage_request(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
        return sock.recv(64)  # uvicorn's 400, unless its event loop is stuck


@pytest.mark.parametrize("merged", [False, True], ids=["stderr-pipe", "2>&1-stalled"])
def test_a_stderr_nobody_reads_never_blocks_listen(merged: bool) -> None:
    """Every garbage request makes uvicorn log "Invalid HTTP request received.": with stderr a
    4 KiB pipe nobody reads, those lines (and the final one) must never block the event loop,
    the callbacks, or the exit on SIGTERM."""
    import fcntl

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe, full after ~100 lines
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "listen", "--port", "0", "--secret", SECRET],
        stdout=write_end if merged else subprocess.DEVNULL,
        stderr=write_end,
        env=os.environ.copy(),
    )
    os.close(write_end)
    try:
        port = announced_port(read_end)
        wait_until_listening(port)
        for n in range(300):
            assert garbage_request(port).startswith(b"HTTP/1.1 400"), n
        url = f"http://127.0.0.1:{port}/{SECRET}/connectel"
        for n in range(30):  # each a line on the stalled stdout when merged
            answer = httpx.post(url, json={"from": "46701", "message": f"m{n}"}, timeout=2)
            assert answer.status_code == 200
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(timeout=8) == 0
        assert time.monotonic() - started < 5
        assert len(History().inbox()) == 30
    finally:
        stop(process)
        os.close(read_end)


def test_a_flood_of_warnings_is_counted_not_written() -> None:
    """300 garbage requests: at most WARNINGS_PER_SECOND warnings a second reach stderr, and
    every other one is counted (6,888 lines from one connection before)."""
    from sms_cli.commands.listen import WARNINGS_PER_SECOND

    process = spawn_listen("--json")
    try:
        port = int(first_line(process)["url"].rsplit(":", 1)[1])
        started = time.monotonic()
        for n in range(300):
            assert garbage_request(port).startswith(b"HTTP/1.1 400"), n
        elapsed = time.monotonic() - started
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        errors = process.stderr.read().decode()
    finally:
        stop(process)
    shown = errors.count("smsctl: warning: Invalid HTTP request received.")
    assert 0 < shown <= WARNINGS_PER_SECOND * (elapsed + 2)
    counted = int(errors.split("warning(s) not shown")[0].rsplit(", ", 1)[1])
    assert shown + counted == 300, errors[-300:]


def open_connections(served: Served, within: float) -> int:
    """The receiver's open connections, once none are left or `within` seconds passed."""
    deadline = time.monotonic() + within
    while (left := len(served.server.server_state.connections)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


@pytest.mark.parametrize("pipelined", [b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"])
def test_a_caller_that_never_reads_its_answers_is_closed(pipelined: bytes) -> None:
    """Megabytes of pipelined requests, no answer ever read: the server waits on a full send
    buffer, and without a deadline there the connection would be held forever."""
    with serve(send_buffer=4096, request_timeout=0.5, max_pipelined=1 << 30) as served:
        caller = socket.create_connection(("127.0.0.1", served.port))
        caller.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        caller.settimeout(3)
        caller.sendall(pipelined)
        assert caller.recv(4096).startswith(b"HTTP/1.1 404")  # connected, and kept alive

        def flood() -> None:
            with contextlib.suppress(OSError):  # closed by the server, or blocked past 3 s
                caller.sendall(pipelined * (3_000_000 // len(pipelined)))

        sender = threading.Thread(target=flood, daemon=True)
        sender.start()
        try:
            assert open_connections(served, within=4) == 0
        finally:
            sender.join(5)
            caller.close()


def test_a_pipelined_backlog_past_the_cap_closes_the_connection() -> None:
    request = b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
    with (
        serve(max_pipelined=1024) as served,
        socket.create_connection(("127.0.0.1", served.port)) as caller,
    ):
        caller.settimeout(3)
        caller.sendall(request)
        assert caller.recv(4096).startswith(b"HTTP/1.1 404")  # connected, and kept alive
        caller.sendall(request * 200)  # 6 KB in one go: 5 KB waits behind the first
        assert open_connections(served, within=2) == 0
