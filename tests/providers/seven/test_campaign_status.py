"""seven.io: a campaign's reports asked for in batches (`GET /status?msg_id=a,b,c`, §2.7.1)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from sms_cli.providers import registry
from sms_cli.providers.base import StatusQuery, StatusReader, not_found
from tests.integration.conftest import CANARY, Emu
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
