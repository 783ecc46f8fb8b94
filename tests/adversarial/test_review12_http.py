"""Review of issue 12, over real loopback HTTP: answers whose HTTP status and body disagree.

* A 4xx whose body says the messages were accepted (an id, a success code) may have been sent:
  every recipient `unknown` (exit 8), never `rejected` (which invites a second send).
* A 429's wait must leave a reserve of --timeout for the retried request, else give up at once
  (exit 6, nothing sent) rather than let the retry time out (exit 8).
* A status query answered 404/405 by a server that is not the provider's API is a wrong base
  URL (exit 4), never "the provider does not know this id"; other 4xx are exit 6.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sms_cli.errors import ProviderUnavailable
from sms_cli.providers import registry
from sms_cli.providers.http import Transport
from sms_cli.storage.messages import History
from tests.adversarial.loopback import LoopbackServer, Reply
from tests.adversarial.test_send_http_status import (
    OTHER,
    TO,
    FakeTime,
    add_profile,
    run,
)
from tests.conftest import record_sent

JSON = {"Content-Type": "application/json"}

Answer = tuple[int, dict[str, str], bytes]
Responder = Callable[[str, str, bytes], Answer]


class Server(LoopbackServer):
    """Answers each request with what `respond(method, path, body)` returns; records them."""

    def __init__(self) -> None:
        self.respond: Responder = lambda method, path, body: (200, JSON, b"{}")
        self.requests: list[tuple[str, str, bytes]] = []
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        self.requests.append((method, path, raw))
        return self.respond(method, path, raw)

    def always(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.respond = lambda method, path, sent: (status, headers or JSON, body)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


@pytest.fixture(params=sorted(registry.builtin()))
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def logged() -> list[dict[str, Any]]:
    result = run(["log", "--json"])
    assert result.exit_code == 0, result.stderr
    messages: list[dict[str, Any]] = json.loads(result.stdout)["messages"]
    return messages


# -- 1. a 4xx whose body says "accepted" is unknown, never rejected -----------------------------

ACCEPTED = {
    "connectel": {
        "requestid": "RXV1000001",
        "statusInt": 0,
        "statusStr": "ENROUTE",
        "recipient": "46701234567",
        "message": "Hi",
    },
    "seven": {
        "success": "100",
        "total_price": 0.075,
        "balance": 9.9,
        "messages": [
            {"id": "77000000042", "recipient": "46701234567", "success": True, "parts": 1}
        ],
    },
}
ACCEPTED_ID = {"connectel": "RXV1000001", "seven": "77000000042"}


@pytest.mark.parametrize("status", [400, 409, 422])
def test_a_4xx_whose_body_says_accepted_is_unknown_not_rejected(
    server: Server, provider: str, status: int
) -> None:
    server.always(status, json.dumps(ACCEPTED[provider]).encode())
    add_profile(provider, server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "Hi"])
    assert result.exit_code == 8, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["status"] == "unknown"
    assert f"HTTP {status}" in item["error"]
    assert "says messages were accepted" in item["error"]
    assert "it may have been sent" in item["error"]
    assert item["id"] == ACCEPTED_ID[provider]  # kept, so `status` can settle it
    assert len(server.requests) == 1  # never resent
    (row,) = logged()
    assert (row["status"], row["id"]) == ("unknown", ACCEPTED_ID[provider])


@pytest.mark.parametrize(
    "body",
    [b'"100"', b"101", b"100\n77000000042", b'{"success": "101", "messages": []}',
     b'{"messages": [{"id": null, "success": true}]}'],
    ids=["bare-string", "bare-101", "legacy-text", "success-101", "success-true"],
)  # fmt: skip
def test_seven_success_codes_in_a_4xx_are_unknown(server: Server, body: bytes) -> None:
    server.always(422, body)
    add_profile("seven", server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "Hi"])
    assert result.exit_code == 8, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["status"] == "unknown"


def test_a_connectel_bulk_4xx_with_request_ids_keeps_each_id(server: Server) -> None:
    def bulk(method: str, path: str, sent: bytes) -> Answer:
        request = json.loads(sent)
        items = [
            {"key": key, "recipient": number, "requestid": f"R-{number[-1]}",
             "statusInt": 0, "statusStr": "QUEUED"}
            for entry in request["recipient"]
            for key, number in entry.items()
        ]  # fmt: skip
        answer = {"bulkid": "BULK-9", "statusInt": 0, "statusStr": "QUEUED", "recipient": items}
        return 409, JSON, json.dumps(answer).encode()

    server.respond = bulk
    add_profile("connectel", server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "--to", OTHER, "Hi"])
    assert result.exit_code == 8, (result.stdout, result.stderr)
    results = json.loads(result.stdout)["results"]
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert [r["id"] for r in results] == ["R-7", "R-8"]
    assert all("HTTP 409" in r["error"] for r in results)
    assert sorted((r["status"], r["id"]) for r in logged()) == [
        ("unknown", "R-7"),
        ("unknown", "R-8"),
    ]


@pytest.mark.parametrize(
    "body",
    [b'{"statusInt": -1, "statusStr": "BADREQUEST", "statusDesc": "bad sender"}',
     b'{"statusStr": "REJECTD", "statusInt": 2}', b'{"error": "oops 422"}'],
    ids=["error-object", "refused-state", "error-key"],
)  # fmt: skip
def test_a_connectel_4xx_without_an_acceptance_stays_rejected(server: Server, body: bytes) -> None:
    server.always(422, body)
    add_profile("connectel", server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "Hi"])
    assert result.exit_code == 7, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["status"] == "rejected"


# -- 2. a Retry-After wait keeps a reserve of the timeout for the retry ------------------------


def test_a_retry_after_leaving_no_reserve_gives_up_at_once(server: Server) -> None:
    server.always(429, b"", {"Retry-After": "8"})
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, sleep=fake.sleep,
                          clock=fake.clock, wall=fake.wall)  # fmt: skip
    try:
        with pytest.raises(ProviderUnavailable) as refused:
            transport.send("POST", "sms")
    finally:
        transport.close()
    assert fake.waits == []  # 8 s of 10 would leave the retry 2 s: less than the 5 s reserve
    assert len(server.requests) == 1
    assert "retry after 8 s" in refused.value.message
    assert refused.value.exit_code == 6


def test_a_retry_after_leaving_the_reserve_is_waited(server: Server) -> None:
    answers = iter([(429, {"Retry-After": "5"}, b""), (200, JSON, b"{}")])
    server.respond = lambda method, path, sent: next(answers)
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, sleep=fake.sleep,
                          clock=fake.clock, wall=fake.wall)  # fmt: skip
    try:
        assert transport.send("POST", "sms").status_code == 200
    finally:
        transport.close()
    assert fake.waits == [5.0]


def test_a_send_whose_retry_after_eats_the_timeout_exits_6_at_once(
    server: Server, provider: str
) -> None:
    """--timeout 5: the reserve is 2.5 s, so a 3 s Retry-After is not waited."""
    server.always(429, b"", {"Retry-After": "3"})
    add_profile(provider, server.url)
    result = run(["send", "--timeout", "5", "--to", TO, "Hi"])
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "retry after 3 s" in result.stderr and "nothing was sent" in result.stderr
    assert len(server.requests) == 1
    assert [r["status"] for r in logged()] == ["not_sent"]


# -- 6. a status query's 4xx: a wrong base URL is exit 4, other refusals exit 6 -----------------

HTML_404 = (404, {"Content-Type": "text/html"}, b"<html><body><h1>Not Found</h1></body></html>")


@pytest.mark.parametrize(
    "answer",
    [HTML_404, (405, {"Content-Type": "text/html"}, b"<h1>Method Not Allowed</h1>"),
     (404, JSON, b'{"error": "not found"}')],
    ids=["html-404", "html-405", "foreign-json-404"],
)  # fmt: skip
def test_a_status_for_an_unknown_id_at_a_wrong_base_url_is_exit_4(
    server: Server, provider: str, answer: Answer
) -> None:
    # Connectel's unknown id is a 404 with its own error object (statusStr); seven.io's is the
    # code 901 (§2.7.1). A 404 page, or another server's JSON, is a wrong base URL.
    server.respond = lambda method, path, sent: answer
    add_profile(provider, server.url)
    result = run(["status", "ghost-4711"])
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "--base-url" in result.stderr
    assert f"HTTP {answer[0]}" in result.stderr
    assert "not found at the provider" not in result.stderr
    assert registry.get(provider).default_base_url in result.stderr


def test_status_last_at_a_wrong_base_url_is_exit_4_not_kept(server: Server, provider: str) -> None:
    server.respond = lambda method, path, sent: HTML_404
    add_profile(provider, server.url)
    history = History()
    try:
        record_sent(history, "local-1", provider, "R-1", "enroute")
    finally:
        history.close()
    result = run(["status", "--last", "--profile", provider])
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "does not know this id" not in result.stderr
    assert "--base-url" in result.stderr


@pytest.mark.parametrize("status", [400, 410, 422])
def test_other_4xx_on_a_status_query_are_exit_6_with_the_providers_words(
    server: Server, provider: str, status: int
) -> None:
    server.always(status, b'{"error": "requestid is malformed\\u001b[2J"}')
    add_profile(provider, server.url)
    result = run(["status", "ghost-4711"])
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert f"HTTP {status}" in result.stderr
    assert "requestid is malformed" in result.stderr
    assert "\x1b" not in result.stderr  # the provider's words are shown, not obeyed


def test_a_connectel_404_with_its_own_error_object_is_an_unknown_id(server: Server) -> None:
    server.always(404, b'{"statusInt": -1, "statusStr": "NOTFOUND"}')
    add_profile("connectel", server.url)
    result = run(["status", "ghost-4711"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "not found at the provider" in result.stderr


def test_a_seven_901_on_status_is_an_unknown_id(server: Server) -> None:
    def answer(method: str, path: str, sent: bytes) -> Answer:
        return (200, JSON, b"[]") if "journal" in path else (200, JSON, b"901")

    server.respond = answer
    add_profile("seven", server.url)
    result = run(["status", "77000000042"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "not found at the provider" in result.stderr


def test_a_query_redirect_is_exit_6_and_a_304_is_no_redirect(server: Server) -> None:
    server.always(304, b"")
    add_profile("connectel", server.url)
    result = run(["status", "ghost-4711"])
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "HTTP 304" in result.stderr and "redirect" not in result.stderr


# -- 3. a provider's 4xx words reach the terminal shown, on one line, never obeyed -------------

HOSTILE = "sender\x1b]0;pwned\x07 refused\x1b[2J\r\n<br>\n  second line"


def hostile_refusal(server: Server) -> None:
    body = {"statusStr": "BADREQUEST", "statusDesc": HOSTILE, "error": HOSTILE}
    server.always(400, json.dumps(body).encode())


def test_a_refusals_escapes_never_reach_the_send_table(server: Server, provider: str) -> None:
    hostile_refusal(server)
    add_profile(provider, server.url)
    result = run(["send", "--timeout", "5", "--to", TO, "Hi"])
    assert result.exit_code == 7, (result.stdout, result.stderr)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\r" not in result.stdout
    assert len(result.stdout.splitlines()) == 2  # the header and one row: the text on one line
    assert "refused" in result.stdout and "second line" in result.stdout
    (row,) = logged()
    assert "\n" not in row["error"]  # the refusal text is one line where it is recorded too


def test_a_refusals_escapes_never_reach_the_bulk_reasons(
    server: Server, provider: str, tmp_path: Any
) -> None:
    hostile_refusal(server)
    add_profile(provider, server.url)
    path = tmp_path / "r.csv"
    path.write_text(f"phone\n{TO}\n")
    result = run(["bulk", str(path), "--message", "Hi", "--yes", "--timeout", "5"])
    assert "rejected" in result.stdout, (result.stdout, result.stderr)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "second line" in result.stdout


def test_a_connectel_error_key_is_its_refusal_text(server: Server) -> None:
    server.always(422, b'{"error": "oops 422"}')
    add_profile("connectel", server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "Hi"])
    assert result.exit_code == 7, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert item["provider_text"] == "oops 422"
    assert "oops 422" in item["error"]


def test_the_wrong_base_url_hint_is_generic(server: Server, provider: str) -> None:
    """Connectel's wrong URL may have an extra /api: the hint names the default, not a guess."""
    server.always(404, b"<h1>Not Found</h1>", {"Content-Type": "text/html"})
    add_profile(provider, server.url)
    result = run(["send", "--timeout", "5", "--to", TO, "Hi"])
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "missing /api" not in result.stderr
    assert f"the default is {registry.get(provider).default_base_url}" in result.stderr


def test_a_304_to_a_send_is_not_called_a_redirect(server: Server) -> None:
    server.always(304, b"")
    add_profile("seven", server.url)
    result = run(["send", "--timeout", "5", "--json", "--to", TO, "Hi"])
    assert result.exit_code == 8, (result.stdout, result.stderr)
    (item,) = json.loads(result.stdout)["results"]
    assert "HTTP 304" in item["error"] and "redirect" not in item["error"]


# -- 12. the bulk progress line counts answers, not sends --------------------------------------


def test_the_bulk_progress_line_does_not_call_refusals_sent(server: Server, tmp_path: Any) -> None:
    server.always(400, b'{"error": "sender not allowed"}')
    add_profile("seven", server.url)
    path = tmp_path / "r.csv"
    path.write_text(f"phone\n{TO}\n")
    result = run(["bulk", str(path), "--message", "Hi", "--yes", "--timeout", "5"])
    assert "rejected" in result.stdout, (result.stdout, result.stderr)
    assert "answered 1 of 1" in result.stderr
    assert "sent 1 of" not in result.stderr
