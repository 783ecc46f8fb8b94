"""Profiles with what the provider registry knows: the store gets the provider facts from here.

Storage does not know providers (tests/test_architecture.py); this module gives the store the
registry as a `ProviderCatalog`, checks what needs a provider's capabilities (a signing key), and
builds a new profile from the credentials the provider declares. It prints nothing: warnings found
on load go to the sink the command layer sets (`warn_with`). Storage loads inside the functions so
commands can import this module for `--help` and `split` without the TOML libraries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sms_cli.errors import ConfigError, InputError

if TYPE_CHECKING:
    from sms_cli.providers.info import ProviderInfo
    from sms_cli.storage.profiles import Profile, ProfileFile, ProfileStore

_warn: Callable[[str], None] | None = None


def warn_with(sink: Callable[[str], None] | None) -> None:
    """Where warnings found while loading the profiles go (commands pass the stderr renderer)."""
    global _warn
    _warn = sink


class RegistryCatalog:
    """The installed providers, as the profile store asks for them."""

    def facts(self, name: str) -> ProviderInfo | None:
        from sms_cli.providers import registry

        try:
            return registry.get(name)
        except registry.UnknownProvider:
            return None

    def names(self) -> Sequence[str]:
        from sms_cli.providers import registry

        return list(registry.available())

    def unknown(self, name: str) -> str:
        from sms_cli.providers import registry

        try:
            registry.get(name)
        except registry.UnknownProvider as exc:
            return str(exc)
        return f"provider {name!r} cannot be used"  # pragma: no cover - facts() found none


CATALOG = RegistryCatalog()


def store(path: Path | None = None) -> ProfileStore:
    from sms_cli.storage.profiles import ProfileStore

    return ProfileStore(path, providers=CATALOG)


def load(path: Path | None = None) -> ProfileFile:
    """The profiles file; its warnings (a file other users can read) go to the sink."""
    profiles = store(path).load()
    if _warn is not None:
        for warning in profiles.warnings:
            _warn(warning)
    return profiles


def provider(name: str) -> ProviderInfo:
    """The installed provider of that name; InputError (exit 2) listing the known ones, or
    saying that the plugin of that name is installed but broken, and why."""
    from sms_cli.providers import registry

    try:
        return registry.get(name)
    except registry.UnknownProvider as exc:
        raise InputError(str(exc)) from None


def validate_sender(info: ProviderInfo, sender: str) -> str:
    from sms_cli.storage.profiles import validate_sender as check

    return check(info, sender)


def require_signing(profiles: ProfileFile, name: str) -> None:
    """Only a provider that signs its callbacks takes a signing key."""
    from sms_cli.providers.info import Capability

    info = provider(profiles.get(name).provider)
    if not info.supports(Capability.SIGNED_CALLBACKS):
        raise InputError(
            f"{info.title} does not sign its callbacks; profile {name!r} needs no signing key"
        )


def new_profile(
    name: str,
    info: ProviderInfo,
    stored: Mapping[str, str],
    from_env: Mapping[str, str],
    **values: Any,
) -> Profile:
    """A profile for `profile add`: every credential the provider declares, given one way each."""
    from sms_cli.storage.profiles import make_profile, validate_env_name, validate_secret

    declared = {c.name: c for c in info.credentials}
    for key in (*stored, *from_env):
        if key not in declared:
            raise InputError(f"{info.title} has no credential {key!r}", hint=names_hint(info))
    for key, value in stored.items():
        validate_secret(value, declared[key].spoken)
    for variable in from_env.values():
        validate_env_name(variable)
    return make_profile(name, info, stored, from_env, **values)


def names_hint(info: ProviderInfo) -> str:
    if not info.credentials:
        return f"{info.title} takes no credentials"
    listed = ", ".join(
        f"{c.name} ({c.label}{', secret' if c.secret else ''})" for c in info.credentials
    )
    return f"{info.title} takes: {listed}"


# ---------------------------------------------------------------------------------------------
# changing one profile: `profile set`, `profile edit`, `profile add --force`

# The settings `profile set` changes and `--unset` clears, with the words messages use.
SETTINGS: Mapping[str, str] = {
    "sender": "sender",
    "base_url": "base URL",
    "region": "region",
    "price_per_segment": "price per segment",
    "currency": "currency",
    "store_text": "store text",
}
OPTIONAL: Sequence[str] = ("sender", "base_url", "region", "price_per_segment", "currency")


@dataclass(frozen=True)
class Change:
    """One value a change gave a new value. A secret's values are never kept: only what became
    of it ("added", "replaced", "removed")."""

    key: str
    label: str
    old: Any = None
    new: Any = None
    secret: str | None = None  # what happened to a secret
    shown_old: str = ""
    shown_new: str = ""


def _shown(profile: Profile, key: str) -> str:
    value = getattr(profile, key)
    if key == "base_url" and value is None:
        default = profile.effective_base_url
        return f"(provider default {default})" if default else "(provider default)"
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def changes(old: Profile, new: Profile, given: Collection[str] | None = None) -> list[Change]:
    """What differs between two versions of a profile, in a fixed order; secrets only by what
    happened to them. `given`: the credentials given anew (a secret not among them that changed
    place was moved, not replaced; None: compare the values)."""
    found: list[Change] = []
    if old.provider != new.provider:  # `profile add --force` with another provider
        found.append(Change("provider", "provider", old.provider, new.provider, None,
                            old.provider, new.provider))  # fmt: skip
    for key, label in SETTINGS.items():
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            found.append(
                Change(key, label, before, after, None, _shown(old, key), _shown(new, key))
            )
    for credential in new.credential_facts:
        name = credential.name
        before, after = _place(old, credential.name), _place(new, credential.name)
        old_value, new_value = _secret_value(old, name), _secret_value(new, name)
        if before == after and old_value == new_value:
            continue
        label = credential.spoken
        if credential.secret:
            if given is not None and name not in given and new_value is not None:
                what = "moved"
            elif old_value != new_value and new_value is not None:
                what = "replaced" if old_value is not None else "added"
            elif new_value is None and after == "not set":
                what = "removed"
            elif given is not None and name in given:
                what = "replaced"  # by a variable to read it from
            elif new_value is None and after.startswith("$"):
                what = "replaced"  # by a variable (`profile edit`'s token_env line), as set says
            else:
                what = "moved"
            found.append(Change(name, label, before, after, what, before, after))
        else:
            shown_old = old.stored(name) or before
            shown_new = new.stored(name) or after
            found.append(Change(name, label, shown_old, shown_new, None, shown_old, shown_new))
    if old.signing_key != new.signing_key:
        what = "removed" if new.signing_key is None else "replaced"
        if old.signing_key is None:
            what = "added"
        found.append(Change("signing_key", "signing key", None, None, what))
    return found


_KEYRING = "<in the OS keyring>"


def _secret_value(profile: Profile, name: str) -> str | None:
    """A stored value to compare (a keyring entry by its id: a new id is a new token)."""
    main = main_secret_of(profile)
    if profile.in_keyring and main is not None and main.name == name:
        return f"{_KEYRING}{profile.keyring_id}"
    return profile.stored(name)


def _place(profile: Profile, name: str) -> str:
    """Where a credential lives: "file", "$VAR", "keyring", or "not set"."""
    main = main_secret_of(profile)
    if profile.in_keyring and main is not None and main.name == name:
        return "keyring"
    variable = profile.env_of(name)
    if variable:
        return f"${variable}"
    return "file" if profile.stored(name) is not None else "not set"


def main_secret_of(profile: Profile) -> Any:
    from sms_cli.storage.profiles import main_secret

    return main_secret(profile.credential_facts)


def change_profile(
    name: str,
    edit: Callable[[Profile], Profile],
    *,
    token_store: str | None = None,
    expected: Profile | None = None,
) -> tuple[Profile, Profile]:
    """Apply `edit` to profile `name` under the store's lock and write it; (old, new).

    The edit runs on the profile as the file holds it at that moment (another smsctl may have
    changed the file since this command started: its change is kept). The result is checked as
    loading checks it. `token_store` moves the token ("file" or "keyring"); a token for the
    keyring is written under a new entry before the file names it, and the old entry deleted
    after, so a failure at any point leaves the profile with a token that works. `expected`: the
    profile must still be this one (`profile edit`, whose user edited a copy).
    """
    from sms_cli.storage.profiles import checked, with_replaced

    written: list[str] = []

    def change(current: ProfileFile) -> tuple[ProfileFile, tuple[Profile, Profile]]:
        old = current.get(name)
        current.require_sound()
        if expected is not None and old != expected:
            raise ConfigError(
                f"profile {name!r} was changed by another smsctl while it was being edited; "
                "nothing was saved",
                hint=f"edit it again: smsctl profile edit {name}",
            )
        new = checked(placed(old, edit(old), token_store, written), CATALOG)
        return with_replaced(current, new), (old, new)

    try:
        old, new = store().update(change)
    except BaseException:
        forget_written(written)
        raise
    forget_keyring_entry(old, keep=new)
    return old, new


def forget_written(entries: Sequence[str]) -> None:
    """Keyring entries a change wrote before it failed: its profile never named them."""
    from sms_cli.storage import keyring_store

    for entry in entries:
        with suppress(ConfigError):
            keyring_store.delete_token(entry)


def remove(name: str) -> bool:
    """Remove profile `name` (broken or not) and then the OS keyring entry it named, if any;
    whether it was the default."""
    from sms_cli.storage.profiles import without

    def change(current: ProfileFile) -> tuple[ProfileFile, tuple[bool, str | None]]:
        sound = current.profiles.get(name)
        broken = current.broken.get(name)
        entry = sound.keyring_id if sound is not None else None
        if broken is not None:
            entry = broken.keyring_id
        return without(current, name), (current.default == name, entry)

    was_default, entry = store().update(change)
    if entry is not None:
        _forget_entry(name, entry)
    return was_default


def forget_keyring_entry(old: Profile, keep: Profile | None = None) -> None:
    """Delete the keyring entry a profile no longer uses; a keyring that fails is a warning (the
    profile is already written), never an error."""
    if old.keyring_id is None or (keep is not None and keep.keyring_id == old.keyring_id):
        return
    _forget_entry(old.name, old.keyring_id)


def _forget_entry(name: str, entry: str) -> None:
    from sms_cli.storage import keyring_store

    try:
        owner = keyring_store.delete_token(entry)
    except ConfigError as exc:
        if _warn is not None:
            _warn(
                f"could not delete the old token of profile {name!r} from the OS keyring "
                f"(service 'smsctl', user {entry!r}): {exc.message}"
            )
        return
    if owner is not None and _warn is not None:
        from sms_cli.storage.profiles import profiles_path

        if owner == "unknown":
            whose = "no record of which profiles file wrote it"
        elif owner == os.path.realpath(profiles_path()):
            whose = "another profile in this profiles file still names it"
        else:
            whose = f"it belongs to {owner}, which still names it"
        _warn(
            f"left the old token of profile {name!r} in the OS keyring (service 'smsctl', "
            f"user {entry!r}): {whose}"
        )


def placed(old: Profile, new: Profile, target: str | None, written: list[str]) -> Profile:
    """`new` with its token where `target` says (default: where it was): a token bound for the
    keyring is written there now under a new id, one leaving it is read from it."""
    from sms_cli.storage import keyring_store
    from sms_cli.storage.profiles import with_credentials

    main = main_secret_of(new)
    if main is None:
        if target == "keyring":
            raise InputError(f"profile {new.name!r} has no token to keep in the OS keyring")
        return new
    token = new.stored(main.name)
    variable = new.env_of(main.name)
    if target is None:
        target = "keyring" if old.in_keyring and variable is None else "file"
    if target == "keyring":
        if variable is not None and token is None:
            raise InputError(
                "--token-store keyring keeps a token, not the name of a variable",
                hint="give the token with --token-stdin (or at the prompt)",
            )
        if token is None:
            if not old.in_keyring:
                raise InputError(f"profile {new.name!r} has no stored {main.spoken} to move")
            return new
        entry = keyring_store.new_keyring_id()
        keyring_store.store_token(entry, token)
        written.append(entry)
        return replace(
            new,
            token=None if main.name == "token" else new.token,
            more_credentials={k: v for k, v in new.more_credentials.items() if k != main.name},
            token_store="keyring",
            keyring_id=entry,
        )
    if new.in_keyring and token is None and variable is None and new.keyring_id is not None:
        token = keyring_store.read_token(new.keyring_id, new.name)
        new = with_credentials(new, stored={main.name: token})
    return replace(new, token_store=None, keyring_id=None)


def region_hint(profile: Profile) -> str:
    """How to give a profile the region its national numbers need, as a command to paste: the
    profile's own name (quoted for the shell), and a region only as an example when the sender
    or the locale suggests one (the numbers' country is what counts)."""
    import phonenumbers

    from sms_cli.storage.profiles import shell_word

    command = f"smsctl profile set {shell_word(profile.name)} --region"
    guess, source = _guessed_region(profile)
    if guess is None:
        return (
            f"give the profile a region: {command} XX (XX: the two-letter country code of these "
            "numbers, such as SE, DE or GB), or write each number with its country code (+...)"
        )
    code = phonenumbers.country_code_for_region(guess)
    return (
        f"give the profile a region: {command} {guess} (if these are {guess} numbers, as "
        f"{source} suggests; else that country's two-letter code), or write each number with "
        f"its country code (+{code}...)"
    )


def _guessed_region(profile: Profile) -> tuple[str | None, str]:
    """A region the profile's sender number or the user's locale points to, and which did."""
    import os

    import phonenumbers

    from sms_cli.storage.profiles import REGIONS

    sender = (profile.sender or "").strip()
    if sender.startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(sender, None))
        except phonenumbers.NumberParseException:
            region = None
        if region in REGIONS:
            return region, "the sender number"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            territory = value.partition(".")[0].partition("@")[0].partition("_")[2].upper()
            if territory in REGIONS:
                return territory, f"the locale (${variable})"
            break  # the first one set is the one in force
    return None, ""


