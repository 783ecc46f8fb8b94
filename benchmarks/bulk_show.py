"""`bulk show JOB --offline --json` on a large job: `python benchmarks/bulk_show.py`.

Goal (issue 14, item 6): a 100,000-row job answers in under a second from the journal. The job
(its rows, and their messages in the history, in a mix of delivery states) is written first,
directly through storage, and not timed; then `smsctl bulk show` runs in a subprocess, as a
user would run it, and its wall time and peak resident memory are reported. Exits 1 when the
goal is missed. Not a unit test: the machine's load decides the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

TIME_GOAL = 1.0

# (history status, provider status, reason, share of the rows)
MIX = (
    ("delivered", "DELIVERED", None, 0.60),
    ("enroute", "TRANSMITTED", None, 0.20),
    ("failed", "NOTDELIVERED", "carrier delivery failed", 0.07),
    ("expired", "EXPIRED", "validity period expired", 0.03),
    ("rejected", "REJECTED", "recipient blocked", 0.05),
    ("unknown", None, None, 0.05),
)


@dataclass(frozen=True)
class Row:
    """A row as the pre-flight check leaves it (storage/jobs.CheckedRow)."""

    line: int
    recipient: str | None
    sender: str | None
    text: str | None
    encoding: str | None
    segments: int
    error: str | None = None
    duplicate_of: int | None = None
    send_at: str | None = None
    label: str | None = None


def _pick(draw: float) -> tuple[str, str | None, str | None]:
    total = 0.0
    for status, raw, reason, share in MIX:
        total += share
        if draw <= total:
            return status, raw, reason
    return MIX[0][:3]


def build(rows: int) -> str:
    """A finished job of ROWS rows in the data directory the environment names; its id."""
    from sms_cli.storage.db import new_id
    from sms_cli.storage.jobs import Journal, RowAnswer, claim_rows, record_answers
    from sms_cli.storage.messages import History, MessageRecord, Outcome, insert_answered

    rng = random.Random(14)
    history = History()
    journal = Journal(history)
    job_id = journal.create(source="campaign.csv", fingerprint="bench", profile="p",
                            provider="seven")  # fmt: skip

    def checked() -> Iterator[Row]:
        for i in range(rows):
            yield Row(i + 2, f"+4670{i:07d}", "Acme", f"Hi {i}, spring sale", "gsm7", 1)

    journal.add_rows(job_id, checked())
    chunk = 5000
    for start in range(0, rows, chunk):
        lines = range(start + 2, min(rows, start + chunk) + 2)
        local_ids = {line: new_id() for line in lines}
        records, outcomes, answers = [], [], []
        for line, local_id in local_ids.items():
            status, raw, reason = _pick(rng.random())
            provider_id = None if status == "unknown" else f"77{line:09d}"
            records.append(
                MessageRecord(local_id, job_id, "p", "seven", f"+4670{line - 2:07d}", "Acme",
                              f"Hi {line - 2}, spring sale", "0" * 64, 1, "gsm7")
            )  # fmt: skip
            outcomes.append(
                Outcome(local_id, status, provider_id, None, 1, 0.075, provider_status=raw,
                        reason=reason)
            )  # fmt: skip
            row_state = {"rejected": "rejected", "unknown": "unknown"}.get(status, "accepted")
            answers.append(RowAnswer(line, local_id, row_state, provider_id, None, reason))
        with history.transaction() as db:
            stamp = "2026-01-01T00:00:00.000Z"
            claim_rows(db, job_id, [(line, lid, None, stamp) for line, lid in local_ids.items()])
            insert_answered(db, records, outcomes)
            record_answers(db, job_id, answers, stamp)
    journal.set_state(job_id, "finished")
    history.close()
    return job_id


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SMSCTL_DATA_DIR": tmp, "SMSCTL_CONFIG_DIR": tmp}
        os.environ.update(env)
        job_id = build(args.rows)
        command = [sys.executable, "-m", "sms_cli", "bulk", "show", job_id, "--offline", "--json"]
        subprocess.run(command, env=env, capture_output=True, check=False)  # warm the page cache
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    view = json.loads(done.stdout)
    print(f"rows {args.rows:,}: counts {view['counts']}, exit {done.returncode}")
    print(f"bulk show --offline --json: {elapsed:.3f} s wall, peak memory {peak:.0f} MB")
    print(f"goal: < {TIME_GOAL:g} s")
    return 0 if elapsed < TIME_GOAL and done.returncode in (0, 7, 8) else 1


if __name__ == "__main__":
    sys.exit(main())
