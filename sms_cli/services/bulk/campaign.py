"""A campaign's delivery: a job's rows by state, asking the provider in batches. (Issue 14.)"""

from __future__ import annotations

from dataclasses import dataclass

from sms_cli.errors import ExitCode


@dataclass(frozen=True)
class CampaignView:
    """What `bulk show` and `status --job` print."""

    job_id: str
    exit_code: ExitCode


def show(ref: str, *, refresh: bool, profile: str | None, timeout: float) -> CampaignView:
    raise NotImplementedError
