"""`smsctl listen`: receive delivery reports and inbound SMS that the providers push."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import re
import select
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from sms_cli.commands._runtime import JsonLinesFlag, complete_profile_name, handled_errors

if TYPE_CHECKING:
    from sms_cli.services.receiving import Refusal
    from sms_cli.storage.messages import Received
    from sms_cli.storage.profiles import ProfileFile

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")


OUTPUT_BACKLOG = 256  # lines waiting for a slow reader before events are left off the display
WARNINGS_PER_SECOND = 20  # more in one second are counted, not shown (a flood of bad requests)


class _LineWriter:
    """Lines to one stream from a thread of its own, through a bounded queue.

    The event loop only enqueues: a reader that stalls (`| less`, Ctrl-S) cannot block it, so
    callbacks keep getting their answers. When the queue is full a line is dropped and counted
    (the event is stored all the same). Writes go to the file descriptor itself, so a thread
    stuck in a write holds no lock the interpreter needs at exit.
    """

    def __init__(self, stream: TextIO, capacity: int = OUTPUT_BACKLOG) -> None:
        self.stream = stream
        self.lines: queue.Queue[str | None] = queue.Queue(capacity)
        self.dropped = 0
        self.broken = False
        self.closed = False
        self.writing = False  # a line is being written (the reader may never take it)
        self.on_broken: Callable[[], None] = lambda: None
        self.thread = threading.Thread(target=self._run, name="smsctl-listen-out", daemon=True)
        self.thread.start()

    def put(self, line: str) -> bool:
        if self.broken:
            return False
        if self.closed:
            self.dropped += 1
            return False
        try:
            self.lines.put_nowait(line)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def close(self, timeout: float = 1.0) -> None:
        """Write what is queued, for at most `timeout` seconds in all (a stalled reader may
        never take it; the events are stored). Lines still unwritten then count as dropped."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):
            self.lines.put(None, timeout=timeout)
        self.thread.join(max(0.0, deadline - time.monotonic()))
        self.closed = True
        if self.thread.is_alive() and not self.broken:
            left = int(self.writing)
            while True:
                try:
                    line = self.lines.get_nowait()
                except queue.Empty:
                    break
                left += line is not None
            self.dropped += left

    @property
    def done(self) -> bool:
        """Everything put was written (or the reader went away)."""
        return not self.thread.is_alive()

    def _run(self) -> None:
        while (line := self.lines.get()) is not None:
            try:
                self.writing = True
                self._write(line)
                self.writing = False
            except (BrokenPipeError, ValueError):  # the reader went away, or stdout is closed
                self.broken = True
                self.on_broken()
                return
            except OSError as exc:
                if exc.errno != errno.EPIPE:
                    raise
                self.broken = True
                self.on_broken()
                return

    def _write(self, line: str) -> None:
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):  # an in-memory stream, as in tests
            self.stream.write(line)
            self.stream.flush()
            return
        data = line.encode(getattr(self.stream, "encoding", None) or "utf-8", "backslashreplace")
        while data:
            try:
                data = data[os.write(fd, data) :]
            except BlockingIOError:  # a non-blocking stdout: wait until it takes more
                select.select([], [fd], [], 1.0)


