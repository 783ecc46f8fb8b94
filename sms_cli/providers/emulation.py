"""The emulator framework: one loopback HTTP server, each provider's emulator under /<name>/.

An emulator records every request, answers like its provider (PROVIDERS.md, quirks included),
and takes orders on its control API under /<name>/__emu/:

    GET  requests            every request received (method, path, query, headers, body, and
                             for a send what `addressed` reads: "to" [E.164...], "from")
    POST reset               forget everything
    POST faults              {"mode": ..., "times": N, "latency": s, "retry_after": s, ...}
    POST reject              {"numbers": [...]}: recipients the provider refuses
    GET  messages            every message it took, in order: {"id", "to", "from", "text",
                             "accepted"} (what `describe` gives; refused ones not accepted)
    POST script              {"number": ..., "statuses": [...]}: delivery states, in order, or
                             {"number": ..., "outcome": "delivered"}: the states its `outcomes`
                             table gives for a status of smsctl's vocabulary
    POST advance             move every message one delivery state on
    POST set                 knobs: every emulator's `tokens`, `auto_advance`,
                             `callback_retries`, `callback_copies`, and its own, e.g.
                             {"error_style": "quoted"}
    POST inbound             {"from": ..., "to": ..., "text": ...}: someone texts the account
    GET  callbacks           every callback attempt made (url, method, status, attempt, body)
    POST flush               wait until every queued callback has been delivered or given up
    POST idle                {"timeout": s, "hurry": bool}: wait until no request is being
                             answered and no callback is queued or being delivered (200
                             {"ok": true}; 504 {"ok": false} after `timeout`, default 10 s);
                             `hurry` ends `latency` waits under way at once, so a test need
                             not sit out a slow answer its client stopped waiting for
    POST ticker              {"every": s}: advance every message every s seconds (0: stop)

Callbacks: each change of a message's delivery state, and each inbound message, is pushed to
the URLs the provider would push to (hooks registered through its API, or a `callback_url`
knob), from one background thread, in order, retried as the provider documents.

Fault modes: `drop_before` (close the connection without processing), `drop_after` (process,
then close without answering), `error_5xx` (answer 503 without processing), `process_then_5xx`,
`rate_limit` (429 with Retry-After, not processed), `malformed` (process, answer 200 with
garbage). `latency` delays every answer. `times` limits a fault to the next N requests.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

FAULT_MODES = (
    "drop_before",
    "drop_after",
    "error_5xx",
    "process_then_5xx",
    "rate_limit",
    "malformed",
)
MAX_BODY = 5 * 1024 * 1024
SANDBOX_TOKEN = "sandbox-token"  # the token every emulator accepts until told otherwise


@dataclass
class EmuRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        if self.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return {}

    def json(self) -> Any:
        if self.content_type == "application/json":
            try:
                return json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return None
        return None

    def params(self) -> dict[str, Any]:
        """Query, form and JSON object fields together (later ones win)."""
        merged: dict[str, Any] = dict(self.query)
        merged.update(self.form())
        document = self.json()
        if isinstance(document, dict):
            merged.update(document)
        return merged

    def record(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "received_at": self.received_at,
        }


@dataclass
class EmuResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, document: Any, status: int = 200) -> EmuResponse:
        return cls(status, json.dumps(document).encode("utf-8"))

    @classmethod
    def text(cls, text: str, status: int = 200) -> EmuResponse:
        return cls(status, text.encode("utf-8"), "text/plain; charset=utf-8")


class Drop(Exception):
    """Close the connection without an answer."""


@dataclass
class Faults:
    mode: str | None = None
    times: int | None = None
    latency: float = 0.0
    retry_after: float = 1.0
    status: int = 503


@dataclass
class Callback:
    """One push to a receiver, as the provider would make it."""

    url: str
    method: str
    body: bytes
    headers: dict[str, str]
    retries: int = 0  # further attempts after a 429, a 5xx or a connection error
    retry_delay: float = 0.05  # doubled after each attempt: the providers' schedule, compressed
    copies: int = 1  # deliver it this many times, as a provider retrying a lost answer would


class CallbackSender:
    """Delivers callbacks from one background thread, in order, and logs every attempt."""

    def __init__(self) -> None:
        self.pending: queue.Queue[tuple[Callback, int]] = queue.Queue()
        self.log: list[dict[str, Any]] = []
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()

    def push(self, callback: Callback) -> None:
        with self.start_lock:
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="smsctl-sandbox-callbacks", daemon=True
                )
                self.thread.start()
        for _ in range(callback.copies):
            self.pending.put((callback, 1))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or being delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _run(self) -> None:
        while True:
            callback, attempt = self.pending.get()
            try:
                self._attempt(callback, attempt)
            finally:
                self.pending.task_done()

    def _attempt(self, callback: Callback, attempt: int) -> None:
        parts = urlsplit(callback.url)
        status: int | None = None
        error: str | None = None
        try:
            kind = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = kind(parts.hostname or "", parts.port, timeout=5)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request(callback.method, target or "/", callback.body, callback.headers)
            status = connection.getresponse().status
            connection.close()
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        self.log.append(
            {
                "url": callback.url,
                "method": callback.method,
                "headers": callback.headers,
                "body": callback.body.decode("utf-8", "replace"),
                "attempt": attempt,
                "status": status,
                "error": error,
            }
        )
        retry = error is not None or status == 429 or (status is not None and status >= 500)
        if retry and attempt <= callback.retries:
            time.sleep(callback.retry_delay * 2 ** (attempt - 1))
            self.pending.put((callback, attempt + 1))


class Emulator(ABC):
    """One provider's API. Subclasses implement `route` and may add knobs through `configure`."""

    name: str
    default_callback_retries = 0  # how often the provider tries a failed push again
    messages: dict[str, Any]  # the messages it has accepted, by id (set by reset_state)
    # Raw delivery states that end in each status of smsctl's vocabulary (delivered, failed,
    # expired, rejected, unknown, enroute): what `script {"outcome": ...}` plays.
    outcomes: ClassVar[dict[str, list[str]]] = {}
    # What the provider pushes to a callback URL: "delivery" (reports) and/or "inbound" (SMS).
    callback_events: ClassVar[frozenset[str]] = frozenset({"delivery", "inbound"})
    # The `set` settings after which the provider refuses sends for the account (no credit or
    # quota left), as its client's `account_codes` name; {}: it has no such refusal to play.
    account_refusal: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.callbacks = CallbackSender()
        self.ticker: threading.Thread | None = None
        self.tick_every = 0.0
        self.busy = threading.Condition()  # guards in_flight: requests being answered
        self.in_flight = 0
        self.hurry = threading.Event()  # set: latency waits end at once
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: list[EmuRequest] = []
            self.faults = Faults()
            self.rejected: set[str] = set()
            self.scripts: dict[str, list[str]] = {}
            self.callbacks.log.clear()
            self.tokens = {SANDBOX_TOKEN}
            self.auto_advance = True  # each status query moves the message one state on
            self.callback_retries = self.default_callback_retries
            self.callback_copies = 1  # each push delivered this often, as after lost answers
            # Literal answers (seed examples) for the next API requests, in order: `set {"replay"}`.
            self.replays: list[EmuResponse] = []
            self.reset_state()

    @abstractmethod
    def reset_state(self) -> None:
        """Forget messages and provider-specific knobs."""

    @abstractmethod
    def route(self, request: EmuRequest) -> EmuResponse:
        """Answer a provider API request."""

    def advance(self) -> None:
        """Move every message one delivery state on."""
        for message in self.messages.values():
            self.step(message)

    @abstractmethod
    def step(self, message: Any) -> None:
        """Move one message one delivery state on, pushing the new state where it goes."""

    def addressed(self, request: EmuRequest) -> dict[str, Any]:
        """Whom a send request asked to reach, processed or not: {"to": [E.164...], "from"};
        {} for any other request."""
        return {}

    def describe(self, message: Any) -> dict[str, Any]:
        """One message for the `messages` control: "to" (E.164), "from", "text", "accepted"."""
        return {}

    @abstractmethod
    def inbound(self, sender: str, recipient: str, text: str) -> None:
        """Someone sends an SMS to the account: push it where the provider would."""

    def start_ticker(self, every: float) -> None:
        """Let time pass on its own: every message moves one state on every `every` seconds."""
        self.tick_every = every
        if every > 0 and self.ticker is None:
            self.ticker = threading.Thread(
                target=self._tick, name=f"smsctl-sandbox-{self.name}-ticker", daemon=True
            )
            self.ticker.start()

    def _tick(self) -> None:
        while True:
            time.sleep(self.tick_every or 0.5)
            if self.tick_every > 0:
                with self.lock:
                    self.advance()

    def configure(self, settings: dict[str, Any]) -> None:
        """Provider-specific knobs; unknown ones are an error so tests cannot mistype them."""
        raise ValueError(f"unknown setting(s): {', '.join(settings)}")

    # -- the part every emulator shares --------------------------------------------------------

    def set(self, payload: dict[str, Any]) -> None:
        """The `set` control: the settings every emulator shares, then its own (`configure`)."""
        settings = dict(payload)
        if "tokens" in settings:
            self.tokens = set(settings.pop("tokens"))
        if "auto_advance" in settings:
            self.auto_advance = bool(settings.pop("auto_advance"))
        if "callback_retries" in settings:
            self.callback_retries = int(settings.pop("callback_retries"))
        if "callback_copies" in settings:
            self.callback_copies = int(settings.pop("callback_copies"))
        if "replay" in settings:
            answers = settings.pop("replay")
            answers = answers if isinstance(answers, list) else [answers]
            self.replays.extend(literal_answer(answer) for answer in answers)
        if settings:
            self.configure(settings)

    def handle(self, request: EmuRequest) -> EmuResponse:
        if request.path.startswith("/__emu/"):
            return self._control(request)
        with self.busy:
            self.in_flight += 1
        try:
            return self._answer(request)
        finally:
            with self.busy:
                self.in_flight -= 1
                self.busy.notify_all()

    def wait_idle(self, timeout: float, hurry: bool = False) -> bool:
        """Wait until no request is being answered and no callback is pending; False when
        `timeout` seconds passed first. `hurry` cuts latency waits under way short."""
        deadline = time.monotonic() + timeout
        if hurry:
            self.hurry.set()
        try:
            with self.busy:
                if not self.busy.wait_for(lambda: self.in_flight == 0, timeout):
                    return False
        finally:
            self.hurry.clear()
        return self.callbacks.flush(max(0.0, deadline - time.monotonic()))

    def _answer(self, request: EmuRequest) -> EmuResponse:
        with self.lock:
            self.requests.append(request)
            faults = self.faults
            mode = faults.mode
            if mode and faults.times is not None:
                faults.times -= 1
                if faults.times <= 0:
                    self.faults = Faults(latency=faults.latency)
        if faults.latency:
            self.hurry.wait(faults.latency)
        if mode == "drop_before":
            raise Drop
        if mode == "error_5xx":
            return EmuResponse.json({"error": "service unavailable"}, status=faults.status)
        if mode == "rate_limit":
            response = EmuResponse(429, b"")
            response.headers["Retry-After"] = f"{faults.retry_after:g}"
            return response
        with self.lock:
            response = self.replays.pop(0) if self.replays else self.route(request)
        if mode == "drop_after":
            raise Drop
        if mode == "process_then_5xx":
            return EmuResponse.json({"error": "internal error"}, status=faults.status)
        if mode == "malformed":
            return EmuResponse(200, b"<html>upstream proxy error", "text/html")
        return response

    def _control(self, request: EmuRequest) -> EmuResponse:
        action = request.path.removeprefix("/__emu/").strip("/")
        payload = request.json() or {}
        if action == "flush":  # waits without the lock, so the emulator keeps answering
            done = self.callbacks.flush(float(payload.get("timeout", 30.0)))
            return EmuResponse.json({"ok": done}, status=200 if done else 504)
        if action == "idle":  # also without the lock: the requests it waits for need it
            try:
                timeout = min(max(0.0, float(payload.get("timeout", 10.0))), 60.0)
            except (TypeError, ValueError) as exc:
                return EmuResponse.json({"error": str(exc)}, status=400)
            done = self.wait_idle(timeout, hurry=bool(payload.get("hurry", False)))
            return EmuResponse.json({"ok": done}, status=200 if done else 504)
        try:
            with self.lock:
                return self._control_action(action, payload)
        except (KeyError, TypeError, ValueError) as exc:
            return EmuResponse.json({"error": str(exc)}, status=400)

    def _control_action(self, action: str, payload: dict[str, Any]) -> EmuResponse:
        if action == "requests":
            return EmuResponse.json([{**r.record(), **self.addressed(r)} for r in self.requests])
        if action == "messages":
            return EmuResponse.json(
                [{"id": key, **self.describe(m)} for key, m in self.messages.items()]
            )
        if action == "reset":
            self.reset()
        elif action == "faults":
            mode = payload.get("mode")
            if mode is not None and mode not in FAULT_MODES:
                raise ValueError(f"unknown fault mode {mode!r}")
            self.faults = Faults(
                mode=mode,
                times=payload.get("times"),
                latency=float(payload.get("latency", 0.0)),
                retry_after=float(payload.get("retry_after", 1.0)),
                status=int(payload.get("status", 503)),
            )
        elif action == "reject":
            self.rejected = {_digits(n) for n in payload["numbers"]}
        elif action == "script":
            if "outcome" in payload and payload["outcome"] not in self.outcomes:
                raise ValueError(f"no scripted states for {payload['outcome']!r}")
            states = (
                self.outcomes[payload["outcome"]] if "outcome" in payload else payload["statuses"]
            )
            self.scripts[_digits(payload["number"])] = [str(s) for s in states]
        elif action == "advance":
            for _ in range(int(payload.get("steps", 1))):
                self.advance()
        elif action == "set":
            self.set(payload)
        elif action == "inbound":
            self.inbound(str(payload["from"]), str(payload["to"]), str(payload["text"]))
        elif action == "callbacks":
            return EmuResponse.json(self.callbacks.log)
        elif action == "ticker":
            self.start_ticker(float(payload["every"]))
        else:
            return EmuResponse.json({"error": f"unknown control action {action!r}"}, status=404)
        return EmuResponse.json({"ok": True})


