"""The profile store: provider accounts in `profiles.toml`, written atomically with mode 0600.

Where: `$SMSCTL_CONFIG_DIR/profiles.toml`, else `platformdirs.user_config_path("smsctl")`. Every
write takes a lock, re-reads the file, applies the change and replaces the file in one
`os.replace`, so a crash or two smsctl processes writing at once never leave a broken or
half-written file, and never lose each other's changes. A file that does not parse is reported
with its line and never overwritten.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import urlsplit

import tomli_w

from sms_cli.core.redaction import register_secret
from sms_cli.errors import ConfigError, InputError

FORMAT_VERSION: Final = 1
FILE_NAME: Final = "profiles.toml"
ENV_CONFIG_DIR: Final = "SMSCTL_CONFIG_DIR"
ENV_PROFILE: Final = "SMSCTL_PROFILE"
ENV_TOKEN: Final = "SMSCTL_TOKEN"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")
_PROFILE_KEYS: Final[dict[str, type]] = {
    "provider": str,
    "token": str,
    "token_env": str,
    "sender": str,
    "base_url": str,
    "region": str,
    "store_text": bool,
    "price_per_segment": float,
    "currency": str,
    "signing_key": str,
    "token_store": str,
    "keyring_id": str,
}
TOKEN_STORES: Final = ("file", "keyring")
_KEYRING_ID = re.compile(r"[0-9a-f]{32}")

T = TypeVar("T")


def config_dir() -> Path:
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_config_path("smsctl", appauthor=False)


def profiles_path() -> Path:
    return config_dir() / FILE_NAME


# ---------------------------------------------------------------------------------------------
# what the store needs to know about providers, passed in (services/profiles.py gives it from the
# provider registry): storage and providers do not import each other.


class CredentialFacts(Protocol):
    @property
    def name(self) -> str: ...  # its key in the profile table; `<name>_env` names a variable
    @property
    def label(self) -> str: ...  # "API token", "account id"
    @property
    def secret(self) -> bool: ...
    @property
    def env(self) -> str | None: ...  # a variable that overrides it
    @property
    def spoken(self) -> str: ...  # what messages call it: "token", else the label


class SenderFacts(Protocol):
    def problem(self, sender: str) -> str | None: ...


class ProviderFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def default_base_url(self) -> str: ...
    @property
    def credentials(self) -> Sequence[CredentialFacts]: ...
    @property
    def sender(self) -> SenderFacts: ...


class ProviderCatalog(Protocol):
    def facts(self, name: str) -> ProviderFacts | None:
        """The provider of that name, or None when none is installed."""
        ...

    def names(self) -> Sequence[str]:
        """Every installed provider, for messages."""
        ...

    def unknown(self, name: str) -> str:
        """Why no usable provider has this name (not installed, or installed but broken)."""
        ...


@dataclass(frozen=True)
class _Credential:
    name: str
    label: str
    secret: bool = True
    env: str | None = None

    @property
    def spoken(self) -> str:
        return "token" if self.name == "token" else self.label


# A profile built without provider facts (a test's Profile(...)) has the one credential every
# built-in provider has.
_TOKEN_ONLY: Final[tuple[CredentialFacts, ...]] = (
    _Credential("token", "API token", env=ENV_TOKEN),
)


def main_secret(credentials: Sequence[CredentialFacts]) -> CredentialFacts | None:
    """The first secret: the one --token-stdin / --token-env / SMSCTL_TOKEN give."""
    return next((c for c in credentials if c.secret), None)


@dataclass(frozen=True)
class Profile:
    """One provider account. Each credential is stored under its name (`token`, or one in
    `more_credentials`), or read when used from the variable `<name>_env` names."""

    name: str
    provider: str
    token: str | None = field(default=None, repr=False)
    token_env: str | None = None
    sender: str | None = None
    base_url: str | None = None
    region: str | None = None
    store_text: bool = True  # False: the history keeps only a hash of each text
    price_per_segment: float | None = None  # for cost estimates before a bulk job
    currency: str | None = None  # ISO 4217 code the price is in, shown with every amount
    signing_key: str | None = field(default=None, repr=False)  # verifies signed callbacks
    # "keyring": the first secret lives in the OS keyring (service "smsctl", user `keyring_id`,
    # a random id that stays the same when the profile is renamed); None: in this file.
    token_store: str | None = None
    keyring_id: str | None = None
    # Credentials under names other than `token` (which keeps its own fields, as files hold it).
    more_credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    more_credentials_env: Mapping[str, str] = field(default_factory=dict)
    facts: ProviderFacts | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        register_secret(self.token)
        register_secret(self.signing_key)
        secret = {c.name for c in self.credential_facts if c.secret}
        for name, value in self.more_credentials.items():
            if name in secret or self.facts is None:
                register_secret(value)

    @property
    def credential_facts(self) -> Sequence[CredentialFacts]:
        return self.facts.credentials if self.facts is not None else _TOKEN_ONLY

    @property
    def effective_base_url(self) -> str:
        if self.base_url or self.facts is None:
            return self.base_url or ""
        return self.facts.default_base_url

    def stored(self, name: str) -> str | None:
        """The stored value of a credential, by its name."""
        return self.token if name == "token" else self.more_credentials.get(name)

    def env_of(self, name: str) -> str | None:
        """The variable a credential is read from when used, if the profile names one."""
        return self.token_env if name == "token" else self.more_credentials_env.get(name)

    @property
    def in_keyring(self) -> bool:
        return self.token_store == "keyring"

    def to_toml(self) -> dict[str, str]:
        table = {key: value for key in _PROFILE_KEYS if (value := getattr(self, key)) is not None}
        table.update(self.more_credentials)
        table.update({f"{name}_env": var for name, var in self.more_credentials_env.items()})
        return table


@dataclass(frozen=True)
class BrokenProfile:
    """A profile the file holds but smsctl cannot use: a value failed validation on load.

    Commands that use it fail (exit 4) with `message`; `profile list` flags it; `profile remove`
    deletes it. Until then its table is written back unchanged, never repaired or dropped.
    """

    name: str
    message: str  # names the file, the profile and the key; never a secret
    table: Any = field(repr=False)

    @property
    def shown_name(self) -> str:
        return self.name if _NAME.fullmatch(self.name) else shown(self.name)

    @property
    def keyring_id(self) -> str | None:
        """The OS keyring entry its table names, when that is an id smsctl writes: removing the
        profile deletes the entry too (a broken table still owns its token)."""
        value = self.table.get("keyring_id") if isinstance(self.table, dict) else None
        return value if isinstance(value, str) and _KEYRING_ID.fullmatch(value) else None

    @property
    def remove_hint(self) -> str:
        """How to remove it, as a command that works when pasted into a shell: a name with
        control characters is given in bash/zsh ANSI-C quoting ($'...'), never as its escaped
        display form (which names another profile)."""
        if _NAME.fullmatch(self.name):
            return f"fix it by hand, or remove it: smsctl profile remove {self.name}"
        if len(self.name) > _SHOWN_MAX:
            return "fix it by hand: edit or delete its table in the file"
        return f"fix it by hand, or remove it: smsctl profile remove {ansi_c_quoted(self.name)}"

    def error(self) -> ConfigError:
        return ConfigError(self.message, hint=self.remove_hint)


def ansi_c_quoted(value: str) -> str:
    """`value` as one bash/zsh word, $'...', every character outside printable ASCII (and ' and
    \\) escaped: pasted into a shell it is the exact value, and shows nothing raw."""
    out = []
    for char in value:
        code = ord(char)
        if char in "'\\":
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "$'" + "".join(out) + "'"


@dataclass(frozen=True)
class ProfileFile:
    default: str | None = None
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    broken: Mapping[str, BrokenProfile] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # found on load (a file others can read), for the command

    def get(self, name: str) -> Profile:
        if name in self.broken:
            raise self.broken[name].error()
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(
                f"no profile named {shown(name)}",
                hint=_known_hint(self),
            ) from None

    def require_sound(self) -> None:
        """Changes other than a removal wait until no profile is broken: the file stays as is."""
        for broken in self.broken.values():
            raise ConfigError(
                f"{broken.message}; smsctl changes the file only to remove a profile until "
                "this is fixed",
                hint=broken.remove_hint,
            )

    def to_toml(self) -> dict[str, Any]:
        document: dict[str, Any] = {"version": FORMAT_VERSION}
        if self.default is not None:
            document["default"] = self.default
        tables: dict[str, Any] = {name: p.to_toml() for name, p in self.profiles.items()}
        tables.update({name: b.table for name, b in self.broken.items()})
        document["profiles"] = dict(sorted(tables.items()))
        return document


def _known_hint(profiles: ProfileFile) -> str:
    if not profiles.profiles and not profiles.broken:
        return "add one with: smsctl profile add NAME --provider NAME (see: smsctl providers)"
    names = [*profiles.profiles, *(b.shown_name for b in profiles.broken.values())]
    return "known profiles: " + ", ".join(sorted(names))


# ---------------------------------------------------------------------------------------------
# validation: one function per field, used by `profile add` and by every load alike. Each raises
# InputError (exit 2) with a message that never contains a secret; a load turns it into a
# ConfigError (exit 4) naming the file, the profile and the key.

# The regions phonenumbers 9.0 supports (phonenumbers.SUPPORTED_REGIONS), spelled out so loading
# the profiles needs no 180 ms phonenumbers import; tests/unit/test_profile_store.py checks the
# installed phonenumbers agrees.
_REGION_CODES: Final = """
    AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC
    EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB
    LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY
    MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS
    RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL
    TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