class _Printer:
    """Each stored event as a table row or a JSON line, written off the event loop."""

    def __init__(self, as_json: bool) -> None:
        from sms_cli.render import output

        self.as_json = as_json
        self.header_shown = False
        self.events = 0
        self.duplicates = 0
        output.stdout().flush()
        output.stderr().flush()
        self.out = _LineWriter(output.stdout())
        self.err = _LineWriter(output.stderr())
        self.lock = threading.Lock()  # warnings come from the event loop and from log records
        self.window = -1.0
        self.in_window = 0
        self.held = 0  # warnings over WARNINGS_PER_SECOND in this window, not shown yet
        self.warnings_left_out = 0

    @property
    def broken(self) -> bool:
        return self.out.broken

    def close(self) -> None:
        self.out.close()
        self.err.close()

    def event(self, received: Received) -> None:
        from sms_cli.render.received import event_line

        if received.duplicate:
            self.duplicates += 1
            return
        self.events += 1
        text = event_line(received, json=self.as_json, header=not self.header_shown)
        if self.out.put(text):
            self.header_shown = True
        elif self.out.dropped == 1:
            self._warn(
                "standard output is not keeping up: events are left off the display "
                "(all are stored; see `smsctl inbox` and `smsctl status`)"
            )

    def refusal(self, refusal: Refusal) -> None:
        from sms_cli.core.printable import visible
        from sms_cli.providers import registry

        info = registry.available().get(refusal.provider or "")
        source = f"a {info.title} callback" if info else "a request"
        # The reason may quote the request: shown through `visible`, never obeyed.
        self._warn(f"refused {source} (HTTP {refusal.status}): {visible(refusal.reason)}")

    def _warn(self, message: str) -> None:
        self.warning_line(f"smsctl: warning: {message}\n")

    def warning_line(self, text: str) -> None:
        """A line for stderr, at most WARNINGS_PER_SECOND a second: the rest are counted, and
        the count is shown with the next warning or at stop."""
        from sms_cli.core.redaction import redact

        with self.lock:
            now = time.monotonic()
            if now - self.window >= 1.0:
                if self.held:
                    self.err.put(
                        f"smsctl: warning: {self.held} more warning(s) left out (too many in "
                        "one second)\n"
                    )
                    self.warnings_left_out += self.held
                    self.held = 0
                self.window, self.in_window = now, 0
            if self.in_window >= WARNINGS_PER_SECOND:
                self.held += 1
                return
            self.in_window += 1
            self.err.put(redact(text))

    def warnings_not_shown(self) -> int:
        return self.warnings_left_out + self.held + self.err.dropped

    def last_line(self, text: str, timeout: float = 1.0) -> None:
        """The final line on stderr: written within `timeout` seconds, or left out when stderr
        is not being read (a write to a full pipe would keep the process from exiting)."""
        from sms_cli.core.redaction import redact
        from sms_cli.render import output

        if not self.err.done:
            return
        writer = _LineWriter(output.stderr(), capacity=1)
        writer.put(redact(text))
        writer.close(timeout)


class _LogToStderr(logging.Handler):
    """Every log record (uvicorn's "Invalid HTTP request received.", asyncio's, warnings) to
    the printer's stderr writer: written directly, in the event loop, a full stderr pipe would
    block the loop and every callback with it."""

    def __init__(self, printer: _Printer) -> None:
        super().__init__(logging.WARNING)
        self.printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        from sms_cli.core.printable import visible

        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = f"{message} ({type(error).__name__}: {error})"
        self.printer.warning_line(f"smsctl: warning: {visible(message)}\n")


@contextlib.contextmanager
def _logs_to(printer: _Printer) -> Iterator[None]:
    root = logging.getLogger()
    handler = _LogToStderr(printer)
    saved = root.handlers[:]
    root.handlers = [handler]
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.handlers = saved


def _signing_keys(profiles: ProfileFile, only: str | None) -> dict[str, list[str]]:
    """The keys callback signatures are checked with: the profile's, or every profile's."""
    chosen = [profiles.get(only)] if only else list(profiles.profiles.values())
    keys: dict[str, list[str]] = {}
    for profile in chosen:
        if profile.signing_key:
            keys.setdefault(profile.provider, []).append(profile.signing_key)
    return keys


