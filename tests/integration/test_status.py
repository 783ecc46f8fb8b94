"""Delivery reports over loopback: scripted outcomes, --wait and its exit codes, the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from sms_cli.storage.messages import History
from tests.integration.conftest import Emu, run
from tests.integration.test_send_contract import FIRST, SECOND, document, send

# Each provider's raw delivery states for a scripted outcome (PROVIDERS.md §1.1).
SCRIPTS: dict[str, dict[str, list[str]]] = {
    "connectel": {
        "delivered": ["DELIVRD"],
        "expired": ["EXPIRED"],
        "rejected": ["REJECTD"],
        "failed": ["UNDELIV"],
        "unknown": ["UNKNOWN"],
        "enroute": ["ENROUTE"] * 200,
    },
    "seven": {
        "delivered": ["ACCEPTED", "TRANSMITTED", "DELIVERED"],
        "expired": ["BUFFERED", "EXPIRED"],
        "rejected": ["REJECTED"],
        "failed": ["ACCEPTED", "NOTDELIVERED"],
        "unknown": ["UNKNOWN"],
        "enroute": ["ACCEPTED"] * 200,
    },
}
STATUS_KEYS = {"id", "recipient", "status", "provider_status", "updated_at", "final"}


def status(*args: str) -> Result:
    result = run(["status", "--json", *args])
    assert "Traceback" not in result.stderr
    return result


def messages(result: Result) -> list[dict[str, Any]]:
    return json.loads(result.stdout)["messages"]  # type: ignore[no-any-return]


def script(emu: Emu, number: str, outcome: str) -> None:
    emu.control("script", {"number": number, "statuses": SCRIPTS[emu.name][outcome]})


def test_wait_until_delivered(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "--to", SECOND, "Hi")
    result = status("--last", "--wait", "--interval", "0.05", "--timeout", "20")
    assert result.exit_code == 0, result.stderr
    found = messages(result)
    assert [(m["recipient"], m["status"], m["final"]) for m in found] == [
        (FIRST, "delivered", True),
        (SECOND, "delivered", True),
    ]
    assert set(found[0]) >= STATUS_KEYS
    assert found[0]["provider_status"] in ("DELIVRD", "DELIVERED")
    logged = json.loads(run(["log", "--json"]).stdout)["messages"]
    assert {m["status"] for m in logged} == {"delivered"}


@pytest.mark.parametrize("outcome", ["expired", "rejected", "failed"])
def test_final_failures_exit_7(emu: Emu, profile: str, outcome: str) -> None:
    script(emu, FIRST, outcome)
    send("--to", FIRST, "Hi")
    result = status("--last", "--wait", "--interval", "0.05", "--timeout", "20")
    assert result.exit_code == 7
    assert messages(result)[0]["status"] == outcome
    assert messages(result)[0]["final"] is True


def test_one_failed_one_delivered_exits_7(emu: Emu, profile: str) -> None:
    script(emu, SECOND, "expired")
    send("--to", FIRST, "--to", SECOND, "Hi")
    result = status("--last", "--wait", "--interval", "0.05", "--timeout", "20")
    assert result.exit_code == 7
    assert [m["status"] for m in messages(result)] == ["delivered", "expired"]


def test_provider_unknown_exits_8(emu: Emu, profile: str) -> None:
    script(emu, FIRST, "unknown")
    send("--to", FIRST, "Hi")
    result = status("--last", "--wait", "--interval", "0.05", "--timeout", "0.5")
    assert result.exit_code == 8
    assert messages(result)[0]["status"] == "unknown"


def test_still_pending_when_the_wait_times_out_exits_9(emu: Emu, profile: str) -> None:
    script(emu, FIRST, "enroute")
    send("--to", FIRST, "Hi")
    result = status("--last", "--wait", "--interval", "0.05", "--timeout", "0.6")
    assert result.exit_code == 9
    (message,) = messages(result)
    assert (message["status"], message["final"]) == ("enroute", False)
    assert json.loads(result.stdout)["all_final"] is False


def test_pending_without_wait_exits_0(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    result = status("--last")
    assert result.exit_code == 0
    assert messages(result)[0]["final"] is False


def test_final_states_are_never_asked_again_nor_moved_back(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    assert status("--last", "--wait", "--interval", "0.05", "--timeout", "20").exit_code == 0
    emu.control("reset")  # the provider forgets the message entirely
    emu.set(tokens=["sandbox-token"])
    result = status("--last")
    assert messages(result)[0]["status"] == "delivered"
    assert emu.requests() == []


@pytest.mark.parametrize("which", ["local_id", "id"])
def test_lookup_by_local_or_provider_id(emu: Emu, profile: str, which: str) -> None:
    sent = document(send("--to", FIRST, "--to", SECOND, "Hi"))
    wanted = sent["results"][1][which]
    result = status(wanted)
    assert result.exit_code == 0
    assert [m["recipient"] for m in messages(result)] == [SECOND]


def test_unknown_id_asks_the_resolved_profile(emu: Emu, profile: str) -> None:
    from sms_cli.providers import registry
    from sms_cli.providers.base import Recipient, SendRequest
    from sms_cli.providers.registry import load
    from tests.integration.conftest import CANARY

    client = load(registry.get(emu.name).client)({"token": CANARY}, emu.base_url, timeout=5)
    try:  # sent outside smsctl's history
        (sent,) = client.send(SendRequest("Hi", (Recipient(FIRST, "l-1"),), "Acme"))
    finally:
        client.close()
    assert sent.id
    result = status(sent.id)
    assert result.exit_code == 0, result.stderr
    (message,) = messages(result)
    assert (message["id"], message["local_id"], message["profile"]) == (sent.id, None, profile)
    assert message["note"] == "not in the local history"
    # An id the provider does not know either: exit 2, naming it (tests/integration/
    # test_status_unknown_id.py has the rest).
    result = status("no-such-message-id")
    assert result.exit_code == 2
    assert "no-such-message-id" in result.stderr and f"profile {profile!r}" in result.stderr


def test_no_ids_is_a_usage_error(emu: Emu, profile: str) -> None:
    assert run(["status"]).exit_code == 2
    assert "--last" in run(["status"]).stderr


def test_nothing_sent_yet(emu: Emu, profile: str) -> None:
    result = run(["status", "--last"])
    assert result.exit_code == 2
    assert "nothing has been sent" in result.stderr


def test_human_table(emu: Emu, profile: str) -> None:
    send("--to", FIRST, "Hi")
    result = run(["status", "--last"])
    assert result.stdout.split("\n")[0].split() == [
        "Recipient",
        "Status",
        "Provider",
        "status",
        "ID",
        "Updated",
    ]
    assert FIRST in result.stdout


@pytest.fixture
def connectel(sandbox: Any) -> Emu:
    control = Emu(sandbox, "connectel")
    control.control("reset")
    result = run(
        ["profile", "add", "ct", "--provider", "connectel", "--base-url", control.base_url,
         "--sender", "Acme", "--token-stdin"],
        input="sandbox-token",
    )  # fmt: skip
    assert result.exit_code == 0
    return control


@pytest.fixture
def seven(sandbox: Any) -> Emu:
    control = Emu(sandbox, "seven")
    control.control("reset")
    result = run(
        [
            "profile",
            "add",
            "s7",
            "--provider",
            "seven",
            "--base-url",
            control.base_url,
            "--token-stdin",
        ],
        input="sandbox-token",
    )
    assert result.exit_code == 0
    return control


def test_connectel_bulk_id_shows_every_recipient(connectel: Emu) -> None:
    sent = document(send("--to", FIRST, "--to", SECOND, "Hi"))
    bulk_id = sent["results"][0]["bulk_id"]
    result = status(bulk_id)
    assert [m["recipient"] for m in messages(result)] == [FIRST, SECOND]
    assert {m["bulk_id"] for m in messages(result)} == {bulk_id}


def test_connectel_bulk_id_not_in_the_history(
    connectel: Emu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk_id = document(send("--to", FIRST, "--to", SECOND, "Hi"))["results"][0]["bulk_id"]
    monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "other-data"))
    result = status(bulk_id)
    assert [(m["recipient"], m["local_id"]) for m in messages(result)] == [
        (FIRST, None),
        (SECOND, None),
    ]


def test_seven_lost_answer_is_settled_from_the_journal(seven: Emu) -> None:
    seven.faults(mode="drop_after", times=1)
    sent = send("--to", FIRST, "Hi")
    assert sent.exit_code == 8
    result = status("--last")
    assert result.exit_code == 0, result.stderr
    (message,) = messages(result)
    assert message["id"] and message["status"] == "queued"
    assert message["note"] == "settled from the provider's journal"
    journal = [r for r in seven.requests() if r["path"] == "/api/journal/outbound"]
    assert journal[0]["query"]["to"] == FIRST[1:]
    assert status("--last", "--wait", "--interval", "0.05", "--timeout", "20").exit_code == 0


def test_seven_request_that_never_arrived_stays_unknown(seven: Emu) -> None:
    seven.faults(mode="drop_before", times=1)
    send("--to", FIRST, "Hi")
    result = status("--last")
    assert result.exit_code == 8
    assert "not in the provider's journal" in messages(result)[0]["note"]
    assert "not in the provider's journal" in result.stderr


def test_connectel_lost_answer_cannot_be_settled(connectel: Emu) -> None:
    connectel.faults(mode="drop_after", times=1)
    send("--to", FIRST, "Hi")
    result = status("--last")
    assert result.exit_code == 8
    assert "Connectel offers no way to find a message without its id" in result.stderr


def test_log_filters_and_formats(seven: Emu, connectel: Emu) -> None:
    send("--profile", "s7", "--to", FIRST, "first")
    send("--profile", "ct", "--to", SECOND, "second")
    send("--profile", "ct", "--no-store-text", "--to", FIRST, "secret text")
    everything = json.loads(run(["log", "--json"]).stdout)["messages"]
    assert [m["text"] for m in everything] == [None, "second", "first"]
    assert everything[0]["text_sha256"]
    assert set(everything[0]) >= {
        "local_id",
        "recipient",
        "status",
        "provider",
        "id",
        "submitted_at",
    }
    to_first = json.loads(run(["log", "--json", "--to", "0046701234567"]).stdout)["messages"]
    assert [m["recipient"] for m in to_first] == [FIRST, FIRST]
    by_profile = json.loads(run(["log", "--json", "--profile", "ct"]).stdout)["messages"]
    assert [m["profile"] for m in by_profile] == ["ct", "ct"]
    assert len(json.loads(run(["log", "--json", "-n", "1"]).stdout)["messages"]) == 1
    assert json.loads(run(["log", "--json", "--since", "1h"]).stdout)["messages"]
    assert json.loads(run(["log", "--json", "--since", "2999-01-01"]).stdout)["messages"] == []
    assert json.loads(run(["log", "--json", "--status", "delivered"]).stdout)["messages"] == []
    csv_lines = run(["log", "--csv"]).stdout.splitlines()
    assert csv_lines[0].startswith("local_id,batch_id,submitted_at")
    assert len(csv_lines) == 4
    human = run(["log"]).stdout
    assert "(not stored)" in human and "second" in human


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday-ish"], "neither an age"),
        (["--status", "lost"], "--status must be one of"),
        (["--json", "--csv"], "not both"),
    ],
)
def test_log_bad_options(args: list[str], message: str) -> None:
    result = run(["log", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_history_is_private(seven: Emu, tmp_path: Path) -> None:
    send("--to", FIRST, "Hi")
    path = History().path
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
