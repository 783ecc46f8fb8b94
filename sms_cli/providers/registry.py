"""The provider registry: built-ins declared explicitly, plugins through entry points.

Built-in providers are packages under `sms_cli/providers/`, each with an `INFO` in its
`__init__`; `builtin()` imports only those (no httpx). Third-party providers are entry points of
the group `smsctl.providers` whose value is `package:INFO`; the group is scanned once, lazily,
only when a name is not built-in or when every provider is listed, never for `--help` or `split`.
A plugin that fails to load is reported by `broken()` and skipped, never a traceback.
"""

from __future__ import annotations

import importlib
import math
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from sms_cli.errors import ConfigError
from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from sms_cli.providers.base import Provider
    from sms_cli.providers.emulation import Emulator

__all__ = [
    "BrokenPlugin",
    "BrokenProvider",
    "Capability",
    "Credential",
    "PluginSource",
    "ProviderInfo",
    "SenderRule",
    "UnknownProvider",
    "available",
    "broken",
    "builtin",
    "get",
    "info_problem",
    "load",
    "load_client",
    "load_emulator",
    "source",
]

GROUP: Final = "smsctl.providers"

# The packages of the built-in providers, in the order help and listings show them.
_BUILTIN_PACKAGES: Final = ("sms_cli.providers.connectel", "sms_cli.providers.seven")


class UnknownProvider(ValueError):
    """No usable provider has this name: the message lists the known ones, or says that the
    plugin of that name is installed but broken, and why."""


