"""The history answers with typed frozen records, never database rows: the layers above read
fields by name (checked by mypy), and the JSON keys are render's choice, not the schema's."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from sms_cli.core.callbacks import InboundEvent
from sms_cli.storage.db import Database
from sms_cli.storage.messages import History, ReceivedMessage, SentMessage
from tests.conftest import record_sent


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "h.sqlite3")


def test_sent_messages_are_frozen_records(history: History) -> None:
    record_sent(history, "L1", "seven", "77", "queued")
    for found in (history.find("77"), history.query(), history.last_batch(), history.by_batch("B")):
        (message,) = found
        assert type(message) is SentMessage
        assert (message.local_id, message.provider_id, message.status) == ("L1", "77", "queued")
        assert message.test is False  # a bool, not SQLite's 0
        with pytest.raises(dataclasses.FrozenInstanceError):
            message.status = "delivered"  # type: ignore[misc]
    history.close()


def test_received_messages_are_frozen_records(history: History) -> None:
    history.receive(InboundEvent("seven", "681590", "+4917612345678", "+491771783130", "Hej"))
    (message,) = history.inbox()
    assert type(message) is ReceivedMessage
    assert not isinstance(message, sqlite3.Row)
    assert (message.number, message.provider_id, message.sender, message.text) == (
        1,
        "681590",
        "+4917612345678",
        "Hej",
    )
    history.close()


def test_the_database_is_apart_from_the_history(tmp_path: Path) -> None:
    database = Database(tmp_path / "d.sqlite3")
    assert "0006_provider_billing" in database.applied_migrations()
    assert not hasattr(database, "find")
    database.close()
