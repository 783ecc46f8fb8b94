"""Phone numbers given to filters (`log --to`, `inbox --from/--to`), read with the region of the
profile the command would use, exactly as `send` reads a recipient."""

from __future__ import annotations

from sms_cli.core.numbers import filter_number, is_name
from sms_cli.errors import ConfigError


def profile_region(flag: str | None) -> tuple[str | None, str | None, str | None]:
    """The region of the profile a command would use (--profile, SMSCTL_PROFILE, the default),
    that profile's name and the hint that gives it a region (the one `send` gives); Nones
    when no profile is chosen (none configured, or no default). A profile that is named (by the
    flag, the variable or the default) but missing or broken is its ConfigError (exit 4), as
    for every other command."""
    from sms_cli.services import profiles as profile_service
    from sms_cli.storage.profiles import select_profile_name

    profiles = profile_service.load()
    try:
        name, _ = select_profile_name(profiles, flag)
    except ConfigError:
        return None, None, None
    profile = profiles.get(name)
    return profile.region, name, profile_service.region_hint(profile)


def number_filter(
    raw: str | None, *, option: str, column: str, profile: str | None = None
) -> tuple[str, ...] | None:
    """The forms `raw` may have in the history (core.numbers.filter_number: E.164, the digits as
    typed with and without `+`, or a name as given); a row matches any of them. None for no
    filter. COLUMN ("messages.recipient", "inbound.sender", "inbound.recipient") is where a
    value that is no valid number may still be stored as written. The profiles are read only
    for a number that needs a region; the history only for a value that is no valid number."""
    if raw is None:
        return None
    text = raw.strip()

    def stored(forms: tuple[str, ...]) -> bool:
        from sms_cli.storage.messages import History

        history = History()
        try:
            return history.holds(column, forms)
        finally:
            history.close()

    if not text or is_name(text) or text.startswith(("+", "00")):
        return filter_number(raw, None, option=option, profile=None, stored=stored)
    region, name, hint = profile_region(profile)
    return filter_number(raw, region, option=option, profile=name, hint=hint, stored=stored)
