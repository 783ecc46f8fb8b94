"""The HTTP error policy every provider shares, written once (STYLE.md, PROVIDERS.md §4.5).

* A request that never reached the provider (connect error or timeout, pool timeout) is retried
  with bounded backoff; when the retries run out nothing was sent: NetworkError.
* A send that may have reached it (read or write timeout, a connection dropped mid-request, a
  5xx answer) is never retried: OutcomeUnknown, which providers turn into `unknown` results.
* 429 means "not processed": wait what Retry-After says (seconds, the largest of a list of
  them, or an HTTP date; else backoff) and retry, within a bound: at most `max_retry_after`, and
  only when the wait leaves a reserve of the timeout for the retried request itself
  (RETRY_RESERVE: 5 s, or half the timeout when that is less). A longer wait ends at once with
  ProviderUnavailable saying when to retry: a wait that used up the timeout would turn "not
  sent" (exit 6) into "no answer in time, may have been sent" (exit 8).
* 401 and 403 are AuthError.
* The other answers to a send, classified once for every provider (`send_status`): 404 and 405
  (no handler saw the request: a wrong base URL) are EndpointNotFound, nothing sent; 408, 3xx
  (a redirect, not followed, may come after processing: 303) and 5xx are OutcomeUnknown; any
  other 4xx is returned, for the provider to read: every recipient rejected, unless the body
  says messages were accepted (then unknown: it may have been sent).
* Queries (status, balance) are idempotent and are also retried after a dropped connection and
  5xx; not after their deadline passed (--timeout is what the user agreed to wait). Their other
  answers are classified once too (`_classify_query`): 404/405 without the provider's own JSON
  error object are EndpointNotFound (a wrong base URL, never "no such message"); a 404 with it
  is returned, for the provider to read as "no such id"; 3xx and other 4xx are
  ProviderUnavailable, with the provider's words.
* Every request has an overall deadline, connect + send + answer = the timeout, on a monotonic
  clock: each socket operation waits at most the time left, so a server trickling bytes cannot
  stretch it. Answers are read up to MAX_ANSWER_BYTES and no further. Past the deadline, past the
  cap, or an answer that cannot be decoded: unknown for a send (it went out), unavailable for a
  query.

Messages name the provider and host, never a URL: a query string may carry a token.
"""

from __future__ import annotations

import json
import math
import re
import select
import socket
import ssl
import struct
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlencode, urlsplit

import httpcore

from sms_cli import __version__
from sms_cli.core.printable import visible
from sms_cli.core.times import MAX_TIMEOUT  # the transport clamps to it too
from sms_cli.errors import (
    AuthError,
    EndpointNotFound,
    InputError,
    NetworkError,
    ProviderUnavailable,
)

USER_AGENT = f"smsctl/{__version__}"
MAX_ANSWER_BYTES: Final = 1 << 20  # 1 MiB: real answers are a few kilobytes
_MIB: Final = MAX_ANSWER_BYTES >> 20


class OutcomeUnknown(Exception):
    """The request may have been processed: report it, never resend it silently."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ConnectFailed(Exception):
    """The request never left: safe to try again."""


class _TimedOut(Exception):
    """No answer in time: the request may have been processed."""


class _Broken(Exception):
    """The connection failed after the request went out: it may have been processed."""


class _NotSent(Exception):
    """The request was refused on this machine (an invalid header, say): nothing left."""


class _TooLarge(Exception):
    """The answer is larger than MAX_ANSWER_BYTES: reading stopped there."""


class _Undecodable(Exception):
    """The answer's Content-Encoding does not match its bytes."""


