"""smsctl's exported provider contract suite, run against this plugin's emulator: one import."""

from __future__ import annotations

from sms_cli.testing import ProviderContract


class TestTextbelt(ProviderContract):
    provider = "textbelt"
