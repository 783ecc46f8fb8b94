"""Review of issue 12, second round: provider text and ids reach a terminal only as visible
stand-ins, in every diagnostic (errors, warnings, notes) and in the plain lines `balance` and
`hooks add` print; a refusal that echoes a piece of the token is withheld."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sms_cli.render import output
from tests.adversarial.test_review12_http import JSON, Server
from tests.adversarial.test_send_http_status import TOKEN, add_profile, run

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def test_diagnostics_show_escapes_and_keep_line_breaks(capsys: pytest.CaptureFixture[str]) -> None:
    output.error(f"the provider said {ESCAPES}", hint=f"id {ESCAPES}")
    output.warning(f"extra ids X{ESCAPES}")
    output.info(f"registered hook {ESCAPES}\nsecond line")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "␛]0;PWNED␇␛[2J" in err
    assert err.splitlines() == [
        "smsctl: error: the provider said ␛]0;PWNED␇␛[2J",
        "hint: id ␛]0;PWNED␇␛[2J",
        "smsctl: warning: extra ids X␛]0;PWNED␇␛[2J",
        "registered hook ␛]0;PWNED␇␛[2J",
        "second line",
    ]


def test_a_balance_currency_is_shown_not_obeyed(server: Server) -> None:
    server.always(200, json.dumps({"amount": 12.5, "currency": f"EUR{ESCAPES}"}).encode(), JSON)
    add_profile("seven", server.url)
    result = run(["balance", "--profile", "seven"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "12.50 EUR␛]0;PWNED␇␛[2J\n"


def test_a_hook_id_is_shown_not_obeyed(server: Server) -> None:
    server.always(200, json.dumps({"success": True, "id": f"7{ESCAPES}"}).encode(), JSON)
    add_profile("seven", server.url)
    result = run(["hooks", "add", "https://hooks.example.com/s3cret/seven", "--profile", "seven"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "7␛]0;PWNED␇␛[2J\n"
    assert "\x1b" not in result.stderr and "registered hook 7␛]0;PWNED" in result.stderr


def test_a_hook_refusal_echoing_a_piece_of_the_token_is_withheld(server: Server) -> None:
    # `run` fails the test when any 6-character piece of the token appears in the output.
    said = f"target_url rejected for key {TOKEN[3:15]}"
    server.always(200, json.dumps({"success": False, "error_message": said}).encode(), JSON)
    add_profile("seven", server.url)
    result = run(["hooks", "add", "https://hooks.example.com/s3cret/seven", "--profile", "seven"])
    assert result.exit_code == 6, result.stderr
    assert "refused the hook: [provider text withheld" in result.stderr
