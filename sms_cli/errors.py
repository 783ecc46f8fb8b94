"""Errors a user can act on. Each carries the exit code scripts rely on and a hint to fix it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """The exit-code contract with scripts (docs/exit-codes.md)."""

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
        """The word docs/exit-codes.md's table uses for this code (tests/test_exit_codes.py)."""
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
    """The one outcome -> exit-code mapping (docs/exit-codes.md), first match wins:
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


# The stable words of `{"error": {"code": ...}}` (--json), each with its exit code and meaning:
# scripts match on them, so a word is never renamed or reused (docs/exit-codes.md lists them;
# tests/test_errors_json_help_errors.py checks that the page and this table agree).
ERROR_CODES: dict[str, tuple[ExitCode, str]] = {
    "internal": (ExitCode.INTERNAL, "a bug in smsctl; --debug shows the traceback"),
    "usage": (ExitCode.USAGE, "the command line does not parse: unknown option, bad value"),
    "invalid_input": (ExitCode.USAGE, "an option, number, text or file is not acceptable"),
    "unknown_id": (ExitCode.USAGE, "status: an id neither in the history nor known"),
    "partial": (ExitCode.PARTIAL, "some messages were accepted, some refused"),
    "config": (ExitCode.CONFIG, "no or unknown profile, a broken profiles.toml"),
    "storage": (ExitCode.CONFIG, "local storage or output that cannot be read or written"),
    "endpoint_not_found": (ExitCode.CONFIG, "the base URL reaches no API (HTTP 404/405)"),
    "broken_provider": (ExitCode.CONFIG, "an installed provider plug-in cannot be loaded"),
    "auth_rejected": (ExitCode.AUTH, "the provider refused the token"),
    "network": (ExitCode.NETWORK, "the provider could not be reached; nothing was sent"),
    "provider_unavailable": (ExitCode.NETWORK, "a query failed on the provider's side"),
    "rejected": (ExitCode.REJECTED, "refused or undelivered: failed, rejected, expired"),
    "account_rejected": (ExitCode.REJECTED, "the provider refused the account (no credit)"),
    "outcome_unknown": (ExitCode.UNKNOWN_OUTCOME, "a message may have been sent; not resent"),
    "pending": (ExitCode.PENDING, "still pending when --wait ended"),
    "limit": (ExitCode.LIMIT, "a limit was hit: --max-segments"),
    "interrupted": (ExitCode.INTERRUPTED, "Ctrl-C; what was in flight stays recorded"),
    "broken_pipe": (ExitCode.BROKEN_PIPE, "standard output was closed early"),
}

# The word for an exit that no error named (an outcome exit of send, bulk or status).
CODE_FOR_EXIT: dict[ExitCode, str] = {
    ExitCode.INTERNAL: "internal",
    ExitCode.USAGE: "invalid_input",
    ExitCode.PARTIAL: "partial",
    ExitCode.CONFIG: "config",
    ExitCode.AUTH: "auth_rejected",
    ExitCode.NETWORK: "network",
    ExitCode.REJECTED: "rejected",
    ExitCode.UNKNOWN_OUTCOME: "outcome_unknown",
    ExitCode.PENDING: "pending",
    ExitCode.LIMIT: "limit",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.BROKEN_PIPE: "broken_pipe",
}

# What an exit that no error explained means, said once on stderr.
SUMMARY_FOR_EXIT: dict[ExitCode, str] = {
    ExitCode.INTERNAL: "internal error; this is a bug in smsctl",
    ExitCode.USAGE: "invalid input",
    ExitCode.PARTIAL: "some messages were accepted and some were refused (exit 3)",
    ExitCode.CONFIG: "configuration or local storage error (exit 4)",
    ExitCode.AUTH: "the provider rejected the token (exit 5)",
    ExitCode.NETWORK: "some messages were not sent: the provider could not be reached (exit 6)",
    ExitCode.REJECTED: "refused or undelivered: see the results above (exit 7)",
    ExitCode.UNKNOWN_OUTCOME: (
        "the outcome of some messages is unknown: they may have been sent, and nothing was "
        "resent (exit 8)"
    ),
    ExitCode.PENDING: "some messages were still pending when the wait ended (exit 9)",
    ExitCode.LIMIT: "a limit was hit (exit 10)",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.BROKEN_PIPE: "standard output was closed early",
}

HINT_FOR_EXIT: dict[ExitCode, str] = {
    ExitCode.UNKNOWN_OUTCOME: "check with `smsctl status --last` before sending again",
    ExitCode.PENDING: "run `smsctl status --last` later, or wait longer with --timeout",
}


class SmsError(Exception):
    """A failure with a message for the user, an exit code, an optional hint and a stable
    `code` word for scripts (ERROR_CODES): the class's by default, or `code=` for a case."""

    exit_code: ExitCode = ExitCode.INTERNAL
    code: str = "internal"

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # A typo, or a word whose exit code differs, would reach scripts: fail at import.
        if ERROR_CODES.get(cls.code, (None,))[0] != cls.exit_code:
            raise TypeError(f"{cls.__name__}.code {cls.code!r} does not match ERROR_CODES")


class InputError(SmsError):
    """Bad input: an option, a number, a text, a file."""

    exit_code = ExitCode.USAGE
    code = "invalid_input"


class ConfigError(SmsError):
    """A missing or broken configuration or profile."""

    exit_code = ExitCode.CONFIG
    code = "config"


class LimitExceeded(SmsError):
    """A limit the user set was hit, such as --max-segments."""

    exit_code = ExitCode.LIMIT
    code = "limit"


class AuthError(SmsError):
    """The provider refused the token."""

    exit_code = ExitCode.AUTH
    code = "auth_rejected"


class NetworkError(SmsError):
    """The provider could not be reached; for a send, nothing left this machine."""

    exit_code = ExitCode.NETWORK
    code = "network"


class ProviderUnavailable(SmsError):
    """A query (status, balance) failed on the provider's side, or a rate limit did not clear."""

    exit_code = ExitCode.NETWORK
    code = "provider_unavailable"


class StorageError(ConfigError):
    """Local storage (the history, a journal) that cannot be read or written: locked, damaged,
    read-only or a full disk. Names the file, so the user can act on it."""

    def __init__(self, message: str, *, path: object = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path

    code = "storage"


class EndpointNotFound(NetworkError):
    """The server answered, but no API handler took the request (HTTP 404 or 405): nothing was
    sent, and the profile's base URL is the likely cause. A NetworkError (refused before
    processing, so callers record it as not sent) whose exit code is the configuration's."""

    exit_code = ExitCode.CONFIG
    code = "endpoint_not_found"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what it left behind said to the user: a message and a hint (exit 130, code
    `interrupted`). A KeyboardInterrupt, so whatever stops on Ctrl-C stops on it too."""

    exit_code = ExitCode.INTERRUPTED
    code = "interrupted"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
