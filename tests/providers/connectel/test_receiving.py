"""Receiving from Connectel: its own push styles (moved from
tests/integration/test_receiving.py: these speak Connectel's wire format)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_receiving import (
    Listener,
    assert_push_round_trip,
    listener,
    point_callbacks_at,
)

__all__ = ["listener"]


@pytest.fixture
def provider() -> str:
    return "connectel"


@pytest.mark.parametrize("style", ["json", "form"])
def test_every_push_style_is_understood(
    emu: Emu, profile: str, listener: Listener, style: str
) -> None:
    point_callbacks_at(emu, listener, format=style)
    assert_push_round_trip(emu, listener)
