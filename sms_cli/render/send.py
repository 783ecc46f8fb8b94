"""What `smsctl send` prints: one row per recipient, totals, JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.split import split_human, split_json
from sms_cli.render.table import cell, table

if TYPE_CHECKING:
    from sms_cli.providers.base import SendResult
    from sms_cli.services.sending import SendReport


def _result_json(result: SendResult) -> dict[str, Any]:
    return {
        "recipient": result.recipient,
        "status": result.status,
        "id": result.id,
        "parts": result.parts,
        "price": result.price,
        "error": result.error,
        "local_id": result.local_id,
        "bulk_id": result.bulk_id,
        "provider_code": result.provider_code,
        "provider_text": result.provider_text,
        "provider_encoding": result.provider_encoding,
        "address_book": result.address_book,
    }


def send_json(report: SendReport) -> dict[str, Any]:
    """The stable `smsctl send --json` document (README, "Sending")."""
    plan = report.plan
    seg = plan.preview.segmentation
    if report.dry_run:
        results = [
            {**dict.fromkeys(RESULT_KEYS), "recipient": number, "status": "not_sent"}
            for number in plan.recipients
        ]
    else:
        results = [_result_json(r) for r in report.results]
    document: dict[str, Any] = {
        "dry_run": report.dry_run,
        "test": plan.options.test,
        "provider": plan.provider.name,
        "profile": plan.resolved.profile.name,
        "sender": plan.sender,
        "batch_id": plan.batch_id,
        "foreign_id": plan.options.foreign_id,
        "encoding": seg.encoding,
        "characters": seg.characters,
        "segment_count": seg.segment_count,
        "total_price": report.total_price,
        "balance": report.balance,
        "results": results,
    }
    if report.dry_run:
        document["preview"] = split_json(plan.preview)
    return document


RESULT_KEYS = (
    "recipient",
    "status",
    "id",
    "parts",
    "price",
    "error",
    "local_id",
    "bulk_id",
    "provider_code",
    "provider_text",
    "provider_encoding",
    "address_book",
)


def send_human(report: SendReport) -> None:
    from sms_cli.providers.base import address_book_name

    plan = report.plan
    if report.dry_run:
        split_human(plan.preview)
        output.stdout().write("\n")
        table(
            ("Recipient", "Status"),
            [
                (
                    number,
                    "not sent (dry run); numbers unknown until sent"
                    if address_book_name(number) is not None
                    else "not sent (dry run)",
                )
                for number in plan.recipients
            ],
            title=None,
        )
        return
    rows: list[tuple[str, ...]] = [
        (
            r.recipient
            if r.address_book in (None, r.recipient)
            else f"{r.recipient} ({r.address_book})",
            r.status,
            visible(cell(r.id)),
            cell(r.parts),
            cell(r.price),
            visible(r.error or ""),
        )
        for r in report.results
    ]
    table(("Recipient", "Status", "ID", "Parts", "Price", "Error"), rows, title=None)
    if report.balance is not None:
        output.stdout().write(f"Balance: {report.balance}\n")
