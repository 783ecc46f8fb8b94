"""What each status word looks like on a terminal: one mapping, by meaning.

Only rich styles live here; whether colour is shown at all is output.color_allowed's call (a
terminal, no NO_COLOR, no TERM=dumb), so a pipe or a log file never gets escape sequences.
"""

from __future__ import annotations

from typing import Final

GOOD: Final = "green"
UNDER_WAY: Final = "blue"
WAITING: Final = "yellow"
BAD: Final = "red"
UNSURE: Final = "bold magenta"
OVER: Final = "dim"

# Every state a table shows: a message's (core/status.py), a send's, a job's or a job row's.
STATUS_STYLES: Final[dict[str, str]] = {
    "delivered": GOOD,
    "finished": GOOD,
    "ok": GOOD,
    "accepted": UNDER_WAY,
    "queued": UNDER_WAY,
    "enroute": UNDER_WAY,
    "running": UNDER_WAY,
    "in_flight": UNDER_WAY,
    "ready": UNDER_WAY,
    "pending": WAITING,
    "paused": WAITING,
    "interrupted": WAITING,
    "preparing": WAITING,
    "failed": BAD,
    "rejected": BAD,
    "expired": BAD,
    "not_sent": BAD,
    "unknown": UNSURE,
    "cancelled": OVER,
    "skipped": OVER,
    "deleted": OVER,
}


def status_style(word: str) -> str:
    """The style of a status cell: its first word decides ("delivered (final)", "paused: ...",
    "not sent (dry run)"); a word not in the mapping stays plain."""
    head = word.strip().split(" ", 1)[0].rstrip(":,").lower()
    if head == "not" and word.strip().lower().startswith("not sent"):
        head = "not_sent"
    return STATUS_STYLES.get(head, "")
