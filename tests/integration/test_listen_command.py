"""`smsctl listen` as a user runs it: a real process, its output, Ctrl-C and SIGTERM, and a
hypothesis fuzz of the receiver with malformed requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_cli.services.receiving import Receiver, ReceiverConfig, Refusal
from sms_cli.storage.messages import History
from tests.conftest import record_sent
from tests.integration.conftest import run
from tests.integration.test_receiving import SECRET, Listener, start_listener


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "listen", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def json_line(stream: IO[str] | None) -> dict[str, Any]:
    assert stream is not None
    line = stream.readline()
    assert line, "the process ended"
    document: dict[str, Any] = json.loads(line)
    return document


@pytest.fixture
def listening() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    process = spawn("--port", "0", "--json", "--secret", SECRET)
    try:
        yield process, json_line(process.stdout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_listen_prints_events_as_json_lines_and_stops_cleanly(
    listening: tuple[subprocess.Popen[str], dict[str, Any]], stop: signal.Signals
) -> None:
    process, started = listening
    assert started["event"] == "listening"
    assert started["urls"]["seven"] == f"{started['url']}/{SECRET}/seven"
    inbound = {"webhook_event": "sms_mo", "data": {"id": "9", "sender": "4917612345678",
               "system": "491771783130", "text": "Hallo", "time": "1605878104"}}  # fmt: skip
    for _ in range(2):  # the second is a provider's retry: stored and printed once
        assert httpx.post(started["urls"]["seven"], json=inbound).status_code == 200
    dlr = {"action": "dlr", "requestid": "r-1", "statusStr": "DELIVRD", "recipient": "4670"}
    assert httpx.post(started["urls"]["connectel"], data=dlr).status_code == 200
    first, second = json_line(process.stdout), json_line(process.stdout)
    assert (first["event"], first["from"], first["text"]) == ("inbound", "+4917612345678", "Hallo")
    assert (second["event"], second["id"], second["status"], second["known"]) == (
        "dlr",
        "r-1",
        "delivered",
        False,
    )
    process.send_signal(stop)
    assert process.wait(timeout=20) == 0
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read() == ""
    errors = process.stderr.read()
    assert "stopped; 2 event(s) received, 1 repeated" in errors
    assert "Traceback" not in errors
    assert [row.text for row in History().inbox()] == ["Hallo"]


def test_human_output_is_a_table_and_the_secret_is_generated() -> None:
    process = spawn("--port", "0")
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline() for _ in range(3)]
        url = lines[0].split()[3]
        secret = lines[1].split()[1]
        assert len(secret) >= 16 and "generated" in lines[1]
        answer = httpx.post(
            f"{url}/{secret}/connectel", json={"from": "46701234567", "message": "Hej"}
        )
        assert answer.status_code == 200
        assert process.stdout is not None
        header, row = process.stdout.readline(), process.stdout.readline()
        assert header.split()[:3] == ["Received", "(UTC)", "Event"]
        assert "inbound" in row and "+46701234567" in row and "Hej" in row
        wrong = httpx.post(f"{url}/{'x' * 24}/connectel", json={})
        assert wrong.status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_a_busy_port_and_a_weak_secret_are_usage_errors() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = run(["listen", "--port", port, "--secret", SECRET])
    assert busy.exit_code == 2 and "cannot listen on 127.0.0.1" in busy.stderr
    weak = run(["listen", "--port", "0", "--secret", "short"])
    assert weak.exit_code == 2 and "--secret" in weak.stderr


def test_the_signing_key_is_stored_masked_and_only_for_seven(tmp_path: Path) -> None:
    for name, provider in (("s", "seven"), ("c", "connectel")):
        added = run(
            ["profile", "add", name, "--provider", provider, "--sender", "Acme", "--token-stdin"],
            input="tok-0123456789",
        )
        assert added.exit_code == 0, added.stderr
    key = "sign-key-CANARY-77aa"
    stored = run(["profile", "signing-key", "s", "--stdin"], input=key + "\n")
    assert stored.exit_code == 0, stored.stderr
    shown = run(["profile", "show", "s", "--json"])
    assert json.loads(shown.stdout)["signing_key"] == "si…aa"
    assert key not in shown.stdout + shown.stderr
    assert key in (tmp_path / "config" / "profiles.toml").read_text()
    refused = run(["profile", "signing-key", "c", "--stdin"], input=key)
    assert refused.exit_code == 2 and "does not sign" in refused.stderr
    removed = run(["profile", "signing-key", "s", "--remove"])
    assert removed.exit_code == 0
    assert json.loads(run(["profile", "show", "s", "--json"]).stdout)["signing_key"] is None


# -- fuzz --------------------------------------------------------------------------------------

STATUS_WORDS = ["DELIVERED", "ACCEPTED", "DELIVRD", "ENROUTE", "FAILED", "", "x", "QUEUED"]
scalars = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.sampled_from(["77", "r-1", "dlr", "sms_mo", *STATUS_WORDS]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "webhook_event": st.sampled_from(["dlr", "sms_mo", "voice", ""]) | values,
        "data": st.fixed_dictionaries(
            {},
            optional={
                "msg_id": st.sampled_from(["77", "78"]) | values,
                "status": st.sampled_from(STATUS_WORDS) | values,
                "id": values,
                "sender": values,
                "text": values,
                "time": values,
            },
        )
        | values,
        "action": st.sampled_from(["dlr", "DLR", "send"]) | values,
        "requestid": st.sampled_from(["r-1", "77"]) | values,
        "statusStr": st.sampled_from(STATUS_WORDS) | values,
        "statusInt": values,
        "from": values,
        "message": values,
    },
)
# Mostly well-formed reports for the seeded messages, so fuzzing reaches the history too.
near_valid = st.one_of(
    st.fixed_dictionaries(
        {
            "webhook_event": st.sampled_from(["dlr", "sms_mo"]),
            "data": st.fixed_dictionaries(
                {"msg_id": st.sampled_from(["77", "78"]), "status": st.sampled_from(STATUS_WORDS)},
                optional={"id": values, "sender": values, "text": values, "timestamp": values},
            ),
        }
    ),
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(["dlr", "DLR"]),
            "requestid": st.sampled_from(["r-1", "77"]),
            "statusStr": st.sampled_from(STATUS_WORDS),
        },
        optional={"statusInt": values, "recipient": values},
    ),
)
bodies = st.one_of(
    near_valid.map(lambda p: ("application/json", json.dumps(p).encode())),
    near_valid.map(lambda p: ("application/x-www-form-urlencoded", _form(p))),
    payloads.map(lambda p: ("application/json", json.dumps(p).encode())),
    payloads.map(lambda p: ("application/x-www-form-urlencoded", _form(p))),
    st.tuples(
        st.sampled_from(["application/json", "application/x-www-form-urlencoded", "", "text/a"]),
        st.binary(max_size=300),
    ),
    # A lone surrogate, escaped in JSON ("\\ud800"), can never be stored: a 400, not a retry.
    st.tuples(
        st.just("application/json"),
        st.builds(
            lambda text, poison: json.dumps(
                {
                    "webhook_event": "sms_mo",
                    "data": {"sender": "4917", "text": text + poison},
                    "from": "4670",
                    "message": text + poison,
                }
            ).encode(),
            st.text(max_size=5),
            st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
        ),
    ),
)


def _form(payload: dict[str, Any]) -> bytes:
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = []
    for key, value in payload.items():
        if isinstance(value, dict):
            pairs += [(f"{key}[{k}]", str(v)) for k, v in value.items()]
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs).encode()


# One client for the HTTP runs: each new httpx client loads the CA bundle (30 to 300 ms).
HTTP = httpx.Client(timeout=10)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Listener, History]]:
    with data_dir_for_module(tmp_path_factory.mktemp("fuzz-data")):
        history = seeded_history()
        yield from ((listener, history) for listener in start_listener())


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcess, History]]:
    """The same receiver as `fuzz_target`, its ASGI app called directly: no server, no socket."""
    with data_dir_for_module(tmp_path_factory.mktemp("fuzz-app")):
        history = seeded_history()
        target = InProcess(ReceiverConfig(secret=SECRET), history)
        try:
            yield target, history
        finally:
            target.close()
            history.close()


@contextlib.contextmanager
def data_dir_for_module(path: Path) -> Iterator[None]:
    previous = os.environ.get("SMSCTL_DATA_DIR")
    os.environ["SMSCTL_DATA_DIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SMSCTL_DATA_DIR", None)
        else:
            os.environ["SMSCTL_DATA_DIR"] = previous


def seeded_history() -> History:
    history = History()
    seeded = (("DONE", "seven", "77", "delivered"), ("OPEN", "connectel", "r-1", "queued"))
    for local_id, provider, provider_id, status in seeded:
        record_sent(history, local_id, provider, provider_id, status)
    return history


class InProcess:
    """The receiver's ASGI app, called with the scope uvicorn's h11 server builds from the same
    request bytes (target split at "?", the path percent-decoded, header names lower case).
    What the server itself refuses before the app sees a request is left to the HTTP runs."""

    base = "http://127.0.0.1:9"  # only the URL's shape matters: nothing connects to it

    def __init__(self, config: ReceiverConfig, history: History) -> None:
        self.refusals: list[Refusal] = []
        self.app = Receiver(config, history, on_event=lambda event: None,
                            on_refusal=self.refusals.append)  # fmt: skip

    def url(self, provider: str) -> str:
        return f"{self.base}/{SECRET}/{provider}"

    def close(self) -> None:
        self.app.close()

    def call(self, request: httpx.Request) -> tuple[int, bytes]:
        raw_path, _, query = request.url.raw_path.partition(b"?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 9),
            "client": ("127.0.0.1", 40000),
            "scheme": "http",
            "method": request.method,
            "root_path": "",
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": query,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
        }
        body = request.read()
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, content


RANK = {"unknown": 0, "queued": 1, "enroute": 2}
CALLBACK = {
    "body": bodies,
    "provider": st.sampled_from(["seven", "connectel"]),
    "method": st.sampled_from(["POST", "POST", "GET"]),
    "query": st.text(max_size=40),
}


def fuzzed_callback(url: str, body: tuple[str, bytes], method: str, query: str) -> httpx.Request:
    content_type, content = body
    if method == "GET":  # the payload as a query string, as seven.io's GET hooks send it
        url += "?" + quote(content, safe="=&[]") + (f"&q={quote(query)}" if query else "")
        return httpx.Request("GET", url)
    headers = {"content-type": content_type} if content_type else {}
    return httpx.Request("POST", url, params={"q": query} if query else None, content=content,
                         headers=headers)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(**CALLBACK)
def test_fuzzed_callbacks_never_get_a_5xx_or_corrupt_the_history(
    fuzz_app: tuple[InProcess, History],
    body: tuple[str, bytes],
    provider: str,
    method: str,
    query: str,
) -> None:
    target, history = fuzz_app
    before = {r.local_id: r.status for r in history.query()}
    status, text = target.call(fuzzed_callback(target.url(provider), body, method, query))
    assert status in (200, 400, 401, 404, 413, 415, 422), text
    assert not [r for r in target.refusals if r.status >= 500]
    assert_history_sound(history, before)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(**CALLBACK)
def test_fuzzed_callbacks_over_http_never_get_a_5xx_or_corrupt_the_history(
    fuzz_target: tuple[Listener, History],
    body: tuple[str, bytes],
    provider: str,
    method: str,
    query: str,
) -> None:
    """A few of the same through uvicorn on a real socket."""
    listener, history = fuzz_target
    before = {r.local_id: r.status for r in history.query()}
    answer = HTTP.send(fuzzed_callback(listener.url(provider), body, method, query))
    assert answer.status_code in (200, 400, 401, 404, 413, 415, 422), answer.text
    assert not [r for r in listener.refusals if r.status >= 500]
    assert_history_sound(history, before)


def assert_history_sound(history: History, before: dict[str, str]) -> None:
    after = {r.local_id: r.status for r in history.query()}
    assert after["DONE"] == "delivered"  # final: never replaced
    if before["OPEN"] in RANK and after["OPEN"] in RANK:
        assert RANK[after["OPEN"]] >= RANK[before["OPEN"]]
    assert history.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


header_text = st.text(
    st.characters(codec="latin-1", exclude_categories=["Cc"]).filter(lambda c: c != "\x7f"),
    max_size=70,
)


SIGNATURE = {
    "signature": header_text,
    "timestamp": header_text | st.just(str(int(time.time()))),
    "nonce": header_text,
}


def signed_callback(url: str, signature: str, timestamp: str, nonce: str) -> httpx.Request:
    body = b"webhook_event=sms_mo&data%5Bid%5D=5&data%5Bsender%5D=4917612345678"
    headers = [(b"content-type", b"application/x-www-form-urlencoded")] + [
        (name, value.strip().encode("latin-1"))
        for name, value in (
            (b"x-signature", signature),
            (b"x-timestamp", timestamp),
            (b"x-nonce", nonce),
        )
        if value.strip()
    ]
    return httpx.Request("POST", url, content=body, headers=headers)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(**SIGNATURE)
def test_fuzzed_signature_headers_get_a_401(
    signed_fuzz_app: InProcess, signature: str, timestamp: str, nonce: str
) -> None:
    url = signed_fuzz_app.url("seven")
    status, text = signed_fuzz_app.call(signed_callback(url, signature, timestamp, nonce))
    assert status == 401, text
    assert not [r for r in signed_fuzz_app.refusals if r.status != 401]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(**SIGNATURE)
def test_fuzzed_signature_headers_over_http_get_a_401(
    signed_fuzz_target: Listener, signature: str, timestamp: str, nonce: str
) -> None:
    """A few of the same through uvicorn on a real socket."""
    url = signed_fuzz_target.url("seven")
    answer = HTTP.send(signed_callback(url, signature, timestamp, nonce))
    assert answer.status_code == 401, answer.text
    assert not [r for r in signed_fuzz_target.refusals if r.status != 401]


@pytest.fixture(scope="module")
def signed_fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    with data_dir_for_module(tmp_path_factory.mktemp("fuzz-signed")):
        yield from start_listener({"seven": ["sign-key-0123456789"]})


@pytest.fixture(scope="module")
def signed_fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    with data_dir_for_module(tmp_path_factory.mktemp("fuzz-signed-app")):
        history = History()
        config = ReceiverConfig(secret=SECRET, signing_keys={"seven": ["sign-key-0123456789"]})
        target = InProcess(config, history)
        try:
            yield target
        finally:
            target.close()
            history.close()
