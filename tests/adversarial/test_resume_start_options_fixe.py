"""`bulk --resume JOB` with an option only a new job reads (`--dry-run`, `--message`, ...):
refused (exit 2, naming the option), nothing sent. Before, `--resume JOB --dry-run --yes` sent
the whole job: the resume branch never looked at --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.adversarial.test_bulk_concurrency import ready_job
from tests.integration.conftest import Emu
from tests.integration.test_bulk import bulk
from tests.providers.selection import any_provider

START_ONLY = [
    ["--dry-run"],
    ["--message", "Other {n}"],
    ["-m", "Other"],
    ["--template-file", "t.txt"],
    ["--from", "Other"],
    ["-f", "Other"],
    ["--to-column", "n"],
    ["--sender-column", "n"],
    ["--name", "again"],
    ["--new-job"],
    ["--allow-duplicates"],
]


@pytest.mark.parametrize("emu", [any_provider()], indirect=True)
def test_resume_with_a_start_only_option_is_refused_and_sends_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    job = ready_job(tmp_path / "r.csv", 2)
    for option in START_ONLY:
        refused = bulk("--resume", job, *option, "--yes")
        assert emu.sends() == [], option
        assert refused.exit_code == 2, (option, refused.stderr)
        named = {"-m": "--message", "-f": "--from"}.get(option[0], option[0])
        assert f"{named} does not go with --resume" in refused.stderr, refused.stderr
        assert f"smsctl bulk show {job}" in refused.stderr
    resumed = bulk("--resume", job, "--yes")  # the job itself is untouched
    assert resumed.exit_code == 0, resumed.stderr
    assert len(emu.sends()) >= 1
