"""Segmentation throughput on one core: `pytest benchmarks/ --benchmark-only`.

Goals (issue 2): counting at least 200,000 mixed ~160-character messages per second, and a full
per-segment split of at least 50,000 per second. Each benchmark round runs the whole corpus; the
rate is computed from the fastest round and checked against the goal.
"""

from __future__ import annotations

from typing import Any

from benchmarks.corpus import corpus
from sms_cli.core.segments import UCS2, count, split

MESSAGES = corpus(20_000)
COUNT_GOAL = 200_000
SPLIT_GOAL = 50_000


def _rate(benchmark: Any) -> float:
    rate = len(MESSAGES) / benchmark.stats.stats.min
    benchmark.extra_info["messages_per_second"] = round(rate)
    print(f"\n{benchmark.name}: {rate:,.0f} messages/s")
    return rate


def test_corpus_is_mixed() -> None:
    ucs2 = sum(count(m).encoding == UCS2 for m in MESSAGES)
    assert 0.3 < ucs2 / len(MESSAGES) < 0.7
    assert 150 <= sum(map(len, MESSAGES)) / len(MESSAGES) <= 170


def test_count_throughput(benchmark: Any) -> None:
    benchmark.pedantic(lambda: [count(m) for m in MESSAGES], rounds=7, warmup_rounds=1)
    assert _rate(benchmark) >= COUNT_GOAL


def test_split_throughput(benchmark: Any) -> None:
    benchmark.pedantic(lambda: [split(m) for m in MESSAGES], rounds=5, warmup_rounds=1)
    assert _rate(benchmark) >= SPLIT_GOAL
