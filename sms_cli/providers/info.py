"""What smsctl knows about a provider without loading its client: pure data.

Each provider package (`sms_cli/providers/<name>/__init__.py`, or a plugin's package) defines one
`INFO: ProviderInfo`. Validation (profiles, senders, text limits), help and completions work from
it alone, so commands that do not talk to a provider never import httpx or a client module.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Capability(enum.StrEnum):
    """What a provider can do beyond sending; a client declares each and inherits its ABC."""

    SEND = "send"  # every provider
    STATUS = "status"  # delivery reports by provider id (`smsctl status`)
    FIND_SENT = "find_sent"  # find a message whose send answer was lost (settles `unknown`)
    BALANCE = "balance"  # `smsctl balance`
    HOOKS = "hooks"  # register webhooks through the API (`smsctl hooks`)
    CALLBACKS = "callbacks"  # reads what it pushes to `smsctl listen` (DLRs and/or inbound SMS)
    SIGNED_CALLBACKS = "signed_callbacks"  # signs what it pushes, with a key the user can store
    CHECK_TOKEN = "check_token"  # a cheap authenticated request (`profile check`, `doctor`)


@dataclass(frozen=True)
class Credential:
    """One value a provider needs to authenticate, declared as data.

    secret: hidden prompt, masked in displays, registered for redaction, never in --json, errors
    or history; not secret (an account id): shown like a sender.
    """

    name: str  # key in the profile table and in Provider.credentials: "token", "account_id"
    label: str  # what prompts and help call it: "API token", "account id"
    secret: bool = True
    env: str | None = None  # an environment variable that overrides it (the first secret)

    @property
    def spoken(self) -> str:
        """How messages and prompts call it: `token` stays "token", as it always was; any
        other credential goes by its label."""
        return "token" if self.name == "token" else self.label


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


TOKEN: tuple[Credential, ...] = (Credential("token", "API token", env="SMSCTL_TOKEN"),)


@dataclass(frozen=True)
class ProviderInfo:
    name: str  # lower-case identifier used in profiles ("examplesms")
    title: str  # for humans ("Example SMS")
    default_base_url: str
    max_text_chars: int
    sender: SenderRule
    client: str  # "module:Class", imported only when a command needs the network
    emulator: str | None = None  # "module:Class" of its loopback emulator; None: no sandbox
    credentials: tuple[Credential, ...] = TOKEN
    capabilities: frozenset[Capability] = frozenset({Capability.SEND, Capability.STATUS})
    requires_sender: bool = False
    send_options: frozenset[str] = frozenset()  # `smsctl send` options it understands
    # A lock that refuses the same text to the same recipient within this many seconds (a
    # "reload lock"); `--no-reload` in send_options lifts it for one send.
    reload_lock_seconds: float | None = None
    max_requests_per_second: float | None = None  # a documented rate limit, the bulk default
    # Recipients one send request may carry: `send` splits into requests of this many, `bulk`
    # keeps its batches at most this big; None: no limit of its own (one request for a send).
    max_recipients_per_request: int | None = None
    callback_setup: str = ""  # how a user points the provider at `smsctl listen`
    # The currency the provider bills in (ISO 4217, "EUR"): what the prices and balances in its
    # answers are in when an answer does not say. None: unknown, shown as "(currency unknown)".
    billing_currency: str | None = None
    docs_url: str = ""

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def secret_credentials(self) -> tuple[Credential, ...]:
        return tuple(c for c in self.credentials if c.secret)

    @property
    def main_secret(self) -> Credential | None:
        """The first secret: the one --token-stdin / --token-env / SMSCTL_TOKEN set."""
        secrets = self.secret_credentials
        return secrets[0] if secrets else None