class _Deadline:
    """When the request under way must be done (monotonic seconds); None between requests.

    Shared by a wire and every network stream it opens: each read, write, connect and TLS
    handshake waits at most the time left, and fails at once when none is.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.at: float | None = None
        self.wrote = False  # whether any byte of the request under way was handed to a socket
        # How far below the time left a lean stream may keep its socket's timeout, to spare a
        # system call per request (the deadline is never exceeded, only approached early).
        self.slack = timeout / 20

    def start(self, budget: float | None = None) -> None:
        """Start a request: it has `timeout` seconds, or `budget` when that is less (what is left
        of the whole call's deadline)."""
        timeout = self.timeout if budget is None else max(0.0, min(self.timeout, budget))
        self.at = time.monotonic() + timeout
        self.wrote = False

    def stop(self) -> None:
        self.at = None

    def left(self, error: type[Exception]) -> float | None:
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the request's deadline passed")
        return left

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        left = self.left(error)
        if left is None or (timeout is not None and timeout <= left):
            return timeout
        return left


def _check_length(headers: Mapping[str, str]) -> None:
    length = headers.get("content-length", "").strip()
    if _DIGITS.fullmatch(length) and int(length) > MAX_ANSWER_BYTES:
        raise _TooLarge


def _read_capped(chunks: Iterable[bytes], downloaded: Callable[[], int] | None = None) -> bytes:
    """The body, never holding more than MAX_ANSWER_BYTES of it (decoded, and as received)."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_ANSWER_BYTES or (downloaded is not None and downloaded() > MAX_ANSWER_BYTES):
            raise _TooLarge
        parts.append(chunk)
    return b"".join(parts)


class _DeadlineStream(httpcore.NetworkStream):
    """httpcore's own socket stream, each operation bounded by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        bounded = self.deadline.bound(timeout, httpcore.WriteTimeout)
        self.deadline.wrote = True
        self.inner.write(buffer, bounded)

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self.inner.start_tls(ssl_context, server_hostname, bounded), self.deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend, deadline: _Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self.inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        stream = self.inner.connect_unix_socket(path, bounded, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, whichever client fetched it."""

    status_code: int
    headers: Mapping[str, str]  # names in lower case
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; ValueError for anything else, NaN and Infinity included (they are
        not JSON, and a NaN price or balance would make our own JSON output invalid)."""
        return json.loads(self.content, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _HttpxWire:
    """httpx's client: the default, for commands that make a few requests."""

    def __init__(self, base_url: str, timeout: float, headers: Mapping[str, str]) -> None:
        import httpx  # its client layer costs startup time bulk workers do not need

        self.httpx = httpx
        self.deadline = _Deadline(timeout)
        try:
            self.client = httpx.Client(
                base_url=base_url,
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                headers=dict(headers),
                follow_redirects=False,
                verify=tls_context(),
            )
        except (httpx.InvalidURL, UnicodeError) as exc:  # an IP literal out of range, say
            raise _unencodable(exc, self.deadline) from None
        # httpx offers no way to pass a network backend, and its per-read timeouts cannot
        # bound a whole request: give every connection pool it built (the direct one and any
        # proxy's from the environment) a backend whose streams honour the deadline.
        mounts = getattr(self.client, "_mounts", {})
        for transport in (getattr(self.client, "_transport", None), *mounts.values()):
            pool = getattr(transport, "_pool", None)
            backend = getattr(pool, "_network_backend", None)
            if isinstance(backend, httpcore.NetworkBackend):
                pool._network_backend = _DeadlineBackend(backend, self.deadline)  # type: ignore[union-attr]

    def request(
        self, method: str, path: str, *, budget: float | None = None, **kwargs: Any
    ) -> Reply:
        httpx = self.httpx
        self.deadline.start(budget)
        try:
            with self.client.stream(method, path, **kwargs) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                _check_length(headers)
                content = _read_capped(response.iter_bytes(), lambda: response.num_bytes_downloaded)
                return Reply(response.status_code, headers, content)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _ConnectFailed(type(exc).__name__) from None
        except httpx.TimeoutException:
            raise _TimedOut from None
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
            raise _NotSent(type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise _Broken(type(exc).__name__) from None
        except httpx.DecodingError as exc:
            raise _Undecodable(type(exc).__name__) from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise _unencodable(exc, self.deadline) from None
        finally:
            self.deadline.stop()

    def close(self) -> None:
        self.client.close()


_TLS_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def tls_context() -> ssl.SSLContext:
    """The context httpx would build for `verify=True` (certifi's CAs, or SSL_CERT_FILE /
    SSL_CERT_DIR), built once per process and setting: loading the CA bundle takes 20 to 300
    ms, and a process that makes several clients (the tests, above all) need not pay it each
    time."""
    import os

    import httpx

    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _TLS_CONTEXTS.get(key)
    if context is None:
        context = _TLS_CONTEXTS[key] = httpx.create_ssl_context()
    return context


_UNSET: Any = object()
KERNEL_TIMEOUTS: Final = sys.platform == "linux"  # SO_RCVTIMEO as a struct timeval of longs


class _LeanStream(httpcore.NetworkStream):
    """httpcore's plain socket stream, without two costs it pays on every request.

    httpcore writes a request's headers and body in two sends, and sets the socket's timeout
    before each send and receive (an ioctl every time). Here writes are gathered and sent in
    one `sendall` when the answer is first read, and the timeout is set only when it changes:
    each such system call releases the GIL, and with 32 worker threads every release is a
    thread hand-over. A failure to send surfaces as httpcore's WriteError, as before.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline | None = None) -> None:
        self.sock = sock
        self.deadline = deadline
        self.timeout: float | None = _UNSET
        self.unsent: list[bytes] = []
        self.write_timeout: float | None = None

    def _within(self, timeout: float | None, error: type[Exception]) -> float | None:
        """The timeout for the next operation: never past the request's deadline.

        The socket's current timeout is kept while it is at most the time left and within the
        deadline's slack of it, so requests on a kept-alive connection set it once, not each.
        """
        left = None if self.deadline is None else self.deadline.left(error)
        if left is None or (timeout is not None and timeout <= left):
            return timeout
        current = self.timeout
        slack = self.deadline.slack if self.deadline is not None else 0.0
        if isinstance(current, float | int) and left - slack <= current <= left:
            return current
        return left - slack / 2 if left > slack else left

    def _set_timeout(self, timeout: float | None) -> None:
        if timeout == self.timeout:
            return
        self.timeout = timeout
        if KERNEL_TIMEOUTS and timeout and not isinstance(self.sock, ssl.SSLSocket):
            # A blocking socket whose kernel times out its waits: a send or receive is then
            # one system call, where Python's own timeout adds a poll() before each.
            self.sock.settimeout(None)
            seconds = int(timeout)
            value = struct.pack("ll", seconds, int((timeout - seconds) * 1_000_000))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        else:
            self.sock.settimeout(timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self.unsent.append(bytes(buffer))
            self.write_timeout = timeout

    def _flush(self) -> None:
        if not self.unsent:
            return
        data = b"".join(self.unsent)
        self.unsent.clear()
        timeout = self._within(self.write_timeout, httpcore.WriteTimeout)
        if self.deadline is not None:
            self.deadline.wrote = True
        try:
            self._set_timeout(timeout)
            self.sock.sendall(data)
        except (TimeoutError, BlockingIOError) as exc:  # BlockingIOError: a kernel timeout
            raise httpcore.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._flush()
        timeout = self._within(timeout, httpcore.ReadTimeout)
        try:
            self._set_timeout(timeout)
            return self.sock.recv(max_bytes)
        except (TimeoutError, BlockingIOError) as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ReadError(exc) from exc

    def close(self) -> None:
        self.sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self._flush()
        timeout = self._within(timeout, httpcore.ConnectTimeout)
        try:
            self.sock.settimeout(timeout)
            wrapped = ssl_context.wrap_socket(self.sock, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.close()
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            self.close()
            raise httpcore.ConnectError(exc) from exc
        stream = _LeanStream(wrapped, self.deadline)
        stream.timeout = timeout
        return stream

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object" and isinstance(self.sock, ssl.SSLSocket):
            return self.sock  # offers selected_alpn_protocol(), all httpcore asks of it
        if info == "socket":
            return self.sock
        if info == "client_addr":
            return self.sock.getsockname()
        if info == "server_addr":
            return self.sock.getpeername()
        if info == "is_readable":  # an idle connection with data (or EOF) waiting is stale
            if self.sock.fileno() < 0:
                return True
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        return None


class _LeanBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: _Deadline | None = None) -> None:
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        source = None if local_address is None else (local_address, 0)
        if self.deadline is not None:
            timeout = self.deadline.bound(timeout, httpcore.ConnectTimeout)
        try:
            sock = socket.create_connection((host, port), timeout, source_address=source)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _LeanStream(sock, self.deadline)  # its first read or write chooses how it times out


class _LeanWire:
    """httpx's own transport layer, httpcore, with one connection: for bulk workers.

    Each bulk worker has its own. This skips the client layer's per-request work (URL and
    header models, cookies, event hooks) and the pool's bookkeeping, which dominate the CPU a
    request costs; a connection the server closed is replaced before the next request.
    """

    def __init__(self, base_url: str, timeout: float, headers: Mapping[str, str]) -> None:
        self.origin = httpcore.URL(base_url).origin
        self.connection: httpcore.HTTPConnection | None = None
        self.deadline = _Deadline(timeout)
        # select.poll, which the stale-connection check uses, is missing on Windows.
        self.backend: httpcore.NetworkBackend = (
            _LeanBackend(self.deadline)
            if hasattr(select, "poll")
            else _DeadlineBackend(httpcore.SyncBackend(), self.deadline)
        )
        self.ssl_context: ssl.SSLContext | None = None
        if self.origin.scheme == b"https":
            import httpx

            # The trust httpx's client would use: certifi, or SSL_CERT_FILE / SSL_CERT_DIR.
            self.ssl_context = httpx.create_ssl_context()
        self.base_url = base_url
        self.headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.timeouts = {"connect": min(timeout, 10.0), "read": timeout, "write": timeout,
                         "pool": timeout}  # fmt: skip

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        budget: float | None = None,
    ) -> Reply:
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        headers = list(self.headers)
        content = None
        if json is not None:
            content = _dumps(json)
            headers.append((b"Content-Type", b"application/json"))
        elif data is not None:
            content = urlencode(data).encode("ascii")
            headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
        connection = self.connection
        if connection is None or connection.is_closed() or connection.has_expired():
            if connection is not None:
                connection.close()
            connection = self.connection = httpcore.HTTPConnection(
                self.origin, ssl_context=self.ssl_context, network_backend=self.backend
            )
        self.deadline.start(budget)
        try:
            with connection.stream(
                method, url, headers=headers, content=content,
                extensions={"timeout": self.timeouts},
            ) as response:  # fmt: skip
                headers_out = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers
                }
                _check_length(headers_out)
                body = _read_capped(response.iter_stream())
                return Reply(response.status, headers_out, body)
        except (httpcore.ConnectError, httpcore.ConnectTimeout, httpcore.PoolTimeout) as exc:
            raise _ConnectFailed(type(exc).__name__) from None
        except httpcore.TimeoutException:
            raise _TimedOut from None
        except (httpcore.LocalProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise _NotSent(type(exc).__name__) from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _Broken(type(exc).__name__) from None
        except UnicodeError as exc:
            raise _unencodable(exc, self.deadline) from None
        finally:
            self.deadline.stop()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _unencodable(exc: Exception, deadline: _Deadline) -> Exception:
    """A URL or host name the client cannot encode (an empty or over-long label, an invalid
    A-label or IP literal): refused here, before a byte left, unless some had already."""
    if deadline.wrote:
        return _Broken(type(exc).__name__)
    name = "invalid host name" if isinstance(exc, UnicodeError) else "invalid URL"
    return _NotSent(name)


_T = TypeVar("_T")


def _given(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class RetryPolicy:
    """How often a Transport retries, how long it waits between tries, the least time a status
    query gets, and the clocks it waits by: the defaults every Transport takes unless its caller
    passes its own.

    Production never changes it. A test installs one whose `sleep` records the wait and
    returns at once (advancing `clock` and `wall` by it), so a command run in-process retries
    at full speed while the test still sees every wait that was asked for.
    """

    connect_retries: int = 3
    rate_limit_retries: int = 3
    query_retries: int = 2
    backoff: float = 0.25
    max_retry_after: float = 60.0
    # The least time each request of `smsctl status` gets, whatever its --timeout (which bounds
    # the whole wait, and may be 0): a test sets it small to see a slow answer cut off at once.
    min_query_timeout: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time


DEFAULT_RETRY_POLICY: Final = RetryPolicy()
_retry_policy = DEFAULT_RETRY_POLICY


def retry_policy() -> RetryPolicy:
    """The policy new Transports take their defaults from."""
    return _retry_policy


def set_retry_policy(policy: RetryPolicy) -> RetryPolicy:
    """Make `policy` the process-wide default for Transports built from now on; returns the
    previous one, to put back."""
    global _retry_policy
    previous, _retry_policy = _retry_policy, policy
    return previous


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        title: str,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        lean: bool = False,
        connect_retries: int | None = None,
        rate_limit_retries: int | None = None,
        query_retries: int | None = None,
        backoff: float | None = None,
        max_retry_after: float | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall: Callable[[], float] | None = None,
        default_base_url: str | None = None,
    ) -> None:
        """Retries, waits and clocks not given come from the process-wide RetryPolicy."""
        policy = _retry_policy
        self.title = title
        self.default_base_url = default_base_url
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise InputError(f"the timeout must be a positive number of seconds, not {timeout!r}")
        timeout = min(float(timeout), MAX_TIMEOUT)
        self.timeout = timeout
        self.host = urlsplit(base_url).netloc or base_url
        self.connect_retries = _given(connect_retries, policy.connect_retries)
        self.rate_limit_retries = _given(rate_limit_retries, policy.rate_limit_retries)
        self.query_retries = _given(query_retries, policy.query_retries)
        self.backoff = _given(backoff, policy.backoff)
        self.max_retry_after = _given(max_retry_after, policy.max_retry_after)
        self.sleep = _given(sleep, policy.sleep)
        self.clock = _given(clock, policy.clock)
        self.wall = _given(wall, policy.wall)  # what an HTTP date in Retry-After is relative to
        # A deadline (on `clock`) over several calls: a caller whose timeout bounds more than one
        # request (a send of several requests) sets it, and no call runs past it.
        self.until: float | None = None
        wire = _LeanWire if lean else _HttpxWire
        try:
            self.wire = wire(
                base_url.rstrip("/") + "/", timeout, {"User-Agent": USER_AGENT, **(headers or {})}
            )
        except _NotSent as exc:
            raise self._refused_here(str(exc)) from None

    def close(self) -> None:
        self.wire.close()

    def _end(self) -> float:
        """When the call must be done: the timeout from now, or `until` when that is sooner."""
        end = self.clock() + self.timeout
        return end if self.until is None else min(end, self.until)

    def send(self, method: str, path: str, **kwargs: Any) -> Reply:
        """A request that may make the provider send (and charge): at most once past connecting.

        The timeout bounds the whole call, retries and the waits between them included."""
        end = self._end()
        connect_failures = rate_limited = 0
        while True:
            try:
                response = self.wire.request(method, path, budget=end - self.clock(), **kwargs)
            except _ConnectFailed as exc:
                connect_failures += 1
                wait = self.backoff * 2 ** (connect_failures - 1)
                if connect_failures > self.connect_retries or not self._time_for(wait, end):
                    raise self._unreachable(str(exc), "nothing was sent") from None
                self.sleep(wait)
                continue
            except _NotSent as exc:
                raise self._refused_here(str(exc)) from None
            except _TimedOut:
                raise OutcomeUnknown(
                    f"no answer from {self.title} within the timeout ({self.timeout:g} s) "
                    "after the request was sent"
                ) from None
            except _Broken as exc:
                raise OutcomeUnknown(
                    f"the connection to {self.title} broke after the request was sent ({exc})"
                ) from None
            except _TooLarge:
                raise OutcomeUnknown(
                    f"the answer from {self.title} is larger than {_MIB} MiB; smsctl stopped "
                    "reading it, and the request, which was sent, may have been processed"
                ) from None
            except _Undecodable as exc:
                raise OutcomeUnknown(
                    f"the answer from {self.title} could not be decoded ({exc}); the request "
                    "was sent and may have been processed"
                ) from None
            if response.status_code == 429:
                rate_limited += 1
                self._wait_after_429(response, rate_limited, "nothing was sent", end)
                continue
            self._raise_for_auth(response)
            self._classify_send(response)
            return response

    def query(
        self, method: str, path: str, *, not_found_keys: Sequence[str] = (), **kwargs: Any
    ) -> Reply:
        """An idempotent request: retried after connect errors, dropped connections, 5xx and 429,
        while the timeout, which bounds the whole call, leaves time.

        A 2xx is returned; so is a 404 whose body is a JSON object with one of `not_found_keys`
        (the provider's own error object: the handler ran and does not know what was asked).
        Every other answer raises (`_classify_query`)."""
        end = self._end()
        failures = rate_limited = 0
        while True:
            try:
                response = self.wire.request(method, path, budget=end - self.clock(), **kwargs)
            except _NotSent as exc:
                raise self._refused_here(str(exc)) from None
            except _TimedOut:
                raise ProviderUnavailable(
                    f"no complete answer from {self.title} within the timeout "
                    f"({self.timeout:g} s); try again later"
                ) from None
            except _TooLarge:
                raise ProviderUnavailable(
                    f"the answer from {self.title} is larger than {_MIB} MiB; try again later"
                ) from None
            except _Undecodable as exc:
                raise ProviderUnavailable(
                    f"the answer from {self.title} could not be decoded ({exc}); try again later"
                ) from None
            except (_ConnectFailed, _Broken) as exc:
                failures += 1
                wait = self.backoff * 2 ** (failures - 1)
                retries = max(self.query_retries, self.connect_retries)
                if failures > retries or not self._time_for(wait, end):
                    reason = str(exc) or type(exc).__name__.strip("_")
                    raise self._unreachable(reason, "try again later") from None
                self.sleep(wait)
                continue
            if response.status_code == 429:
                rate_limited += 1
                self._wait_after_429(response, rate_limited, "try again later", end)
                continue
            self._raise_for_auth(response)
            if response.status_code >= 500:
                failures += 1
                wait = self.backoff * 2 ** (failures - 1)
                if failures > self.query_retries or not self._time_for(wait, end):
                    raise ProviderUnavailable(
                        f"{self.title} answered HTTP {response.status_code}; try again later"
                    )
                self.sleep(wait)
                continue
            self._classify_query(response, not_found_keys)
            return response

    def _classify_query(self, response: Reply, not_found_keys: Sequence[str]) -> None:
        code = response.status_code
        if 200 <= code < 300:
            return
        if code in (404, 405):
            document = json_object(response)
            if code == 404 and document is not None and any(k in document for k in not_found_keys):
                return
            raise self._endpoint_not_found(code, None)
        if code in REDIRECTS:
            what = f"HTTP {code} (a redirect, which smsctl does not follow)"
        else:
            what = f"HTTP {code}"
        words = refusal_text(response) if 400 <= code < 500 else None
        said = f": {visible(words)}" if words else ""
        raise ProviderUnavailable(
            f"{self.title} answered {what}{said}; try again later",
            hint="check the profile's --base-url if this persists",
        )

    def _endpoint_not_found(self, code: int, consequence: str | None) -> EndpointNotFound:
        """`consequence`: what it means for a request that changes something ("nothing was
        sent"); None for a query, which changes nothing either way. The hint's NAME is the
        profile's (services that know it, such as `profile check`, put it in)."""
        default = f"; the default is {self.default_base_url}" if self.default_base_url else ""
        then = f"; {consequence}" if consequence else ""
        return EndpointNotFound(
            f"{self.title} at {self.host} has no API at that address (HTTP {code}): no "
            f"handler saw the request, so the profile's --base-url is probably wrong{then}",
            hint=f"check the path with `smsctl profile show`{default}; change only the URL "
            "with `smsctl profile set NAME --base-url URL`",
        )

    def _classify_send(self, response: Reply) -> None:
        """A send's answer other than 2xx, 401/403 and 429 (handled before): raise what it means,
        or return for the provider to report a refusal (the other 4xx)."""
        code = response.status_code
        kind = send_status(code)
        if kind == "not_sent":
            raise self._endpoint_not_found(code, "nothing was sent")
        if kind == "unknown":
            if code == 408:
                what = "HTTP 408 (request timeout)"
            elif code in REDIRECTS:
                what = f"HTTP {code} (a redirect, which smsctl does not follow)"
            else:
                what = f"HTTP {code}"
            raise OutcomeUnknown(
                f"{self.title} answered {what} to the send; it may or may not have processed it"
            )

    def _refused_here(self, reason: str) -> NetworkError:
        return NetworkError(
            f"the request to {self.title} could not be made ({reason}); nothing was sent",
            hint="check the profile's --base-url",
        )

    def _unreachable(self, reason: str, consequence: str) -> NetworkError:
        return NetworkError(
            f"cannot reach {self.title} at {self.host} ({reason}); {consequence}",
            hint="check the network, or the profile's --base-url",
        )

    def _raise_for_auth(self, response: Reply) -> None:
        if response.status_code in (401, 403):
            raise AuthError(
                f"{self.title} refused the token (HTTP {response.status_code})",
                hint="check the profile's token: smsctl profile show",
            )

    def _time_for(self, wait: float, end: float) -> bool:
        """Whether a wait of `wait` seconds still leaves time for another attempt."""
        return self.clock() + wait < end

    def _wait_after_429(self, response: Reply, attempt: int, consequence: str, end: float) -> None:
        header = response.headers.get("retry-after")  # Reply's names: lower case
        now = self.wall()
        wait, go = rate_limit_wait(
            header,
            attempt,
            backoff=self.backoff,
            retries=self.rate_limit_retries,
            cap=self.max_retry_after,
            left=end - self.clock(),
            now=now,
            reserve=min(RETRY_RESERVE, self.timeout / 2),
        )
        if not go:
            raise ProviderUnavailable(
                f"{self.title} rate limited the request (HTTP 429) "
                f"{retry_advice(header, wait, now)}; {consequence}"
            )
        self.sleep(wait)


# Answers that send the client elsewhere; any other 3xx (304 Not Modified, say) is only a code.
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER: Final = 86_400.0  # a larger Retry-After reads as a day: far past any --timeout
# What a 429's wait must leave of the timeout for the retried request (at most half of it).
RETRY_RESERVE: Final = 5.0
_SECONDS = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²" and "٣"
# Two Retry-After headers joined by httpx ("2, 2"): numbers only, since a date has a comma too.
_SECONDS_LIST = re.compile(r"[0-9.]+(?:[ \t]*,[ \t]*[0-9.]+)+")


def send_status(code: int) -> str:
    """What an HTTP status answering a send means, for every provider (STYLE.md, Providers):
    `ok` (2xx: read the body), `auth` (401/403), `rate_limited` (429: not processed, wait and
    retry), `not_sent` (404/405: no handler saw it), `unknown` (408, 3xx, 5xx and anything
    odd: it may have been processed) or `rejected` (any other 4xx: refused, nothing sent)."""
    if 200 <= code < 300:
        return "ok"
    if code in (401, 403):
        return "auth"
    if code == 429:
        return "rate_limited"
    if code in (404, 405):
        return "not_sent"
    if 400 <= code < 500 and code != 408:
        return "rejected"
    return "unknown"


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds, 0 to MAX_RETRY_AFTER: a number of seconds (a fraction too, as
    the sandbox sends) or an HTTP date, relative to `now` (Unix seconds; default the system
    clock); None for anything else (negative numbers, exponents and garbage included)."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS_LIST.fullmatch(value):  # the same header twice: honour the longest wait
        waits = [retry_after_seconds(part) for part in value.split(",")]
        numbers = [w for w in waits if w is not None]
        return max(numbers) if len(numbers) == len(waits) else None
    if _SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER)
    if _DIGITS.fullmatch(value):  # more digits than any sensible wait
        return MAX_RETRY_AFTER
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": UTC, by RFC 5322
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, OSError, IndexError):
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def rate_limit_wait(
    retry_after: str | None,
    attempt: int,
    *,
    backoff: float,
    retries: int,
    cap: float,
    left: float,
    now: float,
    reserve: float = 0.0,
) -> tuple[float, bool]:
    """After the `attempt`-th 429 in a row: how long to wait, and whether to wait and retry.

    The wait is what Retry-After asks (else the backoff, doubling). It is waited only while
    retries remain, when it is at most `cap` and leaves at least `reserve` seconds of what is
    left of the timeout (`left`) for the retried request; otherwise the caller gives up at once,
    saying when to retry.
    """
    wait = retry_after_seconds(retry_after, now=now)
    if wait is None:
        wait = backoff * 2 ** (attempt - 1)
    go = attempt <= retries and wait <= cap and wait < left and left - wait >= reserve
    return wait, go


def retry_advice(retry_after: str | None, wait: float, now: float) -> str:
    """When to retry after giving up on a 429: `until <time>; retry after N s`, or, past the
    day a wait is capped at, the server's own date (`until <date>; retry not before then`) or
    `for more than a day`."""
    if wait < MAX_RETRY_AFTER:
        return f"until {retry_time(now, wait)}; retry after {math.ceil(wait)} s"
    when = _http_date(retry_after.strip()) if retry_after else None
    if when is not None:
        try:
            shown = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, ValueError):
            shown = None
        if shown:
            return f"until {shown}; retry not before then"
    return "for more than a day; retry after more than a day"


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, OSError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def retry_time(now: float, wait: float) -> str:
    """When a wait of `wait` seconds from `now` (Unix seconds) ends, ISO-8601 UTC."""
    try:
        at = datetime.fromtimestamp(math.ceil(now + wait), UTC)
    except (OverflowError, OSError, ValueError):
        return "later"
    return at.isoformat().replace("+00:00", "Z")


# Where error bodies commonly put their words (an `error_text`, RFC 9457's detail, ...).
_TEXT_KEYS: Final = ("error_text", "detail", "message", "error", "description", "title")


def refusal_text(response: Reply) -> str | None:
    """The provider's words in an error answer, as a message may show them: a JSON object's
    text field, else the body; redacted whole, then cut (redaction.shorten)."""
    from sms_cli.core.redaction import shorten

    document = json_object(response)
    text = response.text
    if document is not None:
        words = [document.get(key) for key in _TEXT_KEYS]
        found = [str(w) for w in words if isinstance(w, str | int) and str(w).strip()]
        text = found[0] if found else text
    return shorten(" ".join(text.split())) or None


def json_object(response: Reply) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
