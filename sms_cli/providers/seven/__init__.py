"""seven.io (formerly sms77.io): what smsctl knows about it (the client and emulator load later)."""

from __future__ import annotations

import re

from sms_cli.providers.info import Capability, ProviderInfo, SenderRule

# shared/PROVIDERS.md §2.1, §2.5.1: max 11 alphanumeric (the PHP validator also allows
# / . - @ _ ! ( ) + $ , & and space) or 16 numeric characters; text max 1520.
INFO = ProviderInfo(
    name="seven",
    title="seven.io",
    default_base_url="https://gateway.seven.io/api",
    max_text_chars=1520,
    sender=SenderRule(11, 16, re.compile(r"[A-Za-z0-9 /.\-@_!()+$,&]+")),
    client="sms_cli.providers.seven.client:Seven",
    emulator="sms_cli.providers.seven.emulator:SevenEmulator",
    capabilities=frozenset(
        {
            Capability.SEND,
            Capability.STATUS,
            Capability.FIND_SENT,
            Capability.BALANCE,
            Capability.HOOKS,
            Capability.CALLBACKS,
            Capability.SIGNED_CALLBACKS,  # §2.10.2
            Capability.CHECK_TOKEN,  # GET /balance (§2.8)
        }
    ),
    max_requests_per_second=50.0,  # §2.11: 50 connections a second in total
    reload_lock_seconds=180.0,  # §4.3: code 402, the same SMS within 180 s
    billing_currency="EUR",  # §7.A.4: prices carry no currency; /balance says EUR
    callback_setup="register it with: smsctl hooks add URL --event all",
    docs_url="https://docs.seven.io/en/rest-api/endpoints/sms",
    send_options=frozenset(
        {
            "--flash",
            "--at",
            "--ttl",
            "--label",
            "--foreign-id",
            "--performance-tracking",
            "--no-reload",
            "--unicode",
            "--utf8",
            "--udh",
            "--to group:/contact:",  # address-book recipients (§7.D.3)
            "--attach",
            "--test",
        }
    ),
)
