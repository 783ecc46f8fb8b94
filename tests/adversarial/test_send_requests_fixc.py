"""A built-in provider declares no recipient limit: however many recipients, one send is one
request, as the README says (several recipients go out in one request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.providers.base import SendResult
from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.seven.emulator import SevenEmulator
from sms_cli.services.sending import SendReport

TOKEN = "seven-CANARY-token-0d1f"


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input, prog_name="smsctl")
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture
def seven() -> Iterator[tuple[SandboxServer, SevenEmulator]]:
    emulator = SevenEmulator()
    served = SandboxServer({"seven": emulator})
    served.start_in_thread()
    try:
        emulator.reset()
        emulator.tokens = {TOKEN}
        yield served, emulator
    finally:
        served.stop()


def test_a_1001_recipient_seven_send_is_one_request(
    seven: tuple[SandboxServer, SevenEmulator],
) -> None:
    served, emulator = seven
    added = run(
        "profile", "add", "s", "--provider", "seven", "--base-url", f"{served.url}/seven/api",
        "--token-stdin", input=TOKEN,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    numbers = [f"+4670{i:07d}" for i in range(1001)]
    result = run("send", "--json", "--to", ",".join(numbers), "Hi all")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["results"]) == 1001
    assert len([r for r in emulator.requests if r.method == "POST"]) == 1


def _result(number: str, price: float | None, total: float | None = None) -> SendResult:
    return SendResult(number, number, "queued", price=price, answer_total_price=total)


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        ([[_result("a", 0.1, 0.5)], [_result("b", 0.2)]], 0.7),  # stated 0.5 + 0.2
        ([[_result("a", 0.1)], [_result("b", 0.2), _result("c", 0.3)]], 0.6),
        ([[_result("a", 0.1)], [_result("b", None)]], None),  # one answer lacks a price
    ],
)
def test_the_total_price_of_several_requests_is_the_sum_over_the_answers(
    answers: list[list[SendResult]], total: float | None
) -> None:
    report = SendReport(
        plan=cast(Any, None),
        results=tuple(r for answer in answers for r in answer),
        answer_sizes=tuple(len(answer) for answer in answers),
    )
    assert report.total_price == total
