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
    from sms_cli.services.sending import RecentDuplicates, SendPlan, SendReport


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
    """The stable `smsctl send --json` document (docs/json.md)."""
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
        "currency": amounts_currency(report),
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
        output.stdout().write(f"Estimated cost: {dry_run_cost(plan)}\n")
        return
    currency = amounts_currency(report)
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


def amounts_currency(report: SendReport) -> str | None:
    """The currency of the report's amounts: a dry run's estimate is at the profile's price, in
    the profile's currency; prices and balances the provider reported are in the currency it
    bills in (None when it does not say: "(currency unknown)"), never the profile's."""
    if report.dry_run:
        return report.plan.currency
    return report.plan.provider.billing_currency


def dry_run_cost(plan: SendPlan) -> str:
    """The cost of a planned send at the profile's price, in the one money format; else why
    it is unknown and how to set a price."""
    from sms_cli.core.money import format_money
    from sms_cli.providers.base import address_book_name

    profile = plan.resolved.profile
    total = plan.estimated_price
    if total is not None and profile.price_per_segment is not None:
        segments = plan.preview.segmentation.segment_count
        return (
            f"{format_money(total, plan.currency)} ({segments} segment(s) x "
            f"{len(plan.recipients)} recipient(s) x "
            f"{format_money(profile.price_per_segment, plan.currency)}, the profile's price)"
        )
    if any(address_book_name(r) is not None for r in plan.recipients):
        return "unknown: how many numbers the address-book entries reach is unknown until sent"
    from sms_cli.storage.profiles import shell_word

    return (
        f"unknown: profile {profile.name} has no price per segment; set one with: smsctl "
        f"profile set {shell_word(profile.name)} --price-per-segment 0.075 --currency EUR"
    )


def smart_note(plan: SendPlan) -> str | None:
    """What --smart did to the text, for stderr: the replacements and the segments saved."""
    preview = plan.preview
    smart = preview.smart
    if smart is None:
        return None
    if not smart.candidates:
        return "--smart: nothing to replace; the text is sent as given"
    if not smart.applied:
        return (
            f"--smart: not applied: {len(smart.candidates)} look-alike(s) found, but the text "
            "needs UCS-2 anyway, so it is sent unchanged"
        )
    pairs = dict.fromkeys(
        f"{visible(r.char)} -> {visible(r.replacement) or '(removed)'}" for r in smart.replacements
    )
    shown = ", ".join(list(pairs)[:8]) + (f" and {len(pairs) - 8} more" if len(pairs) > 8 else "")
    return (
        f"--smart: replaced {len(smart.replacements)} character(s) ({shown}); "
        f"{preview.segments_without_smart} -> {preview.segmentation.segment_count} segment(s) "
        f"(saves {preview.segments_saved})"
    )


def repeat_warning(plan: SendPlan, recent: RecentDuplicates) -> None:
    """Before sending: the same text went to these recipients a moment ago (stderr; the send
    goes ahead)."""
    names = ", ".join(recent.recipients)
    message = f"this text went to {names} within the last {recent.window:g} s (smsctl's history)"
    if recent.locked:
        message += (
            f"; {plan.provider.title} may refuse the whole request as a repeat (its reload lock)"
        )
        if recent.lift:
            message += f": {recent.lift} lifts the lock for one send"
    else:
        message += "; is this a repeat?"
    output.warning(message)


def plan_notes(plan: SendPlan) -> None:
    """What the plan found worth saying before anything is sent: notes, then the text's
    warnings, on stderr."""
    smart = smart_note(plan)
    if smart is not None:
        output.info(f"note: {smart}")
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
    _refusals(report)
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


def _refusals(report: SendReport) -> None:
    """Why messages were refused, on stderr: a script sees only the exit code (3 or 7), a
    person must not see an empty stderr beside it."""
    from sms_cli.core.status import ACCEPTED_STATUSES

    provider = report.plan.provider
    locked = [r for r in report.results if r.reload_locked]
    if locked:
        window = provider.reload_lock_seconds or 0
        whom = ", ".join(report.recently_sent) or (
            "this recipient" if len(locked) == 1 else "a recipient of the request"
        )
        hint = (
            "send again with --no-reload to lift the lock for this send"
            if "--no-reload" in provider.send_options
            else f"wait {window:g} s, or change the text"
        )
        output.error(
            f"refused by {provider.title}'s reload lock: this text went to {whom} within the "
            f"last {window:g} s. The whole request was refused, so nothing was sent to: "
            + ", ".join(r.recipient for r in locked),
            hint,
        )
    refused = [
        r
        for r in report.results
        if not r.reload_locked and r.status not in (*ACCEPTED_STATUSES, "unknown")
    ]
    if refused:
        reasons = "; ".join(
            dict.fromkeys(visible(r.error or r.provider_text or r.status) for r in refused)
        )
        output.error(
            f"{provider.title} refused {len(refused)} of {len(report.results)} message(s): "
            + reasons
        )
