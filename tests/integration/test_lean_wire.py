"""The lean HTTP path bulk workers use answers exactly as the default one does, fault by fault.

Both wires run against the emulators over loopback; the lean one has its own socket stream
(gathered writes, kernel timeouts), so every way a request can fail is checked on it here.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sms_cli.errors import NetworkError
from sms_cli.providers import registry
from sms_cli.providers.base import Provider, Recipient, SendRequest
from sms_cli.providers.http import OutcomeUnknown, Transport
from sms_cli.providers.registry import load
from tests.integration.conftest import CANARY, Emu


def client(emu: Emu, lean: bool, timeout: float = 5.0) -> Provider:
    provider_class = load(registry.get(emu.name).client)
    built: Provider = provider_class(
        {"token": CANARY}, emu.base_url, timeout=timeout, lean_http=lean
    )
    return built


def send_one(provider: Provider, number: str = "+46701234567") -> str:
    request = SendRequest("Hello", (Recipient(number, "local-1"),), "Acme")
    (result,) = provider.send(request)
    return result.status


@pytest.fixture(params=[True, False], ids=["lean", "httpx"])
def lean(request: pytest.FixtureRequest) -> bool:
    value: bool = request.param
    return value


@pytest.mark.parametrize(
    "mode", ["drop_before", "drop_after", "error_5xx", "process_then_5xx", "malformed"]
)
def test_an_ambiguous_answer_is_unknown_after_exactly_one_request(
    emu: Emu, lean: bool, mode: str
) -> None:
    provider = client(emu, lean)
    try:
        assert send_one(provider, "+46701234567") in ("queued", "enroute")  # kept alive
        emu.faults(mode=mode, times=1)
        assert send_one(provider, "+46701234568") == "unknown"
        assert len(emu.sends()) == 2
        assert send_one(provider, "+46701234569") in ("queued", "enroute")  # recovered
    finally:
        provider.close()


def test_an_answer_slower_than_the_timeout_is_unknown(emu: Emu, lean: bool) -> None:
    provider = client(emu, lean, timeout=0.3)
    try:
        emu.faults(latency=1.5)
        started = time.monotonic()
        # Its own number: the emulator still processes this send after the test has moved on.
        assert send_one(provider, "+46701234571") == "unknown"
        assert time.monotonic() - started < 1.2
        assert len(emu.sends()) == 1
    finally:
        emu.faults()
        provider.close()


def test_a_rate_limit_is_waited_out_and_retried(emu: Emu, lean: bool) -> None:
    provider = client(emu, lean)
    try:
        emu.faults(mode="rate_limit", times=1, retry_after=0)
        assert send_one(provider, "+46701234570") in ("queued", "enroute")
        assert len(emu.sends()) == 2
    finally:
        provider.close()


def test_connection_refused_means_nothing_was_sent(lean: bool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = Transport(f"http://127.0.0.1:{port}", title="Nowhere", timeout=2, lean=lean,
                          backoff=0.01)  # fmt: skip
    try:
        with pytest.raises(NetworkError, match="nothing was sent"):
            transport.send("POST", "sms", data={"to": "1"})
    finally:
        transport.close()


def read_request(connection: socket.socket) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 request (head, body) from a connection; None when the client went away."""
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
        body += connection.recv(65536)
    return head, body


@pytest.fixture
def closes_after_each_answer() -> Iterator[tuple[str, list[bytes]]]:
    """A server that answers one request per connection, then closes it while idle: what a
    keep-alive timeout on the provider's side looks like to the next request."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                request = read_request(connection)
                if request is None:
                    continue
                received.append(request[0] + b"\r\n\r\n" + request[1])
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 2\r\nConnection: keep-alive\r\n\r\n{}"
                )
                time.sleep(0.05)  # idle, then closed (leaving the with block)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    server.close()


def test_a_connection_closed_while_idle_is_replaced_not_reported(
    closes_after_each_answer: tuple[str, list[bytes]], lean: bool
) -> None:
    url, received = closes_after_each_answer
    transport = Transport(url, title="Closer", timeout=2, lean=lean)
    try:
        for n in range(3):
            reply = transport.send("POST", "send", json={"n": n})
            assert reply.status_code == 200
            time.sleep(0.2)  # long enough for the server to close the idle connection
        assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in received] == [
            b'{"n":0}',
            b'{"n":1}',
            b'{"n":2}',
        ]
    finally:
        transport.close()


TLS = Path(__file__).parent / "tls"  # a self-signed certificate for 127.0.0.1, valid to 2126


@pytest.fixture
def tls_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[bytes]]]:
    """An HTTPS server on loopback that keeps connections alive; `slow` in a body delays the
    answer by a second. Trusted the way a user trusts a private CA: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "cert.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "cert.pem", TLS / "key.pem")
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def handle(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as connection:
                while (request := read_request(connection)) is not None:
                    body = request[1]
                    received.append(body)
                    if b"slow" in body:
                        time.sleep(1.0)
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            return

    def serve() -> None:
        while True:
            try:
                raw, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://127.0.0.1:{server.getsockname()[1]}", received
    server.close()


def test_https_requests_and_timeouts(tls_server: tuple[str, list[bytes]], lean: bool) -> None:
    url, received = tls_server
    transport = Transport(url, title="TLS", timeout=0.4, lean=lean)
    try:
        for n in range(3):
            reply = transport.send("POST", "send", json={"n": n})
            assert (reply.status_code, reply.content) == (200, b"ok")
        started = time.monotonic()
        with pytest.raises(OutcomeUnknown):
            transport.send("POST", "send", json={"n": "slow"})
        assert time.monotonic() - started < 0.9
        assert received == [b'{"n":0}', b'{"n":1}', b'{"n":2}', b'{"n":"slow"}']
    finally:
        transport.close()


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(
    tls_server: tuple[str, list[bytes]], lean: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    url, received = tls_server
    transport = Transport(url, title="TLS", timeout=2, lean=lean, backoff=0.01)
    try:
        with pytest.raises(NetworkError, match="nothing was sent"):
            transport.send("POST", "send", json={"n": 0})
        assert received == []
    finally:
        transport.close()
