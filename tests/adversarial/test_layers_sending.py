"""The sending service prints nothing: what it could not do on the way out of a failed send
travels with the error, and the command layer shows it, before the error, as before."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from sms_cli.storage.db import FILE_NAME, data_dir
from tests.adversarial.loopback import LoopbackServer, Reply
from tests.adversarial.test_send_http_status import TO, add_profile, send


class LockThenRefuse(LoopbackServer):
    """Takes the history's write lock when the send arrives, then refuses the token: smsctl
    cannot record that nothing was sent."""

    def __init__(self, history: Path) -> None:
        self.history = history
        self.lock: sqlite3.Connection | None = None
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        self.lock = sqlite3.connect(self.history, isolation_level=None, check_same_thread=False)
        self.lock.execute("BEGIN IMMEDIATE")
        return 401, {"Content-Type": "application/json"}, b'{"error": "unauthorized"}'

    def close(self) -> None:
        super().close()
        if self.lock is not None:
            self.lock.close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LockThenRefuse]:
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
    served = LockThenRefuse(data_dir() / FILE_NAME)
    yield served
    served.close()


def test_a_refused_send_that_cannot_be_recorded_warns_then_fails(server: LockThenRefuse) -> None:
    add_profile("seven", server.url + "/api")
    result = send("--to", TO, "Hi")
    assert result.exit_code == 5, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        "smsctl: warning: could not record that nothing was sent: cannot write the history at "
    ), result.stderr
    assert lines[0].endswith("; the history shows the messages in flight")
    assert lines[1].startswith("smsctl: error: "), result.stderr
