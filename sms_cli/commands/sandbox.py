"""`smsctl sandbox`: run the local provider emulators, to try smsctl and test scripts for free."""

from __future__ import annotations

import contextlib
import errno
from typing import Annotated

import typer

from sms_cli.commands._runtime import handled_errors
from sms_cli.errors import InputError

# Faster than this is a busy loop; slower than a day is a typo (and past what timers hold).
MIN_ADVANCE = 0.01
MAX_ADVANCE = 86400.0


def _advance_every(value: float) -> float:
    if value != 0 and not MIN_ADVANCE <= value <= MAX_ADVANCE:
        raise typer.BadParameter(f"use 0, or between {MIN_ADVANCE:g} and {MAX_ADVANCE:g} seconds")
    return value


def _listen_error(host: str, port: int, exc: OSError) -> InputError:
    """Why the sandbox cannot listen, and how to choose another port (exit 2, as for `listen`)."""
    choose = "choose another port: smsctl sandbox --port 0 (any free port) or --port N"
    if exc.errno == errno.EADDRINUSE:
        return InputError(
            f"cannot listen on {host}:{port}: the port is already in use "
            "(another sandbox, or another program)",
            hint=choose,
        )
    if exc.errno == errno.EACCES:
        return InputError(
            f"cannot listen on {host}:{port}: permission denied (ports below 1024 need privileges)",
            hint=choose,
        )
    return InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def sandbox_command(
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port to listen on; 0 picks a free one (the URL is printed on stdout).",
        ),
    ] = 8025,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you mean it).")
    ] = "127.0.0.1",
    log: Annotated[bool, typer.Option("--log/--no-log", help="Log each request to stderr.")] = True,
    advance_every: Annotated[
        float,
        typer.Option(
            "--advance-every",
            callback=_advance_every,
            help="Move every message one delivery state on every this many seconds, pushing "
            "callbacks as it goes (0: only when asked about; else 0.01 to 86400).",
        ),
    ] = 0.0,
) -> None:
    """Run local emulators of every provider API until Ctrl-C. Nothing is sent, nothing is charged.

    Each provider is served under its name (http://127.0.0.1:8025/NAME, then its API's own
    path); on start it prints, for each, the `smsctl profile add` line with its URL. The token
    `sandbox-token` is accepted.
    """
    with handled_errors():
        from sms_cli.providers import registry
        from sms_cli.providers.emulation import SandboxServer, all_emulators
        from sms_cli.render import output

        try:
            emulators = all_emulators(warn=output.warning)
            server = SandboxServer(emulators, host=host, port=port, log_requests=log)
        except OSError as exc:
            raise _listen_error(host, port, exc) from None
        base = server.url
        for emulator in emulators.values():
            emulator.start_ticker(advance_every)
        output.info(f"smsctl sandbox listening on {base} (Ctrl-C to stop)")
        # The URL is the command's one result: with --port 0 a script reads it from stdout
        # (`smsctl sandbox --port 0 > url &`) instead of parsing the banner on stderr.
        with contextlib.suppress(OSError, ValueError):
            output.stdout().write(base + "\n")
            output.stdout().flush()
        if host not in ("127.0.0.1", "localhost", "::1"):
            output.warning(
                f"listening on {host}: other machines can reach this sandbox; it has no real "
                "authentication and is meant for loopback"
            )
        for name, info in registry.available().items():
            if name not in emulators:
                continue
            url = f"{base}/{name}" + ("/api" if info.default_base_url.endswith("/api") else "")
            output.info(
                f"  {info.title}: printf sandbox-token | smsctl profile add sandbox-{name} "
                f"--provider {name} --base-url {url} --sender Sandbox --token-stdin"
            )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            output.info("sandbox stopped")
        finally:
            server.server_close()
