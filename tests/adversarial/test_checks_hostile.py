"""The token check against servers that hang, echo the token back, or answer nonsense: each is
a result with a reason, bounded by --timeout, never a traceback, never the token."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from typer.testing import Result

from sms_cli.providers.info import Capability
from sms_cli.testing.contract import run
from tests.adversarial.loopback import LoopbackServer, Reply
from tests.providers.selection import any_provider, providers_with

TOKEN = "hostile-token-5b1e0d77"


@pytest.fixture(autouse=True)
def checking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSCTL_NO_CHECK", raising=False)


def add(provider: str, url: str, *extra: str) -> Result:
    args = ["profile", "add", "h", "--provider", provider, "--base-url", url, "--token-stdin"]
    return run([*args, "--sender", "Acme", *extra], input=TOKEN)


def no_token(result: Result) -> None:
    for stream in (result.stdout, result.stderr):
        assert TOKEN not in stream
        assert TOKEN[:10] not in stream
        assert "Traceback" not in stream


@pytest.fixture
def silent() -> Iterator[str]:
    """A server that takes the connection (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_server_that_never_answers_is_bounded_by_timeout(silent: str) -> None:
    assert add(any_provider(Capability.CHECK_TOKEN), silent, "--no-check").exit_code == 0
    started = time.monotonic()
    checked = run(["profile", "check", "--timeout", "0.3", "--json"])
    assert time.monotonic() - started < 2.0
    assert checked.exit_code == 6, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["result"] == "unreachable"
    assert "within the timeout (0.3 s)" in entry["detail"]


class Echo(LoopbackServer):
    """Answers every request with the request itself (path and query: Connectel's token)."""

    def __init__(self, status: int, content_type: str = "text/plain") -> None:
        self.status = status
        self.content_type = content_type
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        body = f"bad request {method} {path} {headers.get('x-api-key', '')}".encode()
        return self.status, {"Content-Type": self.content_type}, body


@pytest.mark.parametrize("provider", providers_with(Capability.CHECK_TOKEN))
@pytest.mark.parametrize("status", [400, 200, 500])
def test_a_server_echoing_the_request_never_shows_the_token(provider: str, status: int) -> None:
    server = Echo(status)
    try:
        added = add(provider, server.url)
        no_token(added)
        assert added.exit_code in (0, 4), added.stderr  # saved with a warning, never a crash
        if added.exit_code == 0:
            assert "could not be checked" in added.stderr
        run(
            [
                "profile",
                "add",
                "h",
                "--provider",
                provider,
                "--base-url",
                server.url,
                "--token-stdin",
                "--sender",
                "Acme",
                "--no-check",
                "--force",
            ],
            input=TOKEN,
        )
        checked = run(["profile", "check"])
        no_token(checked)
        assert checked.exit_code in (4, 6), checked.stderr
        assert "profile h:" in checked.stderr
    finally:
        server.close()


class Refuses(LoopbackServer):
    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        return 401, {"Content-Type": "text/plain"}, f"no such key {path}".encode()


def test_a_401_is_a_rejected_token_and_nothing_is_saved() -> None:
    server = Refuses()
    try:
        added = add(any_provider(Capability.CHECK_TOKEN), server.url)
        assert added.exit_code == 5, added.stderr
        no_token(added)
    finally:
        server.close()
