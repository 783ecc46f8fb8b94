"""`smsctl profile ...`: provider accounts and their tokens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, handled_errors
from sms_cli.commands._runtime import TimeoutOption as TimeoutOption
from sms_cli.render import output

if TYPE_CHECKING:
    from sms_cli.storage.profiles import ProfileFile

# The store, the renderers and their imports load inside each command, not here: every command
# module is imported for `smsctl --help` and `smsctl split`, which must start fast.

profile_app = typer.Typer(
    name="profile",
    help="Manage provider profiles (accounts, tokens, senders).",
    no_args_is_help=True,
)


def complete_profile_name(incomplete: str) -> list[str]:
    """Shell completion of profile names; silent when the file cannot be read."""
    from sms_cli.storage.profiles import ProfileStore

    try:
        profiles = ProfileStore().load()
    except Exception:
        return []
    names = [*profiles.profiles, *(b.shown_name for b in profiles.broken.values())]
    return [name for name in sorted(names) if name.startswith(incomplete)]


ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile to use (default: SMSCTL_PROFILE, then the default profile).",
        autocompletion=complete_profile_name,
        show_default=False,
    ),
]


def _complete_provider(incomplete: str) -> list[str]:
    from sms_cli.providers import registry

    return [name for name in registry.available() if name.startswith(incomplete)]


ProfileName = Annotated[
    str, typer.Argument(help="Profile name.", autocompletion=complete_profile_name)
]


def _read_token(
    name: str, token_stdin: bool, token_env: str | None
) -> tuple[str | None, str | None]:
    """The token to store, or the variable to read it from; never from a command-line argument."""
    from sms_cli.errors import InputError
    from sms_cli.storage.profiles import validate_env_name

    if token_stdin and token_env:
        raise InputError("give --token-stdin or --token-env, not both")
    if token_env:
        return None, validate_env_name(token_env)
    hint = "pipe it in with --token-stdin, or name an environment variable with --token-env"
    return _read_secret(f"Token for {name}", "token", token_stdin, hint), None


def _read_secret(prompt: str, what: str, from_stdin: bool, hint: str) -> str:
    """A secret from standard input or a hidden prompt: never from an argument (`ps` shows it)."""
    from sms_cli.errors import InputError
    from sms_cli.storage.profiles import validate_secret

    stdin = sys.stdin
    if stdin is None:  # `<&-`: fd 0 is not open
        raise InputError(f"no standard input to read the {what} from", hint=hint)
    if from_stdin:
        try:
            secret = stdin.read().strip()
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the {what} from standard input: {exc}") from None
    elif output.is_terminal(stdin):
        import getpass

        secret = getpass.getpass(f"{prompt} (input hidden): ").strip()
    else:
        raise InputError(f"no {what} given", hint=hint)
    return validate_secret(secret, what)


@profile_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="A name for the profile, e.g. live or test.")],
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="The provider (smsctl providers lists those installed).",
            autocompletion=_complete_provider,
            show_default=False,
        ),
    ],
    sender: Annotated[
        str | None,
        typer.Option("--sender", help="Default sender name or number.", show_default=False),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="API base URL (default: the provider's public endpoint). Set it for the local "
            "sandbox, a proxy or a regional endpoint.",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Country for numbers written without a country code, e.g. SE or DE.",
            show_default=False,
        ),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the default profile.")
    ] = False,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="Read the token from standard input.")
    ] = False,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env",
            metavar="VAR",
            help="Store only the name of an environment variable; the token is read from it "
            "when used.",
            show_default=False,
        ),
    ] = None,
    price_per_segment: Annotated[
        float | None,
        typer.Option(
            "--price-per-segment",
            min=0,
            help="Your price for one SMS segment, for cost estimates before bulk sends.",
            show_default=False,
        ),
    ] = None,
    no_store_text: Annotated[
        bool,
        typer.Option(
            "--no-store-text",
            help="Keep only a hash of each message text in the local history.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a profile of that name.")] = False,
    json: JsonFlag = False,
) -> None:
    """Add a profile. The token comes from a hidden prompt, --token-stdin or --token-env.

    A token is never accepted as a command-line argument: other users could read it in `ps`.
    """
    with handled_errors():
        from sms_cli.render.profile import (
            profile_json,
        )
        from sms_cli.storage.profiles import (
            Profile,
            ProfileStore,
            validate_base_url,
            validate_name,
            validate_price,
            validate_provider,
            validate_region,
            validate_sender,
            with_added,
        )

        validate_name(name)
        provider = validate_provider(provider)
        checked_sender = validate_sender(provider, sender) if sender is not None else None
        checked_url = validate_base_url(base_url) if base_url is not None else None
        checked_region = validate_region(region) if region is not None else None
        price = validate_price(price_per_segment) if price_per_segment is not None else None
        token, env_name = _read_token(name, token_stdin, token_env)
        profile = Profile(
            name=name,
            provider=provider,
            token=token,
            token_env=env_name,
            sender=checked_sender,
            base_url=checked_url,
            region=checked_region,
            store_text=not no_store_text,
            price_per_segment=price,
        )

        def change(current: ProfileFile) -> tuple[ProfileFile, ProfileFile]:
            updated = with_added(current, profile, make_default=default, force=force)
            return updated, updated

        store = ProfileStore()
        updated = store.update(change)
        is_default = updated.default == name
        if json:
            output.print_json(profile_json(profile, is_default=is_default))
        output.info(
            f"added profile {name!r} ({provider}{', default' if is_default else ''}) "
            f"to {store.path}"
        )


@profile_app.command("list")
def list_command(json: JsonFlag = False) -> None:
    """List the profiles; the default is marked, broken ones are flagged. Tokens are masked."""
    with handled_errors():
        from sms_cli.render.profile import (
            profile_list_human,
            profile_list_json,
        )
        from sms_cli.storage.profiles import ProfileStore

        profiles = ProfileStore().load()
        if json:
            output.print_json(profile_list_json(profiles))
        elif not profiles.profiles and not profiles.broken:
            output.info("no profiles yet; add one with: smsctl profile add NAME --provider ...")
        else:
            profile_list_human(profiles)
        for broken in profiles.broken.values():
            output.warning(f"{broken.message} (unusable until fixed or removed)")


@profile_app.command("show")
def show_command(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Profile name (default: the one commands would use now).",
            autocompletion=complete_profile_name,
            show_default=False,
        ),
    ] = None,
    reveal: Annotated[bool, typer.Option("--reveal", help="Show the token unmasked.")] = False,
    json: JsonFlag = False,
) -> None:
    """Show one profile with the source of each value (flag, environment, profile, default)."""
    with handled_errors():
        from sms_cli.render.profile import (
            resolved_profile_human,
            resolved_profile_json,
        )
        from sms_cli.storage.profiles import ProfileStore, resolve

        profiles = ProfileStore().load()
        resolved = resolve(profiles, name, require_token=False, flag_source="named")
        is_default = profiles.default == resolved.profile.name
        if json:
            document = resolved_profile_json(resolved, is_default=is_default, reveal=reveal)
            output.print_json(document, reveal=reveal)
        else:
            resolved_profile_human(resolved, is_default=is_default, reveal=reveal)


@profile_app.command("signing-key")
def signing_key_command(
    name: ProfileName,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the key from standard input.")
    ] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Forget the stored key.")] = False,
) -> None:
    """Store the key `smsctl listen` checks signed webhooks with (providers that sign them).

    The key comes from a hidden prompt or --stdin, never from an argument.
    """
    with handled_errors():
        from sms_cli.storage.profiles import ProfileStore, with_signing_key

        store = ProfileStore()
        key = None
        if not remove:
            store.load().get(name)  # an unknown profile fails before the prompt
            key = _read_secret(
                f"Signing key for {name}", "signing key", stdin, "pipe it in with --stdin"
            )
        store.update(lambda current: (with_signing_key(current, name, key), None))
        if remove:
            output.info(f"removed the signing key of profile {name!r}")
        else:
            output.info(f"stored the signing key of profile {name!r}; smsctl listen checks it")


@profile_app.command("use")
def use_command(name: ProfileName) -> None:
    """Make a profile the default."""
    with handled_errors():
        from sms_cli.storage.profiles import ProfileStore, with_default

        ProfileStore().update(lambda current: (with_default(current, name), None))
        output.info(f"default profile is now {name!r}")


@profile_app.command("remove")
def remove_command(name: ProfileName) -> None:
    """Remove a profile and its stored token."""
    with handled_errors():
        from sms_cli.storage.profiles import ProfileStore, without

        was_default = ProfileStore().update(
            lambda current: (without(current, name), current.default == name)
        )
        output.info(f"removed profile {name!r}")
        if was_default:
            output.info("there is no default profile now; choose one with: smsctl profile use")


@profile_app.command("rename")
def rename_command(
    old: ProfileName,
    new: Annotated[str, typer.Argument(help="The new name.")],
) -> None:
    """Rename a profile (it stays the default if it was)."""
    with handled_errors():
        from sms_cli.storage.profiles import ProfileStore, renamed

        ProfileStore().update(lambda current: (renamed(current, old, new), None))
        output.info(f"renamed profile {old!r} to {new!r}")


@profile_app.command("path")
def path_command(json: JsonFlag = False) -> None:
    """Print where the profiles file is (set SMSCTL_CONFIG_DIR to move it)."""
    with handled_errors():
        from sms_cli.storage.profiles import ProfileStore

        path = ProfileStore().path
        if json:
            output.print_json({"path": str(path), "exists": path.exists()})
        else:
            output.stdout().write(f"{path}\n")
