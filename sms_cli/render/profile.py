"""Profiles as JSON and tables; tokens masked unless revealed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sms_cli.core.redaction import mask
from sms_cli.render import output
from sms_cli.render.table import table
from sms_cli.storage.profiles import main_secret

if TYPE_CHECKING:
    from pathlib import Path

    from sms_cli.services.profiles import Change
    from sms_cli.storage.profiles import Profile, ProfileFile, ResolvedProfile


def _token_display(token: str | None, reveal: bool) -> str | None:
    if token is None:
        return None
    return token if reveal else mask(token)


def profile_json(profile: Profile, *, is_default: bool) -> dict[str, Any]:
    """The stable JSON form of one profile; the token is always masked here."""
    return {
        "name": profile.name,
        "provider": profile.provider,
        "default": is_default,
        "sender": profile.sender,
        "base_url": profile.effective_base_url,
        "region": profile.region,
        "token": _token_display(profile.stored(_main(profile)), reveal=False),
        "token_env": profile.env_of(_main(profile)),
        "store_text": profile.store_text,
        "price_per_segment": profile.price_per_segment,
        "currency": profile.currency,
        "token_store": _token_store(profile),
        "signing_key": mask(profile.signing_key) if profile.signing_key else None,
        "credentials": _credentials_json(profile, {}, reveal=False),
    }


def _credentials_json(
    profile: Profile, resolved: Mapping[str, str], *, reveal: bool
) -> dict[str, dict[str, Any]]:
    """Every credential the provider declares: its value (a secret masked unless revealed), the
    variable it is read from, and whether it is secret."""
    document = {}
    for credential in profile.credential_facts:
        value = resolved.get(credential.name, profile.stored(credential.name))
        if value is not None and credential.secret and not reveal:
            value = mask(value)
        document[credential.name] = {
            "value": value,
            "env": profile.env_of(credential.name),
            "secret": credential.secret,
        }
    return document


def profile_list_json(profiles: ProfileFile) -> dict[str, Any]:
    default = profiles.default
    if default is not None and default in profiles.broken:
        default = profiles.broken[default].shown_name  # a hand-written name may hold escapes
    return {
        "default": default,
        "profiles": [
            profile_json(p, is_default=p.name == profiles.default)
            for _, p in sorted(profiles.profiles.items())
        ],
        "broken": [
            {"name": b.shown_name, "default": b.name == profiles.default, "error": b.message}
            for _, b in sorted(profiles.broken.items())
        ],
    }


def resolved_profile_json(
    resolved: ResolvedProfile, *, is_default: bool, reveal: bool
) -> dict[str, Any]:
    document = profile_json(resolved.profile, is_default=is_default)
    document["token"] = _token_display(resolved.token, reveal)
    document["token_set"] = resolved.token is not None
    document["credentials"] = _credentials_json(
        resolved.profile, resolved.credentials, reveal=reveal
    )
    document["sources"] = dict(resolved.sources)
    return document


def _main(profile: Profile) -> str:
    """The name of the first secret, the one the "token" keys and column show."""
    main = main_secret(profile.credential_facts)
    return main.name if main is not None else "token"


def _main_label(profile: Profile) -> str:
    """What the "Token" column and row are called: the first secret's name as messages say it
    ("Token" for the built-ins, "API key" for Textbelt)."""
    main = main_secret(profile.credential_facts)
    spoken = main.spoken if main is not None else "token"
    return spoken[:1].upper() + spoken[1:]


def _token_store(profile: Profile) -> str | None:
    """Where the token lives: "file" (the profiles file), "env" (the variable `token_env`
    names), "keyring" (the OS keyring), or None (nowhere yet)."""
    if profile.in_keyring:
        return "keyring"
    if profile.env_of(_main(profile)):
        return "env"
    return "file" if profile.stored(_main(profile)) is not None else None


def _token_cell(profile: Profile) -> str:
    if profile.in_keyring:
        return "(OS keyring)"
    variable = profile.env_of(_main(profile))
    if variable:
        return f"${variable}"
    token = profile.stored(_main(profile))
    return mask(token) if token else "-"


def _other_credential_rows(resolved: ResolvedProfile, reveal: bool) -> list[tuple[str, str, str]]:
    """The credentials besides the token: a secret masked unless revealed, an account id shown."""
    rows = []
    main = main_secret(resolved.profile.credential_facts)
    for credential in resolved.profile.credential_facts:
        if credential is main:
            continue
        value = resolved.credentials.get(credential.name)
        if value is not None and credential.secret and not reveal:
            value = mask(value)
        source = resolved.sources.get(credential.name, "not set")
        label = credential.label
        rows.append((label[:1].upper() + label[1:], value or "not set", source))
    return rows


def profile_list_human(profiles: ProfileFile) -> None:
    # One column for every profile's first secret, called what they call it ("Token / API key").
    labels = dict.fromkeys(_main_label(p) for _, p in sorted(profiles.profiles.items()))
    header = ("", "Name", "Provider", "Sender", "Region", " / ".join(labels) or "Token", "Base URL")
    rows = [
        (
            "*" if p.name == profiles.default else "",
            p.name,
            p.provider,
            p.sender or "-",
            p.region or "-",
            _token_cell(p),
            p.effective_base_url,
        )
        for _, p in sorted(profiles.profiles.items())
    ]
    rows += [
        ("*" if b.name == profiles.default else "", b.shown_name, "broken", "-", "-", "-", "-")
        for _, b in sorted(profiles.broken.items())
    ]
    table(header, rows, title=None, labels={"": "Default"})


def resolved_profile_human(resolved: ResolvedProfile, *, is_default: bool, reveal: bool) -> None:
    profile = resolved.profile
    sources = resolved.sources
    token = _token_display(resolved.token, reveal) or "not set"
    rows = [
        ("Profile", profile.name + (" (default)" if is_default else ""), sources["profile"]),
        ("Provider", profile.provider, sources["provider"]),
        (_main_label(profile), token, _token_source(sources["token"])),
        *_other_credential_rows(resolved, reveal),
        ("Sender", profile.sender or "-", sources["sender"]),
        ("Base URL", profile.effective_base_url, sources["base_url"]),
        ("Region", profile.region or "-", sources["region"]),
    ]
    if profile.signing_key:
        rows.append(("Signing key", mask(profile.signing_key), "profile"))
    table(("Setting", "Value", "From"), rows, title=None)


def _token_source(source: str) -> str:
    """Where the token lives, as the table says it: the profiles file, a variable, the keyring."""
    return {"profile": "profiles file", "keyring": "OS keyring"}.get(source, source)


def emit_list(profiles: ProfileFile, *, json: bool) -> None:
    """`smsctl profile list`'s result: JSON, a table, or a word on how to add the first one."""
    if json:
        output.print_json(profile_list_json(profiles))
    elif not profiles.profiles and not profiles.broken:
        output.info("no profiles yet; add one with: smsctl profile add NAME --provider ...")
    else:
        profile_list_human(profiles)


