"""`bulk show` and `status --job` when the provider misbehaves on the status side: a garbage
answer, a 5xx, a dropped connection, an answer slower than the timeout. One line on stderr, the
documented exit code, nothing recorded that the provider did not say, and the journal view
still there with --offline."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, write_csv


def sent_job(emu: Emu, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in numbers(4)])
    for number in numbers(4):
        emu.script(number, "delivered")
    assert bulk(str(path), "--message", "Sale", "--yes", "--json").exit_code == 0


@pytest.mark.parametrize("mode", ["malformed", "error_5xx", "drop_before"])
def test_a_broken_status_answer_is_exit_6_and_changes_nothing(
    emu: Emu, profile: str, tmp_path: Path, mode: str
) -> None:
    sent_job(emu, tmp_path)
    emu.control("advance", {"steps": 10})
    emu.faults(mode=mode, times=50)
    try:
        result = bulk("show", "last", "--timeout", "2")
        assert result.exit_code == 6, result.stderr
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) <= 2  # the error, and its hint
        status = run(["status", "--job", "last", "--timeout", "2", "--json"])
        assert status.exit_code == 6
    finally:
        emu.faults()
    offline = bulk("show", "last", "--offline", "--json")
    assert offline.exit_code == 0
    counts = json.loads(offline.stdout)["counts"]
    assert (counts["accepted"], counts["delivered"]) == (4, 0)  # nothing invented


def test_an_answer_slower_than_the_timeout_is_bounded(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    sent_job(emu, tmp_path)
    emu.faults(latency=30)
    started = time.monotonic()
    try:
        result = run(["status", "--job", "last", "--wait", "--timeout", "0.5", "--interval",
                      "0.05"])  # fmt: skip
    finally:
        emu.faults()
        emu.wait_idle()
    assert result.exit_code == 6, result.stderr
    assert time.monotonic() - started < 15  # the per-request timeout (5 s), retries bounded
