"""The senders seven accepts (moved from tests/unit/test_profile_store.py)."""

from __future__ import annotations

import pytest

from sms_cli.errors import InputError
from sms_cli.providers import registry
from sms_cli.storage.profiles import validate_sender


@pytest.mark.parametrize(
    ("sender", "ok"),
    [
        ("Acme&Co", True),
        ("1" * 16, True),
        ("1" * 17, False),
        ("ÅkeAB", False),
        (" ", False),
    ],
)
def test_sender_rules(sender: str, ok: bool) -> None:
    if ok:
        assert validate_sender(registry.get("seven"), sender) == sender
    else:
        with pytest.raises(InputError):
            validate_sender(registry.get("seven"), sender)
