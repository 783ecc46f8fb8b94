"""At 80 columns `log` with seven.io-style message ids is a table (a light frame: a rule under
the header, two spaces between columns); it turns into blocks only when it cannot fit."""

from __future__ import annotations

from tests.adversarial.terminal import smsctl_on_terminal
from tests.adversarial.test_output_fit_pty import assert_fits, plain, seed_history


def seed_seven_ids(count: int = 3) -> list[tuple[str, str]]:
    from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash

    history = History()
    sent = []
    try:
        for n in range(count):
            recipient, provider_id = f"+4670123456{n}", f"7721354028{n}"  # 11 digits, as seven
            text = f"Your appointment on Tuesday at {n + 9}:30 is confirmed; reply STOP to stop"
            record = MessageRecord(
                local_id=f"S{n}", batch_id="B", profile="live", provider="seven",
                recipient=recipient, sender="Acme", text=text, text_sha256=text_hash(text),
                segments=1, encoding="gsm7",
            )  # fmt: skip
            history.record_intent([record])
            history.record_outcomes([Outcome(f"S{n}", "delivered", provider_id=provider_id)])
            sent.append((recipient, provider_id))
    finally:
        history.close()
    return sent


def test_log_with_seven_ids_is_a_table_at_80_columns() -> None:
    sent = seed_seven_ids()
    screen = smsctl_on_terminal("log", "--no-pager", columns=80, env={"NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    lines = plain(screen)
    assert_fits(lines, 80, [value for pair in sent for value in pair])
    header = next(line for line in lines if "Recipient" in line)
    assert "ID" in header and "Text" in header and not header.startswith("Recipient:")
    assert any(set(line.strip()) == {"─"} for line in lines), screen.text  # the header's rule
    assert not any(ch in screen.text for ch in "┃│┏└"), screen.text  # no vertical lines, no box
    for recipient, provider_id in sent:  # one row a message: number and id on one line
        assert any(recipient in line and provider_id in line for line in lines)


def test_log_with_32_character_ids_is_blocks_at_80_columns() -> None:
    sent = seed_history()
    screen = smsctl_on_terminal("log", "--no-pager", columns=80, env={"NO_COLOR": "1"})
    lines = plain(screen)
    assert sum(1 for line in lines if line.startswith("Recipient:")) == len(sent), screen.text
