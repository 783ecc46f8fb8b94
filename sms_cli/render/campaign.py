"""What `bulk show` and `status --job` print: a campaign's rows by state. (Issue 14.)

JSON: one document, its keys stable (docs/bulk.md, "Campaign delivery"). Human: a heading line
and a small table on stdout, numbers never cut; notes, and what to do about the exit code, on
stderr.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sms_cli.core.money import format_money
from sms_cli.core.printable import visible
from sms_cli.errors import ExitCode
from sms_cli.render import output
from sms_cli.render.table import table
from sms_cli.services.bulk.campaign import CampaignView

# How the human table names each state (JSON keeps the snake_case keys).
LABELS: dict[str, str] = {
    "pending": "pending",
    "in_flight": "in flight",
    "accepted": "accepted",
    "delivered": "delivered",
    "failed": "failed",
    "expired": "expired",
    "rejected": "rejected",
    "unknown": "unknown",
    "cancelled": "cancelled",
    "skipped": "skipped (duplicates)",
    "invalid": "invalid",
}
# Shown even at zero: the states a campaign is read by.
ALWAYS = ("pending", "accepted", "delivered", "failed", "unknown")


def campaign_json(view: CampaignView) -> dict[str, Any]:
    """The stable `bulk show --json` / `status --job --json` document."""
    return {
        "job": {
            "id": view.job_id,
            "short_id": view.short_id,
            "name": view.name,
            "state": view.state,
            "note": view.note,
            "source": view.source,
            "created_at": view.created_at,
            "provider": view.provider,
            "profile": view.profile,
            "rows": view.rows,
        },
        "counts": dict(view.counts),
        "failed_by_reason": dict(view.failed_by_reason),
        "segments_sent": view.segments_sent,
        "cost": {
            "charged": view.charged,
            "priced_rows": view.priced_rows,
            "sent_rows": view.sent_rows,
            "estimated": view.estimated_cost,
            "price_per_segment": view.price_per_segment,
            "currency": provider_currency(view.provider),
            "estimate_currency": view.currency,
        },
        "final": view.final,
        "waited": view.waited,
        "asked": view.asked,
        "exit_code": int(view.exit_code),
        "notes": list(view.notes),
    }


def campaign_human(view: CampaignView) -> None:
    name = f" ({view.name})" if view.name else ""
    why = f": {view.note}" if view.note else ""
    final = "final" if view.final else "not final"
    output.stdout().write(
        visible(f"job {view.short_id}{name}  {view.state}{why}  {final}  {view.source}") + "\n"
    )
    lines: list[tuple[str, str]] = []
    for state, label in LABELS.items():
        n = view.counts.get(state, 0)
        if n or state in ALWAYS:
            lines.append((label, str(n)))
    # Failures by reason under the states: a reason is the provider's words, shown, not obeyed.
    lines += [(f"  {visible(reason)}", str(n)) for reason, n in view.failed_by_reason.items()]
    lines.append(("segments sent", str(view.segments_sent)))
    if view.charged is not None:
        charged = format_money(view.charged, provider_currency(view.provider))
        lines.append((charged_label(view.priced_rows, view.sent_rows), charged))
    if view.estimated_cost is not None and view.price_per_segment is not None:
        per = f"{format_money(view.price_per_segment, view.currency)} per segment"
        estimate = format_money(view.estimated_cost, view.currency)
        lines.append(("estimated cost", f"{estimate} ({per})"))
    table(("State", "Rows"), lines, status="State")


def waiting(view: CampaignView) -> None:
    """`status --job --wait` between polls, on a terminal: the rows the wait is for."""
    if output.is_terminal(output.stderr()):
        output.info(f"waiting: {view.changing} row(s) of job {view.short_id} can still change")


def provider_currency(name: str | None) -> str | None:
    """The currency provider NAME bills in (its ProviderInfo): what it charged is in that, not
    in the profile's currency; None when unknown (or the provider is gone)."""
    from sms_cli.errors import SmsError
    from sms_cli.providers import registry

    if name is None:
        return None
    try:
        return registry.get(name).billing_currency
    except (registry.UnknownProvider, SmsError):
        return None


def charged_label(priced: int, sent: int) -> str:
    """The label "charged", saying so when the provider priced only some of the rows it
    took: the sum is then less than the bill."""
    return "charged" if priced >= sent else f"charged ({priced} of {sent} rows priced)"


def emit(view: CampaignView, *, json: bool) -> None:
    if json:
        output.print_json(campaign_json(view))
    else:
        campaign_human(view)
    for note in view.notes:
        output.info(note)
    _explain(view)


@dataclass(frozen=True)
class Advice:
    """One line on stderr: what happened, and what to do next."""

    level: str  # "info", "warning" or "error"
    message: str
    hint: str | None = None


