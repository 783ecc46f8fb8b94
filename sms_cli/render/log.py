"""The sent-message history: `smsctl log` as a table, JSON or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.status import REASON
from sms_cli.render.table import cell, reason_cell, short, table

if TYPE_CHECKING:
    from sms_cli.storage.messages import SentMessage

TEXT = "Text"  # the message's text: a preview, wrapped

LOG_KEYS = (
    "local_id",
    "batch_id",
    "submitted_at",
    "profile",
    "provider",
    "id",
    "bulk_id",
    "recipient",
    "sender",
    "text",
    "text_sha256",
    "segments",
    "encoding",
    "parts",
    "price",
    "status",
    "provider_status",
    "error",
    "updated_at",
    "test",
    "reason",  # last: CSV readers that count columns keep working
)


def _log_record(m: SentMessage) -> dict[str, Any]:
    """One message of `smsctl log --json` / `--csv`, keys in LOG_KEYS order (docs/json.md)."""
    return {
        "local_id": m.local_id,
        "batch_id": m.batch_id,
        "submitted_at": m.submitted_at,
        "profile": m.profile,
        "provider": m.provider,
        "id": m.provider_id,
        "bulk_id": m.bulk_id,
        "recipient": m.recipient,
        "sender": m.sender,
        "text": m.text,
        "text_sha256": m.text_sha256,
        "segments": m.segments,
        "encoding": m.encoding,
        "parts": m.parts,
        "price": m.price,
        "status": m.status,
        "provider_status": m.provider_status,
        "error": m.error,
        "updated_at": m.status_at,
        "test": m.test,
        "reason": m.reason,
    }


def log_json(rows: Sequence[SentMessage]) -> dict[str, Any]:
    return {"messages": [_log_record(row) for row in rows]}


def log_csv(rows: Sequence[SentMessage]) -> None:
    import csv

    writer = csv.writer(output.stdout(), lineterminator="\n")
    writer.writerow(LOG_KEYS)
    for row in rows:
        record = _log_record(row)
        record["test"] = "true" if record["test"] else "false"
        writer.writerow(["" if v is None else v for v in record.values()])


def log_human(rows: Sequence[SentMessage]) -> None:
    if not rows:
        output.info("no messages in the history match")
        return
    header: tuple[str, ...] = ("Sent (UTC)", "Recipient", "Status", "Provider", "ID", TEXT)
    lines: list[tuple[str, ...]] = [
        (
            row.submitted_at[:19].replace("T", " "),
            row.recipient,
            row.status,
            row.provider,
            visible(cell(row.provider_id)),
            short(row.text),
        )
        for row in rows
    ]
    if any(row.reason for row in rows):
        header += (REASON,)
        lines = [(*line, reason_cell(row.reason)) for line, row in zip(lines, rows, strict=True)]
    table(header, lines, wrap=(TEXT, REASON), status="Status")


def emit(messages: Sequence[SentMessage], *, json: bool, csv: bool) -> None:
    """`smsctl log`'s result: JSON, CSV, or a table."""
    if json:
        output.print_json(log_json(messages))
    elif csv:
        log_csv(messages)
    else:
        log_human(messages)
