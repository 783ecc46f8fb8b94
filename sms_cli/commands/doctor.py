"""`smsctl doctor`: paths, permissions, profiles, tokens, clock and completions, checked."""

from __future__ import annotations

from sms_cli.commands._runtime import handled_errors
from sms_cli.errors import ConfigError


def doctor_command() -> None:
    """Check smsctl's set-up: paths and permissions, profiles, tokens, clock, completions."""
    with handled_errors():
        raise ConfigError("doctor: being built (issue 15)")  # replaced by the checks engineer
