"""Every available provider declares in INFO exactly the capabilities its client inherits."""

from __future__ import annotations

import pytest

from sms_cli.providers import registry
from sms_cli.providers.base import Provider, inherited_capabilities
from sms_cli.providers.info import Capability


@pytest.mark.parametrize("name", sorted(registry.available()))
def test_declared_capabilities_are_the_inherited_ones(name: str) -> None:
    info = registry.get(name)
    client = registry.load(info.client)
    assert issubclass(client, Provider)
    assert client.info is info
    declared = {c.value for c in info.capabilities} - {Capability.SIGNED_CALLBACKS.value}
    assert declared == set(inherited_capabilities(client))
    if info.supports(Capability.SIGNED_CALLBACKS):
        assert info.supports(Capability.CALLBACKS)


def test_unknown_provider_lists_the_known() -> None:
    with pytest.raises(registry.UnknownProvider) as refused:
        registry.get("no-such-provider")
    for name in registry.builtin():
        assert name in str(refused.value)
    assert isinstance(refused.value, ValueError)
