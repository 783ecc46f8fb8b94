"""seven.io's token check against a server that puts a piece of the token in the balance's
currency: the check's detail is the provider's text, withheld whole, never shown."""

from __future__ import annotations

import json

import pytest

from sms_cli.testing.contract import run
from tests.adversarial.loopback import LoopbackServer, Reply, encoded

TOKEN = "hostile-token-5b1e0d77c4"
PIECE = TOKEN[8:18]


class EchoingBalance(LoopbackServer):
    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        head, body = encoded({"amount": 12.5, "currency": PIECE})
        return 200, head, body


@pytest.fixture
def server() -> EchoingBalance:
    return EchoingBalance()


def test_a_currency_echoing_the_token_is_withheld(
    server: EchoingBalance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMSCTL_NO_CHECK", raising=False)
    try:
        args = ["profile", "add", "h", "--provider", "seven", "--base-url", server.url]
        added = run([*args, "--sender", "Acme", "--token-stdin"], input=TOKEN)
        checked = run(["profile", "check", "--json"])
        plain = run(["profile", "check"])
    finally:
        server.close()
    assert added.exit_code == 0, added.stderr
    assert checked.exit_code == 0, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["result"] == "ok"
    assert "withheld" in entry["detail"]
    for result in (added, checked, plain):
        for stream in (result.stdout, result.stderr):
            assert PIECE not in stream
            assert TOKEN[8:14] not in stream
