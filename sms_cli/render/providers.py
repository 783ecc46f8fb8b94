"""`smsctl providers`: every installed provider, as a table or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.render.table import table

if TYPE_CHECKING:
    from sms_cli.providers.registry import BrokenPlugin, PluginSource, ProviderInfo


def providers_json(
    listed: Sequence[tuple[ProviderInfo, PluginSource]], broken: Sequence[BrokenPlugin]
) -> dict[str, Any]:
    return {
        "providers": [
            {
                "name": info.name,
                "title": info.title,
                "source": where.distribution,
                "version": where.version,
                "credentials": [
                    {"name": c.name, "label": c.label, "secret": c.secret, "env": c.env}
                    for c in info.credentials
                ],
                "capabilities": sorted(c.value for c in info.capabilities),
                "send_options": sorted(info.send_options),
                "emulator": info.emulator is not None,
                "default_base_url": info.default_base_url,
                "docs_url": info.docs_url or None,
            }
            for info, where in listed
        ],
        "broken": [
            {"name": b.name, "distribution": b.distribution, "reason": b.reason} for b in broken
        ],
    }


def providers_human(listed: Sequence[tuple[ProviderInfo, PluginSource]]) -> None:
    rows = [
        (
            info.name,
            info.title,
            str(where),
            ", ".join(c.name + (" (secret)" if c.secret else "") for c in info.credentials),
            ", ".join(sorted(c.value for c in info.capabilities)),
            info.docs_url or "-",
        )
        for info, where in listed
    ]
    table(
        ("Name", "Title", "Source", "Credentials", "Capabilities", "Docs"),
        rows,
        title=None,
        wrap=("Title", "Credentials", "Capabilities"),
    )


def emit(
    listed: Sequence[tuple[ProviderInfo, PluginSource]],
    broken: Sequence[BrokenPlugin],
    *,
    json: bool,
) -> None:
    """`smsctl providers`' result: JSON or a table, then each skipped plugin on stderr."""
    from sms_cli.render import output

    if json:
        output.print_json(providers_json(listed, broken))
    else:
        providers_human(listed)
    for plugin in broken:
        output.warning(
            f"provider plugin {plugin.name!r} from {plugin.distribution} was skipped: "
            f"{plugin.reason}"
        )
