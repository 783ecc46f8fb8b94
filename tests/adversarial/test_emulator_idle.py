"""The emulators' `idle` control: what tests wait on instead of sleeping a fixed time after a
slow answer or a callback. It waits for requests still being answered and callbacks still
queued, within a bound, and `hurry` ends a `latency` wait a client already gave up on."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sms_cli.providers.emulation import SandboxServer, all_emulators


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    yield server
    server.stop()


def control(root: str, action: str, payload: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(f"{root}/__emu/{action}", json=payload or {}, timeout=10)


def slow_request(url: str) -> threading.Thread:
    """A request the emulator is still answering when the client has given up on it."""

    def go() -> None:
        with contextlib.suppress(httpx.TimeoutException):
            httpx.get(url, timeout=0.2)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def received(root: str) -> int:
    return len(httpx.get(f"{root}/__emu/requests", timeout=10).json())


def wait_received(root: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while received(root) < count:
        assert time.monotonic() < deadline, "the request never arrived"
        time.sleep(0.005)


@pytest.mark.parametrize("name", sorted(all_emulators()))
def test_idle_waits_for_a_slow_answer_and_hurry_ends_it_at_once(
    sandbox: SandboxServer, name: str
) -> None:
    root = f"{sandbox.url}/{name}"
    control(root, "faults", {"latency": 30})
    slow_request(f"{root}/anything")
    wait_received(root, 1)
    started = time.monotonic()
    waiting = control(root, "idle", {"timeout": 0.2})
    assert (waiting.status_code, waiting.json()) == (504, {"ok": False})  # still answering
    hurried = control(root, "idle", {"hurry": True, "timeout": 10})
    assert (hurried.status_code, hurried.json()) == (200, {"ok": True})
    assert time.monotonic() - started < 5  # not the 30 s latency
    assert control(root, "idle", {"timeout": 0}).json() == {"ok": True}


RELEASE = threading.Event()


class Held(BaseHTTPRequestHandler):
    """A receiver that answers no callback until the test releases it (at most 10 s)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        RELEASE.wait(10)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_idle_waits_for_queued_callbacks(sandbox: SandboxServer) -> None:
    RELEASE.clear()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Held)
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    emulator = sandbox.emulators["connectel"]
    root = f"{sandbox.url}/connectel"
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        assert control(root, "set", {"callback_url": url}).status_code == 200
        for number in ("46701", "46702"):
            inbound = {"from": number, "to": "46700", "text": "hi"}
            assert control(root, "inbound", inbound).status_code == 200
        assert control(root, "idle", {"timeout": 0.1}).status_code == 504  # pushes held
        RELEASE.set()
        assert control(root, "idle", {"timeout": 10}).json() == {"ok": True}
        assert len(emulator.callbacks.log) == 2
    finally:
        RELEASE.set()
        receiver.shutdown()
        receiver.server_close()


def test_idle_refuses_a_timeout_that_is_no_number(sandbox: SandboxServer) -> None:
    answer = control(f"{sandbox.url}/seven", "idle", {"timeout": "soon"})
    assert answer.status_code == 400
