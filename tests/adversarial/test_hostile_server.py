"""Hostile HTTP servers on loopback: each request has an overall deadline and an answer size cap,
undecodable answers have an exit code, and a provider echoing the token never shows a piece of it.

The servers are plain sockets in threads, bounded in time; the CLI runs in-process, with
profiles whose base URL points at them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.errors import NetworkError, ProviderUnavailable
from sms_cli.providers import registry
from sms_cli.providers.http import OutcomeUnknown, Transport, retry_policy, set_retry_policy
from sms_cli.providers.info import Capability
from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.providers.selection import supports

TOKEN = "CANARY-c0ffee-7d41b9e28a6f305c"
TO = "+46701234567"
MAX_ANSWER_BYTES = 1 << 20  # the documented cap (README, "When things go wrong")
Behaviour = Callable[["Hostile", socket.socket, bytes], None]


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


def read_request(connection: socket.socket) -> bytes | None:
    """One request (head and body); None when the client went away first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n")
               if line.lower().startswith(b"content-length")]  # fmt: skip
    while len(body) < (int(lengths[0]) if lengths else 0):
        chunk = connection.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


class Hostile:
    """Answers every request with `behaviour`; counts what it wrote and whether the client hung
    up before the answer was complete."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.requests: list[bytes] = []
        self.written = 0
        self.hung_up = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def write(self, connection: socket.socket, data: bytes) -> None:
        if self.stop.is_set():
            raise OSError("server stopping")
        connection.sendall(data)
        self.written += len(data)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                request = read_request(connection)
                if request is None:
                    return
                self.requests.append(request)
                self.behaviour(self, connection, request)
            except OSError:
                self.hung_up.set()

    def close(self) -> None:
        self.stop.set()
        self.server.close()
        self.thread.join(timeout=2)


@pytest.fixture
def hostile() -> Iterator[Callable[[Behaviour], Hostile]]:
    servers: list[Hostile] = []

    def start(behaviour: Behaviour) -> Hostile:
        server = Hostile(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(params=sorted(registry.builtin()))
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def add_profile(provider: str, url: str, token: str = TOKEN) -> None:
    result = run(
        ["profile", "add", provider, "--provider", provider, "--base-url", url,
         "--sender", "Acme", "--token-stdin"],
        input=token,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def no_trace_of_the_token(result: Result) -> None:
    text = result.stdout + result.stderr
    pieces = {TOKEN[i : i + 6] for i in range(len(TOKEN) - 5)}
    assert [p for p in pieces if p in text] == []


def assert_clean(result: Result, code: int) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "bug in smsctl" not in result.stderr


# -- behaviours ---------------------------------------------------------------------------------


def trickle(server: Hostile, connection: socket.socket, request: bytes) -> None:
    """An answer one byte every 0.2 s, from its status line on (at most 30 s)."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 150\r\n\r\n"
    for byte in answer + b" " * 150:
        server.write(connection, bytes([byte]))
        time.sleep(0.2)