def _digits(number: Any) -> str:
    text = str(number).strip().replace(" ", "")
    if text.startswith("00"):
        text = text[2:]
    return text.removeprefix("+")


normalise_number = _digits


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, each keep-alive answer
    # would then wait for the client's delayed ACK (about 40 ms on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        emulator = self.server.emulators.get(prefix)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(EmuResponse.text("request body too large", status=413))
            return
        body = self.rfile.read(length) if length else b""
        if emulator is None:
            names = ", ".join(f"/{n}/" for n in self.server.emulators)
            self._answer(EmuResponse.text(f"no emulator here; try {names}", status=404))
            return
        request = EmuRequest(
            method=self.command,
            path="/" + rest,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = emulator.handle(request)
        except Drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(response)

    def _answer(self, response: EmuResponse) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = _dispatch


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Bulk clients open dozens of connections at once; the default backlog of 5 would make the
    # kernel drop some, and a dropped accepted connection looks like a lost answer.
    request_queue_size = 256

    def __init__(
        self,
        emulators: dict[str, Emulator],
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
    ) -> None:
        self.emulators = emulators
        self.log_requests = log_requests
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a timeout, a dropped connection: what smsctl's
        own fault tests do) is no error of the emulator's: quiet. Anything else is one line on
        stderr, never a traceback into the output of whoever runs the sandbox."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError | ValueError):  # reset, broken pipe, timeout, closed file
            return
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"sandbox: a request failed: {type(error).__name__}: {error}\n")

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def start_in_thread(self) -> threading.Thread:
        # A short poll: stop() returns within 50 ms instead of serve_forever's default 0.5 s.
        thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name="smsctl-sandbox", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def all_emulators(warn: Callable[[str], None] | None = None) -> dict[str, Emulator]:
    """One fresh emulator per registered provider, keyed by provider name. A provider whose
    emulator cannot be loaded is skipped (`warn` gets one line naming it); the others are served."""
    from sms_cli.providers import registry
    from sms_cli.providers.registry import BrokenProvider, load_emulator

    emulators: dict[str, Emulator] = {}
    for name, info in registry.available().items():
        if info.emulator is None:
            continue
        try:
            emulators[name] = load_emulator(info)()
        except BrokenProvider as exc:
            if warn is not None:
                warn(f"{exc.message}; its emulator is not served")
    return emulators


def literal_answer(answer: Any) -> EmuResponse:
    """A replayed answer: a body text (JSON, HTTP 200) or {body, status, content_type}."""
    if isinstance(answer, str):
        return EmuResponse(200, answer.encode("utf-8"), "application/json")
    if isinstance(answer, dict) and isinstance(answer.get("body"), str):
        return EmuResponse(
            int(answer.get("status", 200)),
            answer["body"].encode("utf-8"),
            str(answer.get("content_type", "application/json")),
        )
    raise ValueError("replay: each answer is a body text or {body, status, content_type}")
