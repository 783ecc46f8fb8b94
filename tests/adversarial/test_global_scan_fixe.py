"""The global options scan agrees with click where a command line has no command yet:
- `smsctl -- send ... --json`: click's root drops a `--` before the command's name and `send`
  reads its own options, so the scan does too (JSON results, JSON errors);
- `smsctl --json bulk -h` is `smsctl bulk -h` (not `bulk start`'s help);
- `smsctl --json profile` says no command was given (not "No such option: --json")."""

from __future__ import annotations

import json

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import numbers
from tests.providers.selection import any_provider


@pytest.mark.parametrize("emu", [any_provider()], indirect=True)
def test_a_leading_double_dash_is_dropped_as_click_drops_it(emu: Emu, profile: str) -> None:
    dry = run(["--", "send", "--to", numbers(1)[0], "hi", "--json", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "total_price" in json.loads(dry.stdout)
    bad = run(["--", "send", "--to", "not-a-number", "hi", "--json", "--dry-run"])
    assert bad.exit_code == 2
    assert json.loads(bad.stderr)["error"]["exit_code"] == 2, bad.stderr
    moved = run(["--json", "-p", profile, "--", "send", "--to", numbers(1)[0], "hi", "--dry-run"])
    assert moved.exit_code == 0, moved.stderr
    assert "total_price" in json.loads(moved.stdout)
    assert emu.sends() == []


def test_json_before_a_group_with_help_shows_the_groups_help() -> None:
    plain = run(["bulk", "-h"])
    assert plain.exit_code == 0 and "smsctl bulk [OPTIONS] COMMAND" in plain.stdout
    for args in (["--json", "bulk", "-h"], ["-p", "x", "bulk", "--help"]):
        shown = run(args)
        assert (shown.exit_code, shown.stdout) == (0, plain.stdout), args


def test_json_before_a_bare_group_says_no_command_was_given() -> None:
    bare = run(["--json", "profile"])
    assert bare.exit_code == 2
    error = json.loads(bare.stderr)["error"]
    assert error["message"] == "no command given", error
    assert error["hint"] == "smsctl profile --help lists the commands"
    unknown = run(["--json", "profile", "bogus"])
    assert "No such command 'bogus'" in json.loads(unknown.stderr)["error"]["message"]
