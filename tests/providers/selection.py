"""Choosing providers for a test by what they can do, never by name (tests/providers/
test_names_stay_home.py checks that). A new provider, built-in or plugin, is picked up as is."""

from __future__ import annotations

from sms_cli.providers import registry
from sms_cli.providers.info import Capability


def providers_with(*capabilities: Capability) -> list[str]:
    """Every built-in provider that declares all these capabilities, by name."""
    return sorted(
        name
        for name, info in registry.builtin().items()
        if all(info.supports(c) for c in capabilities)
    )


def providers_without(capability: Capability) -> list[str]:
    return sorted(n for n, info in registry.builtin().items() if not info.supports(capability))


def any_provider(*capabilities: Capability) -> str:
    """One provider with these capabilities: for tests where which one does not matter."""
    return providers_with(*capabilities)[0]


def supports(name: str, capability: Capability) -> bool:
    return registry.get(name).supports(capability)
