"""Fixtures for the bulk adversarial tests: every provider's emulator on loopback, a profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer, all_emulators
from tests.integration.conftest import CANARY, Emu, run

__all__ = ["emu", "profile", "server"]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    sandbox = SandboxServer(all_emulators())
    sandbox.start_in_thread()
    yield sandbox
    sandbox.stop()


@pytest.fixture(params=sorted(registry.builtin()))
def emu(server: SandboxServer, request: pytest.FixtureRequest) -> Emu:
    control = Emu(server, request.param)
    control.control("reset")
    control.set(tokens=[CANARY])
    return control


@pytest.fixture
def profile(emu: Emu) -> str:
    added = run(
        ["profile", "add", emu.name, "--provider", emu.name, "--base-url", emu.base_url,
         "--sender", "Acme", "--token-stdin"],
        input=CANARY,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    return emu.name
