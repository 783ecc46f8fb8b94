"""A send of several requests (Textbelt takes one recipient per request): what the report adds
up over the answers, and a send that stops on the way (a history write, Ctrl-C, --timeout)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from smsctl_textbelt.emulator import TextbeltEmulator
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.providers.http import RetryPolicy, set_retry_policy

KEY = "tb-CANARY-key-5c2e90"
NUMBERS = ("+12025550101", "+12025550102", "+12025550103")


def sent(quota: int) -> str:
    return json.dumps({"success": True, "quotaRemaining": quota, "textId": str(quota)})


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input, prog_name="smsctl")
    for stream in (result.stdout, result.stderr):
        assert KEY not in stream and "CANARY" not in stream
        assert "Traceback" not in stream
    return result


@pytest.fixture(autouse=True)
def no_waiting() -> Iterator[None]:
    previous = set_retry_policy(RetryPolicy(rate_limit_retries=0, sleep=lambda _: None))
    try:
        yield
    finally:
        set_retry_policy(previous)


@pytest.fixture
def profile(base_url: str, emulator: TextbeltEmulator) -> str:
    emulator.tokens = {KEY}
    added = run(
        "profile", "add", "t", "--provider", "textbelt", "--base-url", base_url, "--token-stdin",
        input=KEY,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    return "t"


def send(*extra: str) -> Result:
    return run("send", "--json", *extra, *(a for n in NUMBERS for a in ("--to", n)), "Hello")


def phones(emulator: TextbeltEmulator) -> list[str]:
    return [r.form()["phone"] for r in emulator.requests if r.path == "/text"]


def logged() -> dict[str, str]:
    result = run("log", "--json")
    assert result.exit_code == 0, result.stderr
    return {m["recipient"]: m["status"] for m in json.loads(result.stdout)["messages"]}


def test_the_balance_is_the_last_answers(profile: str, emulator: TextbeltEmulator) -> None:
    emulator.configure({"replay": [sent(40), sent(39), sent(38)]})
    result = send()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["balance"] == 38
