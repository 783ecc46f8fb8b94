"""The Reason column of `status` and `log`: shown only when a row has one, provider text shown
(escape sequences visible, not obeyed), and on a narrow terminal the reason wraps while ids and
numbers stay whole."""

from __future__ import annotations

import io
from typing import Any

import pytest

from sms_cli.render.log import LOG_KEYS, log_human
from sms_cli.render.received import received_json, received_row
from sms_cli.render.status import status_human, status_json
from sms_cli.services.tracking import Tracked
from sms_cli.storage.messages import SentMessage

LONG_ID = "R8F1C2A9B3D4E5F60718.1234567890"
HOSTILE = "Absent subscriber\x1b]0;pwned\x07\x1b[2J and the handset stayed off for days on end"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def tracked(reason: str | None, *, id: str = LONG_ID, recipient: str = "+46701234567") -> Tracked:
    return Tracked(
        id=id,
        recipient=recipient,
        status="failed",
        provider_status="UNDELIV",
        updated_at="2026-03-01T10:00:00.000Z",
        provider="connectel",
        reason=reason,
    )


def sent(recipient: str, provider_id: str, reason: str | None) -> SentMessage:
    return SentMessage(
        local_id="L1",
        batch_id="B1",
        profile=None,
        provider="connectel",
        provider_id=provider_id,
        bulk_id=None,
        foreign_id=None,
        recipient=recipient,
        sender=None,
        text="Hello",
        text_sha256="x",
        segments=1,
        encoding="gsm7",
        parts=None,
        price=None,
        test=False,
        submitted_at="2026-03-01T10:00:00.000Z",
        status="failed",
        provider_status=None,
        provider_code=None,
        error=None,
        status_at="2026-03-01T10:00:00.000Z",
        reason=reason,
        provider_encoding=None,
        provider_recipient=None,
    )


def log_rows(*reasons: str | None) -> list[SentMessage]:
    return [sent(f"+4670123456{n}", f"{LONG_ID}{n}", reason) for n, reason in enumerate(reasons)]


def shown(monkeypatch: pytest.MonkeyPatch, draw: Any, *, terminal: bool, columns: int = 80) -> str:
    stream: io.StringIO = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    draw()
    return stream.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
def test_status_has_a_reason_column_only_when_a_message_has_a_reason(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    without = shown(
        monkeypatch, lambda: status_human([tracked(None)]), terminal=terminal, columns=200
    )
    assert "Reason" not in without
    with_one = shown(
        monkeypatch,
        lambda: status_human([tracked(None), tracked("Absent subscriber")]),
        terminal=terminal,
        columns=200,
    )
    assert "Reason" in with_one and "Absent subscriber" in with_one


@pytest.mark.parametrize("terminal", [False, True])
def test_log_has_a_reason_column_only_when_a_row_has_a_reason(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    without = shown(
        monkeypatch, lambda: log_human(log_rows(None, "")), terminal=terminal, columns=200
    )
    assert "Reason" not in without
    with_one = shown(
        monkeypatch,
        lambda: log_human(log_rows(None, "Validity period expired")),
        terminal=terminal,
        columns=200,
    )
    assert "Reason" in with_one and "Validity period expired" in with_one


@pytest.mark.parametrize("terminal", [False, True])
def test_escape_sequences_in_a_reason_are_shown_not_obeyed(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    for draw in (
        lambda: status_human([tracked(HOSTILE)]),
        lambda: log_human(log_rows(HOSTILE)),
    ):
        text = shown(monkeypatch, draw, terminal=terminal, columns=300)
        # rich's own styling (bold headers) is the only escape sequence written.
        assert "\x1b]" not in text and "\x07" not in text and "\x1b[2J" not in text
        assert "␛]0;pwned␇␛[2J" in text


@pytest.mark.parametrize("columns", [60, 100, 140])
def test_on_a_narrow_terminal_the_reason_wraps_and_no_id_or_number_is_cut(
    monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    reason = "Absent subscriber: the handset was switched off for longer than the validity period"
    status = shown(
        monkeypatch,
        lambda: status_human([tracked(reason), tracked(None, id="R2")]),
        terminal=True,
        columns=columns,
    )
    for whole in (LONG_ID, "+46701234567", "2026-03-01T10:00:00.000Z", "UNDELIV"):
        assert whole in status, status
    assert "…" not in status
    # Every word of the reason is there, the column wrapped rather than cut.
    assert " ".join(status.split()).count("switched") == 1
    assert all(word in status for word in reason.replace(":", "").split())
    log = shown(
        monkeypatch,
        lambda: log_human(log_rows(reason, None)),
        terminal=True,
        columns=columns,
    )
    for whole in (f"{LONG_ID}0", f"{LONG_ID}1", "+46701234560", "+46701234561"):
        assert whole in log, log
    assert all(word in log for word in reason.replace(":", "").split())


def test_a_wide_terminal_shows_the_reason_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "Absent subscriber: the handset was switched off"
    status = shown(monkeypatch, lambda: status_human([tracked(reason)]), terminal=True, columns=200)
    assert reason in status


def test_status_json_has_the_reason_key_for_every_message() -> None:
    document = status_json([tracked("Absent subscriber"), tracked(None)], waited=False)
    assert [m["reason"] for m in document["messages"]] == ["Absent subscriber", None]


def test_log_json_and_csv_end_with_the_reason() -> None:
    assert LOG_KEYS[-1] == "reason"
    assert LOG_KEYS[:-1] == (
        "local_id", "batch_id", "submitted_at", "profile", "provider", "id", "bulk_id",
        "recipient", "sender", "text", "text_sha256", "segments", "encoding", "parts", "price",
        "status", "provider_status", "error", "updated_at", "test",
    )  # fmt: skip


def test_listen_shows_a_reports_reason_in_json_and_visibly_in_the_table() -> None:
    from sms_cli.core.callbacks import DeliveryEvent
    from sms_cli.storage.messages import Received

    event = DeliveryEvent("connectel", LONG_ID, "failed", "UNDELIV", reason=HOSTILE)
    received = Received(event, "2026-03-01T10:00:00.000Z", local_ids=("L1",), changed=True)
    assert received_json(received)["reason"] == HOSTILE
    detail = received_row(received)[-1]
    assert detail.startswith("failed (UNDELIV): Absent subscriber")
    assert "\x1b" not in detail and "\x07" not in detail

    silent = Received(DeliveryEvent("connectel", LONG_ID, "delivered", "DELIVRD"), "x")
    assert received_json(silent)["reason"] is None
    assert received_row(silent)[-1] == "delivered (DELIVRD), not in the history"


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "plain"])
def test_a_providers_state_and_id_are_shown_not_obeyed(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    """Not only the reason: the raw state and the id came from the provider too."""
    item = Tracked(
        id="R-1\x1b]0;pwned\x07",
        recipient="+46701234567",
        status="failed",
        provider_status="UNDELIV\x1b[2J",
        updated_at=None,
        provider="connectel",
    )
    text = shown(monkeypatch, lambda: status_human([item]), terminal=terminal)
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\x07" not in text
    assert "UNDELIV" in text and "R-1" in text


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "plain"])
def test_a_logged_provider_id_is_shown_not_obeyed(
    monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    rows = [sent("+46701234567", "R-1\x1b[2J\x1b]0;pwned\x07", None)]
    text = shown(monkeypatch, lambda: log_human(rows), terminal=terminal)
    assert "\x1b[2J" not in text and "\x1b]" not in text and "\x07" not in text
    assert "R-1" in text
