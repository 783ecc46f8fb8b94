"""Is a profile usable, and does its provider accept its token? (`profile check`, `doctor`,
`profile add`).

Each profile gets one `ProfileCheck`: the profile loads (else `broken`), its token resolves
(else `no_token`), and the provider answers the cheapest authenticated request its client has
(Capability.CHECK_TOKEN): `ok`, `rejected` (auth), `unreachable` (network, with the reason),
`wrong_url` (no API at the base URL), or `not_checkable` (a provider without the capability).
Nothing is sent and nothing costs. Results are values; rendering is render/doctor.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal

from sms_cli.core.redaction import provider_text
from sms_cli.errors import (
    AuthError,
    ConfigError,
    EndpointNotFound,
    ExitCode,
    NetworkError,
    ProviderUnavailable,
    SmsError,
)
from sms_cli.providers import registry
from sms_cli.providers.info import Capability
from sms_cli.services import profiles as profile_service
from sms_cli.storage.profiles import BrokenProfile, Profile, ProfileFile, resolve, shell_word

Result = Literal[
    "ok", "rejected", "unreachable", "wrong_url", "not_checkable", "no_token", "broken", "skipped"
]

# What each result makes of the exit code; `profile check` exits with the most serious one
# present, in this order: a rejected token (5), then a provider out of reach (6), then a profile
# that cannot be used as it is (4). `not_checkable` and `skipped` are not failures.
EXIT_CODES: Final[dict[str, ExitCode]] = {
    "ok": ExitCode.OK,
    "not_checkable": ExitCode.OK,
    "skipped": ExitCode.OK,
    "rejected": ExitCode.AUTH,
    "unreachable": ExitCode.NETWORK,
    "wrong_url": ExitCode.CONFIG,
    "no_token": ExitCode.CONFIG,
    "broken": ExitCode.CONFIG,
}
PRECEDENCE: Final = (ExitCode.AUTH, ExitCode.NETWORK, ExitCode.CONFIG)
DEFAULT_TIMEOUT: Final = 10.0
MAX_WORKERS: Final = 4  # profiles checked at once: enough for a handful, gentle on providers


@dataclass(frozen=True)
class ProfileCheck:
    """One profile's check. `detail` and `hint` never hold a secret (they come from SmsError
    messages, which never carry one, or from the provider's answer, already redacted)."""

    name: str
    provider: str | None
    base_url: str | None
    token_source: str | None  # where the token came from: profile, $VAR, SMSCTL_TOKEN ...
    result: Result
    detail: str
    hint: str | None = None
    latency_ms: int | None = None
    server_date: datetime | None = None  # the answer's Date header (doctor: clock skew)
    is_default: bool = False

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.result]


def overall_exit_code(checks: Sequence[ProfileCheck]) -> ExitCode:
    """The most serious code present, by PRECEDENCE (5, then 6, then 4); 0 when none failed."""
    codes = {check.exit_code for check in checks}
    return next((code for code in PRECEDENCE if code in codes), ExitCode.OK)


def check_profiles(
    name: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    offline: bool = False,
    clock: Callable[[], float] = time.monotonic,
    profiles: ProfileFile | None = None,
) -> list[ProfileCheck]:
    """Every profile (the default first, then by name, broken ones last), or only `name`
    (ConfigError when there is no such profile). `offline` resolves tokens but asks no
    provider. Profiles are checked concurrently, at most MAX_WORKERS at once."""
    loaded = profile_service.load() if profiles is None else profiles
    if name is not None:
        if name in loaded.broken:
            return [_broken(loaded.broken[name])]
        loaded.get(name)  # no such profile: ConfigError naming the known ones
        names = [name]
        broken: list[BrokenProfile] = []
    else:
        names = sorted(loaded.profiles, key=lambda n: (n != loaded.default, n))
        broken = [loaded.broken[n] for n in sorted(loaded.broken)]

    def one(profile_name: str) -> ProfileCheck:
        return check_one(
            loaded,
            profile_name,
            timeout=timeout,
            offline=offline,
            clock=clock,
        )

    if len(names) <= 1:
        checks = [one(n) for n in names]
    else:
        _load_clients(loaded, names)
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(names))) as pool:
            checks = list(pool.map(one, names))
    return [*checks, *(_broken(b) for b in broken)]


def _load_clients(profiles: ProfileFile, names: Sequence[str]) -> None:
    """Import each provider's client here, in the calling thread, before the checks start their
    threads: imports are done once and one at a time (a plugin's import prints to stderr while
    stdout is swapped). A client that cannot load is reported by its profile's check."""
    for provider in sorted({profiles.profiles[name].provider for name in names}):
        try:
            registry.load_client(registry.get(provider))
        except (registry.UnknownProvider, SmsError):
            continue


@dataclass(frozen=True)
class TokenOutcome:
    """What the provider made of a token: the fields of a ProfileCheck that say so."""

    result: Result
    detail: str
    hint: str | None = None
    latency_ms: int | None = None
    server_date: datetime | None = None


