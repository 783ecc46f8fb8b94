"""Connectel SMS Gateway API v2: what smsctl knows about it (the client and emulator load later)."""

from __future__ import annotations

import re

from sms_cli.providers.info import Capability, ProviderInfo, SenderRule

# shared/PROVIDERS.md §3.2-3.3: sender alphanumeric max 11 or numeric max 20; message max 1600.
INFO = ProviderInfo(
    name="connectel",
    title="Connectel",
    default_base_url="https://smsapi.connectel.se",
    max_text_chars=1600,
    sender=SenderRule(11, 20, re.compile(r"[A-Za-z0-9 ]+")),
    client="sms_cli.providers.connectel.client:Connectel",
    emulator="sms_cli.providers.connectel.emulator:ConnectelEmulator",
    capabilities=frozenset(
        {
            Capability.SEND,
            Capability.STATUS,
            Capability.CALLBACKS,
            Capability.CHECK_TOKEN,  # GET /api/v2/delivery/ of an id no message has
        }
    ),
    requires_sender=True,
    billing_currency=None,  # not documented: its prices are shown "(currency unknown)"
    callback_setup="set this URL on the token in Connectel's web interface",
    docs_url="https://smsapi.connectel.se/api/v2/",
)
