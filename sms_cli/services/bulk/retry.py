"""`bulk retry JOB --failed`: a job's failed rows as a new job linked to it. (Issue 14.)"""

from __future__ import annotations

from sms_cli.errors import ExitCode
from sms_cli.services.bulk.jobs import BulkView, RunOptions


def failed_rows(
    ref: str,
    *,
    profile: str | None,
    name: str | None,
    dry_run: bool,
    yes: bool,
    run: RunOptions,
    view: BulkView,
) -> ExitCode:
    raise NotImplementedError
