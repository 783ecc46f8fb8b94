"""`smsctl sandbox --port`: a port that is taken says so and how to choose another; `--port 0`
picks a free one and tells the real URL. Real sockets, a real process for the server."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sms_cli.app import app


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_in_use_says_so_and_how_to_choose_another(held_port: int) -> None:
    result = CliRunner().invoke(app, ["sandbox", "--port", str(held_port), "--no-log"])
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{held_port}: the port is already in use" in result.stderr
    assert "hint: choose another port: smsctl sandbox --port 0 (any free port) or --port N" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def _read_line(process: subprocess.Popen[bytes], deadline: float) -> str:
    """One line of the process's stdout, waiting at most until `deadline`."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        buffered = b""
        while not buffered.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(timeout=left):
                raise AssertionError("the sandbox printed no URL on stdout")
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                raise AssertionError("the sandbox closed stdout without a URL")
            buffered += chunk
    return buffered.decode()


def test_port_zero_picks_a_free_port_and_prints_the_real_url(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SMSCTL_CONFIG_DIR": str(tmp_path / "cfg"),
        "SMSCTL_DATA_DIR": str(tmp_path / "data"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "sandbox", "--port", "0", "--no-log"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = _read_line(server, time.monotonic() + 15).strip()
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        assert port not in (0, 8025)
        with urllib.request.urlopen(f"{url}/seven/__emu/requests", timeout=5) as answer:
            assert answer.status == 200
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=15)
    assert server.returncode == 0
    banner = err.decode()
    assert f"listening on {url} (Ctrl-C to stop)" in banner
    assert f"--base-url {url}/seven/api --sender Sandbox --token-stdin" in banner
    assert ":0/" not in banner
