"""Account-level requests: the balance and webhook registrations of the profile in use.

A provider declares what it can do (`ProviderInfo.capabilities`); these services check it before
any request, so a provider without a balance or webhook API gets one clear error naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sms_cli.errors import ConfigError, InputError
from sms_cli.providers import registry
from sms_cli.providers.info import Capability, ProviderInfo
from sms_cli.services import profiles as profile_service
from sms_cli.storage.profiles import ResolvedProfile, resolve

if TYPE_CHECKING:
    from sms_cli.providers.base import Balance, HookManager, Provider

T = TypeVar("T")

# What each account capability is called in the error a provider without it gets.
_LACKS: dict[Capability, str] = {
    Capability.BALANCE: "has no balance API",
    Capability.HOOKS: "has no API to register webhooks",
}


def require(info: ProviderInfo, capability: Capability, profile: str | None = None) -> None:
    """An InputError (exit 2) when the provider does not declare `capability`."""
    if info.supports(capability):
        return
    lacks = _LACKS.get(capability, f"cannot do {capability.value}")
    able = [i.title for i in registry.available().values() if i.supports(capability)]
    hints = []
    if profile is not None:
        hints.append(f"profile {profile!r} uses {info.title}")
    if capability is Capability.HOOKS and info.callback_setup:
        hints.append(f"instead, {info.callback_setup}")
    if able:
        hints.append(f"providers that can: {', '.join(able)}")
    raise InputError(
        f"not supported by this provider: {info.title} {lacks}", hint="; ".join(hints) or None
    )


@contextmanager
def client(
    profile: str | None, timeout: float, needs: Capability = Capability.SEND
) -> Iterator[tuple[ResolvedProfile, Provider]]:
    """The resolved profile and a client for it, closed afterwards; `needs` is checked first."""
    resolved = resolve(profile_service.load(), profile)
    info = registry.get(resolved.provider)
    require(info, needs, resolved.profile.name)
    client_class = registry.load_client(info)
    provider: Provider = client_class(
        resolved.credentials, resolved.profile.base_url, timeout=timeout
    )
    try:
        yield resolved, provider
    finally:
        provider.close()


def _as(provider: Provider, kind: Any, info: ProviderInfo) -> Any:
    """The client as the capability's interface; a client that declares a capability it does
    not implement is the plugin's bug, reported as a configuration error, not a traceback."""
    if not isinstance(provider, kind):
        raise ConfigError(
            f"{info.title}'s client declares {kind.__name__} but does not implement it",
            hint="report it to the provider plugin's author (smsctl providers)",
        )
    return provider


def balance(profile: str | None, timeout: float) -> tuple[ResolvedProfile, Balance]:
    """The account balance of the profile's provider (Capability.BALANCE)."""
    from sms_cli.providers.base import AccountReader

    with client(profile, timeout, Capability.BALANCE) as (resolved, provider):
        reader: AccountReader = _as(provider, AccountReader, registry.get(resolved.provider))
        return resolved, reader.balance()


@contextmanager
def hook_manager(profile: str | None, timeout: float) -> Iterator[HookManager]:
    """The client as a HookManager (Capability.HOOKS), closed afterwards."""
    from sms_cli.providers.base import HookManager

    with client(profile, timeout, Capability.HOOKS) as (resolved, provider):
        manager: HookManager = _as(provider, HookManager, registry.get(resolved.provider))
        yield manager
