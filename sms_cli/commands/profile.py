"""`smsctl profile ...`: provider accounts and their tokens."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from sms_cli.commands._runtime import (
    CheckTimeoutOption,
    JsonFlag,
    complete_profile_name,
    handled_errors,
)
from sms_cli.render import output

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sms_cli.providers.info import ProviderInfo
    from sms_cli.storage.profiles import Profile, ProfileFile

# The store, the renderers and their imports load inside each command, not here: every command
# module is imported for `smsctl --help` and `smsctl split`, which must start fast.

profile_app = typer.Typer(
    name="profile",
    help="Manage provider profiles (accounts, tokens, senders).",
    no_args_is_help=True,
)


def _complete_provider(incomplete: str) -> list[str]:
    from sms_cli.providers import registry

    return [name for name in registry.available() if name.startswith(incomplete)]


ProfileName = Annotated[
    str, typer.Argument(help="Profile name.", autocompletion=complete_profile_name)
]


def _complete_token_store(incomplete: str) -> list[str]:
    return [name for name in ("file", "keyring") if name.startswith(incomplete)]


TokenStoreOption = Annotated[
    str | None,
    typer.Option(
        "--token-store",
        metavar="file|keyring",
        help="Where the token is kept: file (the profiles file, mode 0600; the default) or "
        "keyring (the OS keyring; the file then records only that).",
        autocompletion=_complete_token_store,
        show_default=False,
    ),
]


# The options `profile add` and `profile set` share, declared once (metavars come from
# commands/_root.py METAVARS).
SenderOption = Annotated[
    str | None,
    typer.Option("--sender", help="Default sender name or number.", show_default=False),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL (default: the provider's public endpoint): the local sandbox, a "
        "proxy or a regional endpoint.",
        show_default=False,
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Country for numbers written without a country code, e.g. SE or DE.",
        show_default=False,
    ),
]
TokenStdinFlag = Annotated[
    bool, typer.Option("--token-stdin", help="Read the token from standard input.")
]
TokenEnvOption = Annotated[
    str | None,
    typer.Option(
        "--token-env",
        help="Read the token from this environment variable when used; only the variable's "
        "name is stored.",
        show_default=False,
    ),
]
CredentialOption = Annotated[
    list[str] | None,
    typer.Option(
        "--credential",
        help="A credential that is not secret, such as an account id (smsctl providers "
        "lists each provider's); repeat for more. Secrets are refused here.",
        show_default=False,
    ),
]
CredentialStdinOption = Annotated[
    str | None,
    typer.Option(
        "--credential-stdin",
        help="Read the credential NAME from standard input.",
        show_default=False,
    ),
]
CredentialEnvOption = Annotated[
    list[str] | None,
    typer.Option(
        "--credential-env",
        help="Read the credential NAME from this environment variable when used (only its "
        "name is stored); repeat for more.",
        show_default=False,
    ),
]
PriceOption = Annotated[
    float | None,
    typer.Option(
        "--price-per-segment",
        help="Your price for one SMS segment, for cost estimates before sending.",
        show_default=False,
    ),
]
CurrencyOption = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="The currency of --price-per-segment, e.g. EUR or SEK (ISO 4217).",
        show_default=False,
    ),
]


def _pairs(values: list[str], option: str, what: str) -> dict[str, str]:
    """NAME=VALUE options as a mapping; a name given twice is refused."""
    from sms_cli.errors import InputError

    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(
                f"{option} takes NAME={what}", hint=f"for example {option} account_id=..."
            )
        if key in pairs:
            raise InputError(f"{option} {key}=... is given twice")
        pairs[key] = value
    return pairs


def _read_credentials(
    name: str,
    info: ProviderInfo,
    *,
    token_stdin: bool,
    token_env: str | None,
    given: list[str],
    given_stdin: str | None,
    given_env: list[str],
    ask_missing: bool = True,
) -> tuple[dict[str, str], dict[str, str]]:
    """Each credential the provider declares: the values to store and the variables to read.
    `ask_missing=False` (`profile set`): only those given, none asked for.

    A secret never comes from a command-line argument (other users could read it in `ps`): from
    standard input, a variable, or a hidden prompt on a terminal.
    """
    from sms_cli.errors import InputError
    from sms_cli.services.profiles import names_hint

    declared = {c.name: c for c in info.credentials}
    main = info.main_secret
    values = _pairs(given, "--credential", "VALUE")
    from_env = _pairs(given_env, "--credential-env", "VAR")
    for key in [*values, *from_env, *([given_stdin] if given_stdin else [])]:
        if key not in declared:
            raise InputError(f"{info.title} has no credential {key!r}", hint=names_hint(info))
    for key in values:
        if declared[key].secret:
            raise InputError(
                f"the {declared[key].label} ({key}) is secret and is never taken from the "
                "command line: other users can read arguments in `ps`",
                hint=f"pipe it in with --credential-stdin {key}, name a variable with "
                f"--credential-env {key}=VAR, or leave it out to be asked on a terminal",
            )
    if token_stdin or token_env:
        if main is None:
            raise InputError(f"{info.title} takes no token", hint=names_hint(info))
        if token_stdin and token_env:
            raise InputError("give --token-stdin or --token-env, not both")
        if main.name in from_env or main.name == given_stdin:
            raise InputError(f"the {main.label} ({main.name}) is given twice")
        if token_env:
            from_env[main.name] = token_env
        if token_stdin:
            if given_stdin:
                raise InputError("only one value can come from standard input")
            given_stdin = main.name
    if given_stdin and (given_stdin in values or given_stdin in from_env):
        raise InputError(f"{given_stdin} is given twice")
    twice = set(values) & set(from_env)
    if twice:
        raise InputError(f"{sorted(twice)[0]} is given twice")
    stored = dict(values)
    for credential in info.credentials:
        key = credential.name
        if key in stored or key in from_env:
            continue
        if not ask_missing and key != given_stdin:
            continue
        what = credential.spoken
        if credential is main:
            hint = "pipe it in with --token-stdin, or name an environment variable with --token-env"
        elif credential.secret:
            hint = f"pipe it in with --credential-stdin {key}, or use --credential-env {key}=VAR"
        else:
            hint = f"give it with --credential {key}=VALUE, or --credential-env {key}=VAR"
        prompt = f"{what[:1].upper()}{what[1:]} for {name}"
        stored[key] = _read_value(
            prompt, what, from_stdin=given_stdin == key, hint=hint, hidden=credential.secret
        )
    return stored, from_env


def _read_secret(prompt: str, what: str, from_stdin: bool, hint: str) -> str:
    """A secret from standard input or a hidden prompt: never from an argument (`ps` shows it)."""
    return _read_value(prompt, what, from_stdin=from_stdin, hint=hint, hidden=True)


def _read_value(prompt: str, what: str, *, from_stdin: bool, hint: str, hidden: bool) -> str:
    """A value from standard input or a prompt on a terminal (hidden for a secret); Ctrl-D at the
    prompt is a usage error (exit 2), not a traceback."""
    from sms_cli.errors import InputError
    from sms_cli.storage.profiles import validate_secret

    stdin = sys.stdin
    if stdin is None:  # `<&-`: fd 0 is not open
        raise InputError(f"no standard input to read the {what} from", hint=hint)
    if from_stdin:
        try:
            value = stdin.read().strip()
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the {what} from standard input: {exc}") from None
    elif output.is_terminal(stdin):
        try:
            if hidden:
                import getpass

                value = getpass.getpass(f"{prompt} (input hidden): ").strip()
            else:
                err = output.stderr()
                err.write(f"{prompt}: ")
                err.flush()
                line = stdin.readline()
                if not line:
                    raise EOFError
                value = line.strip()
        except EOFError:
            raise InputError(f"no {what} given (input ended)", hint=hint) from None
    else:
        raise InputError(f"no {what} given", hint=hint)
    if not value:  # Enter alone at the prompt, or nothing piped in
        where = "standard input was empty" if from_stdin else "empty input"
        raise InputError(f"no {what} given ({where})", hint=hint)
    return validate_secret(value, what)


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
    sender: SenderOption = None,
    base_url: BaseUrlOption = None,
    region: RegionOption = None,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the default profile.")
    ] = False,
    token_stdin: TokenStdinFlag = False,
    token_env: TokenEnvOption = None,
    credential: CredentialOption = None,
    credential_stdin: CredentialStdinOption = None,
    credential_env: CredentialEnvOption = None,
    price_per_segment: PriceOption = None,
    currency: CurrencyOption = None,
    no_store_text: Annotated[
        bool,
        typer.Option(
            "--no-store-text",
            help="Keep only a hash of each message text in the local history.",
        ),
    ] = False,
    token_store: TokenStoreOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a profile of that name (it says what changes; to change one setting "
            "use smsctl profile set).",
        ),
    ] = False,
    no_check: Annotated[
        bool,
        typer.Option(
            "--no-check",
            envvar="SMSCTL_NO_CHECK",
            help="Save without asking the provider whether it accepts the token.",
        ),
    ] = False,
    json: JsonFlag = False,
) -> None:
    """Add a profile. The token comes from a hidden prompt, --token-stdin or --token-env.

    A token is never accepted as a command-line argument: other users could read it in `ps`.
    Other credentials a provider needs come from --credential, --credential-stdin,
    --credential-env or a prompt.

    The provider is asked whether it accepts the token (nothing is sent) unless --no-check: a
    rejected token is not saved (exit 5); a provider that cannot be reached only warns.
    """
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.profile import emit_added
        from sms_cli.services import profiles as service
        from sms_cli.storage.profiles import (
            validate_base_url,
            validate_currency,
            validate_name,
            validate_price,
            validate_region,
            validate_token_store,
            with_added,
        )

        validate_name(name)
        info = service.provider(provider)
        checked_sender = service.validate_sender(info, sender) if sender is not None else None
        checked_url = validate_base_url(base_url) if base_url is not None else None
        checked_region = validate_region(region) if region is not None else None
        price = validate_price(price_per_segment) if price_per_segment is not None else None
        checked_currency = validate_currency(currency) if currency is not None else None
        if token_store is not None:
            validate_token_store(token_store)
            if token_env is not None and token_store == "keyring":
                raise InputError(
                    "--token-store keyring keeps a token, not the name of a variable",
                    hint="give the token with --token-stdin or at the prompt, or drop --token-env",
                )
        if token_env is not None:
            from sms_cli.storage.profiles import validate_env_name

            validate_env_name(token_env)
        stored, from_env = _read_credentials(
            name,
            info,
            token_stdin=token_stdin,
            token_env=token_env,
            given=credential or [],
            given_stdin=credential_stdin,
            given_env=credential_env or [],
        )
        profile = service.new_profile(
            name,
            info,
            stored,
            from_env,
            sender=checked_sender,
            base_url=checked_url,
            region=checked_region,
            store_text=not no_store_text,
            price_per_segment=price,
            currency=checked_currency,
        )
        written: list[str] = []
        store = service.store()
        if not no_check:
            from sms_cli.render.doctor import say_token_checked
            from sms_cli.services.checks import check_new_profile

            with_added(store.load(), profile, make_default=default, force=force)  # before asking
            say_token_checked(name, check_new_profile(profile))

        def change(current: ProfileFile) -> tuple[ProfileFile, tuple[ProfileFile, Profile]]:
            replaced = current.profiles.get(name)
            final = service.placed(profile, profile, token_store, written)
            updated = with_added(current, final, make_default=default, force=force)
            return updated, (updated, replaced or final)

        try:
            updated, replaced = store.update(change)
        except BaseException:
            service.forget_written(written)
            raise
        final = updated.profiles[name]
        service.forget_keyring_entry(replaced, keep=final)
        emit_added(
            final,
            replaced=None if replaced is final else replaced,
            is_default=updated.default == name,
            path=store.path,
            json=json,
        )


@profile_app.command("list")
def list_command(json: JsonFlag = False) -> None:
    """List the profiles; the default is marked, broken ones are flagged. Tokens are masked."""
    with handled_errors():
        from sms_cli.render.profile import emit_list
        from sms_cli.services.profiles import load

        profiles = load()
        emit_list(profiles, json=json)
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
        from sms_cli.render.profile import emit_show
        from sms_cli.services.profiles import load
        from sms_cli.storage.profiles import resolve

        profiles = load()
        resolved = resolve(profiles, name, require_token=False, flag_source="named")
        is_default = profiles.default == resolved.profile.name
        emit_show(resolved, is_default=is_default, reveal=reveal, json=json)


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
        from sms_cli.services import profiles as service
        from sms_cli.storage.profiles import with_signing_key

        store = service.store()
        key = None
        if not remove:
            service.require_signing(service.load(), name)  # fails before the prompt
            key = _read_secret(
                f"Signing key for {name}", "signing key", stdin, "pipe it in with --stdin"
            )

        def change(current: ProfileFile) -> tuple[ProfileFile, None]:
            if key is not None:
                service.require_signing(current, name)
            return with_signing_key(current, name, key), None

        store.update(change)
        if remove:
            output.info(f"removed the signing key of profile {name!r}")
        else:
            output.info(f"stored the signing key of profile {name!r}; smsctl listen checks it")


@profile_app.command("use")
def use_command(name: ProfileName) -> None:
    """Make a profile the default."""
    with handled_errors():
        from sms_cli.services.profiles import store
        from sms_cli.storage.profiles import with_default

        store().update(lambda current: (with_default(current, name), None))
        output.info(f"default profile is now {name!r}")


@profile_app.command("remove")
def remove_command(name: ProfileName) -> None:
    """Remove a profile and its stored token."""
    with handled_errors():
        from sms_cli.services.profiles import remove

        was_default = remove(name)  # and its token in the OS keyring, if it kept one there
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
        from sms_cli.services.profiles import store
        from sms_cli.storage.profiles import renamed

        store().update(lambda current: (renamed(current, old, new), None))
        output.info(f"renamed profile {old!r} to {new!r}")


@profile_app.command("path")
def path_command(json: JsonFlag = False) -> None:
    """Print where the profiles file is (set SMSCTL_CONFIG_DIR to move it)."""
    with handled_errors():
        from sms_cli.render.profile import emit_path
        from sms_cli.storage.profiles import profiles_path

        emit_path(profiles_path(), json=json)


# -- profile set / profile edit (issue 15, profiles engineer) ---------------------------------


def _complete_unset(incomplete: str) -> list[str]:
    from sms_cli.services.profiles import OPTIONAL

    names = [key.replace("_", "-") for key in OPTIONAL]
    return [name for name in names if name.startswith(incomplete)]


_SETTABLE = (
    "--sender, --region, --base-url, --price-per-segment, --currency, --store-text or "
    "--no-store-text, --unset SETTING, --token-stdin, --token-env VAR, --token-store, "
    "--credential NAME=VALUE, --credential-stdin NAME, --credential-env NAME=VAR"
)


@profile_app.command("set")
def set_command(
    name: ProfileName,
    sender: SenderOption = None,
    region: RegionOption = None,
    base_url: BaseUrlOption = None,
    price_per_segment: PriceOption = None,
    currency: CurrencyOption = None,
    store_text: Annotated[
        bool | None,
        typer.Option(
            "--store-text/--no-store-text",
            help="Keep message texts in the local history, or only a hash of each.",
            show_default=False,
        ),
    ] = None,
    unset: Annotated[
        list[str] | None,
        typer.Option(
            "--unset",
            metavar="SETTING",
            help="Clear an optional setting: sender, region, base-url, price-per-segment or "
            "currency; repeat for more.",
            autocompletion=_complete_unset,
            show_default=False,
        ),
    ] = None,
    token_stdin: TokenStdinFlag = False,
    token_env: TokenEnvOption = None,
    token_store: TokenStoreOption = None,
    credential: CredentialOption = None,
    credential_stdin: CredentialStdinOption = None,
    credential_env: CredentialEnvOption = None,
    json: JsonFlag = False,
) -> None:
    """Change some settings of a profile; what is not given stays as it is.

    Values are checked as `profile add` checks them. A token is never taken from an argument:
    --token-stdin or --token-env replace only the token. --unset clears an optional setting.
    """
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.profile import emit_changes
        from sms_cli.services import profiles as service
        from sms_cli.storage.profiles import (
            validate_base_url,
            validate_currency,
            validate_env_name,
            validate_price,
            validate_region,
            validate_token_store,
            with_credentials,
        )

        if token_env is not None and not token_env.strip():
            raise InputError(
                "--token-env is empty",
                hint="give the name of the variable that holds the token: --token-env VAR",
            )
        credentials_given = bool(
            token_stdin or token_env or credential or credential_stdin or credential_env
        )
        given = [sender, region, base_url, price_per_segment, currency, store_text, token_store]
        if all(v is None for v in given) and not unset and not credentials_given:
            raise InputError(
                f"nothing to change in profile {name!r}", hint=f"give one or more of {_SETTABLE}"
            )
        profile = service.load().get(name)  # exit 4 for an unknown or broken profile
        values: dict[str, object] = {}
        cleared: list[str] = []
        for key in unset or []:
            setting = key.strip().lower().replace("-", "_")
            if setting not in service.OPTIONAL:
                raise InputError(
                    f"--unset {key!r}: not a setting that can be cleared",
                    hint="one of sender, region, base-url, price-per-segment, currency; the "
                    "token is replaced with --token-stdin or --token-env",
                )
            cleared.append(setting)
        if sender is not None:
            values["sender"] = service.validate_sender(service.provider(profile.provider), sender)
        if base_url is not None:
            values["base_url"] = validate_base_url(base_url)
        if region is not None:
            values["region"] = validate_region(region)
        if price_per_segment is not None:
            values["price_per_segment"] = validate_price(price_per_segment)
        if currency is not None:
            values["currency"] = validate_currency(currency)
        if store_text is not None:
            values["store_text"] = store_text
        for key in cleared:
            if key in values:
                raise InputError(
                    f"--unset {key.replace('_', '-')} and a new value for it are both given"
                )
        values.update(dict.fromkeys(cleared))
        if token_store is not None:
            validate_token_store(token_store)
        if token_env is not None:
            validate_env_name(token_env)
        stored: dict[str, str] = {}
        from_env: dict[str, str] = {}
        if credentials_given:
            stored, from_env = _read_credentials(
                name,
                service.provider(profile.provider),
                token_stdin=token_stdin,
                token_env=token_env,
                given=credential or [],
                given_stdin=credential_stdin,
                given_env=credential_env or [],
                ask_missing=False,
            )

        def edit(current: Profile) -> Profile:
            from dataclasses import replace

            changed = replace(current, **values)  # type: ignore[arg-type]
            if stored or from_env:
                changed = with_credentials(changed, stored=stored, from_env=from_env)
            return changed

        old, new = service.change_profile(name, edit, token_store=token_store)
        emit_changes(name, service.changes(old, new, given={*stored, *from_env}), json=json)


@profile_app.command("edit")
def edit_command(name: ProfileName, json: JsonFlag = False) -> None:
    """Edit a profile in $VISUAL or $EDITOR (else vi); it is checked before it is saved.

    The file holds the profile's settings as TOML; secrets are not written in it ("<unchanged>"
    keeps each). An edit that does not pass the checks is shown with its line; on a terminal
    you can edit again, else nothing is saved (exit 2).
    """
    with handled_errors():
        from sms_cli.errors import InputError
        from sms_cli.render.profile import emit_changes
        from sms_cli.services import profiles as service
        from sms_cli.storage.profiles import draft_text, private_draft, read_draft

        profiles = service.load()
        old = profiles.get(name)  # exit 4 for an unknown or broken profile
        profiles.require_sound()
        text = draft_text(old)
        with _signals_interrupt(name), private_draft(text, name) as path:
            while True:
                _run_editor(path)
                where = f"profile {name!r} as edited"
                try:
                    edited = read_draft(path)  # once: a regular file, of a bounded size
                    if edited == text:
                        emit_changes(name, [], json=json)
                        return
                    new, given = _checked_draft(old, where, edited)
                    break
                except InputError as exc:
                    if not _on_terminal():
                        raise InputError(
                            f"{exc.message}; profile {name!r} is unchanged", hint=exc.hint
                        ) from None
                    output.warning(exc.message, exc.hint)  # recovered from: not an error
                    if not _ask("Edit again? [Y/n] "):
                        raise InputError(f"profile {name!r} is unchanged") from None
        found = service.changes(old, new, given=given)
        if found:
            service.change_profile(name, lambda _current: new, expected=old)
        emit_changes(name, found, json=json)


@contextlib.contextmanager
def _signals_interrupt(name: str) -> Iterator[None]:
    """While the profile is edited, SIGTERM and SIGHUP (a closed terminal) end the command as
    Ctrl-C does: the editor stopped, the draft removed, a line on stderr, exit 130."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        stop = KeyboardInterrupt()
        stop.add_note(f"{signal.Signals(signum).name} received: profile {name!r} is unchanged")
        raise stop

    caught = (signal.SIGTERM, signal.SIGHUP)
    before = {signum: signal.signal(signum, interrupt) for signum in caught}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _checked_draft(old: Profile, where: str, text: str) -> tuple[Profile, set[str]]:
    """The edited profile, checked; an error names the line it is about."""
    from sms_cli.errors import InputError
    from sms_cli.services.profiles import from_draft
    from sms_cli.storage.profiles import key_line, parse_draft

    table = parse_draft(text, where)
    try:
        return from_draft(old, table)
    except InputError as exc:
        line = key_line(text, exc.message)
        at = f", line {line}" if line is not None else ""
        raise InputError(f"{where}{at}: {exc.message}", hint=exc.hint) from None


