"""Webhooks registered with the provider: `smsctl hooks list`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.table import cell, table

if TYPE_CHECKING:
    from sms_cli.providers.base import Hook


def hooks_json(hooks: Sequence[Hook]) -> dict[str, Any]:
    return {
        "hooks": [
            {
                "id": h.id,
                "url": h.url,
                "event": h.event,
                "method": h.method,
                "filter": h.filter,
                "enabled": h.enabled,
                "created": h.created,
            }
            for h in hooks
        ]
    }


def hooks_human(hooks: Sequence[Hook]) -> None:
    if not hooks:
        output.info("no webhooks registered")
        return
    rows = [
        (h.id, h.event, cell(h.method), "yes" if h.enabled else "no", cell(h.created), h.url)
        for h in hooks
    ]
    table(("ID", "Event", "Method", "Enabled", "Created", "URL"), rows)


def emit(hooks: Sequence[Hook], *, json: bool) -> None:
    """`smsctl hooks list`'s result: JSON or a table."""
    if json:
        output.print_json(hooks_json(hooks))
    else:
        hooks_human(hooks)


def emit_added(hook_id: str, *, url: str, event: str, method: str, json: bool) -> None:
    """`smsctl hooks add`'s result: the new hook's id (JSON: with what it was registered for)."""
    if json:
        output.print_json({"id": hook_id, "url": url, "event": event, "method": method})
    else:
        output.stdout().write(f"{visible(hook_id)}\n")  # the provider's text: never obeyed
        output.info(f"registered hook {hook_id}: {event} events to {url}")
