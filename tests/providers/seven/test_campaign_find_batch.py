"""seven.io: the rows of one lost bulk request are found in the journal together (one search of
the day, paged), never one journal search per recipient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_bulk import bulk, numbers, write_csv


@pytest.fixture
def provider() -> str:
    return "seven"


def journal_requests(emu: Emu) -> list[dict[str, object]]:
    return [r for r in emu.requests() if r["path"] == "/api/journal/outbound"]


def test_a_lost_request_to_30_numbers_is_one_journal_search(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    phones = numbers(30)
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in phones])
    emu.faults(mode="drop_after", times=1)
    sent = bulk(str(path), "--message", "Sale", "--yes", "--json", "--batch-size", "30",
                "--timeout", "5")  # fmt: skip
    assert sent.exit_code == 8, sent.stderr
    emu.faults()
    before = len(journal_requests(emu))
    shown = bulk("show", "last", "--json")
    assert shown.exit_code == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["counts"]["unknown"] == 0
    assert view["counts"]["accepted"] + view["counts"]["delivered"] == 30
    assert len(journal_requests(emu)) - before == 1  # was 30: one per recipient


def test_a_lost_request_not_in_the_journal_stays_unknown(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    phones = numbers(3)
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in phones])
    emu.faults(mode="drop_before", times=1)  # never reached the gateway
    sent = bulk(str(path), "--message", "Sale", "--yes", "--json", "--timeout", "5")
    assert sent.exit_code == 8, sent.stderr
    emu.faults()
    shown = bulk("show", "last", "--json")
    assert shown.exit_code == 8
    view = json.loads(shown.stdout)
    assert view["counts"]["unknown"] == 3
    assert any("not in the provider's journal" in note for note in view["notes"])
