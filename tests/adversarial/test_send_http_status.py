"""What each HTTP status answering a send means, for every provider, over real loopback HTTP.

A small HTTP server answers every request with a status chosen per test; a real `smsctl send`
(and `smsctl bulk`) runs against a real profile pointing at it, and `smsctl log --json` shows
what the history recorded. 404/405: nothing sent, exit 4, a hint about --base-url; other 4xx:
rejected, exit 7, with the provider's (redacted) words; 408, 3xx, 5xx: unknown, exit 8; 429:
Retry-After is what is waited, and a wait past the cap ends at once with exit 6 saying when.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.errors import ProviderUnavailable
from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer, all_emulators
from sms_cli.providers.http import Transport
from tests.adversarial.loopback import LoopbackServer, Reply

TOKEN = "CANARY-5e7a-41c9-b2d0-8f3e6a1c"
TO = "+46701234567"
# Answers accepting a send, shapes as the providers document them (bodies vary by recipient;
# these are only read far enough to end a resumed job).
SUCCESS = {
    "connectel": b'{"statusStr": "OK", "statusInt": 0, "requestid": "r-1", "bulkid": "b-1",'
    b' "recipient": []}',
    "seven": b'{"success": "100", "messages": []}',
}
OTHER = "+46701234568"


class Answer:
    """One canned answer: status, headers, body."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class Server(LoopbackServer):
    """Answers every request with `answers[i]` (the last one repeats); records each request."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [Answer(200, b"{}")]
        self.requests: list[tuple[str, str]] = []
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        self.requests.append((method, path))
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer.status, answer.headers, answer.body

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


@pytest.fixture(params=sorted(registry.builtin()))
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def run(args: list[str], input: str | None = None) -> Result:
    result = CliRunner().invoke(app, args, input=input, prog_name="smsctl")
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "bug in smsctl" not in text, text
    assert "None" not in text, text
    pieces = {TOKEN[i : i + 6] for i in range(len(TOKEN) - 5)}
    assert [p for p in pieces if p in text] == [], text
    return result


def add_profile(provider: str, url: str) -> None:
    result = run(
        ["profile", "add", provider, "--provider", provider, "--base-url", url,
         "--sender", "Acme", "--token-stdin"],
        input=TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def send(*args: str) -> Result:
    return run(["send", "--timeout", "5", *args])


def logged() -> list[dict[str, Any]]:
    result = run(["log", "--json"])
    assert result.exit_code == 0, result.stderr
    messages: list[dict[str, Any]] = json.loads(result.stdout)["messages"]
    return messages


# -- 404 and 405: nothing sent, exit 4, the base URL is the suspect ----------------------------


@pytest.mark.parametrize("status", [404, 405])
def test_404_and_405_are_not_sent_with_a_base_url_hint(
    server: Server, provider: str, status: int
) -> None:
    server.answer(Answer(status, b'{"error": "not found"}', {"Content-Type": "application/json"}))
    add_profile(provider, server.url)
    result = send("--to", TO, "--to", OTHER, "Hi")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert f"HTTP {status}" in result.stderr
    assert "nothing was sent" in result.stderr
    assert "--base-url" in result.stderr
    assert registry.get(provider).default_base_url in result.stderr  # what it normally is
    assert len(server.requests) == 1  # never retried
    rows = logged()
    assert [r["status"] for r in rows] == ["not_sent", "not_sent"]
    assert all("unknown" not in (r["error"] or "") for r in rows)


def test_seven_base_url_without_api_is_not_sent(tmp_path: Path) -> None:
    """The issue's scenario: a seven.io profile whose base URL lacks /api, against the seven
    emulator: a 404, exit 4, recorded as not sent, and a hint naming --base-url."""
    import httpx

    sandbox = SandboxServer(all_emulators())
    sandbox.start_in_thread()
    try:
        root = f"{sandbox.url}/seven"
        httpx.post(f"{root}/__emu/set", json={"tokens": [TOKEN]}, timeout=5).raise_for_status()
        add_profile("seven", root)  # the emulator serves {root}/api/sms
        result = send("--to", TO, "Hi")
        requests = httpx.get(f"{root}/__emu/requests", timeout=5).json()
    finally:
        sandbox.stop()
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "HTTP 404" in result.stderr and "nothing was sent" in result.stderr
    assert "--base-url" in result.stderr and "/api" in result.stderr
    assert "https://gateway.seven.io/api" in result.stderr
    assert [r["status"] for r in logged()] == ["not_sent"]
    assert not any("/api/sms" in r["path"] for r in requests)  # the send endpoint never saw it


# -- other 4xx: rejected, exit 7, with the provider's words ------------------------------------


@pytest.mark.parametrize("status", [400, 402, 409, 410, 413, 422])
@pytest.mark.parametrize("kind", ["json", "text"])
def test_other_4xx_are_rejected_with_the_providers_text(
    server: Server, provider: str, status: int, kind: str
) -> None:
    words = "sender Acme is not allowed"
    if kind == "json":
        body = json.dumps({"statusStr": "BADREQUEST", "statusDesc": words, "error": words})
        server.answer(Answer(status, body.encode(), {"Content-Type": "application/json"}))
    else:
        server.answer(Answer(status, words.encode(), {"Content-Type": "text/plain"}))
    add_profile(provider, server.url)
    result = send("--json", "--to", TO, "Hi")
    assert result.exit_code == 7, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["status"] == "rejected"
    assert item["provider_code"] == str(status)
    assert words in item["provider_text"]
    assert f"HTTP {status}" in item["error"] and words in item["error"]
    assert len(server.requests) == 1
    (row,) = logged()
    assert row["status"] == "rejected"
    assert words in row["error"]
    assert row["provider_status"] is None  # an HTTP code is no state of the message


def test_a_4xx_echoing_the_token_never_shows_it(server: Server, provider: str) -> None:
    server.answer(Answer(400, f"bad request: api_key={TOKEN}&to=1".encode()))
    add_profile(provider, server.url)
    result = send("--to", TO, "Hi")  # run() checks no piece of the token is shown
    assert result.exit_code == 7, (result.stdout, result.stderr)
    run(["log"])
    run(["log", "--json"])


def test_a_rejected_4xx_shows_the_providers_words_in_the_table(
    server: Server, provider: str
) -> None:
    server.answer(Answer(422, b'{"detail": "the text is empty"}', {"Content-Type": "x/json"}))
    add_profile(provider, server.url)
    result = send("--to", TO, "Hi")
    assert result.exit_code == 7, (result.stdout, result.stderr)
    assert "rejected" in result.stdout
    assert "HTTP 422" in result.stdout


# -- 408, 3xx, 5xx: it may have been processed -------------------------------------------------


@pytest.mark.parametrize("status", [408, 303, 500, 503])
def test_408_redirects_and_5xx_are_unknown(server: Server, provider: str, status: int) -> None:
    server.answer(Answer(status, b"", {"Location": "http://127.0.0.1:9/elsewhere"}))
    add_profile(provider, server.url)
    result = send("--json", "--to", TO, "Hi")
    assert result.exit_code == 8, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["status"] == "unknown"
    assert f"HTTP {status}" in item["error"]
    assert len(server.requests) == 1  # never resent
    assert [r["status"] for r in logged()] == ["unknown"]


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_stay_auth_errors(server: Server, provider: str, status: int) -> None:
    server.answer(Answer(status, b"{}"))
    add_profile(provider, server.url)
    result = send("--to", TO, "Hi")
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert [r["status"] for r in logged()] == ["not_sent"]


# -- 429: Retry-After is what is waited; past the cap, exit 6 saying when ----------------------


class FakeTime:
    """A monotonic clock only the recorded sleeps move, and a fixed wall clock."""

    WALL = 1_767_225_600.0  # 2026-01-01T00:00:00Z

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.WALL + self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    "retry_after",
    ["2", "Thu, 01 Jan 2026 00:00:02 GMT"],
    ids=["seconds", "http-date"],
)
@pytest.mark.parametrize("lean", [False, True], ids=["httpx", "lean"])
def test_the_wait_after_a_429_is_the_retry_after_not_the_backoff(
    server: Server, retry_after: str, lean: bool
) -> None:
    server.answer(Answer(429, b"", {"Retry-After": retry_after}), Answer(200, b"{}"))
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, backoff=0.25, lean=lean,
                          sleep=fake.sleep, clock=fake.clock, wall=fake.wall)  # fmt: skip
    try:
        assert transport.send("POST", "sms").status_code == 200
    finally:
        transport.close()
    assert fake.waits == [2.0]  # the header's 2 s, not the 0.25 s backoff
    assert len(server.requests) == 2


def test_the_sandbox_retry_after_is_what_a_send_waits() -> None:
    """The same against an emulator: its Retry-After (2 s), not the backoff, is waited."""
    import httpx

    sandbox = SandboxServer(all_emulators())
    sandbox.start_in_thread()
    fake = FakeTime()
    try:
        root = f"{sandbox.url}/seven"
        httpx.post(f"{root}/__emu/set", json={"tokens": [TOKEN]}, timeout=5).raise_for_status()
        faults = {"mode": "rate_limit", "times": 1, "retry_after": 2}
        httpx.post(f"{root}/__emu/faults", json=faults, timeout=5).raise_for_status()
        transport = Transport(f"{root}/api", title="seven.io", timeout=10, backoff=0.25,
                              headers={"X-Api-Key": TOKEN, "Accept": "application/json"},
                              sleep=fake.sleep, clock=fake.clock, wall=fake.wall)  # fmt: skip
        try:
            reply = transport.send("POST", "sms", data={"to": TO[1:], "text": "Hi"})
        finally:
            transport.close()
    finally:
        sandbox.stop()
    assert reply.status_code == 200
    assert fake.waits == [2.0]


@pytest.mark.parametrize(
    ("retry_after", "seconds", "at"),
    [
        ("120", 120, "2026-01-01T00:02:00Z"),
        ("Thu, 01 Jan 2026 01:00:00 GMT", 3600, "2026-01-01T01:00:00Z"),
    ],
    ids=["seconds", "http-date"],
)
def test_a_retry_after_past_the_cap_gives_up_saying_when(
    server: Server, retry_after: str, seconds: int, at: str
) -> None:
    server.answer(Answer(429, b"", {"Retry-After": retry_after}))
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=600, max_retry_after=60,
                          sleep=fake.sleep, clock=fake.clock, wall=fake.wall)  # fmt: skip
    try:
        with pytest.raises(ProviderUnavailable) as refused:
            transport.send("POST", "sms")
    finally:
        transport.close()
    assert fake.waits == []
    assert len(server.requests) == 1
    message = refused.value.message
    assert f"retry after {seconds} s" in message
    assert f"until {at}" in message
    assert "nothing was sent" in message
    assert refused.value.exit_code == 6


def test_a_long_retry_after_on_a_send_exits_6_not_sent(server: Server, provider: str) -> None:
    server.answer(Answer(429, b"", {"Retry-After": "3600"}))
    add_profile(provider, server.url)
    result = send("--to", TO, "Hi")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "retry after 3600 s" in result.stderr
    assert "until 20" in result.stderr  # an ISO time: when to try again
    assert "nothing was sent" in result.stderr
    assert len(server.requests) == 1
    assert [r["status"] for r in logged()] == ["not_sent"]


# -- bulk: a 404 pauses the job, rows stay pending, never unknown -------------------------------


def test_a_404_on_a_bulk_send_pauses_with_rows_pending(
    server: Server, provider: str, tmp_path: Path
) -> None:
    server.answer(Answer(404, b"not found"))
    add_profile(provider, server.url)
    path = tmp_path / "r.csv"
    path.write_text("phone\n" + "".join(f"+4670100000{i}\n" for i in range(4)))
    result = run(["bulk", str(path), "--message", "Hi", "--yes", "--json", "--timeout", "5"])
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "HTTP 404" in result.stderr and "--base-url" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["state"] == "paused"
    assert summary["rows"] == {"pending": 4}  # resendable, never unknown
    assert len(server.requests) == 1  # the job paused at the first refusal
    assert all(r["status"] == "not_sent" for r in logged())
    # With the server fixed, the job resumes and sends every row.
    server.answer(Answer(200, SUCCESS[provider], {"Content-Type": "application/json"}))
    resumed = run(["bulk", "--resume", summary["job_id"], "--yes", "--json", "--timeout", "5"])
    assert resumed.exit_code in (0, 8), (resumed.stdout, resumed.stderr)
    assert "pending" not in json.loads(resumed.stdout)["rows"]
