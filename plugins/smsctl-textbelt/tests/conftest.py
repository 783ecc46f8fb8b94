"""Each test with its own config and data directories, no SMSCTL_* settings, and one loopback
Textbelt emulator (smsctl's sandbox server, serving only this plugin's emulator)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from smsctl_textbelt.emulator import TextbeltEmulator

from sms_cli.providers.emulation import SandboxServer


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from sms_cli.core import redaction

    for name in list(os.environ):
        if name.startswith("SMSCTL_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "data"))
    yield
    redaction._secrets.clear()
    redaction._variants.clear()
    redaction._pieces.clear()


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
