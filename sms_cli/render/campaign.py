"""What `bulk show` and `status --job` print: a campaign's rows by state. (Issue 14.)

JSON: one document, its keys stable (docs/bulk.md, "Campaign delivery"). Human: a heading line
and a small table on stdout, numbers never cut; notes, and what to do about the exit code, on
stderr.
"""

from __future__ import annotations

from typing import Any

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
            "estimated": view.estimated_cost,
            "price_per_segment": view.price_per_segment,
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
        lines.append(("charged", str(view.charged)))
    if view.estimated_cost is not None:
        per = f"{view.price_per_segment} a segment"
        lines.append(("estimated cost", f"{view.estimated_cost} ({per})"))
    table(("State", "Rows"), lines)


def emit(view: CampaignView, *, json: bool) -> None:
    if json:
        output.print_json(campaign_json(view))
    else:
        campaign_human(view)
    for note in view.notes:
        output.info(note)
    _explain(view)


def _say(message: str, hint: str) -> None:
    output.warning(message)
    output.info(f"hint: {hint}")


def _explain(view: CampaignView) -> None:
    """Every exit code but 0 says on stderr what happened and what to do next."""
    job = view.name or view.short_id
    counts = view.counts
    code = view.exit_code
    if code == ExitCode.UNKNOWN_OUTCOME:
        unknown = counts.get("unknown", 0) + counts.get("in_flight", 0)
        if counts.get("in_flight", 0) and view.state != "running":
            _say(
                f"{unknown} row(s) of unknown outcome: they may have been sent; job {job} "
                "stopped with requests under way",
                f"smsctl bulk resume {job} settles them (never sends them again unless asked)",
            )
        else:
            _say(
                f"{unknown} row(s) of unknown outcome: they may have been sent",
                f"ask again later (smsctl bulk show {job}); resend them only when sure: "
                f"smsctl bulk resume {job} --retry-unknown",
            )
    elif code == ExitCode.REJECTED:
        failed = sum(counts.get(s, 0) for s in ("failed", "rejected", "expired"))
        _say(
            f"{failed} row(s) failed, were rejected or expired",
            f"see why: smsctl bulk report {job}; send them again: smsctl bulk retry {job} --failed",
        )
    elif code == ExitCode.PENDING and view.state == "cancelled" and counts.get("pending", 0):
        _say(
            f"job {job} was cancelled: its {counts['pending']} pending row(s) will never be sent",
            f"see every row: smsctl bulk report {job}",
        )
    elif code == ExitCode.PENDING and view.state != "running" and counts.get("pending", 0):
        _say(
            f"{counts['pending']} row(s) of job {job} are pending and nobody is sending them "
            f"(the job is {view.state}); waiting will not send them",
            f"send them: smsctl bulk resume {job}",
        )
    elif code == ExitCode.PENDING:
        waiting = sum(counts.get(s, 0) for s in ("pending", "in_flight", "accepted"))
        _say(
            f"{waiting} row(s) still not final when the wait ended",
            f"wait longer: smsctl status --job {job} --wait --timeout SECONDS",
        )