def listen_command(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; loopback unless you mean it."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free).")
    ] = 8080,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret",
            envvar="SMSCTL_LISTEN_SECRET",
            help="The secret first path segment of every URL (16+ letters, digits, - or _). "
            "Generated when not given.",
            show_default=False,
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The address providers call, when a proxy or tunnel forwards to this one, "
            "e.g. https://hooks.example.com; signatures of providers that sign callbacks cover it.",
            show_default=False,
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Check callback signatures with this profile's signing key only "
            "(default: every profile's).",
            autocompletion=complete_profile_name,
            show_default=False,
        ),
    ] = None,
    json: JsonLinesFlag = False,
) -> None:
    """Receive delivery reports and inbound SMS pushed by the providers, until Ctrl-C.

    Delivery reports update the local history (a final state is never replaced), so `smsctl
    status` shows them without asking the provider; inbound messages go to `smsctl inbox`.
    Provider retries are recognised and stored once.
    """
    with handled_errors():
        import secrets
        import signal

        from sms_cli.errors import InputError
        from sms_cli.providers import registry
        from sms_cli.render import output
        from sms_cli.services.profiles import load as load_profiles
        from sms_cli.services.receiving import Receiver, ReceiverConfig, bind, make_server
        from sms_cli.storage.messages import History
        from sms_cli.storage.profiles import validate_base_url

        generated = secret is None
        secret = secret or secrets.token_urlsafe(18)
        if not SECRET_PATTERN.fullmatch(secret):
            raise InputError(
                "--secret must be 16 to 128 letters, digits, '-' or '_'",
                hint="leave it out and smsctl generates one",
            )
        if public_url is not None:
            public_url = validate_base_url(public_url).rstrip("/")
        keys = _signing_keys(load_profiles(), profile)
        try:
            sock = bind(host, port)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        bound_port = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        base = public_url or f"http://{shown_host}:{bound_port}"
        listeners = {
            name: info
            for name, info in registry.available().items()
            if info.supports(registry.Capability.CALLBACKS)
        }
        urls = {name: f"{base}/{secret}/{name}" for name in listeners}

        output.info(f"smsctl listen on http://{shown_host}:{bound_port} (Ctrl-C to stop)")
        if generated:
            output.info(f"  secret: {secret} (generated; pass --secret to keep these URLs)")
        for name, info in listeners.items():
            output.info(f"  {info.title}: {urls[name]}")
            output.info(f"    {info.callback_setup}")
            if info.supports(registry.Capability.SIGNED_CALLBACKS):
                checked = f"checked with {len(keys.get(name, []))} signing key(s)"
                output.info(
                    f"    signatures: {checked if keys.get(name) else 'not checked (no key)'}"
                )
        if host not in LOOPBACK:
            output.warning(
                f"listening on {host}: other machines can reach this receiver; only the secret "
                "path guards it"
            )
        if json:
            from sms_cli.render.received import listening_line

            output.stdout().write(listening_line(base, urls))
            output.stdout().flush()

        printer = _Printer(json)
        history = History()
        app = Receiver(
            ReceiverConfig(secret=secret, signing_keys=keys, public_url=public_url),
            history,
            on_event=printer.event,
            on_refusal=printer.refusal,
        )

        def stop_on_sigterm(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again;
        # with this handler a SIGTERM ends here as cleanly as a Ctrl-C.
        signal.signal(signal.SIGTERM, stop_on_sigterm)
        server = make_server(app)
        # The reader of stdout went away (`| head -1`): stop as any command does then.
        printer.out.on_broken = lambda: setattr(server, "should_exit", True)
        try:
            with _logs_to(printer):
                server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            app.close()
            history.close()
            sock.close()
            printer.close()
        if printer.broken:
            raise BrokenPipeError  # exit 141, nothing on stderr (docs/exit-codes.md)
        repeats = f", {printer.duplicates} repeated" if printer.duplicates else ""
        dropped = printer.out.dropped
        unseen = f", {dropped} not shown (standard output was not read)" if dropped else ""
        warned = printer.warnings_not_shown()
        left_out = f", {warned} warning(s) not shown" if warned else ""
        printer.last_line(
            f"stopped; {printer.events} event(s) received{repeats}{unseen}{left_out}\n"
        )