class BrokenProvider(ConfigError):
    """A provider's client or emulator class cannot be imported, or is not a Provider / Emulator
    (exit 4, configuration): the message names the provider and its distribution, in one line."""

    code = "broken_provider"


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that could not be used: why, in one line (never a traceback)."""

    name: str
    distribution: str
    reason: str


@dataclass(frozen=True)
class PluginSource:
    """Where a provider comes from: "built-in", or a distribution and its version."""

    distribution: str
    version: str | None = None

    @property
    def builtin(self) -> bool:
        return self.distribution == "built-in"

    def __str__(self) -> str:
        return self.distribution if self.version is None else f"{self.distribution} {self.version}"


BUILT_IN: Final = PluginSource("built-in")

_builtin: dict[str, ProviderInfo] | None = None
_plugins: dict[str, tuple[ProviderInfo, PluginSource]] | None = None
_broken: list[BrokenPlugin] = []


def builtin() -> dict[str, ProviderInfo]:
    """The built-in providers by name (imports only their packages' `__init__`)."""
    global _builtin
    if _builtin is None:
        infos = (importlib.import_module(package).INFO for package in _BUILTIN_PACKAGES)
        _builtin = {info.name: info for info in infos}
    return dict(_builtin)


def get(name: str) -> ProviderInfo:
    """A provider by name: built-in first; plugins are scanned only for another name."""
    found = builtin().get(name)
    if found is not None:
        return found
    plugin = _scanned().get(name)
    if plugin is None:
        raise UnknownProvider(_unknown(name))
    return plugin[0]


def _unknown(name: str) -> str:
    shown = repr(name) if len(name) <= 40 else repr(name[:40]) + "…"
    for entry in _broken:
        if entry.name == name:
            return (
                f"provider {shown} is installed ({entry.distribution}) but broken: {entry.reason}"
            )
    known = ", ".join(available())
    return f"unknown provider {shown}: none of that name is installed (installed: {known})"


def available() -> dict[str, ProviderInfo]:
    """Every usable provider: the built-ins, then each plugin that loaded."""
    return {**builtin(), **{name: info for name, (info, _) in _scanned().items()}}


def broken() -> list[BrokenPlugin]:
    """The plugins that could not be loaded, and why."""
    _scanned()
    return list(_broken)


def source(name: str) -> PluginSource:
    """Where a provider comes from; UnknownProvider for a name nothing provides."""
    if name in builtin():
        return BUILT_IN
    get(name)
    return _scanned()[name][1]


def load(path: str) -> type:
    """Import the class a registry entry names ("module:Class"). A path that does not lead to a
    class (no such module, no such attribute, not a class, an error while importing) raises
    BrokenProvider naming the provider and its distribution, never a traceback."""
    module_name, _, class_name = path.partition(":")
    try:
        with _plugin_import(module_name):
            module = importlib.import_module(module_name)
            found = getattr(module, class_name)
    except BaseException as exc:
        if isinstance(exc, _NEVER_CAUGHT):
            raise
        raise _broken_path(path, _failure(exc)) from None
    if not isinstance(found, type):
        raise _broken_path(path, f"it is a {type(found).__name__}, not a class")
    return found


def load_client(info: ProviderInfo) -> type[Provider]:
    """A provider's client class: `load(info.client)`, and a concrete Provider subclass, or
    BrokenProvider (exit 4) naming the provider. Every command that talks to a provider uses it."""
    from sms_cli.providers.base import Provider  # not for --help or split

    return cast("type[Provider]", _load_as(info.client, Provider))


def load_emulator(info: ProviderInfo) -> type[Emulator]:
    """A provider's emulator class: `load(info.emulator)`, and a concrete Emulator subclass, or
    BrokenProvider naming the provider (also when it declares no emulator)."""
    from sms_cli.providers.emulation import Emulator  # not for --help or split

    if info.emulator is None:
        raise BrokenProvider(f"provider {info.name!r} declares no emulator")
    return cast("type[Emulator]", _load_as(info.emulator, Emulator))


def _load_as(path: str, base: type) -> type:
    found = load(path)
    try:
        fits = issubclass(found, base)
    except Exception as exc:  # a metaclass of the plugin's own that refuses the question
        raise _broken_path(path, _failure(exc)) from None
    where = f"{base.__module__}.{base.__qualname__}"
    if not fits:
        raise _broken_path(path, f"it is not a subclass of {where}")
    missing = sorted(str(name) for name in getattr(found, "__abstractmethods__", ()))
    if missing:
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        raise _broken_path(path, f"it leaves abstract methods of {where} unimplemented: {shown}")
    return found


# Anything else a plugin raises while importing (SystemExit, a BaseException of its own) marks it
# broken; these two are the user's Ctrl-C and the interpreter's own, and are never swallowed.
_NEVER_CAUGHT: Final = (KeyboardInterrupt, GeneratorExit)


# One import of a module not imported yet at a time, process-wide: `redirect_stdout` swaps the
# process's sys.stdout, and two threads swapping it at once (profile check loads clients in
# threads) could restore each other's swap and leave stdout pointing at stderr for good. The
# lock is re-entrant: a plugin that loads another while being imported does not wait on itself.
_IMPORT_LOCK: Final = threading.RLock()


@contextmanager
def _plugin_import(module_name: str) -> Iterator[None]:
    """While a module that is not imported yet is imported, what it prints goes to stderr:
    stdout carries data (`--json`), and a plugin's noise must not corrupt it."""
    if module_name in sys.modules:
        yield
        return
    with _IMPORT_LOCK:
        if module_name in sys.modules:  # imported by another thread while this one waited
            yield
            return
        with redirect_stdout(sys.stderr):
            yield


def _failure(exc: BaseException) -> str:
    """An exception in one line of readable size: its type and its message."""
    detail = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {detail}".rstrip(": ")


def _broken_path(path: str, problem: str) -> BrokenProvider:
    owners = [(name, info, BUILT_IN) for name, info in builtin().items()]
    if _plugins is not None:
        owners += [(name, info, where) for name, (info, where) in _plugins.items()]
    for name, info, where in owners:
        roles = [r for r, p in (("client", info.client), ("emulator", info.emulator)) if p == path]
        if roles:
            return BrokenProvider(
                f"provider {name!r} ({where}) is broken: cannot load its {roles[0]} {path}: "
                f"{problem}",
                hint="built-in providers ship with smsctl: reinstall smsctl"
                if where.builtin
                else f"reinstall or upgrade {where.distribution}, or report it to its author "
                "(smsctl providers lists what is installed)",
            )
    return BrokenProvider(f"cannot load {path}: {problem}")


def rescan() -> None:
    """Forget what the entry points held (tests that install a plugin while running)."""
    global _plugins
    _plugins = None
    _broken.clear()


def _scanned() -> dict[str, tuple[ProviderInfo, PluginSource]]:
    global _plugins
    if _plugins is None:
        from importlib.metadata import entry_points

        plugins: dict[str, tuple[ProviderInfo, PluginSource]] = {}
        found: list[BrokenPlugin] = []
        for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
            info, where, problem = _load_entry(entry)
            if info is None:
                found.append(BrokenPlugin(entry.name, where.distribution, problem or "unusable"))
                continue
            if info.name in builtin():
                problem = (
                    f"the name {info.name!r} is a built-in provider; a plugin cannot replace it"
                )
            if problem is None and info.name in plugins:
                other = plugins[info.name][1]
                problem = f"{info.name!r} is also provided by {other}; using {other.distribution}'s"
            if problem is not None:
                found.append(BrokenPlugin(entry.name, where.distribution, problem))
                continue
            plugins[info.name] = (info, where)
        _plugins = plugins
        _broken[:] = found
    return _plugins


def _load_entry(
    entry: EntryPoint,
) -> tuple[ProviderInfo, PluginSource, None] | tuple[None, PluginSource, str]:
    dist = entry.dist
    where = PluginSource(dist.name, dist.version) if dist is not None else PluginSource("unknown")
    try:
        with _plugin_import(entry.module):
            value = entry.load()
    except BaseException as exc:  # a plugin's bug must not stop smsctl: one line
        if isinstance(exc, _NEVER_CAUGHT):
            raise
        return None, where, f"cannot load {entry.value}: {_failure(exc)}"
    if not isinstance(value, ProviderInfo):
        return None, where, f"{entry.value} is a {type(value).__name__}, not a ProviderInfo"
    problem = info_problem(value)
    if problem is not None:
        return None, where, problem
    if value.name != entry.name:
        return (
            None,
            where,
            f"the entry point is named {entry.name!r} but INFO.name is {value.name!r}",
        )
    return value, where, None


def info_problem(info: ProviderInfo) -> str | None:
    """The first field of a ProviderInfo that has the wrong type or is out of range, in one line;
    None when every field is usable. A plugin's INFO is checked when it is loaded (it is then
    broken, not a traceback later); the built-ins are checked by a test."""
    for field, value, expected in _info_fields(info):
        if not expected(value):
            return f"INFO.{field} must be {expected.__doc__}, not {_shown(value)}"
    return None


def _info_fields(info: ProviderInfo) -> Iterator[tuple[str, Any, Any]]:
    yield "name", info.name, _identifier
    yield "title", info.title, _text
    yield "default_base_url", info.default_base_url, _text
    yield "max_text_chars", info.max_text_chars, _positive
    yield "sender", info.sender, _sender_rule
    if isinstance(info.sender, SenderRule):
        yield "sender.alnum_max", info.sender.alnum_max, _count
        yield "sender.digits_max", info.sender.digits_max, _count
        yield "sender.alnum_pattern", info.sender.alnum_pattern, _str_pattern
    yield "client", info.client, _class_path
    yield "emulator", info.emulator, _optional_class_path
    yield "credentials", info.credentials, _credentials
    yield "capabilities", info.capabilities, _capabilities
    yield "requires_sender", info.requires_sender, _bool
    yield "send_options", info.send_options, _strings
    yield "max_requests_per_second", info.max_requests_per_second, _optional_rate
    yield "max_recipients_per_request", info.max_recipients_per_request, _optional_positive
    yield "callback_setup", info.callback_setup, _str
    yield "billing_currency", info.billing_currency, _optional_currency
    yield "docs_url", info.docs_url, _str


def _optional_currency(value: object) -> bool:
    """None or a currency code of three upper-case letters ("EUR")"""
    if value is None:
        return True
    return isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value) is not None


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _identifier(value: object) -> bool:
    """a lower-case name (letters, digits, - and _)"""
    return isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", value) is not None


