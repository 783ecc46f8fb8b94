"""Tokens in the OS keyring (`profile add/set --token-store keyring`), with the `keyring` library.

Each entry is service "smsctl", user name the profile's `keyring_id`: a random id written in the
profile's table, not the profile's name, so that two config directories (a sandbox's, the real
one) with a profile of the same name never overwrite each other's token, and a rename leaves the
entry where it is. A second item, user name `<keyring_id>.owner`, holds the path of the profiles
file that wrote the entry: a copy of the config directory names the same entry, and deleting it
from the copy would take the token from the original, so an entry is deleted only when this
process's profiles file no longer names it (two tables may share an id) and the owner is this
file or no longer names it either (moved or deleted).

`keyring` is imported here, when a token is read or written, never at start-up
(`--help` and `split` must not load it). Every failure of the keyring is a ConfigError (exit 4)
that never contains the token.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Final

from sms_cli.core.redaction import register_secret
from sms_cli.errors import ConfigError

SERVICE: Final = "smsctl"
_UNAVAILABLE_HINT: Final = (
    "keep the token in the profiles file (the default: --token-store file), or choose a "
    "keyring backend with PYTHON_KEYRING_BACKEND (see: python -m keyring --list-backends)"
)


def new_keyring_id() -> str:
    return uuid.uuid4().hex


def _keyring() -> Any:
    try:
        import keyring
        import keyring.errors
    except ImportError as exc:  # pragma: no cover - a dependency of smsctl
        raise ConfigError(f"the OS keyring cannot be used: {exc}", hint=_UNAVAILABLE_HINT) from None
    return keyring


def _failure(exc: BaseException, doing: str) -> ConfigError:
    """What went wrong, without the token: the exception's type and, for the keyring's own
    errors (which describe the backend, never the password), its message."""
    import keyring.errors

    if isinstance(exc, keyring.errors.NoKeyringError):
        return ConfigError(f"no OS keyring is available to {doing}", hint=_UNAVAILABLE_HINT)
    detail = f": {exc}" if isinstance(exc, keyring.errors.KeyringError) and str(exc) else ""
    return ConfigError(
        f"the OS keyring failed to {doing} ({type(exc).__name__}{detail})",
        hint=_UNAVAILABLE_HINT,
    )


def _owner_user(keyring_id: str) -> str:
    return f"{keyring_id}.owner"


def _this_file() -> str:
    """The profiles file of this process, as an owner record names it (absolute, resolved)."""
    from sms_cli.storage.profiles import profiles_path

    return os.path.realpath(profiles_path())


def store_token(keyring_id: str, token: str) -> None:
    """Write the token, and the record that this process's profiles file owns it."""
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, _owner_user(keyring_id), _this_file())
        keyring.set_password(SERVICE, keyring_id, token)
    except Exception as exc:  # any backend's failure: exit 4, not a traceback
        raise _failure(exc, "store the token") from None


def read_token(keyring_id: str, profile_name: str) -> str:
    """The token; ConfigError naming the profile when the entry is gone."""
    keyring = _keyring()
    try:
        token = keyring.get_password(SERVICE, keyring_id)
    except Exception as exc:
        raise _failure(exc, f"read the token of profile {profile_name!r}") from None
    if token is None:
        raise ConfigError(
            f"profile {profile_name!r} keeps its token in the OS keyring, but the keyring has "
            f"no entry for it (service {SERVICE!r}, user {keyring_id!r})",
            hint=f"store it again: smsctl profile set {_shell_word(profile_name)} --token-stdin",
        )
    register_secret(token)
    return str(token)


def delete_token(keyring_id: str) -> str | None:
    """Forget an entry no profiles file names any more; one already gone is fine. Called after
    the change that stopped naming it is written: an entry this process's profiles file still
    names (another table with the same `keyring_id`, copied by hand), or that another profiles
    file still names (a copied config directory), or with no owner record (written by something
    else), is left: the answer says who owns it (a path, or "unknown"); None when it is gone."""
    keyring = _keyring()
    try:
        owner = keyring.get_password(SERVICE, _owner_user(keyring_id))
        if owner is None:
            if keyring.get_password(SERVICE, keyring_id) is None:
                return None
            return "unknown"
        this_file = _this_file()
        if _names(this_file, keyring_id):
            return this_file
        if owner != this_file and _names(owner, keyring_id):
            return str(owner)
        for user in (keyring_id, _owner_user(keyring_id)):
            try:
                keyring.delete_password(SERVICE, user)
            except keyring.errors.PasswordDeleteError:
                continue
    except Exception as exc:
        raise _failure(exc, "delete a token") from None
    return None


def _names(path: str, keyring_id: str) -> bool:
    """Whether the profiles file at `path` still names the entry; a file that cannot be read is
    taken to (the entry is kept rather than a token lost)."""
    try:
        return keyring_id in Path(path).read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return True


def _shell_word(name: str) -> str:
    from sms_cli.storage.profiles import shell_word  # the one way to quote a profile name

    return shell_word(name)
