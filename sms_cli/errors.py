"""Errors a user can act on. Each carries the exit code scripts rely on and a hint to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """The exit-code contract with scripts (README, "Exit codes")."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    PARTIAL = 3
    CONFIG = 4
    AUTH = 5
    NETWORK = 6
    REJECTED = 7
    UNKNOWN_OUTCOME = 8
    PENDING = 9
    LIMIT = 10
    INTERRUPTED = 130
    BROKEN_PIPE = 141

    @property
    def keyword(self) -> str:
        """The word README's exit-code table uses for this code (tests/test_exit_codes.py)."""
        return _KEYWORDS[self]


_KEYWORDS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.INTERNAL: "internal error",
    ExitCode.USAGE: "usage",
    ExitCode.PARTIAL: "partial",
    ExitCode.CONFIG: "configuration",
    ExitCode.AUTH: "authentication",
    ExitCode.NETWORK: "network",
    ExitCode.REJECTED: "rejected",
    ExitCode.UNKNOWN_OUTCOME: "outcome unknown",
    ExitCode.PENDING: "pending",
    ExitCode.LIMIT: "limit",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.BROKEN_PIPE: "closed early",
}


class Outcome(StrEnum):
    """What became of one message, as far as the exit code cares. Each command sorts its own
    states into these (send: the provider's answer; status: the delivery state; bulk: a row)."""

    DONE = "done"  # accepted (a send) or in a state that needs nothing more (status)
    FAILED = "failed"  # refused, undelivered, invalid
    UNKNOWN = "unknown"  # may have been sent: never resent silently
    NOT_SENT = "not_sent"  # certainly not sent, can be sent again
    PENDING = "pending"  # not final yet


def exit_code_for(
    outcomes: Iterable[Outcome] | Mapping[Outcome, int],
    *,
    partial: bool = True,
    waited: bool = False,
    interrupted: bool = False,
) -> ExitCode:
    """The one outcome -> exit-code mapping (README, "Exit codes"), first match wins:
    interrupted 130; any unknown 8; any failed 3 when `partial` and some done, else 7; any not
    sent 6; pending after a wait (`waited`) 9; else 0. `partial=False` (status) makes any
    failure 7 however many were delivered; nothing at all is 0."""
    counts: Counter[Outcome] = Counter()
    if isinstance(outcomes, Mapping):
        counts.update(outcomes)
    else:
        counts.update(outcomes)
    if interrupted:
        return ExitCode.INTERRUPTED
    if counts[Outcome.UNKNOWN] > 0:
        return ExitCode.UNKNOWN_OUTCOME
    if counts[Outcome.FAILED] > 0:
        return ExitCode.PARTIAL if partial and counts[Outcome.DONE] > 0 else ExitCode.REJECTED
    if counts[Outcome.NOT_SENT] > 0:
        return ExitCode.NETWORK
    if waited and counts[Outcome.PENDING] > 0:
        return ExitCode.PENDING
    return ExitCode.OK


class SmsError(Exception):
    """A failure with a message for the user, an exit code and an optional hint."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(SmsError):
    """Bad input: an option, a number, a text, a file."""

    exit_code = ExitCode.USAGE


class ConfigError(SmsError):
    """A missing or broken configuration or profile."""

    exit_code = ExitCode.CONFIG


class LimitExceeded(SmsError):
    """A limit the user set was hit, such as --max-segments."""

    exit_code = ExitCode.LIMIT


class AuthError(SmsError):
    """The provider refused the token."""

    exit_code = ExitCode.AUTH


class NetworkError(SmsError):
    """The provider could not be reached; for a send, nothing left this machine."""

    exit_code = ExitCode.NETWORK


class ProviderUnavailable(SmsError):
    """A query (status, balance) failed on the provider's side, or a rate limit did not clear."""

    exit_code = ExitCode.NETWORK


class StorageError(ConfigError):
    """Local storage (the history, a journal) that cannot be read or written: locked, damaged,
    read-only or a full disk. Names the file, so the user can act on it."""

    def __init__(self, message: str, *, path: object = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class EndpointNotFound(NetworkError):
    """The server answered, but no API handler took the request (HTTP 404 or 405): nothing was
    sent, and the profile's base URL is the likely cause. A NetworkError (refused before
    processing, so callers record it as not sent) whose exit code is the configuration's."""

    exit_code = ExitCode.CONFIG
