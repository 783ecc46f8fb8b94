"""Delivery states from `smsctl status`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.core.printable import visible
from sms_cli.render.table import cell, reason_cell, table

if TYPE_CHECKING:
    from sms_cli.services.tracking import Tracked


def status_json(tracked: Sequence[Tracked], *, waited: bool) -> dict[str, Any]:
    """The stable `smsctl status --json` document (docs/json.md)."""
    return {
        "waited": waited,
        "all_final": all(t.final for t in tracked),
        "messages": [
            {
                "id": t.id,
                "recipient": t.recipient,
                "status": t.status,
                "provider_status": t.provider_status,
                "updated_at": t.updated_at,
                "final": t.final,
                "local_id": t.local_id,
                "bulk_id": t.bulk_id,
                "provider": t.provider,
                "profile": t.profile,
                "note": t.note,
                "reason": t.reason,
            }
            for t in tracked
        ],
    }


REASON = "Reason"  # the column shown only when a message has one


def status_human(tracked: Sequence[Tracked]) -> None:
    header: tuple[str, ...] = ("Recipient", "Status", "Provider status", "ID", "Updated")
    rows: list[tuple[str, ...]] = [
        (
            cell(t.recipient),
            t.status + (" (final)" if t.final else ""),
            visible(cell(t.provider_status)),
            visible(cell(t.id)),
            cell(t.updated_at),
        )
        for t in tracked
    ]
    if any(t.reason for t in tracked):
        header += (REASON,)
        rows = [(*row, reason_cell(t.reason)) for row, t in zip(rows, tracked, strict=True)]
    table(header, rows, title=None, wrap=REASON, status="Status")


def emit(tracked: Sequence[Tracked], *, json: bool, waited: bool) -> None:
    """`smsctl status`'s result: JSON or a table, then each message's note on stderr."""
    from sms_cli.render import output

    if json:
        output.print_json(status_json(tracked, waited=waited))
    else:
        status_human(tracked)
    for item in tracked:
        # A report on an id the provider does not know has no recipient: name the id.
        who = visible(str(item.recipient or item.id or item.local_id))
        if item.note and item.status == "unknown":
            output.warning(f"{who}: {item.note}")
        elif item.note:
            output.info(f"{who}: {item.note}")
