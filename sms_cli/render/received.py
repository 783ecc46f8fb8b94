"""What arrived: `smsctl listen` lines and `smsctl inbox`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.table import cell, short, table

if TYPE_CHECKING:
    from sms_cli.storage.messages import Received, ReceivedMessage


def received_json(received: Received) -> dict[str, Any]:
    """One line of `smsctl listen --json` (docs/json.md)."""
    event = received.event
    if event.kind == "inbound":
        return {
            "event": "inbound",
            "provider": event.provider,
            "id": event.id,
            "from": event.sender,
            "to": event.recipient,
            "text": event.text,
            "sent_at": event.sent_at,
            "received_at": received.received_at,
        }
    return {
        "event": "dlr",
        "provider": event.provider,
        "id": event.message_id,
        "status": event.status,
        "provider_status": event.provider_status,
        "reason": event.reason,
        "recipient": received.recipient,
        "at": event.at,
        "received_at": received.received_at,
        "known": bool(received.local_ids),
        "updated": received.changed,
        "local_ids": list(received.local_ids),
    }


RECEIVED_HEADER = ("Received (UTC)", "Event", "Provider", "ID", "Number", "Detail")
RECEIVED_WIDTHS = (19, 7, 9, 20, 16)


def received_row(received: Received) -> tuple[str, ...]:
    """A row of `listen`'s table. Every field came from whoever called the URL (a provider
    callbacks are unsigned): all of it is shown through `visible`, so escape sequences in an
    id or a sender cannot retitle the window or clear the screen."""
    event = received.event
    stamp = received.received_at[:19].replace("T", " ")
    if event.kind == "inbound":
        detail = f"to {event.recipient or '?'}: {event.text}"
        cells = (stamp, "inbound", event.provider, event.id or "-", event.sender, detail)
    else:
        detail = event.status + (f" ({event.provider_status})" if event.provider_status else "")
        if event.reason:
            detail += f": {event.reason}"
        if not received.local_ids:
            detail += ", not in the history"
        elif not received.changed:
            detail += f", kept {received.status}"
        number = received.recipient or "-"
        cells = (stamp, "dlr", event.provider, event.message_id, number, detail)
    return tuple(visible(cell) for cell in cells)


def received_line(cells: Sequence[str]) -> str:
    """A row of the live table: fixed columns, so lines printed one by one stay aligned."""
    fixed = [f"{cell:<{width}}" for cell, width in zip(cells, RECEIVED_WIDTHS, strict=False)]
    return "  ".join([*fixed, *cells[len(RECEIVED_WIDTHS) :]]).rstrip()


def inbox_json(rows: Sequence[ReceivedMessage]) -> dict[str, Any]:
    return {
        "messages": [
            {
                "number": row.number,
                "provider": row.provider,
                "id": row.provider_id,
                "from": row.sender,
                "to": row.recipient,
                "text": row.text,
                "sent_at": row.sent_at,
                "received_at": row.received_at,
            }
            for row in rows
        ]
    }


def inbox_human(rows: Sequence[ReceivedMessage]) -> None:
    if not rows:
        output.info("no received messages match")
        return
    # Sender, recipient and text are whatever the caller of `listen` sent: shown, not obeyed.
    lines = [
        (
            row.received_at[:19].replace("T", " "),
            visible(row.sender),
            visible(cell(row.recipient)),
            visible(row.provider),
            short(row.text, 60),
        )
        for row in rows
    ]
    table(("Received (UTC)", "From", "To", "Provider", "Text"), lines, wrap="Text")


def emit(messages: Sequence[ReceivedMessage], *, json: bool) -> None:
    """`smsctl inbox`'s result: JSON or a table."""
    if json:
        output.print_json(inbox_json(messages))
    else:
        inbox_human(messages)


def event_line(received: Received, *, json: bool, header: bool) -> str:
    """One event of `smsctl listen`: a JSON line, or a row of the live table (after its header,
    when `header`)."""
    if json:
        import json as json_module

        from sms_cli.core.redaction import redact

        line = json_module.dumps(received_json(received), ensure_ascii=False)
        return redact(line, urls=False) + "\n"
    text = received_line(received_row(received)) + "\n"
    if header:
        text = received_line(RECEIVED_HEADER) + "\n" + text
    return text


def listening_line(base: str, urls: dict[str, str]) -> str:
    """`smsctl listen --json`'s first line: where it listens."""
    import json as json_module

    return json_module.dumps({"event": "listening", "url": base, "urls": urls}) + "\n"
