"""Bulk pre-flight of a large CSV: `python benchmarks/preflight.py [--rows 1000000]`.

Goal (issue 6): 1,000,000 rows within 25 s and 200 MB peak memory on this 2-core machine.
The CSV (phone;name;code, personalised template, about 15% invalid numbers, some duplicates)
is generated first and not timed. Peak memory is the larger of this process's and any worker's
maximum resident set. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from sms_cli.services.bulk.input import (
    RowRules,
    Source,
    Totals,
    find_recipient_column,
    open_table,
    preflight,
)

TIME_GOAL = 25.0
MEMORY_GOAL_MB = 200.0


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(6)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("phone;name;code\n")
        for i in range(rows):
            handle.write(f"+467{rng.randrange(10**8):08d};Name {i};{rng.randrange(10**6):06d}\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "recipients.csv"
        write_csv(path, args.rows)
        started = time.perf_counter()
        with path.open(encoding="utf-8-sig", newline="") as stream:
            table = open_table(stream, str(path))
            column = find_recipient_column(table.header, None)
            source = Source.from_options(table.header, "Hi {name}, your code is {code}.", None)
            rules = RowRules(table.columns[column], table.header, source.template, None, 1520)
            totals = Totals()
            for row in preflight(table, rules, workers=args.workers):
                totals.add(row)
        elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = max(own, workers)
    print(
        f"rows {totals.rows:,}: {totals.messages:,} messages, {totals.duplicates:,} duplicates, "
        f"errors {totals.errors}"
    )
    print(
        f"pre-flight {elapsed:.1f} s ({totals.rows / elapsed:,.0f} rows/s, {args.workers} "
        f"workers); peak memory {peak:.0f} MB (main {own:.0f}, worker {workers:.0f})"
    )
    print(f"goals: <= {TIME_GOAL:g} s, <= {MEMORY_GOAL_MB:g} MB")
    return 0 if elapsed <= TIME_GOAL and peak <= MEMORY_GOAL_MB else 1


if __name__ == "__main__":
    sys.exit(main())
