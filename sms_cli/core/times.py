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
# `--at +2h`, `+30m`, `+1d`, `+90s`, `+1h30m`: units largest first, each at most once.
_RELATIVE: Final = re.compile(
    r"\+(?=[0-9])(?:([0-9]{1,20})w)?(?:([0-9]{1,20})d)?(?:([0-9]{1,20})h)?"
    r"(?:([0-9]{1,20})m)?(?:([0-9]{1,20})s)?"
)
_RELATIVE_UNITS: Final = ("weeks", "days", "hours", "minutes", "seconds")


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


def relative_delay(value: str) -> timedelta | None:
    """How far ahead `+1h30m` lies; None when `value` is not a relative time. Pure."""
    match = _RELATIVE.fullmatch(value.strip())
    if match is None:
        return None
    amounts = {unit: int(n) for unit, n in zip(_RELATIVE_UNITS, match.groups(), strict=True) if n}
    return timedelta(**amounts)


def parse_send_time(value: str, *, option: str = "--at", now: datetime | None = None) -> datetime:
    """`--at`: a time from `now` (`+2h`, `+30m`, `+1d`, `+90s`, `+1h30m`), ISO 8601
    (`2026-12-24T18:00+01:00`), `YYYY-MM-DD HH:MM[:SS]` local, or Unix time.

    The result is timezone-aware (UTC). `now` is the clock relative times count from (the
    caller's: a bulk job fixes it once, at its start); None reads the system clock.
    """
    text = value.strip()
    if not text:
        raise InputError(f"{option}: empty", hint="give a time, or leave the option out")
    if text.startswith("+"):
        try:
            delay = relative_delay(text)
        except (OverflowError, ValueError):
            raise _out_of_range(option, value) from None
        if delay is None:
            raise InputError(
                f"{option} {value!r} is not a time",
                hint="a relative time looks like +2h, +30m, +1d, +90s or +1h30m",
            )
        try:
            when = (now or datetime.now(UTC)) + delay
        except (OverflowError, ValueError):
            raise _out_of_range(option, value) from None
        return _checked(when, option, value)
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
            hint="use e.g. +2h, '2026-12-24 18:00' (local time), ISO 8601, or a Unix timestamp",
        ) from None
    return _checked(when, option, value)


def future_send_time(value: str, *, now: datetime, option: str = "--at") -> datetime:
    """`parse_send_time`, refusing a time that is not after `now` (exit 2)."""
    when = parse_send_time(value, option=option, now=now)
    if when <= now:
        raise InputError(f"{option} {value!r} is in the past")
    return when


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