def _run_editor(path: Path) -> None:
    """$VISUAL, else $EDITOR, else vi, on the file: a command with arguments (`code -w`) is
    split as a shell would; it must exit 0."""
    import os
    import shlex
    import subprocess

    from sms_cli.errors import ConfigError, InputError

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(
            f"the editor command cannot be read ({exc})", hint="set VISUAL or EDITOR"
        ) from None
    argv = argv or ["vi"]
    try:
        finished = subprocess.run([*argv, str(path)], check=False)
    except OSError as exc:
        raise ConfigError(
            f"cannot start the editor {argv[0]!r}: {exc.strerror or exc}",
            hint="set VISUAL or EDITOR to an editor command, e.g. EDITOR=nano or 'code -w'",
        ) from None
    if finished.returncode < 0:
        import signal

        try:
            killed = signal.Signals(-finished.returncode).name
        except ValueError:
            killed = f"signal {-finished.returncode}"
        raise InputError(f"the editor was killed by {killed}; nothing was saved")
    if finished.returncode != 0:
        raise InputError(
            f"the editor exited with status {finished.returncode}; nothing was saved",
        )


def _on_terminal() -> bool:
    return output.is_terminal(sys.stdin) and output.is_terminal(output.stderr())


def _ask(question: str) -> bool:
    """A yes/no question on the terminal; yes unless answered no (end of input is no)."""
    err = output.stderr()
    err.write(question)
    err.flush()
    answer = sys.stdin.readline()
    return bool(answer) and answer.strip().lower() in ("", "y", "yes")


# -- profile check (issue 15, checks engineer) -------------------------------------------------


@profile_app.command("check")
def check_command(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Profile to check (default: every profile, the default first).",
            autocompletion=complete_profile_name,
            show_default=False,
        ),
    ] = None,
    timeout: CheckTimeoutOption = 10.0,
    json: JsonFlag = False,
) -> None:
    """Check profiles: usable, token present, and accepted by the provider.

    The token is checked with the provider's cheapest authenticated request (a balance or
    quota lookup); nothing is sent and nothing costs. Exit 5 if any token is rejected, else 6
    if any provider could not be reached, else 4 if a profile is broken, has no token or a
    wrong base URL; 0 otherwise.
    """
    with handled_errors():
        from sms_cli.render.doctor import emit_profile_checks
        from sms_cli.services.checks import check_profiles, overall_exit_code

        checks = check_profiles(name, timeout=timeout)
        emit_profile_checks(checks, json=json)
        code = overall_exit_code(checks)
    if code:
        raise typer.Exit(int(code))
