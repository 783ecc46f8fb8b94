"""Receiving over loopback: emulator → callback → receiver → history, hooks, inbox and balance.

The receiver is the real ASGI app under a real uvicorn server on a loopback port; the emulators
push to it over HTTP exactly as the providers would (PROVIDERS.md §2.10, §3.6, §3.7).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sms_cli.providers.info import Capability
from sms_cli.services.receiving import Receiver, ReceiverConfig, Refusal, bind
from sms_cli.storage.messages import History, Received
from sms_cli.testing import receiver_running
from tests.integration.conftest import Emu, run
from tests.integration.test_send_contract import FIRST, document, send
from tests.providers.selection import providers_with, providers_without, supports

SECRET = "test-secret-0123456789"
SIGNING_KEY = "sign-CANARY-5c1d9e7f3a"


@dataclass
class Listener:
    base: str
    history: History
    events: list[Received] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def url(self, provider: str) -> str:
        return f"{self.base}/{SECRET}/{provider}"


def start_listener(
    signing_keys: dict[str, list[str]] | None = None, public_url: str | None = None
) -> Iterator[Listener]:
    history = History()
    sock = bind("127.0.0.1", 0)
    listener = Listener(f"http://127.0.0.1:{sock.getsockname()[1]}", history)
    app = Receiver(
        ReceiverConfig(secret=SECRET, signing_keys=signing_keys or {}, public_url=public_url),
        history,
        on_event=listener.events.append,
        on_refusal=listener.refusals.append,
    )
    try:
        with receiver_running(app, sock):
            yield listener
    finally:
        history.close()
        sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    yield from start_listener()


def point_callbacks_at(emu: Emu, listener: Listener, **options: Any) -> None:
    """Where each provider is told to push: seven.io by a hook through its API (smsctl hooks
    add), Connectel by the URL set on the token (an emulator knob; PROVIDERS.md §3.6)."""
    url = listener.url(emu.name)
    if supports(emu.name, Capability.HOOKS):
        method = options.pop("method", "POST")
        added = run(["hooks", "add", url, "--event", "all", "--method", method])
        assert added.exit_code == 0, added.stderr
    else:
        emu.set(callback_url=url, callback_format=options.pop("format", "json"))
    if options:
        emu.set(**options)


def delivered(emu: Emu, steps: int = 3) -> None:
    emu.control("advance", {"steps": steps})
    emu.control("flush")


def assert_push_round_trip(emu: Emu, listener: Listener) -> None:
    """With the emulator pushing to LISTENER (in whatever style the test chose): a send's
    delivery report reaches the history, and an inbound reply reaches `inbox --json`."""
    sent = document(send("--to", FIRST, "Hello"))
    delivered(emu)
    assert not listener.refusals
    rows = History().find(sent["results"][0]["local_id"])
    assert rows[0].status == "delivered"
    emu.control("inbound", {"from": "+46709999999", "to": "+46700000000", "text": "Svar: ja"})
    emu.control("flush")
    inbox = run(["inbox", "--json"])
    assert inbox.exit_code == 0, inbox.stderr
    (message,) = json.loads(inbox.stdout)["messages"]
    assert (message["from"], message["to"], message["text"], message["provider"]) == (
        "+46709999999",
        "+46700000000",
        "Svar: ja",
        emu.name,
    )


def status_queries(emu: Emu) -> list[dict[str, Any]]:
    return [r for r in emu.requests() if r["method"] == "GET" and "hooks" not in r["path"]]


def test_delivery_reports_reach_the_history_and_status_needs_no_polling(
    emu: Emu, profile: str, listener: Listener
) -> None:
    point_callbacks_at(emu, listener)
    sent = document(send("--to", FIRST, "Hello"))
    message_id = sent["results"][0]["id"]
    delivered(emu)
    assert listener.events, listener.refusals
    assert listener.events[-1].status == "delivered"
    assert listener.events[-1].local_ids == (sent["results"][0]["local_id"],)
    assert listener.events[-1].recipient == FIRST  # from the history when the report omits it
    before = len(status_queries(emu))
    shown = run(["status", "--json", "--wait", message_id])
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["messages"][0]["status"] == "delivered"
    assert len(status_queries(emu)) == before  # the provider was not asked


def test_provider_retries_are_stored_once(emu: Emu, profile: str, listener: Listener) -> None:
    point_callbacks_at(emu, listener, callback_copies=3)
    document(send("--to", FIRST, "Hello"))
    delivered(emu)
    emu.control("inbound", {"from": "+46709999999", "to": "+46700000000", "text": "once"})
    emu.control("flush")
    attempts = emu.control("callbacks")
    assert all(a["status"] == 200 for a in attempts)
    fresh = [r for r in listener.events if not r.duplicate]
    assert len(attempts) == len(listener.events) == 3 * len(fresh)  # each push came 3 times
    keys = [r.event.dedupe_key for r in fresh]
    assert len(keys) == len(set(keys))
    assert len(History().inbox()) == 1


def test_a_final_state_is_never_replaced_by_a_late_report(
    emu: Emu, profile: str, listener: Listener
) -> None:
    point_callbacks_at(emu, listener)
    sent = document(send("--to", FIRST, "Hello"))
    delivered(emu)
    late = {
        "seven": {
            "webhook_event": "dlr",
            "data": {"msg_id": sent["results"][0]["id"], "status": "ACCEPTED"},
        },
        "connectel": {
            "action": "dlr",
            "requestid": sent["results"][0]["id"],
            "statusStr": "ENROUTE",
        },
    }[emu.name]
    answer = httpx.post(listener.url(emu.name), json=late)
    assert answer.status_code == 200
    assert History().find(sent["results"][0]["local_id"])[0].status == "delivered"


# -- seven.io signatures --------------------------------------------------------------------------


@pytest.fixture
def signed_listener() -> Iterator[Listener]:
    yield from start_listener({"seven": [SIGNING_KEY]})


def test_behind_a_proxy_the_signature_covers_the_public_url() -> None:
    """The provider signs the URL it calls; behind a proxy that is --public-url, not ours."""
    import hashlib
    import hmac

    public = "https://hooks.example.com"
    body = b"webhook_event=sms_mo&data%5Bid%5D=5&data%5Bsender%5D=4917612345678&data%5Btext%5D=x"

    def signed_for(url: str) -> dict[str, str]:
        stamp, nonce = str(int(time.time())), "n" * 32
        lines = [stamp, nonce, "POST", url, hashlib.md5(body).hexdigest()]
        digest = hmac.new(SIGNING_KEY.encode(), "\n".join(lines).encode(), hashlib.sha256)
        return {"X-Signature": digest.hexdigest(), "X-Timestamp": stamp, "X-Nonce": nonce,
                "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip

    for listener in start_listener({"seven": [SIGNING_KEY]}, public_url=public):
        local = listener.url("seven")
        forwarded = httpx.post(local, content=body, headers=signed_for(local))
        assert forwarded.status_code == 401  # signed for another address than the public one
        proxied = httpx.post(local, content=body, headers=signed_for(f"{public}/{SECRET}/seven"))
        assert proxied.status_code == 200, proxied.text
        assert [r.event.kind for r in listener.events] == ["inbound"]


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "body", "headers", "status"),
    [
        (f"/{SECRET}x/seven", "POST", b"{}", {}, 404),
        ("/seven", "POST", b"{}", {}, 404),
        (f"/{SECRET}/nobody", "POST", b"{}", {}, 404),
        (f"/{SECRET}/seven", "PUT", b"{}", {}, 405),
        (f"/{SECRET}/seven", "POST", b"{", {"content-type": "application/json"}, 400),
        (f"/{SECRET}/seven", "POST", b"<x/>", {"content-type": "application/xml"}, 415),
        (f"/{SECRET}/seven", "POST", b"webhook_event=voice_call", {}, 422),
        (f"/{SECRET}/connectel", "POST", b'{"action":"dlr"}', {}, 400),
        (f"/{SECRET}/connectel", "POST", b"x" * (65 * 1024), {}, 413),
    ],
)
def test_bad_requests_get_a_4xx(
    listener: Listener, path: str, method: str, body: bytes, headers: dict[str, str], status: int
) -> None:
    answer = httpx.request(method, listener.base + path, content=body, headers=headers)
    assert answer.status_code == status
    assert SECRET not in answer.text
    assert not listener.events


def test_a_chunked_body_over_the_limit_is_refused(listener: Listener) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"a" * 1024

    answer = httpx.post(listener.url("seven"), content=chunks())
    assert answer.status_code == 413


# -- hooks and balance ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["hooks", "add", "ftp://example.com", "--event", "all"],
        ["hooks", "add", "https://example.com", "--event", "voice"],
        ["hooks", "add", "https://example.com", "--method", "PUT"],
    ],
)
@pytest.mark.parametrize("provider", providers_with(Capability.HOOKS), indirect=True)
def test_bad_hook_options_are_refused_before_any_request(
    emu: Emu, profile: str, args: list[str]
) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert not emu.requests()


LACKING = [
    pytest.param(name, args, id=f"{name}-{args[0]}")
    for capability, commands in (
        (Capability.BALANCE, [["balance"]]),
        (Capability.HOOKS, [["hooks", "list"], ["hooks", "add", "https://x.se"]]),
    )
    for name in providers_without(capability)
    for args in commands
]


@pytest.mark.parametrize(("provider", "args"), LACKING, indirect=["provider"])
def test_a_provider_says_what_it_cannot_do(emu: Emu, profile: str, args: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert "not supported by this provider" in result.stderr
    assert "Traceback" not in result.stderr
    assert not emu.requests()


def test_inbox_filters_and_table(listener: Listener) -> None:
    pushes = [
        ("seven", {"webhook_event": "sms_mo", "data": {"id": "1", "sender": "4917612345678",
                   "system": "491771783130", "text": "Erste", "time": "1605878104"}}),
        ("connectel", {"from": "46701234567", "to": "46700000000", "requestid": "r-9",
                       "message": "Andra\nraden"}),
    ]  # fmt: skip
    for provider, payload in pushes:
        assert httpx.post(listener.url(provider), json=payload).status_code == 200

    def texts(*args: str) -> list[str]:
        result = run(["inbox", "--json", *args])
        assert result.exit_code == 0, result.stderr
        return [m["text"] for m in json.loads(result.stdout)["messages"]]

    assert texts() == ["Andra\nraden", "Erste"]  # newest first
    assert texts("--from", "004917612345678") == ["Erste"]
    assert texts("--to", "+46700000000") == ["Andra\nraden"]
    assert texts("--provider", "seven") == ["Erste"]
    assert texts("-n", "1") == ["Andra\nraden"]
    assert texts("--since", "1h") == ["Andra\nraden", "Erste"]
    # An invalid number is a typo to report (exit 2), not a filter that matches nothing.
    assert run(["inbox", "--from", "+1555"]).exit_code == 2
    table = run(["inbox"]).stdout.splitlines()
    assert table[0].split()[:4] == ["Received", "(UTC)", "From", "To"]
    assert "Andra␊raden" in table[1]  # a line break shown, not obeyed
    assert run(["inbox", "--provider", "nobody"]).exit_code == 2


def test_the_listening_socket_lets_asyncio_turn_nagle_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP; with Nagle's
    algorithm on, every keep-alive answer waited about 40 ms (benchmarks/receive.py: 23 a
    second from one client instead of about 800)."""
    import socket

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_a_refusal_quotes_what_was_sent_only_briefly(listener: Listener) -> None:
    answer = httpx.post(listener.url("seven"), json={"webhook_event": "x" * 5000, "data": {}})
    assert answer.status_code == 422
    assert len(answer.text) < 300 and len(listener.refusals[0].reason) <= 200
