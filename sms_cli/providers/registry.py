"""The provider registry: built-ins declared explicitly, plugins through entry points.

Built-in providers are packages under `sms_cli/providers/`, each with an `INFO` in its
`__init__`; `builtin()` imports only those (no httpx). Third-party providers are entry points of
the group `smsctl.providers` whose value is `package:INFO`; the group is scanned once, lazily,
only when a name is not built-in or when every provider is listed, never for `--help` or `split`.
A plugin that fails to load is reported by `broken()` and skipped, never a traceback.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "BrokenPlugin",
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
    "load",
    "source",
]

GROUP: Final = "smsctl.providers"

# The packages of the built-in providers, in the order help and listings show them.
_BUILTIN_PACKAGES: Final = ("sms_cli.providers.connectel", "sms_cli.providers.seven")


class UnknownProvider(ValueError):
    """No built-in provider and no installed plugin has this name; the message lists the known."""


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
        known = ", ".join(available())
        raise UnknownProvider(f"unknown provider {name!r} (known: {known})")
    return plugin[0]


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
    """Import the class a registry entry names ("module:Class")."""
    module_name, _, class_name = path.partition(":")
    cls: type = getattr(importlib.import_module(module_name), class_name)
    return cls


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
                problem = f"the name {info.name!r} is provided by {other} already"
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
        value = entry.load()
    except (Exception, SystemExit) as exc:  # a plugin's bug must not stop smsctl: one line
        detail = " ".join(str(exc).split())[:200]
        return (
            None,
            where,
            f"cannot load {entry.value}: {type(exc).__name__}: {detail}".rstrip(": "),
        )
    if not isinstance(value, ProviderInfo):
        return None, where, f"{entry.value} is a {type(value).__name__}, not a ProviderInfo"
    if value.name != entry.name:
        return (
            None,
            where,
            f"the entry point is named {entry.name!r} but INFO.name is {value.name!r}",
        )
    return value, where, None
