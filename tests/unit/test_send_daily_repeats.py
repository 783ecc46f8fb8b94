"""Issue 15 item 8b: the repeat check reads the history with an injected clock, across the edge
of the provider's window, comparing texts by hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sms_cli.services import profiles as profile_service
from sms_cli.services.sending import SendArgs, SendPlan, plan_send, recent_duplicates
from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash
from sms_cli.storage.profiles import ProfileFile, make_profile, with_added

NUMBER = "+46701234567"


def _record(history: History, local_id: str, text: str, status: str, **extra: object) -> str:
    record = MessageRecord(
        local_id=local_id,
        batch_id=local_id,
        profile="p",
        provider=str(extra.pop("provider", "seven")),
        recipient=str(extra.pop("recipient", NUMBER)),
        sender=None,
        text=None,  # as with --no-store-text: only the hash is kept
        text_sha256=text_hash(text),
        segments=1,
        encoding="gsm7",
        test=bool(extra.pop("test", False)),
    )
    history.record_intent([record])
    history.record_outcomes([Outcome(local_id, status)])
    (row,) = history.find(local_id)
    return row.submitted_at


@pytest.fixture
def plan() -> SendPlan:
    def add(profiles: ProfileFile) -> tuple[ProfileFile, None]:
        info = profile_service.provider("seven")
        profile = make_profile("p", info, {"token": "tok-abcdef-123456"}, {}, sender="Acme")
        return with_added(profiles, profile, make_default=True, force=False), None

    profile_service.store().update(add)
    return plan_send(SendArgs(to=[NUMBER, "+46731234567"], text="Same text"), dry_run=False)


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def test_the_window_edge(plan: SendPlan) -> None:
    history = History()
    try:
        sent = _at(_record(history, "a", "Same text", "queued"))
        inside = recent_duplicates(plan, history, now=sent + timedelta(seconds=179.9))
        edge = recent_duplicates(plan, history, now=sent + timedelta(seconds=180))
        outside = recent_duplicates(plan, history, now=sent + timedelta(seconds=180.01))
    finally:
        history.close()
    assert inside is not None and inside.recipients == (NUMBER,)
    assert (inside.window, inside.locked, inside.lift) == (180.0, True, "--no-reload")
    assert edge is not None
    assert outside is None


def test_what_does_not_count(plan: SendPlan) -> None:
    history = History()
    try:
        sent = _at(_record(history, "a", "Other text", "queued"))
        _record(history, "b", "Same text", "not_sent")
        _record(history, "c", "Same text", "rejected")
        _record(history, "d", "Same text", "queued", test=True)
        _record(history, "e", "Same text", "queued", provider="connectel")
        _record(history, "f", "Same text", "queued", recipient="+4917612345678")
        found = recent_duplicates(plan, history, now=sent + timedelta(seconds=1))
    finally:
        history.close()
    assert found is None


def test_a_provider_without_a_reload_lock_is_warned_of_a_repeat_only() -> None:
    def add(profiles: ProfileFile) -> tuple[ProfileFile, None]:
        info = profile_service.provider("connectel")
        profile = make_profile("c", info, {"token": "tok-abcdef-123456"}, {}, sender="Acme")
        return with_added(profiles, profile, make_default=True, force=False), None

    profile_service.store().update(add)
    plan = plan_send(SendArgs(to=[NUMBER], text="Same text"), dry_run=False)
    history = History()
    try:
        sent = _at(_record(history, "a", "Same text", "queued", provider="connectel"))
        found = recent_duplicates(plan, history, now=sent + timedelta(seconds=10))
        later = recent_duplicates(plan, history, now=sent + timedelta(seconds=181))
    finally:
        history.close()
    assert found is not None
    assert (found.recipients, found.window, found.locked, found.lift) == (
        (NUMBER,),
        180,
        False,
        None,
    )
    assert later is None
