"""Times the user types: `send --at` and `--since`. Pure: no I/O, nothing heavy imported.

Every string gives a value or an InputError (exit 2), never another exception: datetime
arithmetic overflows (`--at 99999999999999`, `--since 99999999d`, year 1 moved to another time
zone) are turned into "out of range" here, not left to surface as a bug.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from sms_cli.errors import InputError

# The longest wait a user may ask of one network call (`--timeout`), in seconds: past it a
# value is a usage error at parsing, and the transport clamps to it as well.
MAX_TIMEOUT: Final = 3600.0

# Times outside these years are mistakes: SMS did not exist before 1970, and datetime ends at 9999.
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 9999
_RANGE: Final = f"use a time between {MIN_YEAR} and {MAX_YEAR}"
_UNIX: Final = re.compile(r"[0-9]{1,20}")
_AGE: Final = re.compile(r"([0-9]{1,20})\s*([mhdw])")
_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _out_of_range(option: str, value: str) -> InputError:
    return InputError(f"{option} {value!r}: year out of range", hint=_RANGE)


def _checked(when: datetime, option: str, value: str) -> datetime:
    """`when` in UTC, or an InputError when it lies outside MIN_YEAR..MAX_YEAR."""
    try:
        if when.tzinfo is None:
            when = when.astimezone()  # a time without zone is the user's local time
        utc = when.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        raise _out_of_range(option, value) from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise _out_of_range(option, value)
    return utc


def parse_send_time(value: str, *, option: str = "--at") -> datetime:
    """`--at`: ISO 8601 (`2026-12-24T18:00+01:00`), `YYYY-MM-DD HH:MM[:SS]` local, or Unix time.

    The result is timezone-aware (UTC).
    """
    text = value.strip()
    if not text:
        raise InputError(f"{option}: empty", hint="give a time, or leave the option out")
    if _UNIX.fullmatch(text):
        try:
            when = datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, ValueError, OSError):
            raise _out_of_range(option, value) from None
        return _checked(when, option, value)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        if "out of range" in str(exc):
            raise _out_of_range(option, value) from None
        raise InputError(
            f"{option} {value!r} is not a time",
            hint="use e.g. '2026-12-24 18:00' (local time), ISO 8601, or a Unix timestamp",
        ) from None
    return _checked(when, option, value)


def parse_since(value: str, *, now: datetime | None = None) -> str:
    """`--since`: an age (`30m`, `12h`, `7d`), a date, or an ISO time; as an ISO UTC stamp."""
    text = value.strip()
    if not text:
        raise InputError("--since: empty", hint="give an age (30m, 12h, 7d) or a date")
    age = _AGE.fullmatch(text)
    if age:
        unit = _UNITS[age.group(2)]
        try:
            when = (now or datetime.now(UTC)) - timedelta(**{unit: int(age.group(1))})
        except (OverflowError, ValueError):
            raise _out_of_range("--since", value) from None
    else:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"--since {value!r} is neither an age (30m, 12h, 7d) nor a date or time"
            ) from None
    utc = _checked(when, "--since", value)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
