"""Profiles as JSON and tables; tokens masked unless revealed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sms_cli.core.redaction import mask
from sms_cli.render.table import table

if TYPE_CHECKING:
    from sms_cli.storage.profiles import Profile, ProfileFile, ResolvedProfile


def _token_display(profile: Profile, token: str | None, reveal: bool) -> str | None:
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
        "token": _token_display(profile, profile.token, reveal=False),
        "token_env": profile.token_env,
        "store_text": profile.store_text,
        "price_per_segment": profile.price_per_segment,
        "signing_key": mask(profile.signing_key) if profile.signing_key else None,
    }


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
    document["token"] = _token_display(resolved.profile, resolved.token, reveal)
    document["token_set"] = resolved.token is not None
    document["sources"] = dict(resolved.sources)
    return document


def _token_cell(profile: Profile) -> str:
    if profile.token_env:
        return f"${profile.token_env}"
    return mask(profile.token) if profile.token else "-"


def profile_list_human(profiles: ProfileFile) -> None:
    header = ("", "Name", "Provider", "Sender", "Region", "Token", "Base URL")
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
    table(header, rows, title=None)


def resolved_profile_human(resolved: ResolvedProfile, *, is_default: bool, reveal: bool) -> None:
    profile = resolved.profile
    sources = resolved.sources
    token = _token_display(profile, resolved.token, reveal) or "not set"
    rows = [
        ("Profile", profile.name + (" (default)" if is_default else ""), sources["profile"]),
        ("Provider", profile.provider, sources["provider"]),
        ("Token", token, sources["token"]),
        ("Sender", profile.sender or "-", sources["sender"]),
        ("Base URL", profile.effective_base_url, sources["base_url"]),
        ("Region", profile.region or "-", sources["region"]),
    ]
    if profile.signing_key:
        rows.append(("Signing key", mask(profile.signing_key), "profile"))
    table(("Setting", "Value", "From"), rows, title=None)
