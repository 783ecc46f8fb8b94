"""The common status vocabulary every provider maps its own codes into (PROVIDERS.md section 1)."""

from __future__ import annotations

from typing import Final, Literal

Status = Literal["queued", "enroute", "delivered", "failed", "expired", "rejected", "unknown"]
STATUSES: Final[tuple[Status, ...]] = (
    "queued",
    "enroute",
    "delivered",
    "failed",
    "expired",
    "rejected",
    "unknown",
)
FINAL_STATUSES: Final = frozenset({"delivered", "failed", "expired", "rejected"})
ACCEPTED_STATUSES: Final = frozenset({"queued", "enroute", "delivered"})
