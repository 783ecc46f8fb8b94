"""Each test with its own config and data directories, no SMSCTL_* settings, and one loopback
Textbelt emulator (smsctl's sandbox server, serving only this plugin's emulator)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from smsctl_textbelt.emulator import TextbeltEmulator
from textbelt_kit import KEY, run

from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.http import RetryPolicy, set_retry_policy


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from sms_cli.core import redaction

    for name in list(os.environ):
        if name.startswith("SMSCTL_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "data"))
    yield
    redaction.forget_secrets()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    served = SandboxServer({"textbelt": TextbeltEmulator()})
    served.start_in_thread()
    yield served
    served.stop()


@pytest.fixture
def emulator(server: SandboxServer) -> TextbeltEmulator:
    emu = server.emulators["textbelt"]
    assert isinstance(emu, TextbeltEmulator)
    emu.reset()
    return emu


@pytest.fixture
def base_url(server: SandboxServer, emulator: TextbeltEmulator) -> str:
    return f"{server.url}/textbelt"


@pytest.fixture
def profile(base_url: str, emulator: TextbeltEmulator) -> str:
    """Profile `t`: Textbelt on the emulator, with the canary key."""
    emulator.tokens = {KEY}
    added = run(
        "profile", "add", "t", "--provider", "textbelt", "--base-url", base_url, "--token-stdin",
        input=KEY,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    return "t"


@pytest.fixture
def no_waiting() -> Iterator[None]:
    """A 429 is not retried: it is a rate limit that did not clear, at once."""
    previous = set_retry_policy(RetryPolicy(rate_limit_retries=0, sleep=lambda _: None))
    try:
        yield
    finally:
        set_retry_policy(previous)
