"""A real loopback HTTP server running every provider's emulator, and ways to steer it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer, all_emulators
from sms_cli.testing.contract import CANARY, EmulatorControl


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    yield server
    server.stop()


class Emu(EmulatorControl):
    """The control API of one built-in provider's emulator."""

    def __init__(self, server: SandboxServer, name: str) -> None:
        super().__init__(server, name, registry.get(name).default_base_url)


@pytest.fixture(params=sorted(registry.builtin()))
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def emu(sandbox: SandboxServer, provider: str) -> Emu:
    control = Emu(sandbox, provider)
    control.wait_idle()  # a slow answer an earlier test gave up on must not land in this one
    control.control("reset")
    control.set(tokens=[CANARY])
    return control


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


@pytest.fixture
def profile(emu: Emu) -> str:
    """A default profile pointing at the emulator, with the canary token."""
    result = run(
        [
            "profile",
            "add",
            emu.name,
            "--provider",
            emu.name,
            "--base-url",
            emu.base_url,
            "--sender",
            "Acme",
            "--token-stdin",
        ],
        input=CANARY,
    )
    assert result.exit_code == 0, result.stderr
    return emu.name
