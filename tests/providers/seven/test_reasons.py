"""seven.io's words on a state reach the history, `status` and `log` (moved from
tests/integration/test_reasons.py: these read seven.io's own wire format)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_reasons import (
    log_json,
    status_json,
)
from tests.integration.test_send_contract import FIRST, SECOND, send


@pytest.fixture
def provider() -> str:
    return "seven"


def test_seven_error_text_of_a_refused_recipient_is_the_reason(emu: Emu, profile: str) -> None:
    emu.reject(SECOND)
    result = send("--to", FIRST, "--to", SECOND, "Hi")
    assert result.exit_code == 3
    _, messages = status_json("--last")
    assert [(m["recipient"], m["reason"]) for m in messages] == [
        (FIRST, None),
        (SECOND, "Invalid recipient"),  # messages[].error_text (§2.5.3)
    ]
    assert messages[1]["status"] == "rejected"
    assert {m["recipient"]: m["reason"] for m in log_json()} == {
        FIRST: None,
        SECOND: "Invalid recipient",
    }
