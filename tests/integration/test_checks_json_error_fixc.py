"""With --json, `profile check` and `doctor` end with an error object describing the failure
that chose the exit code (its profile named, the others counted), never another one's."""

from __future__ import annotations

import json

from sms_cli.testing.contract import CANARY, EmulatorControl, run
from tests.integration.test_checks_profile import WRONG, add, closed_port
from tests.integration.test_checks_profile import checking as checking  # autouse fixture
from tests.integration.test_checks_profile import emu as emu  # the fixture


def _error_object(stderr: str) -> dict[str, object]:
    last = stderr.strip().splitlines()[-1]
    error: dict[str, object] = json.loads(last)["error"]
    return error


def test_the_json_error_describes_the_failure_that_chose_the_exit_code(
    emu: EmulatorControl,
) -> None:
    gone = f"http://127.0.0.1:{closed_port()}"
    # The unreachable one is the default, so it is checked and listed first.
    assert add("a-gone", emu.name, gone, CANARY, "--no-check").exit_code == 0
    assert add("c-bad", emu.name, emu.base_url, WRONG, "--no-check").exit_code == 0
    # One profile alone first: the provider's client is imported here, not by two checks at
    # once (a plugin import's stdout redirect is not thread-safe; fixed apart from this test).
    assert run(["profile", "check", "c-bad"]).exit_code == 5
    for command in (["profile", "check", "--json"], ["doctor", "--json"]):
        checked = run(command)
        assert checked.exit_code == 5, checked.stderr
        error = _error_object(checked.stderr)
        assert error["code"] == "auth_rejected" and error["exit_code"] == 5, error
        message = str(error["message"])
        assert "c-bad" in message and "a-gone" not in message, error
        assert "1 other" in message, error
    human = run(["profile", "check"])
    assert "profile a-gone: unreachable" in human.stderr
    assert "profile c-bad: rejected" in human.stderr