def check_one(
    profiles: ProfileFile,
    name: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    offline: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> ProfileCheck:
    """One sound profile of `profiles`: its token resolved, then checked with its provider."""
    profile = profiles.get(name)
    is_default = profiles.default == name

    def made(source: str | None, outcome: TokenOutcome) -> ProfileCheck:
        return ProfileCheck(
            name=profile.name,
            provider=profile.provider,
            base_url=profile.effective_base_url or None,
            token_source=source,
            result=outcome.result,
            detail=outcome.detail,
            hint=outcome.hint,
            latency_ms=outcome.latency_ms,
            server_date=outcome.server_date,
            is_default=is_default,
        )

    try:
        resolved = resolve(profiles, name, flag_source="named")
    except ConfigError as exc:
        return made(_token_source(profiles, name), TokenOutcome("no_token", exc.message, exc.hint))
    source = resolved.sources.get("token")
    if offline:
        return made(source, TokenOutcome("skipped", "token present; not checked (--offline)"))
    outcome = check_token(
        profile.provider, resolved.credentials, profile.base_url, timeout=timeout, clock=clock
    )
    if outcome.result == "rejected":
        outcome = replace(outcome, hint=rejected_hint(name))
    if outcome.result == "wrong_url":
        outcome = replace(outcome, hint=wrong_url_hint(profile))
    return made(source, outcome)


def rejected_hint(name: str) -> str:
    return f"set the right token: smsctl profile set {shell_word(name)} --token-stdin"


def wrong_url_hint(profile: Profile) -> str:
    """The command that changes only this profile's base URL (its name as one shell word)."""
    facts = profile_service.CATALOG.facts(profile.provider)
    default = facts.default_base_url if facts is not None else None
    where = f"the default is {default}; " if default else ""
    return (
        f"check the path ({where}smsctl profile show {shell_word(profile.name)}), then change "
        f"only the URL: smsctl profile set {shell_word(profile.name)} --base-url URL"
    )


def check_token(
    provider: str,
    credentials: Mapping[str, str],
    base_url: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> TokenOutcome:
    """Ask the provider whether it accepts `credentials` with the cheapest authenticated
    request it has (Capability.CHECK_TOKEN). Never raises an SmsError: each becomes a result."""
    from sms_cli.providers.base import TokenChecker

    try:
        info = registry.get(provider)
    except registry.UnknownProvider as exc:
        return TokenOutcome("broken", str(exc))
    title = info.title
    if not info.supports(Capability.CHECK_TOKEN):
        return TokenOutcome(
            "not_checkable",
            f"{title} offers no way to check a token without sending a message",
            "the first send will tell; smsctl providers lists what each provider can do",
        )
    try:
        client = registry.load_client(info)(credentials, base_url, timeout=timeout)
    except NetworkError as exc:
        return TokenOutcome("unreachable", exc.message, exc.hint)
    except SmsError as exc:
        return TokenOutcome("broken", exc.message, exc.hint)
    started = clock()
    try:
        if not isinstance(client, TokenChecker):
            return TokenOutcome(
                "broken",
                f"{title}'s client declares check_token but does not implement it",
                "report it to the provider plugin's author (smsctl providers)",
            )
        answer = client.check_token()
    except AuthError as exc:
        return TokenOutcome(
            "rejected",
            exc.message,
            None,
            _ms(clock() - started),
        )
    except EndpointNotFound as exc:
        return TokenOutcome("wrong_url", exc.message, exc.hint)
    except (NetworkError, ProviderUnavailable) as exc:
        return TokenOutcome("unreachable", exc.message, exc.hint)
    except SmsError as exc:
        return TokenOutcome("broken", exc.message, exc.hint)
    finally:
        client.close()
    # The detail is the provider's own text (a balance and its currency): withheld whole when it
    # echoes a piece of the token, as every provider text in an error is.
    said = provider_text(answer.detail) if answer.detail else ""
    detail = f"accepted by {title}" + (f" ({said})" if said else "")
    return TokenOutcome("ok", detail, None, _ms(clock() - started), answer.server_date)


def check_new_profile(
    profile: Profile,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Callable[[], float] = time.monotonic,
) -> TokenOutcome:
    """`profile add`'s check, before anything is saved: AuthError (exit 5) when the provider
    refuses the token, ConfigError (exit 4) when no API answers at the base URL; any other
    outcome (accepted, unreachable, not checkable, a token from a variable not set) is returned
    for the command to report, and the profile is saved."""
    alone = ProfileFile(default=profile.name, profiles={profile.name: profile})
    try:
        resolved = resolve(alone, profile.name, flag_source="named")
    except ConfigError as exc:
        return TokenOutcome("no_token", exc.message, exc.hint)
    outcome = check_token(
        profile.provider, resolved.credentials, profile.base_url, timeout=timeout, clock=clock
    )
    save_anyway = "to save it anyway, add --no-check"
    if outcome.result == "rejected":
        raise AuthError(
            f"the token was not saved: {outcome.detail}",
            hint=f"check the token and add the profile again; {save_anyway}",
        )
    if outcome.result == "wrong_url":
        raise ConfigError(
            f"the profile was not saved: {outcome.detail}",
            hint=f"check --base-url (smsctl providers shows each default); {save_anyway}",
        )
    return outcome


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _token_source(profiles: ProfileFile, name: str) -> str | None:
    """Where the token comes from, as one of the documented words (`profile`, `$VAR`, the
    override variable, `keyring`, `not set`): a keyring that failed is still `keyring` (why it
    failed is the check's detail)."""
    try:
        source = resolve(profiles, name, require_token=False).sources.get("token")
    except ConfigError:
        return None
    if source is not None and source.startswith("keyring"):
        return "keyring"
    return source


def _broken(broken: BrokenProfile) -> ProfileCheck:
    provider = broken.table.get("provider") if isinstance(broken.table, dict) else None
    return ProfileCheck(
        name=broken.shown_name,
        provider=provider if isinstance(provider, str) else None,
        base_url=None,  # not shown: its table failed validation, and may hold anything
        token_source=None,
        result="broken",
        detail=broken.message,
        hint=broken.remove_hint,
    )
