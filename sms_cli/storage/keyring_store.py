"""Tokens in the OS keyring (`profile add/set --token-store keyring`), with the `keyring` library.

Each entry is service "smsctl", user name the profile's `keyring_id`: a random id written in the
profile's table, not the profile's name, so that two config directories (a sandbox's, the real
one) with a profile of the same name never overwrite each other's token, and a rename leaves the
entry where it is. `keyring` is imported here, when a token is read or written, never at start-up
(`--help` and `split` must not load it). Every failure of the keyring is a ConfigError (exit 4)
that never contains the token.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sms_cli.core.redaction import register_secret
from sms_cli.errors import ConfigError

SERVICE: Final = "smsctl"
_UNAVAILABLE_HINT: Final = (
    "keep the token in the profiles file (the default: --token-store file), or choose a "
    "keyring backend with PYTHON_KEYRING_BACKEND (see: python -m keyring --list-backends)"
)


def new_id() -> str:
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


def store_token(keyring_id: str, token: str) -> None:
    keyring = _keyring()
    try:
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
            hint=f"store it again: smsctl profile set {_quoted(profile_name)} --token-stdin",
        )
    register_secret(token)
    return str(token)


def delete_token(keyring_id: str) -> None:
    """Forget an entry; one already gone is fine."""
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, keyring_id)
    except keyring.errors.PasswordDeleteError:
        return
    except Exception as exc:
        raise _failure(exc, "delete a token") from None


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)
