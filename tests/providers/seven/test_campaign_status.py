"""seven.io: a campaign's reports asked for in batches (`GET /status?msg_id=a,b,c`, §2.7.1)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from sms_cli.providers import registry
from sms_cli.providers.base import StatusQuery, StatusReader, not_found
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_bulk import bulk, write_csv
from tests.integration.test_send_contract import document, send


@pytest.fixture
def provider() -> str:
    return "seven"


def client(emu: Emu) -> StatusReader:
    made = registry.load_client(registry.get("seven"))({"token": CANARY}, emu.base_url, timeout=5)
    assert isinstance(made, StatusReader)
    return made


def status_requests(emu: Emu) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(r["query"])) if isinstance(r["query"], str) else r["query"]
        for r in emu.requests()
        if r["path"] == "/api/status"
    ]


def test_one_request_for_a_list_of_ids_known_and_unknown(emu: Emu, profile: str) -> None:
    sent = document(send("--to", "+46700000001", "--to", "+46700000002", "Hi"))
    ids = [r["id"] for r in sent["results"]]
    reports = client(emu).status_of([StatusQuery(i) for i in [*ids, "77000000000"]])
    (asked,) = status_requests(emu)
    assert asked["msg_id"] == ",".join([*ids, "77000000000"])
    by_id = {r.id: r for r in reports}
    assert [by_id[i].status for i in ids] == ["queued", "queued"]  # no report yet (§1.1)
    assert not_found(by_id["77000000000"])  # left out of the answer: the gateway lacks it


def test_none_known_is_the_bare_901_and_reads_as_not_found(emu: Emu, profile: str) -> None:
    (report,) = client(emu).status_of([StatusQuery("77000000001")])
    assert not_found(report)


def test_ids_asked_once_and_in_requests_of_100(emu: Emu, profile: str) -> None:
    sent = document(send("--to", "+46700000001", "Hi"))
    known = sent["results"][0]["id"]
    queries = [StatusQuery(known)] * 3 + [StatusQuery(str(88000000000 + i)) for i in range(150)]
    reports = client(emu).status_of(queries)
    assert len(reports) == 151
    assert [len(r["msg_id"].split(",")) for r in status_requests(emu)] == [100, 51]


def test_an_answer_about_other_ids_changes_only_what_was_asked(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """A hostile or confused gateway answers for a message of another send and adds junk:
    only the job's own ids are recorded."""
    other = document(send("--to", "+46700000009", "Other"))["results"][0]
    path = write_csv(tmp_path / "c.csv", [["phone"], ["+46700000001"], ["+46700000002"]])
    assert bulk(str(path), "--message", "Sale", "--yes").exit_code == 0
    job_ids = [m["id"] for m in emu.messages()][1:]
    answer = [
        {"id": other["id"], "status": "DELIVERED", "status_time": "2026-01-01 10:00:00.000"},
        {"id": job_ids[0], "status": "NOTDELIVERED", "status_time": "2026-01-01 10:00:00.000"},
        "junk",
        {"status": "DELIVERED"},
    ]
    emu.set(replay=[json.dumps(answer)])
    result = bulk("show", "last", "--json")
    assert result.exit_code == 7, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert (counts["failed"], counts["accepted"], counts["delivered"]) == (1, 1, 0)
    logged = {m["id"]: m["status"] for m in json.loads(run(["log", "--json"]).stdout)["messages"]}
    assert logged[other["id"]] == "queued"  # not asked about: not changed
