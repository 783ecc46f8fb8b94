"""A user's journey with the plugin installed, over loopback HTTP to its emulator: smsctl's own
commands, unchanged, find Textbelt through the entry point."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from typing import Any

from smsctl_textbelt.emulator import TextbeltEmulator
from textbelt_kit import KEY, run
from typer.testing import Result

TO = "+12025550123"


def document(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_profile_send_status_log_balance(profile: str, emulator: TextbeltEmulator) -> None:
    sent = document(run("send", "--json", "--profile", profile, "--to", TO, "Hello"))
    (result,) = sent["results"]
    assert result["status"] == "queued" and result["id"]
    assert emulator.requests[-1].form()["key"] == KEY

    waited = run("status", "--json", "--last", "--wait", "--interval", "0.05", "--timeout", "5")
    (message,) = document(waited)["messages"]
    assert (message["status"], message["provider_status"]) == ("delivered", "DELIVERED")

    logged = document(run("log", "--json"))
    rows = logged["messages"] if isinstance(logged, dict) else logged
    assert [(r["recipient"], r["provider"]) for r in rows] == [(TO, "textbelt")]

    balance = document(run("balance", "--json", "--profile", profile))
    assert balance["amount"] == 999

    shown = run("profile", "show", profile)
    assert shown.exit_code == 0, shown.stderr


def test_a_refusal_exits_7_and_out_of_quota_says_so(
    profile: str, emulator: TextbeltEmulator
) -> None:
    emulator.rejected = {TO.removeprefix("+")}
    refused = run("send", "--profile", profile, "--to", TO, "Hello")
    assert refused.exit_code == 7
    assert "Invalid phone number" in refused.stderr + refused.stdout
    emulator.rejected = set()
    emulator.quota = 0
    broke = run("send", "--profile", profile, "--to", TO, "Hello")
    assert broke.exit_code == 7
    assert "Out of quota" in broke.stderr + broke.stdout


def test_a_wrong_key_exits_5(profile: str, emulator: TextbeltEmulator) -> None:
    emulator.tokens = {"another-key"}
    assert run("send", "--profile", profile, "--to", TO, "Hello").exit_code == 5
    assert run("balance", "--profile", profile).exit_code == 5


def test_the_sandbox_serves_and_lists_textbelt() -> None:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "sandbox", "--port", "0", "--no-log"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    seen = ""
    try:
        assert process.stderr is not None
        # Raw reads from the descriptor: a buffered readline could hold lines the selector
        # then never reports.
        descriptor = process.stderr.fileno()
        selector = selectors.DefaultSelector()
        selector.register(descriptor, selectors.EVENT_READ)
        deadline = time.monotonic() + 15
        while "--provider textbelt" not in seen and time.monotonic() < deadline:
            if selector.select(timeout=max(deadline - time.monotonic(), 0)):
                chunk = os.read(descriptor, 65536)
                if not chunk:
                    break
                seen += chunk.decode("utf-8", "replace")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "Textbelt" in seen and "--provider textbelt" in seen, seen


def test_profile_list_and_show_call_the_key_what_textbelt_calls_it(profile: str) -> None:
    """The first secret's row and column are named after its label ("API key"), not "Token";
    the --json key stays "token"."""
    shown = run("profile", "show", profile)
    assert shown.exit_code == 0, shown.stderr
    assert "API key" in shown.stdout and "Token" not in shown.stdout
    assert "token" in document(run("profile", "show", profile, "--json"))

    listed = run("profile", "list")
    assert listed.exit_code == 0, listed.stderr
    assert "API key" in listed.stdout and "Token" not in listed.stdout

    added = run("profile", "add", "c", "--provider", "connectel", "--token-stdin", input="x1")
    assert added.exit_code == 0, added.stderr
    assert "Token / API key" in run("profile", "list").stdout
