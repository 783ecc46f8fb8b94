"""Textbelt (docs.textbelt.com) as an smsctl provider: what smsctl knows without loading it.

Only data here, so `--help` and `split` stay light: the client (httpx) and the emulator load
when a command needs them. The registry finds this through the `smsctl.providers` entry point.
"""

from __future__ import annotations

import re

from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule

__version__ = "0.1.0"

INFO = ProviderInfo(
    name="textbelt",
    title="Textbelt",
    default_base_url="https://textbelt.com",
    # [U] The docs name no hard limit on the text; this bound is our own (README.md).
    max_text_chars=800,
    # The docs' `sender` is the business name, for regulatory purposes and not shown to the
    # recipient in most countries; they set no format. [U] our own bound: 50 characters.
    sender=SenderRule(50, 20, re.compile(r"[A-Za-z0-9 .,&'!()\-]+")),
    client="smsctl_textbelt.client:Textbelt",
    emulator="smsctl_textbelt.emulator:TextbeltEmulator",
    credentials=(Credential("key", "API key", env="SMSCTL_TOKEN"),),
    capabilities=frozenset(
        {
            Capability.SEND,
            Capability.STATUS,  # GET /status/:textId
            Capability.BALANCE,  # GET /quota/:key
            Capability.CALLBACKS,  # replies POSTed to replyWebhookUrl
            Capability.SIGNED_CALLBACKS,  # X-textbelt-signature: HMAC-SHA256 with the API key
            Capability.CHECK_TOKEN,  # GET /quota/:key, as the balance
        }
    ),
    send_options=frozenset({"--test"}),  # the key with `_test` appended: nothing is sent
    # "at most 1-2 messages per second" (shared/PROVIDERS.md §8): the lower bound.
    max_requests_per_second=1.0,
    max_recipients_per_request=1,  # /text takes one phone number
    callback_setup=(
        "Textbelt posts replies to the replyWebhookUrl given with each send, signed with the "
        "API key: store that key as the profile's signing key (smsctl profile signing-key)"
    ),
    docs_url="https://docs.textbelt.com/",
)

__all__ = ["INFO", "__version__"]