def emit_show(resolved: ResolvedProfile, *, is_default: bool, reveal: bool, json: bool) -> None:
    """`smsctl profile show`'s result: JSON or a table; tokens masked unless revealed."""
    if json:
        document = resolved_profile_json(resolved, is_default=is_default, reveal=reveal)
        output.print_json(document, reveal=reveal)
    else:
        resolved_profile_human(resolved, is_default=is_default, reveal=reveal)


def emit_path(path: Path, *, json: bool) -> None:
    """`smsctl profile path`'s result: the file's path (JSON: and whether it exists)."""
    if json:
        output.print_json({"path": str(path), "exists": path.exists()})
    else:
        output.stdout().write(f"{path}\n")


def emit_added(
    profile: Profile, *, replaced: Profile | None, is_default: bool, path: Path, json: bool
) -> None:
    """`profile add`: the profile as JSON (with --json); on stderr, what `--force` changed in
    the profile it replaced (a sandbox base URL replaced by the provider's real one above all),
    then where it was added."""
    if json:
        output.print_json(profile_json(profile, is_default=is_default))
    if replaced is not None:
        _say_replaced(replaced, profile)
    output.info(
        f"added profile {profile.name!r} ({profile.provider}"
        f"{', default' if is_default else ''}) to {path}"
        + (", token in the OS keyring" if profile.in_keyring else "")
    )


def _say_replaced(old: Profile, new: Profile) -> None:
    from sms_cli.services.profiles import changes
    from sms_cli.storage.profiles import shell_word

    # Settings, and a token that changes place (out of the OS keyring into the file): the values
    # of secrets are never compared here, only where they live.
    found = [c for c in changes(old, new) if c.secret is None or c.shown_old != c.shown_new]
    if found:
        listed = "; ".join(change_text(c) for c in found)
        output.warning(
            f"replacing profile {old.name!r} changes: {listed} "
            f"(to change one setting: smsctl profile set {shell_word(old.name)} ...)"
        )


def change_text(change: Change) -> str:
    """One change as a user reads it: old -> new, a secret only by what became of it."""
    if change.secret is None:
        return f"{change.label} {change.shown_old} -> {change.shown_new}"
    if change.secret == "added" and change.shown_new not in ("file", ""):
        return f"{change.label} added ({change.shown_new})"
    if change.secret in ("added", "removed"):
        return f"{change.label} {change.secret}"
    if change.shown_old != change.shown_new:
        return f"{change.label} {change.secret} ({change.shown_old} -> {change.shown_new})"
    return f"{change.label} {change.secret}"


def changes_json(name: str, changes: list[Change]) -> dict[str, Any]:
    """`profile set --json`: each changed key with its old and new value; a secret with what
    became of it and where it lives ("file", "keyring", "$VAR", "not set"), never a value."""
    document: dict[str, Any] = {}
    for change in changes:
        if change.secret is None:
            document[change.key] = {"old": change.old, "new": change.new}
        else:
            document[change.key] = {
                "change": change.secret,
                "old": change.shown_old or None,
                "new": change.shown_new or None,
            }
    return {"profile": name, "changed": document}


def emit_changes(name: str, changes: list[Change], *, json: bool) -> None:
    """`profile set` / `profile edit`: one line saying what changed (or that nothing did)."""
    if json:
        output.print_json(changes_json(name, changes))
        return
    listed = "; ".join(change_text(c) for c in changes) if changes else "no change"
    output.stdout().write(f"profile {name!r}: {listed}\n")
