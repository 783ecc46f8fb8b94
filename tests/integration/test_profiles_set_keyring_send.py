"""A token kept in the OS keyring (a file backend) is the one a send presents to the provider."""

from __future__ import annotations

import json
from pathlib import Path

from sms_cli.testing.contract import CANARY
from tests.integration.conftest import Emu, run


def test_a_send_uses_the_token_from_the_keyring(emu: Emu, file_keyring: Path) -> None:
    added = run(
        [
            "profile",
            "add",
            "kr",
            "--provider",
            emu.name,
            "--base-url",
            emu.base_url,
            "--sender",
            "Acme",
            "--token-stdin",
            "--token-store",
            "keyring",
        ],
        input=CANARY,
    )
    assert added.exit_code == 0, added.stderr
    assert CANARY in file_keyring.read_text()
    result = run(["send", "--json", "--to", "+46701234567", "Hello from the keyring"])
    assert result.exit_code == 0, result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert json.loads(result.stdout)["profile"] == "kr"
    assert len(emu.sends()) == 1