REGIONS: Final = frozenset(_REGION_CODES.split())
_SHOWN_MAX = 40


def shown(value: str) -> str:
    """A value quoted for a message: control characters escaped, long values cut."""
    if len(value) > _SHOWN_MAX:
        return repr(value[:_SHOWN_MAX]) + "…"
    return repr(value)


def _visible_ascii(value: str) -> bool:
    """Printable ASCII without space: what URLs and tokens are made of (RFC 3986, RFC 6750)."""
    return all("!" <= c <= "~" for c in value)


def validate_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(
            f"{shown(name)} is not a usable profile name",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def validate_provider(provider: str, catalog: ProviderCatalog) -> ProviderFacts:
    facts = catalog.facts(provider)
    if facts is None:
        raise InputError(catalog.unknown(provider))
    return facts


def validate_sender(provider: ProviderFacts, sender: str) -> str:
    problem = provider.sender.problem(sender)
    if problem:
        raise InputError(f"sender {shown(sender)} does not fit {provider.title}: {problem}")
    return sender


def validate_base_url(url: str) -> str:
    """An http(s) URL with a host and nothing secret or ambiguous in it; never echoed back."""
    example = "for example https://api.example.com/v1 or http://127.0.0.1:8025"
    if "@" in url:
        raise InputError(
            "the base URL contains a user name or password",
            hint="keep credentials out of URLs; the token goes in the profile's token",
        )
    if not _visible_ascii(url) or "\\" in url:
        raise InputError(
            "the base URL contains spaces, control characters, a backslash or non-ASCII characters",
            hint=example,
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        raise InputError("the base URL is not a valid URL", hint=example) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("the base URL is not an http or https URL with a host", hint=example)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InputError("the base URL must not carry a query string or a fragment")
    if not _connectable_host(parts.netloc.rpartition(":")[0] if parts.port else parts.netloc):
        raise InputError(
            "the base URL's host is not a valid host name or IP address",
            hint="labels of 1 to 63 letters, digits or '-', or an IP address; " + example,
        )
    return url.rstrip("/")


_IPV4_LIKE = re.compile(r"[0-9.]+")


def _connectable_host(host: str) -> bool:
    """Whether the HTTP client can make a request to `host` (as the URL spells it): the checks
    it makes only when a request is under way, so a profile never holds a URL that fails then."""
    import ipaddress

    if host.startswith("["):
        if not host.endswith("]"):
            return False
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if _IPV4_LIKE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        return False
    try:
        host.lower().encode("idna")  # what the socket layer does with it
    except UnicodeError:
        return False
    if any(label.lower().startswith("xn--") for label in labels):
        import idna  # httpx's own IDNA check; loaded only for such a name

        try:
            idna.decode(name.lower())
        except (idna.IDNAError, UnicodeError, ValueError):
            return False
    return True


def validate_region(region: str) -> str:
    code = region.upper()
    if not code.isascii() or code not in REGIONS:
        raise InputError(
            f"{shown(region)} is not a country code phone numbers can use",
            hint="use an ISO 3166 code such as SE, DE or GB",
        )
    return code


def validate_env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise InputError(f"{shown(name)} is not an environment variable name")
    return name


def validate_secret(secret: str, what: str = "token") -> str:
    """A token or key as an HTTP header carries it: printable ASCII, no spaces; never echoed."""
    if not secret:
        raise InputError(f"the {what} is empty")
    if not _visible_ascii(secret):
        raise InputError(
            f"the {what} contains spaces, line breaks, control characters or non-ASCII "
            "characters; check what was pasted"
        )
    return secret


def validate_currency(currency: str) -> str:
    """An ISO 4217 alphabetic code (EUR, SEK, USD): three letters, kept upper case."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InputError(
            f"{shown(currency)} is not a currency code",
            hint="use the three-letter ISO 4217 code, such as EUR, SEK or USD",
        )
    return code


def validate_token_store(store: str) -> str:
    if store not in TOKEN_STORES:
        raise InputError(
            f"{shown(store)} is not a place for tokens", hint="use file (the default) or keyring"
        )
    return store


def validate_keyring_id(value: str) -> str:
    if not _KEYRING_ID.fullmatch(value):
        raise InputError("not a keyring id smsctl wrote (32 hex digits)")
    return value


def validate_price(price: float) -> float:
    if not math.isfinite(price) or price < 0:
        raise InputError("the price per segment must be a finite number, 0 or more")
    return price if price != 0 else 0.0  # -0 is 0


# ---------------------------------------------------------------------------------------------
# reading and writing


def _parse(path: Path, data: bytes, catalog: ProviderCatalog) -> ProfileFile:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message)
        where = f"line {found.group(1)}" if found and found.group(1) else "the end"
        raise ConfigError(
            f"{path}, {where}: not valid TOML ({reason})",
            hint="fix or remove the file; smsctl does not overwrite a file it cannot read",
        ) from None
    return _from_document(path, document, catalog)


def _from_document(path: Path, document: dict[str, Any], catalog: ProviderCatalog) -> ProfileFile:
    """The file's profiles; one with a bad value is kept aside as broken, the others stay usable."""

    def broken(detail: str) -> ConfigError:
        return ConfigError(f"{path}: {detail}", hint="fix the file by hand, or remove it")

    version = document.get("version", FORMAT_VERSION)
    if type(version) is not int or version < 1:  # exact: true is not a version
        raise broken("'version' must be a positive integer")
    if version > FORMAT_VERSION:
        raise broken(f"format version {version} is newer than this smsctl understands")
    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise broken("'profiles' must be a table")
    profiles: dict[str, Profile] = {}
    broken_profiles: dict[str, BrokenProfile] = {}
    for name, table in tables.items():
        try:
            profiles[name] = _profile_from_table(name, table, catalog)
        except InputError as exc:
            _register_secrets_of(table)
            message = f"{path}: profile {shown(name)}: {exc.message}"
            broken_profiles[name] = BrokenProfile(name, message, table)
    default = document.get("default")
    if default is not None and (
        not isinstance(default, str) or (default not in profiles and default not in tables)
    ):
        raise broken("'default' does not name a profile in the file")
    return ProfileFile(default=default, profiles=profiles, broken=broken_profiles)


def _profile_from_table(name: str, table: object, catalog: ProviderCatalog) -> Profile:
    """One profile, checked by the same functions `profile add` uses; InputError names the key."""
    validate_name(name)
    if not isinstance(table, dict):
        raise InputError("must be a table")
    provider = table.get("provider")
    if not isinstance(provider, str):
        word = "missing" if provider is None else "not a string"
        raise InputError(f"'provider' is {word}", hint=f"one of {', '.join(catalog.names())}")
    try:
        facts = validate_provider(provider, catalog)
    except InputError as exc:
        raise InputError(f"'provider': {exc.message}") from None
    kinds = credential_keys(facts)
    unknown = sorted(set(table) - set(kinds))
    if unknown:
        raise InputError(f"unknown key {shown(unknown[0])}")
    values: dict[str, Any] = {}
    for key, kind in kinds.items():
        if key not in table:
            continue
        value = table[key]
        if kind is float and type(value) is int:
            try:
                value = float(value)
            except OverflowError:
                raise InputError(f"{key!r} is too large") from None
        if type(value) is not kind:  # exact: true is not a number here
            word = {str: "a string", bool: "true or false", float: "a number"}[kind]
            raise InputError(f"{key!r} must be {word}")
        values[key] = value
    checks: dict[str, Callable[[Any], Any]] = {
        "provider": lambda _: facts.name,
        "sender": lambda sender: validate_sender(facts, sender),
        "base_url": validate_base_url,
        "region": validate_region,
        "price_per_segment": validate_price,
        "currency": validate_currency,
        "signing_key": lambda key: validate_secret(key, "signing key"),
        "token_store": validate_token_store,
        "keyring_id": validate_keyring_id,
    }
    for key, check in checks.items():
        if key in values:
            try:
                values[key] = check(values[key])
            except InputError as exc:
                raise InputError(f"{key!r}: {exc.message}") from None
    stored: dict[str, str] = {}
    from_env: dict[str, str] = {}
    for credential in facts.credentials:
        key = credential.name
        try:
            if key in values:
                stored[key] = validate_secret(values.pop(key), credential.spoken)
            key = f"{credential.name}_env"
            if key in values:
                from_env[credential.name] = validate_env_name(values.pop(key))
        except InputError as exc:
            raise InputError(f"{key!r}: {exc.message}") from None
    check_token_store(facts, values, stored, from_env)
    if values.get("token_store") == "file":
        del values["token_store"]  # the default, as a file written by smsctl says it
    return make_profile(name, facts, stored, from_env, **values)


def check_token_store(
    facts: ProviderFacts,
    values: Mapping[str, Any],
    stored: Mapping[str, str],
    from_env: Mapping[str, str],
) -> None:
    """A token in the keyring is there alone: the file names its keyring entry and holds no
    token of its own, nor a variable to read one from."""
    in_keyring = values.get("token_store") == "keyring"
    if in_keyring != ("keyring_id" in values):
        raise InputError(
            "'token_store' = \"keyring\" and 'keyring_id' go together"
            if in_keyring or "token_store" in values
            else "'keyring_id' is set but 'token_store' is not \"keyring\""
        )
    main = main_secret(facts.credentials)
    if in_keyring and main is not None and (main.name in stored or main.name in from_env):
        raise InputError(
            f"the {main.spoken} is kept in the OS keyring, but the file has "
            f"{main.name!r} or {main.name + '_env'!r} too"
        )
    if in_keyring and main is None:
        raise InputError(f"{facts.title} takes no token to keep in the OS keyring")


def credential_keys(facts: ProviderFacts) -> dict[str, type]:
    """The keys a profile of this provider may hold, and their types."""
    kinds = {k: v for k, v in _PROFILE_KEYS.items() if k not in ("token", "token_env")}
    for credential in facts.credentials:
        kinds[credential.name] = str
        kinds[f"{credential.name}_env"] = str
    return kinds


def make_profile(
    name: str,
    facts: ProviderFacts,
    stored: Mapping[str, str],
    from_env: Mapping[str, str],
    **values: Any,
) -> Profile:
    """A profile with its credentials by name: `token` in its own fields, others beside it."""
    return Profile(
        name=name,
        **{k: v for k, v in values.items() if k != "provider"},
        provider=facts.name,
        token=stored.get("token"),
        token_env=from_env.get("token"),
        more_credentials={k: v for k, v in stored.items() if k != "token"},
        more_credentials_env={k: v for k, v in from_env.items() if k != "token"},
        facts=facts,
    )


def _register_secrets_of(table: object) -> None:
    """A broken profile's secrets stay secret: its token, its key, a password in its URL."""
    if not isinstance(table, dict):
        return
    # Which keys are secret depends on a provider the table may not name well: every string but
    # the values that are never secret is kept out of output (an account id too, to be safe).
    for key, value in table.items():
        if isinstance(value, str) and key not in _NEVER_SECRET and not str(key).endswith("_env"):
            register_secret(value)
    url = table.get("base_url")
    if isinstance(url, str) and "@" in url:
        userinfo = url.partition("//")[2].rpartition("@")[0] or url.rpartition("@")[0]
        register_secret(userinfo)
        register_secret(userinfo.partition(":")[2])


_NEVER_SECRET: Final = frozenset(
    {"provider", "sender", "base_url", "region", "currency", "token_store", "keyring_id"}
)


def _privacy_warning(path: Path, mode: int) -> str | None:
    if sys.platform != "win32" and mode & 0o077:
        return (
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"it holds tokens: chmod 600 {path}"
        )
    return None


class ProfileStore:
    """The profiles file; `providers` tells it which providers exist and what they need."""

    def __init__(self, path: Path | None = None, *, providers: ProviderCatalog) -> None:
        self.path = path or profiles_path()
        self.providers = providers

    def load(self) -> ProfileFile:
        try:
            # O_NONBLOCK: a FIFO put in the file's place must not block the open (nor the read:
            # anything but a regular file is refused before reading).
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return ProfileFile()
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "rb") as handle:
                mode = os.fstat(handle.fileno()).st_mode
                if not stat.S_ISREG(mode):
                    raise ConfigError(
                        f"{self.path} is not a regular file; smsctl will not read it",
                        hint=f"move it away; `smsctl profile add` then writes a new one, or "
                        f"set {ENV_CONFIG_DIR}",
                    )
                data = handle.read()
        except OSError as exc:
            raise ConfigError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        loaded = _parse(self.path, data, self.providers)
        warning = _privacy_warning(self.path, mode)
        return replace(loaded, warnings=(warning,)) if warning else loaded

    def update(self, change: Callable[[ProfileFile], tuple[ProfileFile, T]]) -> T:
        """Apply `change` to the current file under a lock and write the result atomically."""
        self._make_directory()
        with self._locked():
            current = self.load()
            updated, result = change(current)
            _atomic_write(self.path, tomli_w.dumps(updated.to_toml()).encode("utf-8"))
        return result

    def _make_directory(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create {self.path.parent}: {exc.strerror or exc}") from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl
            except ImportError:  # Windows: os.replace is still atomic, writers may race
                yield
                return
            _lock_within_bound(fd, fcntl, self.path)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _lock_within_bound(fd: int, fcntl: Any, path: Path) -> None:
    """The profiles' write lock, waiting at most $SMSCTL_BUSY_TIMEOUT (10 s) for another smsctl
    process holding it: a lock held forever must not hang every `profile` command."""
    import time

    from sms_cli.storage.db import default_busy_timeout

    waited = default_busy_timeout()
    deadline = time.monotonic() + waited
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConfigError(
                    f"{path} is locked by another smsctl process (waited {waited:g} s); try again",
                    hint="SMSCTL_BUSY_TIMEOUT sets how long to wait",
                ) from None
            time.sleep(min(0.05, left))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write a sibling temp file (0600 from creation), fsync it, then rename it over `path`."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on every platform."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# resolution


@dataclass(frozen=True)
class ResolvedProfile:
    """The profile a command uses, its credentials, and where each value came from."""

    profile: Profile
    token: str | None = field(repr=False)  # the first secret (redaction, signing, old paths)
    sources: Mapping[str, str]
    # Every credential the provider declares that has a value, by its name: what a client gets.
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def provider(self) -> str:
        return self.profile.provider


def select_profile_name(
    profiles: ProfileFile, flag: str | None, flag_source: str = "--profile"
) -> tuple[str, str]:
    """The profile to use and why: --profile, then SMSCTL_PROFILE, then the default."""
    if flag:
        return flag, flag_source
    from_env = os.environ.get(ENV_PROFILE)
    if from_env:
        return from_env, ENV_PROFILE
    if profiles.default:
        return profiles.default, "default profile"
    if not profiles.profiles and not profiles.broken:
        raise ConfigError(
            "no profile configured",
            hint="add one with: smsctl profile add NAME --provider NAME (see: smsctl providers)",
        )
    raise ConfigError(
        "no default profile",
        hint="choose one with --profile NAME, SMSCTL_PROFILE, or: smsctl profile use NAME",
    )


def resolve(
    profiles: ProfileFile,
    flag: str | None = None,
    *,
    require_token: bool = True,
    flag_source: str = "--profile",
) -> ResolvedProfile:
    name, name_source = select_profile_name(profiles, flag, flag_source)
    profile = profiles.get(name)
    declared = profile.credential_facts
    first = main_secret(declared)
    credentials: dict[str, str] = {}
    sources = {"profile": name_source, "provider": "profile"}
    for credential in declared:
        value, source = _credential(profile, credential, credential is first, require_token)
        sources["token" if credential is first else credential.name] = source
        if value is not None:
            credentials[credential.name] = value
        elif require_token:
            raise _missing(profile, credential, credential is first)
    if first is None:
        sources["token"] = "not needed"
    sources.update(
        {
            "sender": "profile" if profile.sender else "not set",
            "base_url": "profile" if profile.base_url else "provider default",
            "region": "profile" if profile.region else "not set",
        }
    )
    token = credentials.get(first.name) if first is not None else None
    return ResolvedProfile(profile=profile, token=token, sources=sources, credentials=credentials)


def _override(credential: CredentialFacts, first: bool) -> str | None:
    """The variable that overrides a credential for every profile: its own, or SMSCTL_TOKEN."""
    return credential.env or (ENV_TOKEN if first else None)


def _credential(
    profile: Profile, credential: CredentialFacts, first: bool, required: bool = True
) -> tuple[str | None, str]:
    override = _override(credential, first)
    if override and (value := os.environ.get(override)):
        return _checked_env_value(value, override, credential), override
    variable = profile.env_of(credential.name)
    if variable:
        value = os.environ.get(variable)
        if not value:
            return None, f"${variable}"
        return _checked_env_value(value, variable, credential), f"${variable}"
    if first and profile.in_keyring and profile.keyring_id is not None:
        from sms_cli.storage import keyring_store

        try:
            token = keyring_store.read_token(profile.keyring_id, profile.name)
            try:
                return validate_secret(token, credential.spoken), "keyring"
            except InputError as exc:  # another program wrote the entry
                raise ConfigError(
                    f"profile {shown(profile.name)}: the {credential.spoken} in the OS keyring "
                    f"is not usable: {exc.message}",
                    hint=f"store it again: smsctl profile set {shell_word(profile.name)} "
                    "--token-stdin",
                ) from None
        except ConfigError as exc:
            if required:
                raise
            return None, f"keyring ({exc.message})"  # `profile show` says why, and goes on
    value = profile.stored(credential.name)
    return value, "profile" if value is not None else "not set"


def _missing(profile: Profile, credential: CredentialFacts, first: bool) -> ConfigError:
    """Exit 4 naming the credential a profile lacks, never a value."""
    name = shown(profile.name)
    what = credential.spoken
    override = _override(credential, first)
    variable = profile.env_of(credential.name)
    if variable:
        also = f" or set {override}" if override else ""
        return ConfigError(
            f"profile {name} reads its {what} from ${variable}, which is not set",
            hint=f"export {variable}=...{also}",
        )
    command = f"smsctl profile set {shell_word(profile.name)}"
    if first and credential.name == "token":
        return ConfigError(
            f"profile {name} has no token",
            hint=f"set {override}, or store one: {command} --token-stdin",
        )
    how = (
        f"--credential-stdin {credential.name}"
        if credential.secret
        else f"--credential {credential.name}=..."
    )
    also = f"set {override}, or " if override else ""
    return ConfigError(
        f"profile {name} has no {what} ({credential.name})",
        hint=f"{also}store it: {command} {how}",
    )


def shell_word(name: str) -> str:
    """A profile name as one shell word (names are [A-Za-z0-9_.-], a hand-written one may not)."""
    import shlex

    return shlex.quote(name) if name.isprintable() else ansi_c_quoted(name)


def _checked_env_value(value: str, variable: str, credential: CredentialFacts) -> str:
    """A credential from the environment meets the rule a stored one does (exit 4, never shown)."""
    if credential.secret:
        register_secret(value)
    what = credential.spoken
    try:
        return validate_secret(value, what)
    except InputError as exc:
        raise ConfigError(
            f"${variable}: {exc.message}", hint=f"set {variable} to the {what} alone"
        ) from None


# ---------------------------------------------------------------------------------------------
# changes, each a pure function from one file to the next


def with_added(
    profiles: ProfileFile, profile: Profile, *, make_default: bool, force: bool
) -> ProfileFile:
    profiles.require_sound()
    if profile.name in profiles.profiles and not force:
        raise InputError(
            f"a profile named {shown(profile.name)} exists already",
            hint="pass --force to replace it, or choose another name",
        )
    default = profiles.default
    if make_default or default is None:
        default = profile.name
    return ProfileFile(default=default, profiles={**profiles.profiles, profile.name: profile})


def with_default(profiles: ProfileFile, name: str) -> ProfileFile:
    profiles.require_sound()
    profiles.get(name)
    return replace(profiles, default=name)


def with_signing_key(profiles: ProfileFile, name: str, key: str | None) -> ProfileFile:
    """The caller checks the provider signs its callbacks (a provider fact storage lacks)."""
    profiles.require_sound()
    profile = profiles.get(name)
    updated = replace(profile, signing_key=key)
    return replace(profiles, profiles={**profiles.profiles, name: updated})


def without(profiles: ProfileFile, name: str) -> ProfileFile:
    """The file without one profile, broken or not; other broken profiles are kept as they are."""
    if name not in profiles.broken:
        profiles.get(name)
    remaining = {k: v for k, v in profiles.profiles.items() if k != name}
    broken = {k: v for k, v in profiles.broken.items() if k != name}
    default = None if profiles.default == name else profiles.default
    return ProfileFile(default=default, profiles=remaining, broken=broken)


def renamed(profiles: ProfileFile, old: str, new: str) -> ProfileFile:
    profiles.require_sound()
    profile = profiles.get(old)
    validate_name(new)
    if new in profiles.profiles:
        raise InputError(f"a profile named {shown(new)} exists already")
    remaining = {k: v for k, v in profiles.profiles.items() if k != old}
    remaining[new] = replace(profile, name=new)
    default = new if profiles.default == old else profiles.default
    return ProfileFile(default=default, profiles=remaining)


def with_replaced(profiles: ProfileFile, profile: Profile) -> ProfileFile:
    """The file with one existing profile changed (`profile set`, `profile edit`)."""
    profiles.get(profile.name)
    profiles.require_sound()
    return replace(profiles, profiles={**profiles.profiles, profile.name: profile})


def with_credentials(
    profile: Profile,
    *,
    stored: Mapping[str, str] | None = None,
    from_env: Mapping[str, str] | None = None,
) -> Profile:
    """The profile with some credentials replaced, each either stored or read from a variable
    (giving one way drops the other); the other credentials stay as they are."""
    names = [c.name for c in profile.credential_facts]
    values = {n: v for n in names if (v := profile.stored(n)) is not None}
    variables = {n: v for n in names if (v := profile.env_of(n)) is not None}
    for name, value in (stored or {}).items():
        values[name] = value
        variables.pop(name, None)
    for name, variable in (from_env or {}).items():
        variables[name] = variable
        values.pop(name, None)
    return replace(
        profile,
        token=values.pop("token", None),
        token_env=variables.pop("token", None),
        more_credentials=values,
        more_credentials_env=variables,
    )


def checked(profile: Profile, catalog: ProviderCatalog) -> Profile:
    """The profile as loading would read it back, checked by the same code (InputError, exit 2,
    naming the key): a change never writes a profile the next load would call broken."""
    return _profile_from_table(profile.name, profile.to_toml(), catalog)


def profile_from_table(name: str, table: object, catalog: ProviderCatalog) -> Profile:
    """One profile's table (`profile edit`'s file), checked as loading checks it."""
    return _profile_from_table(name, table, catalog)


@contextmanager
def private_draft(text: str, name: str) -> Iterator[Path]:
    """A file for an editor (`profile edit`): created 0600 in the config directory (0700), so
    that no other user can read it, and removed whichever way the caller leaves."""
    directory = config_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".edit-{name}-", suffix=".toml", dir=directory)
    except OSError as exc:
        raise ConfigError(
            f"cannot create a file to edit in {directory}: {exc.strerror or exc}"
        ) from None
    path = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        yield path
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


# `profile edit`'s draft: the profile as a TOML table, secrets left out.
UNCHANGED: Final = "<unchanged>"
NOT_EDITED: Final = ("token_store", "keyring_id")


def draft_text(profile: Profile) -> str:
    """The profile's table as the editor shows it: every stored secret as "<unchanged>"."""
    table: dict[str, Any] = dict(profile.to_toml())
    secret = {c.name for c in profile.credential_facts if c.secret} | {"signing_key"}
    for key in secret & set(table):
        table[key] = UNCHANGED
    for key in NOT_EDITED:
        table.pop(key, None)
    name = shell_word(profile.name)
    lines = [
        f"# smsctl profile edit {name}: save and quit to apply it; quit without saving to "
        "keep it as it is.",
        "# It is checked as smsctl checks its profiles file; the provider cannot be changed here.",
        f'# Secrets are not written here: "{UNCHANGED}" keeps the stored value; delete the line '
        "to remove it.",
    ]
    if profile.in_keyring:
        lines.append(
            "# The token is in the OS keyring; replace it with: "
            f"smsctl profile set {name} --token-stdin"
        )
    # A token in the keyring is not set here (the line above says how): not offered.
    in_keyring = main_secret(profile.credential_facts) if profile.in_keyring else None
    credentials = [c.name for c in profile.credential_facts if c is not in_keyring]
    lines.append(
        "# Settings: sender, base_url, region, price_per_segment, currency, store_text"
        + ", ".join(["", *credentials])
    )
    return "\n".join(lines) + "\n\n" + tomli_w.dumps(table)


DRAFT_MAX_BYTES: Final = 1 << 20  # a profile's settings are a few hundred bytes


def read_draft(path: Path) -> str:
    """The edited file's text, read once and safely: an editor (or anything else) may have put a
    symbolic link (to /dev/zero), a FIFO or a huge file in its place. Only a regular file of at
    most DRAFT_MAX_BYTES of UTF-8 is read; anything else is an InputError (exit 2)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path} was replaced by a symbolic link; it is not read") from None
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path} was replaced by something that is not a file; not read")
        if info.st_size > DRAFT_MAX_BYTES:
            raise InputError(f"{path} is larger than {DRAFT_MAX_BYTES // 1024} KiB; not read")
        data = os.read(fd, DRAFT_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > DRAFT_MAX_BYTES:
        raise InputError(f"{path} is larger than {DRAFT_MAX_BYTES // 1024} KiB; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def parse_draft(text: str, label: str) -> dict[str, Any]:
    """The edited file's text as TOML; InputError naming `label` and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        reason = _TOML_POSITION.sub("", message)
        where = f"line {found.group(1)}" if found and found.group(1) else "the end"
        raise InputError(f"{label}, {where}: not valid TOML ({reason})") from None


def key_line(text: str, message: str) -> int | None:
    """The line of `text` (a TOML table) that sets the key a check's message starts with
    (`'region': ...`), to point the user at it."""
    found = re.match(r"'([A-Za-z0-9_-]+)'", message)
    if found is None:
        return None
    pattern = re.compile(rf"\s*\"?{re.escape(found.group(1))}\"?\s*=")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None
