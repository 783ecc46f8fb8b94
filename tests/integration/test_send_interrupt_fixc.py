"""Ctrl-C while a send waits for the provider: exit 130, and the error says the message may
have been sent and how to find out before sending again (the JSON object too)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sms_cli.testing.contract import FIRST
from tests.integration.conftest import Emu
from tests.providers.selection import any_provider


def _interrupted_send(emu: Emu, *extra: str) -> str:
    emu.faults(latency=3.0)
    before = len(emu.sends())
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "send", "--to", FIRST, "Hi", *extra],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while len(emu.sends()) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    emu.wait_idle()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    return stderr


@pytest.mark.parametrize("provider", [any_provider()], indirect=True)
def test_ctrl_c_while_waiting_says_it_may_have_been_sent(emu: Emu, profile: str) -> None:
    stderr = _interrupted_send(emu)
    assert "may have been sent" in stderr, stderr
    assert "hint: run `smsctl status --last`" in stderr, stderr
    stderr = _interrupted_send(emu, "--json")
    error = json.loads(stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "interrupted" and error["exit_code"] == 130, error
    assert "may have been sent" in error["message"]
    assert "smsctl status --last" in error["hint"]
