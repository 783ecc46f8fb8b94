"""The HTTP receiver behind `smsctl listen`: a small ASGI app, served by uvicorn.

Each provider posts to `/<secret>/<provider>`. A request is read with a size limit, decoded,
checked (the secret path; signatures when a signing key is set), parsed by the provider's
own module, and stored through one writer thread, so SQLite never blocks the event loop. Every
refusal is a 4xx that names the reason; a 5xx only when storing failed, so the provider retries.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from sms_cli.core.callbacks import BadCallback, CallbackRequest, decode_fields
from sms_cli.providers import registry
from sms_cli.providers.base import CallbackReader
from sms_cli.providers.registry import BrokenProvider
from sms_cli.storage.messages import History, Received

MAX_BODY: Final = 64 * 1024
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Refusal:
    """A request the receiver turned away, for the log on stderr."""

    provider: str | None
    status: int
    reason: str


@dataclass
class ReceiverConfig:
    secret: str
    signing_keys: Mapping[str, Sequence[str]] = field(default_factory=dict)
    public_url: str | None = None  # the base URL providers call, when a proxy stands between
    max_body: int = MAX_BODY
    clock: Callable[[], float] = time.time
    # Anyone who can reach the port can open connections: each gets `request_timeout` seconds
    # from its first byte (or from connecting) to send a whole request, `idle_timeout` between
    # requests, and past `max_connections` the oldest idle one is closed for a newcomer.
    request_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_connections: int = 1000
    # A caller that sends requests but never reads the answers: an answer not taken within
    # `request_timeout` closes the connection, as do more than `max_pipelined` bytes of
    # requests queued behind one not yet answered.
    max_pipelined: int = 128 * 1024


class Receiver:
    """The ASGI application. `on_event` sees each stored event, `on_refusal` each refusal."""

    def __init__(
        self,
        config: ReceiverConfig,
        history: History,
        on_event: Callable[[Received], None],
        on_refusal: Callable[[Refusal], None] = lambda refusal: None,
    ) -> None:
        self.config = config
        self.history = history
        self.on_event = on_event
        self.on_refusal = on_refusal
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smsctl-listen-db")
        self.providers: dict[str, type[CallbackReader]] = {}

    def close(self) -> None:
        self.writer.shutdown(wait=True)

    def provider_class(self, name: str) -> type[CallbackReader] | None:
        info = registry.available().get(name)
        if info is None or not info.supports(registry.Capability.CALLBACKS):
            return None
        if name not in self.providers:
            client = registry.load_client(info)
            if not issubclass(client, CallbackReader):
                raise BrokenProvider(
                    f"provider {name!r} declares callbacks, but its client {info.client} is not "
                    "a CallbackReader"
                )
            self.providers[name] = client
        return self.providers[name]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status, body = await self._handle(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        provider_name: str | None = None
        try:
            secret, _, provider_name = str(scope["path"]).strip("/").partition("/")
            if not hmac.compare_digest(secret.encode(), self.config.secret.encode()):
                provider_name = None
                raise BadCallback("not found", status=404)
            provider = self.provider_class(provider_name)
            if provider is None:
                raise BadCallback(f"no provider {provider_name!r}", status=404)
            method = str(scope["method"]).upper()
            if method not in ("GET", "POST"):
                raise BadCallback(f"method {method} not allowed", status=405)
            headers = _headers(scope)
            body = await self._read_body(headers, receive)
            request = CallbackRequest(method, self._url(scope, headers), headers, body)
            problem = provider.callback_problem(
                request, self.config.signing_keys.get(provider_name, ()), self.config.clock()
            )
            if problem is not None:
                raise BadCallback(problem, status=401)
            query = scope.get("query_string", b"").decode("latin-1")
            fields = decode_fields(method, headers.get("content-type", ""), query, body)
            event = provider.parse_callback(fields)
        except BadCallback as exc:
            # The reason may quote what the caller sent: keep it to a line of readable size.
            reason = exc.reason if len(exc.reason) <= 200 else exc.reason[:199] + "…"
            self.on_refusal(Refusal(provider_name, exc.status, reason))
            return exc.status, f"{reason}\n".encode()
        except BrokenProvider as exc:  # a plugin whose client cannot be loaded: name it
            self.on_refusal(Refusal(provider_name, 500, exc.message))
            return 500, b"internal error\n"
        except Exception as exc:  # a bug of ours: one line on stderr, never the request's secret
            self.on_refusal(Refusal(provider_name, 500, f"internal error ({type(exc).__name__})"))
            return 500, b"internal error\n"
        loop = asyncio.get_running_loop()
        try:
            received = await loop.run_in_executor(self.writer, self.history.receive, event)
        except Exception as exc:  # the store failed: say so, and let the provider try again
            self.on_refusal(Refusal(provider_name, 503, f"cannot store the event: {exc}"))
            return 503, b"cannot store the event; try again\n"
        self.on_event(received)
        return 200, b"OK\n"

    async def _read_body(self, headers: Mapping[str, str], receive: Receive) -> bytes:
        limit = self.config.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BadCallback(f"the body is larger than {limit} bytes", status=413)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadCallback("the client went away", status=400)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BadCallback(f"the body is larger than {limit} bytes", status=413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _url(self, scope: Scope, headers: Mapping[str, str]) -> str:
        """The URL as the provider called it: what a callback signature covers."""
        path = str(scope.get("raw_path", b"").decode("latin-1") or scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        suffix = path + (f"?{query}" if query else "")
        if self.config.public_url:
            base = self.config.public_url.rstrip("/")
            # public_url names the receiver's root; the secret path follows it.
            return base + suffix
        host = headers.get("host") or "{}:{}".format(*scope.get("server") or ("localhost", 80))
        return f"{scope.get('scheme', 'http')}://{host}{suffix}"


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, made here so a busy port is our error and port 0 is known early."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle's algorithm off only on sockets that
    # say so, and with it on, each keep-alive answer (written in two parts) waits for the
    # client's delayed ACK, about 40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(app: Receiver) -> Any:
    """A uvicorn server for the app: `.run(sockets=[sock])` serves until `should_exit`, or until
    SIGINT or SIGTERM when run in the main thread."""
    import uvicorn

    config = uvicorn.Config(
        app,
        http=_guarded_protocol(app.config),
        log_config=None,
        log_level="warning",
        access_log=False,  # the access log would print the secret path
        lifespan="off",
        server_header=False,
        # No limit_concurrency: uvicorn counts idle connections against it, so 200 sockets that
        # never send a byte would get every real callback a 503. The deadlines below bound them.
        h11_max_incomplete_event_size=16 * 1024,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def _guarded_protocol(limits: ReceiverConfig) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the deadlines it lacks: it times out a connection only
    between requests (keep-alive), never before the first request or while headers or a body
    trickle in, so idle and slow-header sockets from anyone would pile up without end."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    reading = (h11.IDLE, h11.SEND_BODY)  # the caller's side: a request not yet read in full

    class GuardedH11Protocol(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timeout_keep_alive = limits.idle_timeout  # type: ignore[assignment]
            self.request_deadline: asyncio.TimerHandle | None = None
            self.drain_deadline: asyncio.TimerHandle | None = None
            self.opened = 0.0

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)  # type: ignore[arg-type]
            self.opened = self.loop.time()
            self._arm()
            if len(self.connections) > limits.max_connections:
                self._close_oldest_idle()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm()  # a new request starts: on a fresh or a kept-alive connection
            super().data_received(data)
            self._settle()
            if len(self.conn.trailing_data[0]) > limits.max_pipelined:
                self._abort()

        def pause_writing(self) -> None:
            """The caller is not reading its answers: it has `request_timeout` to start."""
            super().pause_writing()
            if self.drain_deadline is None:
                self.drain_deadline = self.loop.call_later(limits.request_timeout, self._abort)

        def resume_writing(self) -> None:
            super().resume_writing()
            if self.drain_deadline is not None:
                self.drain_deadline.cancel()
                self.drain_deadline = None

        def _abort(self) -> None:
            """Close at once, dropping what is unsent (close() would wait to send it)."""
            self.drain_deadline = None
            self.transport.abort()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._settle()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self.drain_deadline is not None:
                self.drain_deadline.cancel()
                self.drain_deadline = None
            super().connection_lost(exc)

        def _settle(self) -> None:
            state = self.conn.their_state
            if state not in reading:
                self._disarm()  # read in full: the app answers at its own pace
            elif state is h11.SEND_BODY or self.conn.trailing_data[0]:
                self._arm()  # a pipelined request is under way
            elif self.cycle is not None and self.cycle.response_complete:
                self._disarm()  # idle between requests: uvicorn's keep-alive timer is on

        def _arm(self) -> None:
            if self.request_deadline is None:
                self.request_deadline = self.loop.call_later(limits.request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self.request_deadline is not None:
                self.request_deadline.cancel()
                self.request_deadline = None

        def _too_slow(self) -> None:
            self.request_deadline = None
            if self.conn.their_state in reading and not self.transport.is_closing():
                self.transport.close()

        def _close_oldest_idle(self) -> None:
            idle = [
                c
                for c in self.connections
                if isinstance(c, GuardedH11Protocol)
                and c is not self
                and not c.transport.is_closing()  # closed, but connection_lost is still to come
                and c.conn.their_state is h11.IDLE
                and (c.cycle is None or c.cycle.response_complete)
            ]
            if idle:
                min(idle, key=lambda c: c.opened).transport.close()

    return GuardedH11Protocol
