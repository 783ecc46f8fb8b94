"""Fixtures the adversarial tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sms_cli.providers.emulation import SandboxServer, all_emulators


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """Every provider's emulator on loopback, one per test module."""
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    yield server
    server.stop()
