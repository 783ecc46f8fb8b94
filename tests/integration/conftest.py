"""A real loopback HTTP server running every provider's emulator, and ways to steer it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer, all_emulators

CANARY = "CANARY-tok-3e8f1a2b9c7d4e60"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    yield server
    server.stop()


class Emu:
    """The control API of one emulator (sms_cli/providers/emulation.py), over HTTP."""

    def __init__(self, server: SandboxServer, name: str) -> None:
        self.name = name
        self.root = f"{server.url}/{name}"
        info = registry.get(name)
        self.base_url = self.root + ("/api" if info.default_base_url.endswith("/api") else "")

    def control(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        response = httpx.post(f"{self.root}/__emu/{action}", json=payload or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def requests(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.root}/__emu/requests", timeout=10)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def sends(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] == "POST"]

    def faults(self, **settings: Any) -> None:
        self.control("faults", settings)

    def reject(self, *numbers: str) -> None:
        self.control("reject", {"numbers": list(numbers)})

    def set(self, **settings: Any) -> None:
        self.control("set", settings)


@pytest.fixture(params=sorted(registry.builtin()))
def provider(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def emu(sandbox: SandboxServer, provider: str) -> Emu:
    control = Emu(sandbox, provider)
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
