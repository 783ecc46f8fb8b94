"""The explicit provider registry: what smsctl knows about each provider without loading it.

Validation (profiles, senders, text limits) works from these entries alone, so commands that do
not talk to a provider never import httpx or a client module. Adding a provider takes one entry
here, one client module and one emulator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class SenderRule:
    """A sender is either alphanumeric (up to `alnum_max`) or numeric (up to `digits_max`)."""

    alnum_max: int
    digits_max: int
    alnum_pattern: re.Pattern[str]

    def problem(self, sender: str) -> str | None:
        """Why a sender would be refused, or None when it is fine."""
        digits = sender[1:] if sender.startswith("+") else sender
        if digits.isdigit() and digits.isascii():
            if len(digits) > self.digits_max:
                return f"a numeric sender has at most {self.digits_max} digits"
            return None
        if not sender.strip():
            return "the sender is empty"
        if len(sender) > self.alnum_max:
            return f"an alphanumeric sender has at most {self.alnum_max} characters"
        if not self.alnum_pattern.fullmatch(sender):
            return "an alphanumeric sender may only use letters A-Z, digits and spaces"
        return None


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    title: str
    default_base_url: str
    max_text_chars: int
    sender: SenderRule
    client: str  # "module:Class", imported only when a command needs the network
    emulator: str  # "module:Class" of its local emulator (providers/NAME/emulator.py)
    requires_sender: bool = False
    send_options: frozenset[str] = frozenset()  # `smsctl send` options it understands
    max_requests_per_second: float | None = None  # a documented rate limit, the bulk default
    signed_callbacks: bool = False  # signs what it pushes, with a key the user can store
    callback_setup: str = ""  # how a user points the provider at `smsctl listen`


REGISTRY: Final[dict[str, ProviderInfo]] = {
    # shared/PROVIDERS.md §3.2-3.3: sender alphanumeric max 11 or numeric max 20; message max 1600.
    "connectel": ProviderInfo(
        name="connectel",
        title="Connectel",
        default_base_url="https://smsapi.connectel.se",
        max_text_chars=1600,
        sender=SenderRule(11, 20, re.compile(r"[A-Za-z0-9 ]+")),
        client="sms_cli.providers.connectel.client:Connectel",
        emulator="sms_cli.providers.connectel.emulator:ConnectelEmulator",
        requires_sender=True,
        callback_setup="set this URL on the token in Connectel's web interface",
    ),
    # shared/PROVIDERS.md §2.1, §2.5.1: max 11 alphanumeric (the PHP validator also allows
    # / . - @ _ ! ( ) + $ , & and space) or 16 numeric characters; text max 1520.
    "seven": ProviderInfo(
        name="seven",
        title="seven.io",
        default_base_url="https://gateway.seven.io/api",
        max_text_chars=1520,
        sender=SenderRule(11, 16, re.compile(r"[A-Za-z0-9 /.\-@_!()+$,&]+")),
        client="sms_cli.providers.seven.client:Seven",
        emulator="sms_cli.providers.seven.emulator:SevenEmulator",
        max_requests_per_second=50.0,  # §2.11: 50 connections a second in total
        signed_callbacks=True,  # §2.10.2
        callback_setup="register it with: smsctl hooks add URL --event all",
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
    ),
}

PROVIDER_NAMES: Final = tuple(REGISTRY)


def provider_info(name: str) -> ProviderInfo:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise ValueError(f"unknown provider {name!r} (known: {known})") from None


def load(path: str) -> type:
    """Import the class a registry entry names ("module:Class")."""
    import importlib

    module_name, _, class_name = path.partition(":")
    cls: type = getattr(importlib.import_module(module_name), class_name)
    return cls
