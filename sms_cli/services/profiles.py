"""Profiles with what the provider registry knows: the store gets the provider facts from here.

Storage does not know providers (tests/test_architecture.py); this module gives the store the
registry as a `ProviderCatalog`, checks what needs a provider's capabilities (a signing key), and
builds a new profile from the credentials the provider declares. It prints nothing: warnings found
on load go to the sink the command layer sets (`warn_with`). Storage loads inside the functions so
commands can import this module for `--help` and `split` without the TOML libraries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sms_cli.errors import InputError

if TYPE_CHECKING:
    from sms_cli.providers.info import ProviderInfo
    from sms_cli.storage.profiles import Profile, ProfileFile, ProfileStore

_warn: Callable[[str], None] | None = None


def warn_with(sink: Callable[[str], None] | None) -> None:
    """Where warnings found while loading the profiles go (commands pass the stderr renderer)."""
    global _warn
    _warn = sink


class RegistryCatalog:
    """The installed providers, as the profile store asks for them."""

    def facts(self, name: str) -> ProviderInfo | None:
        from sms_cli.providers import registry

        try:
            return registry.get(name)
        except registry.UnknownProvider:
            return None

    def names(self) -> Sequence[str]:
        from sms_cli.providers import registry

        return list(registry.available())

    def unknown(self, name: str) -> str:
        from sms_cli.providers import registry

        try:
            registry.get(name)
        except registry.UnknownProvider as exc:
            return str(exc)
        return f"provider {name!r} cannot be used"  # pragma: no cover - facts() found none


CATALOG = RegistryCatalog()


def store(path: Path | None = None) -> ProfileStore:
    from sms_cli.storage.profiles import ProfileStore

    return ProfileStore(path, providers=CATALOG)


def load(path: Path | None = None) -> ProfileFile:
    """The profiles file; its warnings (a file other users can read) go to the sink."""
    profiles = store(path).load()
    if _warn is not None:
        for warning in profiles.warnings:
            _warn(warning)
    return profiles


def provider(name: str) -> ProviderInfo:
    """The installed provider of that name; InputError (exit 2) listing the known ones, or
    saying that the plugin of that name is installed but broken, and why."""
    from sms_cli.providers import registry

    try:
        return registry.get(name)
    except registry.UnknownProvider as exc:
        raise InputError(str(exc)) from None


def validate_sender(info: ProviderInfo, sender: str) -> str:
    from sms_cli.storage.profiles import validate_sender as check

    return check(info, sender)


def require_signing(profiles: ProfileFile, name: str) -> None:
    """Only a provider that signs its callbacks takes a signing key."""
    from sms_cli.providers.info import Capability

    info = provider(profiles.get(name).provider)
    if not info.supports(Capability.SIGNED_CALLBACKS):
        raise InputError(
            f"{info.title} does not sign its callbacks; profile {name!r} needs no signing key"
        )


def new_profile(
    name: str,
    info: ProviderInfo,
    stored: Mapping[str, str],
    from_env: Mapping[str, str],
    **values: Any,
) -> Profile:
    """A profile for `profile add`: every credential the provider declares, given one way each."""
    from sms_cli.storage.profiles import make_profile, validate_env_name, validate_secret

    declared = {c.name: c for c in info.credentials}
    for key in (*stored, *from_env):
        if key not in declared:
            raise InputError(f"{info.title} has no credential {key!r}", hint=names_hint(info))
    for key, value in stored.items():
        validate_secret(value, declared[key].spoken)
    for variable in from_env.values():
        validate_env_name(variable)
    return make_profile(name, info, stored, from_env, **values)


def names_hint(info: ProviderInfo) -> str:
    if not info.credentials:
        return f"{info.title} takes no credentials"
    listed = ", ".join(
        f"{c.name} ({c.label}{', secret' if c.secret else ''})" for c in info.credentials
    )
    return f"{info.title} takes: {listed}"