def _text(value: object) -> bool:
    """a non-empty str"""
    return isinstance(value, str) and bool(value.strip())


def _str(value: object) -> bool:
    """a str"""
    return isinstance(value, str)


def _bool(value: object) -> bool:
    """a bool"""
    return isinstance(value, bool)


def _positive(value: object) -> bool:
    """an int of at least 1"""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _optional_positive(value: object) -> bool:
    """None (no limit) or an int of at least 1"""
    return value is None or _positive(value)


def _count(value: object) -> bool:
    """an int of at least 0"""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _optional_rate(value: object) -> bool:
    """None or a number above 0"""
    if value is None:
        return True
    if not (_int(value) or isinstance(value, float)):
        return False
    rate = float(value)  # type: ignore[arg-type]
    return math.isfinite(rate) and rate > 0


def _sender_rule(value: object) -> bool:
    """a SenderRule"""
    return isinstance(value, SenderRule)


def _str_pattern(value: object) -> bool:
    """a compiled str pattern (re.compile)"""
    return isinstance(value, re.Pattern) and isinstance(value.pattern, str)


def _class_path(value: object) -> bool:
    """a "module:Class" str"""
    if not isinstance(value, str):
        return False
    module, colon, name = value.partition(":")
    return bool(colon) and all(part.isidentifier() for part in (*module.split("."), name))


def _optional_class_path(value: object) -> bool:
    """None or a "module:Class" str"""
    return value is None or _class_path(value)


def _credentials(value: object) -> bool:
    """a tuple of Credential with distinct str names and labels"""
    if not isinstance(value, tuple) or not all(isinstance(c, Credential) for c in value):
        return False
    names = [c.name for c in value]
    return (
        len(set(names)) == len(names)
        and all(_identifier(c.name) and _text(c.label) and _bool(c.secret) for c in value)
        and all(c.env is None or _text(c.env) for c in value)
    )


def _capabilities(value: object) -> bool:
    """a frozenset of Capability that includes Capability.SEND"""
    return (
        isinstance(value, frozenset)
        and all(isinstance(c, Capability) for c in value)
        and Capability.SEND in value
    )


def _strings(value: object) -> bool:
    """a frozenset of str"""
    return isinstance(value, frozenset) and all(isinstance(s, str) for s in value)


def _shown(value: object) -> str:
    """A value in a message: its repr for plain builtin values (shortened), else its type."""
    if value is None or type(value) in (bool, int, float, str):
        text = repr(value)
        return text if len(text) <= 40 else text[:39] + "…"
    return f"a {type(value).__name__}"
