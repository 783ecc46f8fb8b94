"""Each provider's own tests (its wire format, seeds and client) use the integration sandbox."""

from __future__ import annotations

from tests.integration.conftest import emu, profile, sandbox

__all__ = ["emu", "profile", "sandbox"]
