"""Errors a user can act on. Each carries the exit code scripts rely on and a hint to fix it."""

from __future__ import annotations

from enum import IntEnum


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
