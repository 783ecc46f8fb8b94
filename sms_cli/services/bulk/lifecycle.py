"""A job's life after its start: cancel it, write its report, delete it. (Issue 14: lifecycle.)"""

from __future__ import annotations

from pathlib import Path

from sms_cli.storage.jobs import JobRecord


def cancel(ref: str) -> JobRecord:
    """Pending rows become `cancelled` and are never sent; rows in flight keep their fate."""
    raise NotImplementedError


def report(ref: str, output_file: Path | None) -> None:
    """Every row and its outcome as CSV, to OUTPUT_FILE (atomically, 0600) or stdout."""
    raise NotImplementedError


def delete(ref: str) -> JobRecord:
    """Delete the job and its rows; refused while a process runs it."""
    raise NotImplementedError
