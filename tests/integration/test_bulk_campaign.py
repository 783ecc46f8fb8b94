"""A campaign's delivery over loopback: `bulk show`, `status --job`, the job's rows following the
history (status, listen), and the provider asked in batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from sms_cli.providers.info import Capability
from sms_cli.services.bulk import campaign
from tests.integration.conftest import Emu, run
from tests.integration.test_bulk import bulk, numbers, summary, write_csv
from tests.providers.selection import supports


def report_rows() -> list[tuple[object, ...]]:
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    history = History()
    try:
        journal = Journal(history)
        return list(journal.report_rows(journal.resolve("last").job_id))
    finally:
        history.close()


def status_requests(emu: Emu) -> list[dict[str, Any]]:
    """The delivery-report requests the emulator received (not the sends, not the journal)."""
    return [r for r in emu.requests() if r["method"] == "GET" and "journal" not in r["path"]]


def shown(result: Result) -> dict[str, Any]:
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def send_job(tmp_path: Path, phones: list[str], *extra: str) -> Result:
    path = write_csv(tmp_path / "c.csv", [["phone"]] + [[n] for n in phones])
    return bulk(str(path), "--message", "Spring sale", "--yes", "--json", *extra)


def test_show_counts_each_state_as_the_emulator_played_it(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    phones = numbers(6)
    delivered, failed, enroute, rejected = phones[:3], phones[3], phones[4], phones[5]
    for number in delivered:
        emu.script(number, "delivered")
    emu.script(failed, "failed")
    emu.script(enroute, "enroute")
    emu.reject(rejected)
    sent = send_job(tmp_path, phones)
    assert sent.exit_code == 3, sent.stderr
    accepted = {m["to"] for m in emu.messages()}
    assert rejected not in accepted and len(accepted) == 5
    emu.control("advance", {"steps": 10})
    before = len(status_requests(emu))
    result = bulk("show", "last", "--json")
    view = shown(result)
    assert view["counts"] == {
        "pending": 0, "in_flight": 0, "accepted": 1, "delivered": 3, "failed": 1,
        "expired": 0, "rejected": 1, "unknown": 0, "cancelled": 0, "skipped": 0, "invalid": 0,
    }  # fmt: skip
    assert sum(view["failed_by_reason"].values()) == 2
    assert view["segments_sent"] == 5
    assert view["final"] is False  # one is still on its way
    assert view["job"]["id"].startswith(view["job"]["short_id"])
    assert result.exit_code == 7
    assert "bulk retry" in result.stderr
    # One batch of five ids (seven.io) or one bulk id (Connectel): one request, never five.
    assert len(status_requests(emu)) - before == 1
    # The report's status column is the campaign state too.
    by_recipient = {row[1]: row[2] for row in report_rows()}
    assert by_recipient == {
        **dict.fromkeys(delivered, "delivered"), failed: "failed", enroute: "accepted",
        rejected: "rejected",
    }  # fmt: skip


def test_250_rows_are_asked_about_in_3_requests(emu: Emu, profile: str, tmp_path: Path) -> None:
    phones = numbers(250)
    sent = send_job(tmp_path, phones, "--batch-size", "100")
    assert sent.exit_code == 0, sent.stderr
    before = len(status_requests(emu))
    view = shown(bulk("show", "last", "--json"))
    assert view["asked"] == 250
    assert len(status_requests(emu)) - before == 3
    assert view["counts"]["accepted"] + view["counts"]["delivered"] == 250


def test_offline_asks_nothing(emu: Emu, profile: str, tmp_path: Path) -> None:
    assert send_job(tmp_path, numbers(3)).exit_code == 0
    before = len(emu.requests())
    result = bulk("show", "last", "--offline", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(emu.requests()) == before
    assert shown(result)["counts"]["accepted"] == 3
    human = bulk("show", "last", "--offline")
    assert human.exit_code == 0
    assert "accepted" in human.stdout and "3" in human.stdout


def test_a_settled_unknown_is_never_resent_and_the_job_exits_0(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """The issue's case: `status --last` settled the message, yet `bulk jobs` said Unknown 1
    and every resume exited 8."""
    if not supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider cannot find a message whose answer was lost")
    emu.faults(mode="drop_after", times=1)
    sent = send_job(tmp_path, numbers(1), "--timeout", "5")
    assert sent.exit_code == 8
    emu.faults()
    assert run(["status", "--last"]).exit_code == 0  # found in the journal: accepted
    listed = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"]
    assert (listed[0]["unknown"], listed[0]["accepted"]) == (0, 1)
    sends = len(emu.sends())
    resumed = bulk("resume", "last", "--retry-unknown", "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert summary(resumed)["rows"] == {"accepted": 1}
    assert len(emu.sends()) == sends  # nothing sent again


def test_show_settles_an_unknown_row_through_the_provider(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if not supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider cannot find a message whose answer was lost")
    emu.faults(mode="drop_after", times=1)
    assert send_job(tmp_path, numbers(1), "--timeout", "5").exit_code == 8
    emu.faults()
    result = bulk("show", "last", "--json")
    assert result.exit_code == 0, result.stderr
    assert shown(result)["counts"]["unknown"] == 0
    assert json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"][0]["unknown"] == 0


def test_a_lost_answer_settled_as_failed_gives_the_delivery_reason_not_the_lost_answer(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if not supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider cannot find a message whose answer was lost")
    (phone,) = numbers(1)
    emu.script(phone, "failed")
    emu.faults(mode="drop_after", times=1)
    assert send_job(tmp_path, [phone], "--timeout", "5").exit_code == 8
    emu.faults()
    emu.control("advance", {"steps": 10})
    result = bulk("show", "last", "--json")
    view = shown(result)
    assert view["counts"]["failed"] == 1, view
    (reason,) = view["failed_by_reason"]
    assert "connection" not in reason.lower() and "broke" not in reason.lower(), reason


def test_a_lost_answer_the_provider_cannot_find_is_said_and_not_counted_as_asked(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    if supports(emu.name, Capability.FIND_SENT):
        pytest.skip("the provider can find a message whose answer was lost")
    emu.faults(mode="drop_after", times=1)
    assert send_job(tmp_path, numbers(1), "--timeout", "5").exit_code == 8
    emu.faults()
    before = len(emu.requests())
    result = bulk("show", "last", "--json")
    assert result.exit_code == 8
    view = shown(result)
    assert view["asked"] == 0 and len(emu.requests()) == before
    assert any("cannot be looked for" in note for note in view["notes"]), view["notes"]


def test_an_unknown_that_cannot_be_settled_exits_8_with_a_hint(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    emu.faults(mode="drop_after", times=1)
    assert send_job(tmp_path, numbers(1), "--timeout", "5").exit_code == 8
    emu.faults()
    result = bulk("show", "last", "--offline", "--json")
    assert result.exit_code == 8
    assert shown(result)["counts"]["unknown"] == 1
    assert "unknown outcome" in result.stderr and "--retry-unknown" in result.stderr


# -- status --job ---------------------------------------------------------------------------------


def test_status_job_waits_until_delivered(emu: Emu, profile: str, tmp_path: Path) -> None:
    phones = numbers(3)
    for number in phones:
        emu.script(number, "delivered")
    assert send_job(tmp_path, phones).exit_code == 0
    result = run(["status", "--job", "last", "--wait", "--interval", "0.05", "--json"])
    assert result.exit_code == 0, result.stderr
    view = shown(result)
    assert (view["counts"]["delivered"], view["final"], view["waited"]) == (3, True, True)


@pytest.mark.parametrize(("outcome", "code"), [("failed", 7), ("enroute", 9)])
def test_status_job_exit_codes(
    emu: Emu, profile: str, tmp_path: Path, outcome: str, code: int
) -> None:
    phones = numbers(2)
    emu.script(phones[0], "delivered")
    emu.script(phones[1], outcome)
    assert send_job(tmp_path, phones).exit_code == 0
    result = run(["status", "--job", "last", "--wait", "--interval", "0.05", "--timeout", "0.3"])
    assert result.exit_code == code, result.stderr
    assert "smsctl: warning:" in result.stderr


def test_status_job_refuses_ids_too(emu: Emu, profile: str) -> None:
    result = run(["status", "--job", "last", "--last"])
    assert result.exit_code == 2
    assert "not several" in result.stderr


def test_watch_grows_its_interval_and_stops_at_the_timeout(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    phones = numbers(1)
    emu.script(phones[0], "enroute")
    assert send_job(tmp_path, phones).exit_code == 0
    now = [0.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    view = campaign.watch(
        "last", profile=None, timeout=20.0, interval=2.0, sleep=sleep, clock=lambda: now[0]
    )
    assert pauses == [2.0, 3.0, 4.5, 6.75, 3.75]
    assert (view.final, int(view.exit_code)) == (False, 9)


# -- listen --------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[str]:
    """smsctl's receiver (what `smsctl listen` serves) on a loopback port: its URL."""
    from sms_cli.services.receiving import Receiver, ReceiverConfig, bind
    from sms_cli.storage.messages import History
    from sms_cli.testing.contract import receiver_running

    history = History()
    sock = bind("127.0.0.1", 0)
    app = Receiver(ReceiverConfig(secret="s3cret-path"), history, lambda _: None, lambda _: None)
    try:
        with receiver_running(app, sock):
            yield f"http://127.0.0.1:{sock.getsockname()[1]}/s3cret-path"
    finally:
        history.close()
        sock.close()


def test_reports_received_by_listen_update_the_job(
    emu: Emu, profile: str, tmp_path: Path, receiver: str
) -> None:
    if not supports(emu.name, Capability.CALLBACKS):
        pytest.skip("the provider pushes no delivery reports")
    url = f"{receiver}/{emu.name}"
    if supports(emu.name, Capability.HOOKS):
        assert run(["hooks", "add", url, "--event", "all"]).exit_code == 0
    else:
        emu.set(callback_url=url)
    phones = numbers(3)
    emu.script(phones[0], "delivered")
    emu.script(phones[1], "delivered")
    emu.script(phones[2], "failed")
    assert send_job(tmp_path, phones).exit_code == 0
    before = len(emu.requests())
    emu.control("advance", {"steps": 10})
    emu.control("flush")
    result = bulk("show", "last", "--offline", "--json")
    assert len(emu.requests()) == before  # the job learnt it from listen alone
    view = shown(result)
    assert (view["counts"]["delivered"], view["counts"]["failed"]) == (2, 1)
    assert view["final"] is True
    assert result.exit_code == 7
    listed = json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"][0]
    assert (listed["accepted"], listed["failed"]) == (2, 1)