# ---------------------------------------------------------------------------------------------
# `profile edit`: the profile as a TOML table in a file, secrets left out


def from_draft(old: Profile, table: dict[str, Any]) -> tuple[Profile, set[str]]:
    """The profile the edited table describes, checked as loading checks it (InputError, exit 2,
    naming the key), and the secrets given a new value."""
    from sms_cli.storage.profiles import NOT_EDITED, UNCHANGED, profile_from_table

    for key in NOT_EDITED:
        if key in table:
            raise InputError(
                f"{key!r} is not edited here",
                hint="move the token with: smsctl profile set NAME --token-store file|keyring",
            )
    if table.get("provider") != old.provider:
        raise InputError(
            f"the provider of profile {old.name!r} cannot be changed (it is {old.provider!r})",
            hint="add a new profile for another provider: smsctl profile add NAME --provider ...",
        )
    given: set[str] = set()
    secret = {c.name for c in old.credential_facts if c.secret}
    for key in secret | {"signing_key"}:
        value = table.get(key)
        if value == UNCHANGED:
            kept = old.signing_key if key == "signing_key" else old.stored(key)
            if kept is None:
                raise InputError(f"{key!r} = {UNCHANGED!r}, but the profile has no {key} stored")
            table[key] = kept
        elif value is not None:
            given.add(key)
    if old.in_keyring:
        table["token_store"] = old.token_store
        table["keyring_id"] = old.keyring_id
    return profile_from_table(old.name, table, CATALOG), given
