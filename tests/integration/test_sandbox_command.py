"""`smsctl sandbox` as a user runs it: a real process, a real send against it, Ctrl-C to stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sms_cli.app import app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_sandbox_serves_both_providers_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SMSCTL_CONFIG_DIR": str(tmp_path / "cfg"),
        "SMSCTL_DATA_DIR": str(tmp_path / "data"),
    }
    for _ in range(5):  # a port found free may be taken before the sandbox binds it: another one
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "sms_cli", "sandbox", "--port", str(port), "--no-log"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert server.stderr is not None
        first = server.stderr.readline()
        if "cannot listen" not in first:
            break
        assert server.wait(timeout=20) == 2, first
    try:
        assert server.stderr is not None
        banner = [first] + [server.stderr.readline() for _ in range(2)]
        assert f"listening on http://127.0.0.1:{port}" in banner[0]
        commands = [line.split(": ", 1)[1].strip() for line in banner[1:]]
        for command in commands:  # the profile commands it prints, run as printed
            added = subprocess.run(
                command.replace("smsctl", f"{sys.executable} -m sms_cli", 1),
                shell=True,
                env=env,
                capture_output=True,
                text=True,
            )
            assert added.returncode == 0, added.stderr
        for name in ("sandbox-connectel", "sandbox-seven"):  # in-process: sending is no news
            sent = CliRunner().invoke(
                app, ["send", "-p", name, "--to", "+46701234567", "--json", "Hi"], env=env
            )
            assert sent.exit_code == 0, sent.stderr
            assert json.loads(sent.stdout)["results"][0]["status"] in ("queued", "enroute")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
    assert server.stderr is not None
    assert "sandbox stopped" in server.stderr.read()


def test_a_client_gone_mid_request_prints_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """A client that times out or drops its connection (smsctl's own fault tests do) must not
    put a traceback into the output of whoever runs the sandbox; other failures are one line."""
    from sms_cli.providers.emulation import SandboxServer, all_emulators

    server = SandboxServer(all_emulators())
    try:
        for gone in (
            ConnectionResetError(104, "reset"),
            BrokenPipeError(32, "pipe"),
            TimeoutError(),
        ):
            try:
                raise gone
            except OSError:
                server.handle_error(None, ("127.0.0.1", 1))
        assert capsys.readouterr().err == ""
        try:
            raise RuntimeError("emulator bug")
        except RuntimeError:
            server.handle_error(None, ("127.0.0.1", 1))
        assert capsys.readouterr().err == "sandbox: a request failed: RuntimeError: emulator bug\n"
    finally:
        server.server_close()
