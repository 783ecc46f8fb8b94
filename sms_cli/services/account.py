"""Account-level requests: the balance and webhook registrations of the profile in use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from sms_cli.errors import InputError
from sms_cli.providers.registry import REGISTRY, load
from sms_cli.storage.profiles import ProfileStore, ResolvedProfile, resolve

if TYPE_CHECKING:
    from sms_cli.providers.base import Provider

T = TypeVar("T")


@contextmanager
def client(profile: str | None, timeout: float) -> Iterator[tuple[ResolvedProfile, Provider]]:
    """The resolved profile and a client for it, closed afterwards."""
    resolved = resolve(ProfileStore().load(), profile)
    client_class = load(REGISTRY[resolved.provider].client)
    assert resolved.token is not None  # resolve() requires one
    provider: Provider = client_class(resolved.token, resolved.profile.base_url, timeout=timeout)
    try:
        yield resolved, provider
    finally:
        provider.close()


def supported(call: Callable[[], T], profile: ResolvedProfile) -> T:
    """Run a provider call; a provider that cannot do it is a usage error naming the profile."""
    from sms_cli.providers.base import NotSupported

    try:
        return call()
    except NotSupported as exc:
        raise InputError(
            f"not supported by this provider: {exc}",
            hint=f"profile {profile.profile.name!r} uses {REGISTRY[profile.provider].title}",
        ) from None
