"""Send options in `smsctl bulk`, for every built-in provider over loopback: an option the
provider lacks is refused as `send` refuses it, before any request and any job; per-row
--at-column / --label-column values are checked in the pre-flight; options are part of a job's
fingerprint. Which provider has which option comes from the registry, never from a name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sms_cli.providers import registry
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, write_csv

# Each bulk option, the registry name it needs, and the arguments that use it.
OPTIONS: list[tuple[str, list[str]]] = [
    ("--flash", ["--flash"]),
    ("--at", ["--at", "+2h"]),
    ("--ttl", ["--ttl", "60"]),
    ("--label", ["--label", "spring"]),
    ("--performance-tracking", ["--performance-tracking"]),
    ("--no-reload", ["--no-reload"]),
    ("--unicode", ["--unicode"]),
    ("--utf8", ["--utf8"]),
    ("--test", ["--test"]),
]


def jobs() -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(bulk("jobs", "--json").stdout)["jobs"]
    return listed


def has(emu: Emu, option: str) -> bool:
    return option in registry.get(emu.name).send_options


@pytest.mark.parametrize(("option", "args"), OPTIONS, ids=[o for o, _ in OPTIONS])
def test_an_option_the_provider_lacks_is_refused_before_anything(
    emu: Emu, profile: str, tmp_path: Path, option: str, args: list[str]
) -> None:
    if has(emu, option):
        pytest.skip(f"the provider has {option}")
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    result = bulk(str(path), "--message", "Hi", "--yes", *args)
    assert result.exit_code == 2
    said = run(["send", "--to", numbers(1)[0], *args, "Hi"])
    assert said.exit_code == 2
    assert result.stderr == said.stderr  # the same refusal, word for word
    assert f"does not support {option}" in result.stderr
    assert emu.sends() == []
    assert jobs() == []


@pytest.mark.parametrize(
    ("column", "option"), [("--at-column", "--at"), ("--label-column", "--label")]
)
def test_a_row_column_needs_its_option(
    emu: Emu, profile: str, tmp_path: Path, column: str, option: str
) -> None:
    if has(emu, option):
        pytest.skip(f"the provider has {option}")
    path = write_csv(tmp_path / "r.csv", [["phone", "x"], [numbers(1)[0], "y"]])
    result = bulk(str(path), "--message", "Hi", "--yes", column, "x")
    assert result.exit_code == 2
    assert f"does not support {column}" in result.stderr
    assert emu.sends() == [] and jobs() == []


def test_per_row_values_are_checked_in_the_preflight(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if not (has(emu, "--at") and has(emu, "--label")):
        pytest.skip("the provider has no --at or no --label")
    n = numbers(5)
    rows = [
        ["phone", "when", "tag"],
        [n[0], "+2h", "ok"],
        [n[1], "yesterday", ""],
        [n[2], "2001-01-01 10:00", ""],
        [n[3], "", "not a label!"],
        [n[4], "", ""],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    args = ["--message", "Hi", "--at-column", "when", "--label-column", "tag", "--label", "all"]
    dry = bulk(str(path), *args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    verdicts = [json.loads(line) for line in dry.stdout.splitlines()][:-1]
    by_line = {v["line"]: v for v in verdicts}
    assert by_line[2]["error"] is None and by_line[2]["label"] == "ok"
    assert by_line[2]["send_at"] is not None
    assert by_line[3]["error"] == "invalid time: 'yesterday' (is not a time)"
    assert by_line[4]["error"] == "invalid time: '2001-01-01 10:00' (is in the past)"
    assert by_line[5]["error"].startswith("invalid label: 'not a label!'")
    assert (by_line[6]["error"], by_line[6]["send_at"], by_line[6]["label"]) == (None, None, "all")
    assert emu.sends() == []

    sent = bulk(str(path), *args, "--yes", "--json")
    assert sent.exit_code == 3, sent.stderr  # some rows invalid: the valid ones went out
    assert "line 3: invalid time" in sent.stderr
    addressed = {number for request in emu.sends() for number in request.get("to", [])}
    assert addressed == {n[0], n[4]}


def test_an_unknown_row_column_is_refused(emu: Emu, profile: str, tmp_path: Path) -> None:
    if not has(emu, "--at"):
        pytest.skip("the provider has no --at")
    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    result = bulk(str(path), "--message", "Hi", "--yes", "--at-column", "when")
    assert result.exit_code == 2
    assert "--at-column: no column named 'when'" in result.stderr
    assert emu.sends() == [] and jobs() == []


def test_options_are_part_of_the_fingerprint(emu: Emu, profile: str, tmp_path: Path) -> None:
    if not has(emu, "--at"):
        pytest.skip("the provider has no --at")
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(2))])
    # A provider's lock against the same text twice in a row is not what this is about.
    same = ["--no-reload"] if has(emu, "--no-reload") else []
    first = bulk(str(path), "--message", "Hi", "--yes", "--at", "+2h", *same)
    assert first.exit_code == 0, first.stderr
    other = bulk(str(path), "--message", "Hi", "--yes", "--at", "+3h", *same)
    assert other.exit_code == 0, other.stderr  # another --at: another job
    assert len(jobs()) == 2
    # The same command again is the same job (its time as typed), never a second campaign.
    again = bulk(str(path), "--message", "Hi", "--yes", "--at", "+2h", *same)
    assert again.exit_code == 2
    assert len(jobs()) == 2
    assert len(emu.sends()) == 2
