"""The sent-message history: `smsctl log` as a table, JSON or CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.status import REASON
from sms_cli.render.table import cell, reason_cell, short, table

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
_LOG_COLUMNS = {"id": "provider_id", "updated_at": "status_at"}


def _log_record(row: Any) -> dict[str, Any]:
    record = {key: row[_LOG_COLUMNS.get(key, key)] for key in LOG_KEYS}
    record["test"] = bool(record["test"])
    return record


def log_json(rows: Sequence[Any]) -> dict[str, Any]:
    return {"messages": [_log_record(row) for row in rows]}


def log_csv(rows: Sequence[Any]) -> None:
    import csv

    writer = csv.writer(output.stdout(), lineterminator="\n")
    writer.writerow(LOG_KEYS)
    for row in rows:
        record = _log_record(row)
        record["test"] = "true" if record["test"] else "false"
        writer.writerow(["" if v is None else v for v in record.values()])


def log_human(rows: Sequence[Any]) -> None:
    if not rows:
        output.info("no messages in the history match")
        return
    header: tuple[str, ...] = ("Sent (UTC)", "Recipient", "Status", "Provider", "ID", "Text")
    lines: list[tuple[str, ...]] = [
        (
            row["submitted_at"][:19].replace("T", " "),
            row["recipient"],
            row["status"],
            row["provider"],
            visible(cell(row["provider_id"])),
            short(row["text"]),
        )
        for row in rows
    ]
    if any(row["reason"] for row in rows):
        header += (REASON,)
        lines = [(*line, reason_cell(row["reason"])) for line, row in zip(lines, rows, strict=True)]
    table(header, lines, wrap=REASON)