def trickle_body(server: Hostile, connection: socket.socket, request: bytes) -> None:
    """Headers at once, then the body one byte every 0.2 s."""
    server.write(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 150\r\n\r\n")
    for _ in range(150):
        server.write(connection, b" ")
        time.sleep(0.2)


def huge(chunked: bool) -> Behaviour:
    size = 50 * 1024 * 1024

    def behaviour(server: Hostile, connection: socket.socket, request: bytes) -> None:
        framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % size
        server.write(connection, b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n")
        block = b"[" * 65536
        for _ in range(size // len(block)):
            server.write(connection, b"10000\r\n" + block + b"\r\n" if chunked else block)
        if chunked:
            server.write(connection, b"0\r\n\r\n")

    return behaviour


def fake_gzip(server: Hostile, connection: socket.socket, request: bytes) -> None:
    body = b'{"success": "100", "this is": "not gzip"}'
    server.write(
        connection,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
    )


def answer(status: int, body: bytes, kind: bytes = b"text/plain") -> Behaviour:
    def behaviour(server: Hostile, connection: socket.socket, request: bytes) -> None:
        server.write(
            connection,
            b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close"
            b"\r\n\r\n" % (status, kind, len(body)) + body,
        )

    return behaviour


# -- an overall deadline -----------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", [trickle, trickle_body], ids=["headers", "body"])
def test_a_trickling_answer_ends_a_send_at_its_timeout_as_unknown(
    hostile: Callable[[Behaviour], Hostile], provider: str, behaviour: Behaviour
) -> None:
    server = hostile(behaviour)
    add_profile(provider, server.url)
    started = time.monotonic()
    result = run(["send", "--json", "--timeout", "1", "--to", TO, "Hi"])
    elapsed = time.monotonic() - started
    assert_clean(result, 8)
    assert elapsed < 2.0
    (message,) = json.loads(result.stdout)["results"]
    assert message["status"] == "unknown"
    assert "within the timeout (1 s)" in message["error"]
    assert len(server.requests) == 1  # never resent


def test_a_trickling_answer_ends_balance_at_its_timeout(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    server = hostile(trickle)
    add_profile("seven", server.url)  # Connectel has no balance API
    started = time.monotonic()
    result = run(["balance", "--timeout", "1"])
    assert_clean(result, 6)
    assert time.monotonic() - started < 2.0
    assert "no complete answer" in result.stderr
    assert len(server.requests) == 1


def test_a_trickling_answer_ends_status_at_its_timeout(
    hostile: Callable[[Behaviour], Hostile], provider: str
) -> None:
    server = hostile(trickle_body)
    add_profile(provider, server.url)
    history = History()
    try:
        record_sent(history, "L1", provider, "77", "queued")
    finally:
        history.close()
    # `status` gives each request at least the policy's min_query_timeout (5 s in production,
    # tests/unit/test_retry_policy.py); here 0.5 s, more than --timeout 0.1.
    previous = set_retry_policy(replace(retry_policy(), min_query_timeout=0.5))
    try:
        started = time.monotonic()
        result = run(["status", "--last", "--timeout", "0.1"])
        elapsed = time.monotonic() - started
    finally:
        set_retry_policy(previous)
    assert_clean(result, 6)
    # The floor is given, and the trickle (30 s of it) does not stretch it, nor does a retry
    # double it.
    assert 0.5 <= elapsed < 1.5
    assert len(server.requests) == 1


# -- a size cap ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_answer_is_not_read_to_its_end(
    hostile: Callable[[Behaviour], Hostile], provider: str, chunked: bool
) -> None:
    server = hostile(huge(chunked))
    add_profile(provider, server.url)
    result = run(["send", "--json", "--timeout", "5", "--to", TO, "Hi"])
    assert_clean(result, 8)
    assert "larger than 1 MiB" in json.loads(result.stdout)["results"][0]["error"]
    assert server.hung_up.wait(5)  # the client closed the connection mid-answer
    assert server.written < 16 * 1024 * 1024  # of 50 MiB: the kernel's buffers at most


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_answer_to_a_query_is_unavailable(
    hostile: Callable[[Behaviour], Hostile], chunked: bool
) -> None:
    server = hostile(huge(chunked))
    add_profile("seven", server.url)
    result = run(["balance", "--timeout", "5"])
    assert_clean(result, 6)
    assert "larger than 1 MiB" in result.stderr
    assert len(server.requests) == 1


# -- undecodable answers ------------------------------------------------------------------------


def test_an_answer_that_is_not_the_gzip_it_claims_is_unknown_after_a_send(
    hostile: Callable[[Behaviour], Hostile], provider: str
) -> None:
    server = hostile(fake_gzip)
    add_profile(provider, server.url)
    result = run(["send", "--json", "--to", TO, "Hi"])
    assert_clean(result, 8)
    assert json.loads(result.stdout)["results"][0]["status"] == "unknown"
    assert len(server.requests) == 1


def test_an_answer_that_is_not_the_gzip_it_claims_is_unavailable_for_a_query(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    server = hostile(fake_gzip)
    add_profile("seven", server.url)
    result = run(["balance"])
    assert_clean(result, 6)
    assert "could not be decoded" in result.stderr


# -- both wires, at the transport ---------------------------------------------------------------


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "httpx"])
def test_both_wires_bound_a_request_by_its_deadline_and_its_size(
    hostile: Callable[[Behaviour], Hostile], lean: bool
) -> None:
    slow = hostile(trickle)
    big = hostile(huge(chunked=True))
    bad = hostile(fake_gzip)
    for query in (False, True):
        transport = Transport(slow.url, title="Slow", timeout=0.6, lean=lean, sleep=lambda s: None)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable if query else OutcomeUnknown):
            (transport.query if query else transport.send)("POST", "x", json={"n": 1})
        assert time.monotonic() - started < 1.2
        transport.close()
    transport = Transport(big.url, title="Big", timeout=5, lean=lean)
    with pytest.raises(OutcomeUnknown, match="larger than"):
        transport.send("POST", "x", json={"n": 1})
    transport.close()
    assert big.hung_up.wait(5)
    assert big.written < 16 * 1024 * 1024
    transport = Transport(bad.url, title="Bad", timeout=5, lean=lean)
    try:
        reply = transport.send("POST", "x", json={"n": 1})
    except OutcomeUnknown as exc:  # httpx decodes the claimed gzip and fails
        assert not lean and "could not be decoded" in exc.reason
    else:  # the lean wire asks for no encoding and decodes none: the caller cannot read it
        assert lean and reply.content.startswith(b'{"success"')
    finally:
        transport.close()


def test_an_answer_just_under_the_cap_is_read_whole(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    body = json.dumps({"pad": "x" * (MAX_ANSWER_BYTES - 100)}).encode()
    assert len(body) <= MAX_ANSWER_BYTES
    server = hostile(answer(200, body, b"application/json"))
    for lean in (True, False):
        transport = Transport(server.url, title="Fine", timeout=5, lean=lean)
        try:
            assert transport.send("POST", "x", json={}).content == body
        finally:
            transport.close()


# -- the token echoed back ----------------------------------------------------------------------

# Connectel and seven.io shorten a provider's text to 200 characters: cut points across the token.
CUTS = [200 - len(TOKEN) + n for n in (1, 6, len(TOKEN) // 2, len(TOKEN) - 6, len(TOKEN) - 1)]


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("form", ["plain", "json", "form", "json-field"])
def test_an_echoed_token_never_shows_even_in_part(
    hostile: Callable[[Behaviour], Hostile], provider: str, cut: int, form: str
) -> None:
    from urllib.parse import quote_plus

    if form == "plain":
        body, kind = ("x" * cut + TOKEN + " rest of the page").encode(), b"text/plain"
    elif form == "form":
        body, kind = ("x" * cut + "to=1&api_key=" + quote_plus(TOKEN)).encode(), b"text/plain"
    elif form == "json":
        desc = "x" * cut + TOKEN + " was refused"
        body, kind = json.dumps({"statusStr": "ERROR", "statusDesc": desc}).encode(), b"json"
    else:  # the request echoed as JSON, cut by the provider itself inside the token
        echo = "x" * cut + '{"authorization":"' + TOKEN[:9]
        body, kind = json.dumps({"statusStr": "ERROR", "statusDesc": echo}).encode(), b"json"
    server = hostile(answer(400, body, b"application/" + kind if kind == b"json" else kind))
    add_profile(provider, server.url)
    result = run(["send", "--json", "--to", TO, "Hi"])
    assert result.exit_code in (7, 8), result.stderr
    no_trace_of_the_token(result)
    assert len(server.requests) == 1


def test_seven_error_texts_echoing_the_token_never_show_it(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    document: dict[str, Any] = {
        "success": "100",
        "messages": [{"recipient": TO[1:], "success": False, "error": "202",
                      "error_text": "y" * (200 - 9) + TOKEN}],
    }  # fmt: skip
    server = hostile(answer(200, json.dumps(document).encode(), b"application/json"))
    add_profile("seven", server.url)
    result = run(["send", "--json", "--to", TO, "Hi"])
    assert_clean(result, 7)
    no_trace_of_the_token(result)


# -- tokens no header can carry -----------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["CANARY-\r\nX-Evil: 1", "CANARY-line\nbreak-7d41", "CANARY-tøken-7d41b9"]
)
@pytest.mark.parametrize("command", ["send", "balance", "status"])
def test_a_token_no_header_can_carry_is_a_config_error_and_nothing_is_sent(
    hostile: Callable[[Behaviour], Hostile],
    provider: str,
    token: str,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = hostile(answer(200, b"{}", b"application/json"))
    add_profile(provider, server.url)
    monkeypatch.setenv("SMSCTL_TOKEN", token)
    if command == "status":
        history = History()
        try:
            record_sent(history, "L1", provider, "77", "queued")
        finally:
            history.close()
    args = {"send": ["send", "--to", TO, "Hi"], "balance": ["balance"],
            "status": ["status", "--last"]}[command]  # fmt: skip
    result = run(args)
    if command == "balance" and not supports(provider, Capability.BALANCE):
        assert result.exit_code in (2, 4)  # no balance API: refused either way
    else:
        assert_clean(result, 4)
        # The profile layer refuses it first (the same rule as `profile add`); the provider's
        # own check below is the last line for clients built elsewhere.
        assert "the token contains" in result.stderr
    assert "CANARY" not in result.stdout + result.stderr
    assert server.requests == []
    history = History()
    try:
        rows = history.query()
    finally:
        history.close()
    if command == "send":
        assert rows == []  # nothing recorded as in flight or unknown


# -- numbers JSON cannot carry ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"amount": NaN, "currency": "EUR"}', b'{"amount": "nan", "currency": "EUR"}',
     b'{"amount": Infinity, "currency": "EUR"}', b'{"amount": "lots", "currency": "EUR"}'],
    ids=["NaN", "nan-string", "Infinity", "word"],
)  # fmt: skip
def test_a_balance_that_is_no_finite_number_is_unavailable(
    hostile: Callable[[Behaviour], Hostile], body: bytes
) -> None:
    server = hostile(answer(200, body, b"application/json"))
    add_profile("seven", server.url)
    result = run(["balance", "--json"])
    assert_clean(result, 6)
    assert result.stdout == ""


def test_a_nan_price_in_a_send_answer_never_makes_invalid_json(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    # seven.io's JSON send answer (PROVIDERS.md §2.3) with its price as the string "nan".
    body = (
        b'{"success":"100","total_price":"nan","balance":1,"debug":"false","sms_type":"direct",'
        b'"messages":[{"id":"77","sender":"Acme","recipient":"46701234567","text":"Hi",'
        b'"encoding":"gsm","error":null,"error_text":null,"success":true,"parts":1,'
        b'"price":"nan","messages":null}]}'
    )
    server = hostile(answer(200, body, b"application/json"))
    add_profile("seven", server.url)
    result = run(["send", "--json", "--to", TO, "Hi"])
    assert_clean(result, 0)
    document = json.loads(result.stdout, parse_constant=strict_json_refuses)
    (message,) = document["results"]
    assert message["price"] is None


def strict_json_refuses(name: str) -> None:
    raise AssertionError(f"{name} in JSON output")


@pytest.mark.parametrize("token", ["CANARY-\r\nX-Evil: 1", "CANARY-\n", "CANARY-ä"])
def test_a_provider_client_refuses_a_token_no_header_can_carry(provider: str, token: str) -> None:
    """The last line for clients built outside the profile store (plugins, scripts)."""
    from sms_cli.errors import ConfigError
    from sms_cli.providers import registry
    from sms_cli.providers.registry import load

    client_class = load(registry.get(provider).client)
    with pytest.raises(ConfigError, match="cannot be sent in an HTTP header") as refused:
        client_class({"token": token}, "http://127.0.0.1:9")
    assert "CANARY" not in refused.value.message + (refused.value.hint or "")


# -- --timeout bounds the whole call; Retry-After is read ---------------------------------------


class FakeTime:
    """A monotonic clock that only the recorded sleeps move."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def rate_limited(retry_after: bytes | None, then: Behaviour | None = None) -> Behaviour:
    """429 (with `retry_after` as its Retry-After) to the first request; `then` after it."""

    def behaviour(server: Hostile, connection: socket.socket, request: bytes) -> None:
        if then is not None and len(server.requests) > 1:
            then(server, connection, request)
            return
        extra = b"Retry-After: %s\r\n" % retry_after if retry_after is not None else b""
        server.write(
            connection,
            b"HTTP/1.1 429 Too Many\r\n"
            + extra
            + b"Content-Length: 0\r\nConnection: close\r\n\r\n",
        )

    return behaviour


def dropped(server: Hostile, connection: socket.socket, request: bytes) -> None:
    """The connection closed without an answer (after the request arrived)."""


@pytest.mark.parametrize("lean", [False, True], ids=["httpx", "lean"])
def test_retry_after_is_what_a_429_waits(
    hostile: Callable[[Behaviour], Hostile], lean: bool
) -> None:
    server = hostile(rate_limited(b"3", answer(200, b"{}", b"application/json")))
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, lean=lean, sleep=fake.sleep,
                          clock=fake.clock)  # fmt: skip
    try:
        assert transport.query("GET", "x").status_code == 200
        assert transport.send("POST", "x").status_code == 200
    finally:
        transport.close()
    assert fake.waits == [3.0]  # the header's 3 s, not the 0.25 s backoff


@pytest.mark.parametrize("value", [b"30", b"9" * 40, b"Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_past_the_deadline_ends_at_once(
    hostile: Callable[[Behaviour], Hostile], value: bytes
) -> None:
    server = hostile(rate_limited(value))
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, sleep=fake.sleep, clock=fake.clock)
    try:
        # Past a day: the server's own date, or "more than a day" (never a made-up 86400 s).
        said = r"rate limited .*; retry (after \d+ s|not before then|after more than a day);"
        with pytest.raises(ProviderUnavailable, match=said):
            transport.send("POST", "x")
    finally:
        transport.close()
    assert fake.waits == []  # no sleep past --timeout
    assert len(server.requests) == 1


@pytest.mark.parametrize("value", [b"-5", b"soon", b"1e3", b""])
def test_a_retry_after_that_is_no_wait_falls_back_to_the_backoff(
    hostile: Callable[[Behaviour], Hostile], value: bytes
) -> None:
    server = hostile(rate_limited(value, answer(200, b"{}")))
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=10, sleep=fake.sleep, clock=fake.clock)
    try:
        assert transport.query("GET", "x").status_code == 200
    finally:
        transport.close()
    assert fake.waits == [0.25]


@pytest.mark.parametrize(
    ("behaviour", "call"),
    [(rate_limited(None), "send"), (rate_limited(None), "query"), (dropped, "query")],
    ids=["429-send", "429-query", "drop-query"],
)
def test_retries_and_their_waits_stay_within_one_timeout(
    hostile: Callable[[Behaviour], Hostile], behaviour: Behaviour, call: str
) -> None:
    server = hostile(behaviour)
    fake = FakeTime()
    transport = Transport(server.url, title="T", timeout=2, backoff=0.8, sleep=fake.sleep,
                          clock=fake.clock)  # fmt: skip
    try:
        with pytest.raises((ProviderUnavailable, NetworkError)):
            getattr(transport, call)("POST", "x")
    finally:
        transport.close()
    assert fake.waits == [0.8]  # 0.8 + 1.6 would end past the 2 s
    assert len(server.requests) == 2


def test_connect_retries_stay_within_one_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        url = f"http://127.0.0.1:{placeholder.getsockname()[1]}"
    fake = FakeTime()  # the port is closed now: every connect is refused
    transport = Transport(url, title="T", timeout=1, sleep=fake.sleep, clock=fake.clock)
    try:
        with pytest.raises(NetworkError, match="nothing was sent"):
            transport.send("POST", "x")
    finally:
        transport.close()
    assert fake.waits == [0.25, 0.5]  # the third wait (1 s) would end past the 1 s


def slow_429(server: Hostile, connection: socket.socket, request: bytes) -> None:
    server.stop.wait(0.4)
    rate_limited(None)(server, connection, request)


def test_balance_timeout_bounds_the_command_with_its_retries(
    hostile: Callable[[Behaviour], Hostile],
) -> None:
    server = hostile(slow_429)
    add_profile("seven", server.url)
    started = time.monotonic()
    result = run(["balance", "--timeout", "1"])
    assert_clean(result, 6)
    assert time.monotonic() - started < 1.5  # retries with a fresh 1 s each took 2.5 s
    assert "rate limited" in result.stderr or "within the timeout (1 s)" in result.stderr


UNENCODABLE_HOSTS = [
    "http://a..b",
    "http://xn--",
    "http://xn--a.example",
    "http://.:80",
    f"http://{'a' * 300}.example",
    "http://999.999.999.999",
    "http://[v1.x]:1",
]


@pytest.mark.parametrize("url", UNENCODABLE_HOSTS)
@pytest.mark.parametrize("lean", [False, True], ids=["httpx", "lean"])
@pytest.mark.parametrize("call", ["send", "query"])
def test_a_host_the_client_cannot_encode_is_not_sent(url: str, lean: bool, call: str) -> None:
    """Past validation (a profile file from an older smsctl, say), such a host is still a
    request that was never made: exit 6, `not_sent`, never a crash or `unknown`."""
    fake = FakeTime()
    with pytest.raises(NetworkError, match=r"nothing was sent|try again later") as raised:
        transport = Transport(url, title="T", timeout=1, lean=lean, sleep=fake.sleep,
                              clock=fake.clock)  # fmt: skip
        try:
            getattr(transport, call)("POST", "x")
        finally:
            transport.close()
    assert raised.value.exit_code == 6
