"""`smsctl bulk` after the split into command, service, storage and render: every JSON document
goes through output.print_json (which redacts), and jobs are read as typed records."""

from __future__ import annotations

import json
from pathlib import Path

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import CANARY, Emu
from tests.integration.test_bulk import bulk, numbers, write_csv


def test_a_dry_run_verdict_never_shows_the_token(emu: Emu, profile: str, tmp_path: Path) -> None:
    """The per-row JSON lines of --dry-run were hand-built and skipped redaction: a row whose
    text holds the profile's token printed it. They are redacted like every JSON document."""
    (number,) = numbers(1)
    path = write_csv(tmp_path / "r.csv", [["phone", "key"], [number, CANARY]])
    result = bulk(str(path), "--message", "your key {key}", "--dry-run", "--json")  # no canary
    assert result.exit_code == 0, result.stderr
    verdict, totals = (json.loads(line) for line in result.stdout.splitlines())
    assert list(verdict) == [
        "line", "recipient", "text", "encoding", "segment_count", "sender", "error",
        "send_at", "label",
    ]  # fmt: skip
    assert verdict["recipient"] == number and verdict["text"].startswith("your key ")
    assert list(totals) == ["totals"]


def test_jobs_are_typed_records(emu: Emu, profile: str, tmp_path: Path) -> None:
    from sms_cli.storage.jobs import CampaignCounts, JobRecord, Journal
    from sms_cli.storage.messages import History

    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    sent = bulk(str(path), "--message", "Hi", "--yes", "--json")
    assert sent.exit_code == 0, sent.stderr
    job_id = json.loads(sent.stdout)["job_id"]
    listed = json.loads(bulk("jobs", "--json").stdout)["jobs"]
    history = History()
    try:
        journal = Journal(history)
        job = journal.job(job_id)
        assert isinstance(job, JobRecord) and (job.state, job.rows) == ("finished", 3)
        assert isinstance(journal.campaign_counts(job_id), CampaignCounts)
        shown = [{k: v for k, v in j.items() if k != "short_id"} for j in listed]
        assert [j.as_dict() for j in journal.jobs()] == shown
    finally:
        history.close()
