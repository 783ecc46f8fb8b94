"""Connectel: a campaign's reports, one `/api/v2/delivery/` request per bulk id (§3.5 and the
seed's bulk-id answer, which lists every recipient)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sms_cli.providers import registry
from sms_cli.providers.base import StatusQuery, StatusReader, not_found
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_bulk import bulk, write_csv
from tests.integration.test_send_contract import document, send


@pytest.fixture
def provider() -> str:
    return "connectel"


def client(emu: Emu) -> StatusReader:
    made = registry.load_client(registry.get("connectel"))(
        {"token": CANARY}, emu.base_url, timeout=5
    )
    assert isinstance(made, StatusReader)
    return made


def delivery_requests(emu: Emu) -> list[str]:
    return [r["query"] for r in emu.requests() if r["path"].startswith("/api/v2/delivery")]


def test_one_request_per_bulk_id_and_one_per_lone_message(emu: Emu, profile: str) -> None:
    emu.script("+46700000001", "delivered")
    bulk = document(send("--to", "+46700000001", "--to", "+46700000002", "Hi"))["results"]
    alone = document(send("--to", "+46700000003", "Hi"))["results"][0]
    assert bulk[0]["bulk_id"] and bulk[0]["bulk_id"] == bulk[1]["bulk_id"]
    assert alone["bulk_id"] is None
    emu.control("advance", {"steps": 10})
    queries = [StatusQuery(r["id"], r["bulk_id"]) for r in [*bulk, alone]]
    reports = client(emu).status_of(queries)
    asked = delivery_requests(emu)
    assert len(asked) == 2
    assert bulk[0]["bulk_id"] in str(asked[0]) and alone["id"] in str(asked[1])
    by_id = {r.id: r for r in reports}
    assert by_id[bulk[0]["id"]].status == "delivered"
    assert by_id[bulk[0]["id"]].bulk_id == bulk[0]["bulk_id"]
    assert {bulk[1]["id"], alone["id"]} <= set(by_id)


def test_an_unknown_bulk_id_reads_as_not_found(emu: Emu, profile: str) -> None:
    (report,) = client(emu).status_of([StatusQuery("r-1", "BNOSUCH.1")])
    assert not_found(report)


def test_a_bulk_answer_listing_another_message_changes_only_the_job(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """A bulk answer that also lists a message of another send (by its request id): only the
    job's own messages are recorded from it."""
    other = document(send("--to", "+46700000009", "Other"))["results"][0]
    path = write_csv(tmp_path / "c.csv", [["phone"], ["+46700000001"], ["+46700000002"]])
    assert bulk(str(path), "--message", "Sale", "--yes").exit_code == 0
    first, second = [m["id"] for m in emu.messages()][1:]
    answer = {
        "action": "send",
        "bulkid": "B1",
        "recipient": [
            {"requestid": other["id"], "recipient": "46700000009", "statusInt": 1,
             "statusStr": "DELIVRD"},
            {"requestid": first, "recipient": "46700000001", "statusInt": 5,
             "statusStr": "UNDELIV", "statusDesc": "absent subscriber"},
            "junk",
        ],
    }  # fmt: skip
    emu.set(replay=[json.dumps(answer)])
    result = bulk("show", "last", "--json")
    assert result.exit_code == 7, result.stderr
    view = json.loads(result.stdout)
    assert (view["counts"]["failed"], view["counts"]["accepted"]) == (1, 1)
    assert view["failed_by_reason"] == {"absent subscriber": 1}
    assert second  # not in the answer: its recorded state is kept
    logged = {m["id"]: m["status"] for m in json.loads(run(["log", "--json"]).stdout)["messages"]}
    assert logged[other["id"]] == "enroute"
