"""The bulk_show benchmark's builder, on a few rows (not timed): so it cannot rot silently."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "bulk_show.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_bulk_show", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_builder_makes_a_job_that_bulk_show_counts() -> None:
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    job_id = load_benchmark().build(40)
    history = History()
    try:
        journal = Journal(history)
        job = journal.job(job_id)
        assert job is not None and (job.state, job.rows) == ("finished", 40)
        counts = journal.campaign_counts(job_id).counts
    finally:
        history.close()
    assert sum(counts.values()) == 40
    assert counts["pending"] == counts["in_flight"] == 0
    assert counts["delivered"] > 0
