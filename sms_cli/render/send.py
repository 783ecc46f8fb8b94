"""What `smsctl send` prints: one row per recipient, totals, JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sms_cli.core.money import format_money
from sms_cli.core.printable import visible
from sms_cli.render import output
from sms_cli.render.split import split_human, split_json
from sms_cli.render.table import cell, table

if TYPE_CHECKING:
    from sms_cli.providers.base import SendResult
    from sms_cli.services.sending import SendPlan, SendReport


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
        results += [
            {
                **dict.fromkeys(RESULT_KEYS),
                "recipient": n.recipient,
                "status": "not_sent",
                "error": n.error,
                "local_id": n.local_id,
            }
            for n in report.not_sent
        ]
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
            wrap="Status",
            status="Status",
        )
        return
    currency = plan.resolved.profile.currency
    rows: list[tuple[str, ...]] = [
        (
            r.recipient
            if r.address_book in (None, r.recipient)
            else f"{r.recipient} ({r.address_book})",
            r.status,
            visible(cell(r.id)),
            cell(r.parts),
            format_money(r.price, currency) if r.price is not None else "-",
            visible(r.error or ""),
        )
        for r in report.results
    ]
    rows += [(n.recipient, "not_sent", "", "", "", visible(n.error)) for n in report.not_sent]
    table(
        ("Recipient", "Status", "ID", "Parts", "Price", "Error"),
        rows,
        title=None,
        wrap="Error",
        status="Status",
    )
    if report.balance is not None:
        output.stdout().write(f"Balance: {format_money(report.balance, currency)}\n")


def plan_notes(plan: SendPlan) -> None:
    """What the plan found worth saying before anything is sent: notes, then the text's
    warnings, on stderr."""
    for note in plan.notes:
        output.info(f"note: {note}")
    for warning in plan.preview.warnings:
        output.warning(warning.message)


def emit(report: SendReport, *, json: bool) -> None:
    """`smsctl send`'s result on stdout: the JSON document or a table."""
    if json:
        output.print_json(send_json(report))
    else:
        send_human(report)


def explain(report: SendReport) -> None:
    """What a script's exit code cannot say: why outcomes are unknown, what test mode did."""
    if report.record_error is not None:
        # The send happened; only its record failed. The exit code still tells what the provider
        # answered, so a script never resends a message that went out.
        # Name the provider's ids: a provider that cannot look a message up without its id
        # (a provider without it) could never settle these from the history alone.
        ids = [f"{r.recipient} {r.id or r.bulk_id}" for r in report.results if r.id or r.bulk_id]
        named = f"; the provider's ids: {', '.join(ids)}" if ids else ""
        output.warning(
            f"the results above are what the provider answered, but they could not be recorded: "
            f"{report.record_error.message}. The history shows these messages as in flight"
            f"{named}. `smsctl status ID` asks the provider about one once the history is "
            "writable again"
        )
    for note in dict.fromkeys(n for r in report.results for n in r.answer_notes):
        output.warning(note)
    unknown = [r for r in report.results if r.status == "unknown"]
    if unknown:
        why = unknown[0].error or "the provider's answer did not settle it"
        output.warning(
            f"the outcome of {len(unknown)} message(s) is unknown ({why}). They may "
            "have been sent; smsctl did not resend them, and recorded them in its history"
        )
    if report.not_sent and report.not_sent_recorded:
        output.warning(
            f"{len(report.not_sent)} message(s) were not sent ({report.not_sent[0].error}); "
            "they can be sent again: smsctl log --status not_sent lists them"
        )
    elif report.not_sent:
        output.warning(
            f"{len(report.not_sent)} message(s) were not sent ({report.not_sent[0].error}); "
            "they were never requested and can be sent again, but the history could not record "
            "that and shows them in flight: " + ", ".join(n.recipient for n in report.not_sent)
        )
    honoured = not any(r.test_not_honoured for r in report.results)
    if report.plan.options.test and not report.dry_run and honoured:
        title = report.plan.provider.title
        output.info(f"test mode: {title} checked the request; nothing was sent or charged")