_FAILED = ("failed", "rejected", "expired")


def what_next(
    counts: Mapping[str, int],
    code: ExitCode,
    job: str,
    *,
    state: str | None = None,
    ended: bool = False,
    retried_as: str | None = None,
) -> list[Advice]:
    """The one explainer of a job's exit code (the end of a run, `bulk show`, `status --job`):
    what happened and what to do next. COUNTS are campaign states (storage/jobs.
    CAMPAIGN_STATES), JOB the short id (or name) to put in commands, STATE the job's as shown,
    ENDED for the end of a run (which also says so when all went well). Invalid rows (the
    pre-flight's) are never "failed": they are in the report, and `retry --failed` would not
    take them."""
    n = {s: counts.get(s, 0) for s in (*_FAILED, "unknown", "in_flight", "pending", "invalid")}
    failed = sum(n[s] for s in _FAILED)
    unknown = n["unknown"] + n["in_flight"]
    accepted = counts.get("accepted", 0) + counts.get("delivered", 0)
    loud = "error" if ended else "warning"
    advice: list[Advice] = []
    if code == ExitCode.UNKNOWN_OUTCOME and n["in_flight"] and state not in (None, "running"):
        advice.append(Advice(
            "warning",
            f"job {job}: {unknown} row(s) of unknown outcome: they may have been sent; the job "
            "stopped with requests under way",
            f"smsctl bulk resume {job} settles them (it never sends them again unless asked)",
        ))  # fmt: skip
    elif code == ExitCode.UNKNOWN_OUTCOME:
        advice.append(Advice(
            "warning",
            f"job {job}: {unknown} row(s) of unknown outcome: they may have been sent"
            + (f"; {failed} row(s) failed" if failed else ""),
            f"settle them: smsctl status --job {job}; send them again on purpose: "
            f"smsctl bulk resume {job} --retry-unknown",
        ))  # fmt: skip
    elif code in (ExitCode.PARTIAL, ExitCode.REJECTED) and failed:
        advice.append(Advice(
            loud,
            f"job {job}: {failed} row(s) failed, were rejected or expired; {accepted} accepted",
            f"see why: smsctl bulk show {job}; "
            + (
                f"they were sent again as job {retried_as}: smsctl bulk show {retried_as}"
                if retried_as
                else f"send them again: smsctl bulk retry {job} --failed"
            ),
        ))  # fmt: skip
    elif code == ExitCode.PENDING and state == "cancelled" and n["pending"]:
        advice.append(Advice(
            "warning",
            f"job {job} was cancelled: its {n['pending']} pending row(s) will never be sent",
            f"see every row: smsctl bulk report {job}",
        ))  # fmt: skip
    elif code == ExitCode.PENDING and state != "running" and n["pending"]:
        advice.append(Advice(
            "warning",
            f"job {job}: {n['pending']} row(s) pending and nobody is sending them (the job is "
            f"{state}); waiting will not send them",
            f"send them: smsctl bulk resume {job}",
        ))  # fmt: skip
    elif code == ExitCode.PENDING:
        waiting = n["pending"] + n["in_flight"] + counts.get("accepted", 0)
        advice.append(Advice(
            "warning",
            f"job {job}: {waiting} row(s) still not final when the wait ended",
            f"wait longer: smsctl status --job {job} --wait --timeout SECONDS",
        ))  # fmt: skip
    elif code == ExitCode.OK and ended:
        advice.append(Advice("info", f"job {job} finished: {accepted} message(s) accepted"))
    elif code not in (ExitCode.OK, ExitCode.PARTIAL, ExitCode.REJECTED):
        advice.append(Advice(
            loud,
            f"job {job}: {accepted} accepted, {n['pending']} not sent",
            f"see: smsctl bulk show {job}",
        ))  # fmt: skip
    if n["invalid"]:
        alone = code in (ExitCode.PARTIAL, ExitCode.REJECTED) and not failed
        advice.append(Advice(
            loud if alone else "info",
            f"{n['invalid']} invalid row(s): see smsctl bulk report {job}",
        ))  # fmt: skip
    return advice


def say(advice: Iterable[Advice]) -> None:
    """Print what_next's lines on stderr."""
    for line in advice:
        if line.level == "error":
            output.error(line.message, hint=line.hint)
            continue
        (output.warning if line.level == "warning" else output.info)(line.message)
        if line.hint:
            output.info(f"hint: {line.hint}")


def _explain(view: CampaignView) -> None:
    """Every exit code but 0 says on stderr what happened and what to do next."""
    job = view.name or view.short_id
    say(what_next(view.counts, view.exit_code, job, state=view.state, retried_as=view.retried_as))
