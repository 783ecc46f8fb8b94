"""Recipient numbers: parsed with phonenumbers, validated, normalised to E.164. Pure.

Accepted forms: `+46 70-123 45 67`, `0046701234567`, international digits without a plus
(`46701234567`, as some providers' own examples write them), and national numbers (`070 123 45 67`)
when a region is known from the profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers

from sms_cli.errors import InputError

_LETTERS = re.compile(r"[A-Za-z]")
_SEPARATORS = re.compile(r"[\s\-.()/]")


@dataclass(frozen=True)
class InvalidNumber:
    raw: str
    reason: str


def _parse(candidate: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


_REGION_HINT = "write it with its country code, or set a region on the profile (--region)"


def _national(raw: str) -> bool:
    """Written without a country code: only a region can tell where it is."""
    return not raw.strip().startswith(("+", "00"))


def normalise(raw: str, region: str | None = None, *, region_hint: str | None = None) -> str:
    """One number as E.164 (`+46701234567`), or InputError naming the input. `region_hint`: how
    to give the profile a region, for a national number when it has none."""
    problem = check(raw, region)
    if isinstance(problem, InvalidNumber):
        hint = None
        if region is None and _national(raw):
            hint = region_hint or _REGION_HINT
        raise InputError(f"invalid phone number {raw!r}: {problem.reason}", hint=hint)
    return problem


def check(raw: str, region: str | None = None) -> str | InvalidNumber:
    """E.164 for a valid number, else why not; never raises."""
    text = raw.strip()
    if not text:
        return InvalidNumber(raw, "it is empty")
    if _LETTERS.search(text):
        return InvalidNumber(raw, "it contains letters")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d+", compact):
        return InvalidNumber(raw, "it contains characters other than digits")
    number = None
    if compact.startswith("+"):
        number = _parse(compact, None)
    else:
        if region:
            number = _parse(compact, region)
        if number is None:
            number = _parse("+" + compact, None)
    if number is None:
        return InvalidNumber(
            raw, "not a valid number" + (f" for region {region}" if region else "")
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_recipients(values: Iterable[str]) -> list[str]:
    """`--to` values, each possibly a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def normalise_all(
    values: Iterable[str], region: str | None = None, *, region_hint: str | None = None
) -> list[str]:
    """Every recipient as E.164, duplicates removed (first kept); all bad ones named at once.
    `region_hint`: as for `normalise`, when a bad number is national and there is no region."""
    seen: dict[str, None] = {}
    bad: list[InvalidNumber] = []
    for raw in split_recipients(values):
        result = check(raw, region)
        if isinstance(result, InvalidNumber):
            bad.append(result)
        else:
            seen.setdefault(result, None)
    if bad:
        listed = "; ".join(f"{b.raw!r} ({b.reason})" for b in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise InputError(
            f"invalid phone number{'s' if len(bad) > 1 else ''}: {listed}{more}",
            hint=None
            if region or not any(_national(b.raw) for b in bad)
            else region_hint or "numbers without a country code need a region: --region",
        )
    if not seen:
        raise InputError("no recipients: give at least one --to NUMBER")
    return list(seen)


def digits(e164: str) -> str:
    """E.164 without the plus, the form both providers echo back (PROVIDERS.md §2.5.2, §3.3)."""
    return e164.removeprefix("+")


def region_hint(profile: str | None) -> str:
    """What makes a national number usable: its country code, or the exact command that gives
    the profile a region (`profile` is the profile the command used; None when there is none)."""
    if profile is None:
        fix = "or add a profile with a region: smsctl profile add NAME --provider NAME --region XX"
    else:
        fix = f"or set the profile's region: smsctl profile set {profile} --region XX"
    return (
        f"write the number with its country code (+46701234567, 0046701234567), {fix} "
        "(XX: the country's two-letter code, e.g. SE)"
    )


def is_name(raw: str) -> bool:
    """Whether a filter value is a name (an alphanumeric sender, `group:NAME`), not a number."""
    return bool(_LETTERS.search(raw))


_SHORT_CODE = re.compile(r"[1-9][0-9]{2,5}")  # 3 to 6 digits, as typed: 72345


def filter_number(
    raw: str,
    region: str | None,
    *,
    option: str,
    profile: str | None,
    hint: str | None = None,
    stored: Callable[[tuple[str, ...]], bool] | None = None,
) -> tuple[str, ...]:
    """Every form a value given to a filter option (`log --to`, `inbox --from`) may have in the
    history; a row matches any of them. A name (letters) stays as given. Digits are read as
    `send` reads a recipient (E.164, with `region`), and also matched as typed (separators
    dropped), with and without a `+`, as providers' senders are stored. A value that is not a
    valid number still filters when it is plainly a short code (3 to 6 digits, not starting
    with 0: `72345`) or when `stored` says the history holds one of its literal forms
    (`+0709999998`); else it is an InputError (exit 2), with the region hint for a national
    number when there is no region: a filter that can match nothing is a typo, not an empty
    answer. `hint`: the region hint to give (default: `region_hint(profile)`)."""
    text = raw.strip()
    if not text:
        raise InputError(f"{option} is empty")
    if is_name(text):
        return (text,)
    compact = _SEPARATORS.sub("", text)
    bare = compact.removeprefix("+")
    literal = (f"+{bare}", bare) if re.fullmatch(r"[0-9]+", bare) else ()
    result = check(text, region)
    if isinstance(result, InvalidNumber):
        if _SHORT_CODE.fullmatch(text) or (literal and stored is not None and stored(literal)):
            return literal
        national = not compact.startswith(("+", "00"))
        raise InputError(
            f"{option} {raw!r} is not a valid phone number: {result.reason}",
            hint=(hint or region_hint(profile)) if national and region is None else None,
        )
    return tuple(dict.fromkeys((result, *literal)))
