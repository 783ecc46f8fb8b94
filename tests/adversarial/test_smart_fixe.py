"""send --smart: a vulgar fraction right after a digit keeps the numbers apart (`1½` is
`1 1/2`, not `11/2`), nothing inside `[[...]]` is rewritten, and split --smart shows exactly the
text send --smart sends."""

from __future__ import annotations

import json

import pytest

from sms_cli.core.smart import smart_encode
from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import numbers
from tests.providers.selection import any_provider


def test_a_fraction_after_a_digit_gets_a_space_and_placeholders_are_kept() -> None:
    gsm = str.isascii
    assert smart_encode("1\u00bd cups, \u00bc more", gsm).text == "1 1/2 cups, 1/4 more"
    assert smart_encode("3\u00be\u2013", gsm).text == "3 3/4-"
    kept = smart_encode("a\u2013b [[x\u2013y.png]] \u201cc\u201d", lambda t: True)
    assert kept.text == 'a-b [[x\u2013y.png]] "c"'
    assert [r.index for r in kept.replacements] == [1, 16, 18]


@pytest.mark.parametrize("emu", [any_provider()], indirect=True)
def test_send_smart_sends_what_split_smart_shows(emu: Emu, profile: str) -> None:
    text = "Take 1\u00bd cups \u2013 \u201cnow\u201d"
    shown = run(["split", "--smart", "--json", text])
    assert shown.exit_code == 0, shown.stderr
    expected = json.loads(shown.stdout)["text"]
    assert expected == 'Take 1 1/2 cups - "now"'
    sent = run(["send", "--smart", "--to", numbers(1)[0], text])
    assert sent.exit_code == 0, sent.stderr
    assert [m["text"] for m in emu.messages()] == [expected]
