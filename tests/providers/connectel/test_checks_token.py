"""Connectel's token check: a delivery lookup of an id no message has (PROVIDERS.md §3.5); its
auth refusal in each style the emulator knows (§3.8: 401, 403, 200 with UNAUTHORIZED) is a
rejected token, exit 5; a good token gets the unknown-id answer and is accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer, all_emulators
from sms_cli.testing.contract import CANARY, EmulatorControl, run

WRONG = "wrong-token-7f3a9c"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    yield server
    server.stop()


def add(url: str, token: str) -> None:
    args = ["profile", "add", "c", "--provider", "connectel", "--base-url", url]
    added = run([*args, "--sender", "Acme", "--token-stdin", "--no-check"], input=token)
    assert added.exit_code == 0, added.stderr


@pytest.mark.parametrize("style", ["401", "403", "200"])
def test_every_auth_refusal_style_is_a_rejected_token(sandbox: SandboxServer, style: str) -> None:
    emu = EmulatorControl(sandbox, "connectel", registry.get("connectel").default_base_url)
    emu.wait_idle()
    emu.control("reset")
    emu.set(tokens=[CANARY], auth_style=style)
    add(emu.base_url, WRONG)
    checked = run(["profile", "check", "--json"])
    assert checked.exit_code == 5, checked.stderr
    assert json.loads(checked.stdout)["profiles"][0]["result"] == "rejected"
    assert WRONG not in checked.stdout + checked.stderr
    run(["profile", "remove", "c"])
    add(emu.base_url, CANARY)
    accepted = run(["profile", "check", "--json"])
    assert accepted.exit_code == 0, accepted.stderr
    lookup = [r for r in emu.requests() if r["method"] == "GET"][-1]
    assert lookup["path"].endswith("/api/v2/delivery/")
    assert "smsctl-token-check" in str(lookup["query"])
