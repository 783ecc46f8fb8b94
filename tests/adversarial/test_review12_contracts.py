"""Send answers that contradict themselves, from the adversarial review of issue 12.

The principle under test: an answer that gives a message a provider id or an accepted state never
becomes "rejected" or "not sent"; a contradictory answer makes the message `unknown` (exit 8),
keeping every id it gave, so `status` can settle it. A small HTTP server in this file answers a
real `smsctl send` / `status` over loopback with the literal bodies each test gives (a function of
the request where the answer must echo smsctl's own keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.storage.messages import History
from tests.adversarial.loopback import LoopbackServer, Reply, encoded, fields_of

TOKEN = "CANARY-9d1e-4c6b-a7f2-31b8e05c"
A, B = "+4917612345678", "+4917612345679"
Body = dict[str, Any] | list[Any] | str
Answer = Body | Callable[[dict[str, Any]], Body]


class Gateway(LoopbackServer):
    """Answers request i with `answers[i]` (the last repeats): a body, or a function of the
    request's JSON body (Connectel) or form fields (seven.io). Records every request."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [{}]
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        super().__init__()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        fields = fields_of(headers, raw)
        self.requests.append((method, path, fields))
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        kind, data = encoded(answer(fields) if callable(answer) else answer)
        return 200, kind, data

    def answer(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    running = Gateway()
    yield running
    running.close()


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input, prog_name="smsctl")
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "bug in smsctl" not in text, text
    pieces = {TOKEN[i : i + 6] for i in range(len(TOKEN) - 5)}
    assert [p for p in pieces if p in text] == [], text
    return result


@pytest.fixture
def seven(gateway: Gateway) -> Gateway:
    add_profile("seven", f"{gateway.url}/api")
    return gateway


@pytest.fixture
def connectel(gateway: Gateway) -> Gateway:
    add_profile("connectel", gateway.url)
    return gateway


def add_profile(provider: str, base_url: str) -> None:
    result = run(
        "profile", "add", provider, "--provider", provider, "--base-url", base_url,
        "--sender", "Acme", "--token-stdin", input=TOKEN,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def send(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    result = run("send", "--timeout", "5", "--json", *args)
    results = json.loads(result.stdout)["results"] if result.stdout.strip() else []
    return result.exit_code, results, result.stderr


def rows() -> list[dict[str, Any]]:
    history = History()
    try:
        return [
            dict(r) for r in history.connection.execute("SELECT * FROM messages ORDER BY rowid")
        ]
    finally:
        history.close()


def message(recipient: str, **fields: Any) -> dict[str, Any]:
    """A seven.io `messages[]` entry as the JSON answer documents it (§2.5.1)."""
    entry = {
        "id": "77001",
        "sender": "Acme",
        "recipient": recipient,
        "text": "hello",
        "encoding": "gsm",
        "label": None,
        "parts": 1,
        "price": 0.075,
        "success": True,
        "error": None,
        "error_text": None,
    }
    entry.update(fields)
    return entry


def answer(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    document = {
        "success": "100",
        "total_price": 0.075,
        "balance": 41.2,
        "debug": "false",
        "sms_type": "direct",
        "messages": list(messages),
    }
    document.update(fields)
    return document


# -- seven.io: one entry per recipient, never one entry for two --------------------------------


def test_seven_an_entry_matched_by_number_is_never_taken_by_position(seven: Gateway) -> None:
    """Finding 1: B's refusal came first and A's success echoed `0049…`. Matching A by position
    took B's refusal, so the message sent to A was recorded rejected (a double send waiting)."""
    seven.answer(
        answer(
            message(B[1:], id=None, success=False, price=0, error=202, error_text="invalid"),
            message("00" + A[1:], id="77002"),
        )
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert [(r["recipient"], r["status"], r["id"]) for r in results] == [
        (A, "queued", "77002"),
        (B, "rejected", None),
    ]
    assert code == 3
    assert [(r["status"], r["provider_id"]) for r in rows()] == [
        ("queued", "77002"),
        ("rejected", None),
    ]


def test_seven_a_recipient_without_its_own_entry_is_unknown(seven: Gateway) -> None:
    """Position decides only for an entry that echoes no number: an entry naming a third number
    belongs to nobody, and A, with no entry of its own, may or may not have been sent."""
    seven.answer(
        answer(
            message(B[1:], id=None, success=False, error=202),
            message("4915550001234", id="77003"),
        )
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert [(r["status"], r["id"]) for r in results] == [("unknown", None), ("rejected", None)]
    assert code == 8
    # In request order, an entry without a number is its position's; out of order, nobody's.
    refusal = message(B[1:], id=None, success=False, error=202)
    seven.answer(answer(message("", id="9"), refusal))
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert [(r["status"], r["id"]) for r in results] == [("queued", "9"), ("rejected", None)]
    seven.answer(answer(refusal, message("", id="9")))
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert [(r["status"], r["id"]) for r in results] == [("unknown", None), ("rejected", None)]


@pytest.mark.parametrize(
    ("success", "status", "code"),
    [
        ("100", "queued", 0),
        ("True", "queued", 0),
        (100, "queued", 0),
        ("missing", "unknown", 8),
        (False, "unknown", 8),
        ("false", "unknown", 8),
        ("maybe", "unknown", 8),
    ],
)
def test_seven_an_entry_with_an_id_is_never_rejected(
    seven: Gateway, success: Any, status: str, code: int
) -> None:
    """Finding 2: an entry with an id and a price is a message the gateway took; a `success`
    that is not a clear yes makes it unknown, keeping the id, never rejected."""
    entry = message(A[1:], id="77001", success=success)
    if success == "missing":
        del entry["success"]
    seven.answer(answer(entry))
    exit_code, (result,), _ = send("--to", A, "hello")
    assert (result["status"], result["id"], exit_code) == (status, "77001", code)
    (row,) = rows()
    assert (row["status"], row["provider_id"]) == (status, "77001")


def test_seven_an_entry_without_an_id_is_rejected_only_when_it_says_so(seven: Gateway) -> None:
    seven.answer(answer(message(A[1:], id=None, success=False, error="202")))
    code, (result,), _ = send("--to", A, "hello")
    assert (code, result["status"], result["error"]) == (7, "rejected", "invalid recipient number")
    bare = message(A[1:], id=None)
    del bare["success"]
    seven.answer(answer(bare))
    code, (result,), _ = send("--to", A, "hello")
    assert (code, result["status"]) == (8, "unknown")


# -- seven.io: a debug answer to a real send --------------------------------------------------

DEBUG_JSON = answer(message(A[1:], id=None, price=0), debug="true", total_price=0, balance=14.693)
DEBUG_TEXT = "100\nVerbucht: 0\nPreis: 0.089\nGuthaben: 27.38\nText: hi\nDebug: true"


@pytest.mark.parametrize("debug_answer", [DEBUG_JSON, DEBUG_TEXT], ids=["json", "text"])
def test_seven_a_debug_answer_without_test_means_nothing_was_sent(
    seven: Gateway, debug_answer: Body
) -> None:
    """Finding 3: the seed's own JSON answer (`"debug": "true"`) to a send without --test was
    recorded queued, exit 0: a message that never went out, lost without a word."""
    seven.answer(debug_answer)
    result = run("send", "--timeout", "5", "--to", A, "hello")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "debug mode: nothing was sent" in result.stderr
    assert "test mode" in result.stderr  # the hint: base URL or account in test mode
    assert [r["status"] for r in rows()] == ["not_sent"]
    seven.answer(debug_answer)
    code, (item,), _ = send("--test", "--to", A, "hello")  # asked for: what --test answers
    assert (code, item["status"]) == (0, "queued")


# -- seven.io: small readings (finding 11) ----------------------------------------------------


def test_seven_101_for_one_number_is_that_number_failing(seven: Gateway) -> None:
    seven.answer("101")
    code, (item,), _ = send("--to", A, "hello")
    assert (code, item["status"]) == (7, "rejected")
    seven.answer("101")
    code, items, _ = send("--to", A, "--to", B, "hello")
    assert code == 8 and {i["status"] for i in items} == {"unknown"}  # which one, unknown


def test_seven_json_success_code_without_messages_is_the_code(seven: Gateway) -> None:
    seven.answer({"success": "900"})
    result = run("send", "--timeout", "5", "--to", A, "hello")
    assert result.exit_code == 5, result.stderr
    assert "authentication failed" in result.stderr


@pytest.mark.parametrize("parts", [0, -1, "-1", "x", 1.5])
def test_seven_parts_that_are_no_count_are_null(seven: Gateway, parts: Any) -> None:
    seven.answer(answer(message(A[1:], parts=parts)))
    code, (item,), _ = send("--to", A, "hello")
    assert (code, item["parts"]) == (0, None)


# -- Connectel bulk answers (findings 6, 7, 8) ------------------------------------------------


def keys(body: dict[str, Any]) -> list[str]:
    return [next(iter(item)) for item in body["recipient"]]


def test_connectel_a_whole_bulk_refused_is_rejected(connectel: Gateway) -> None:
    """Finding 7: REJECTD for the whole request, with no bulk id and no list: nothing was sent
    (exit 7), not "may have been sent" (exit 8)."""
    connectel.answer({"statusInt": 2, "statusStr": "REJECTD", "statusDesc": "invalid sender"})
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert code == 7
    assert [(r["status"], r["provider_text"]) for r in results] == [
        ("rejected", "invalid sender"),
        ("rejected", "invalid sender"),
    ]


def test_connectel_items_without_a_state_share_the_requests_refusal(connectel: Gateway) -> None:
    """Only when the answer names no job: with a bulk id, see test_review12_round2 (finding 5)."""
    connectel.answer(
        lambda body: {
            "statusInt": 2,
            "statusStr": "REJECTD",
            "recipient": [{"key": key} for key in keys(body)],
        }
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert code == 7
    assert [(r["status"], r["bulk_id"]) for r in results] == [("rejected", None)] * 2


def test_connectel_an_item_with_an_id_under_a_refused_request_is_unknown(
    connectel: Gateway,
) -> None:
    """An id says a message exists: the answer contradicts itself, so unknown, keeping the id."""
    connectel.answer(
        lambda body: {
            "bulkid": "B1",
            "statusStr": "REJECTD",
            "recipient": [{"key": keys(body)[0], "requestid": "R0"}, {"key": keys(body)[1]}],
        }
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert code == 8
    # The bulk id names a job: B, without a state of its own, is unknown too (round 2, 5).
    assert [(r["status"], r["id"]) for r in results] == [("unknown", "R0"), ("unknown", None)]


def test_connectel_a_bulk_answer_without_bulk_id_keeps_each_request_id(
    connectel: Gateway,
) -> None:
    """Finding 8: per-item request ids and no bulk id were all dropped (unknown, no id)."""
    connectel.answer(
        lambda body: {
            "statusInt": 0,
            "statusStr": "QUEUED",
            "recipient": [{"key": key, "requestid": f"R{i}"} for i, key in enumerate(keys(body))],
        }
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert code == 0
    assert [(r["status"], r["id"], r["bulk_id"]) for r in results] == [
        ("queued", "R0", None),
        ("queued", "R1", None),
    ]
    assert [r["provider_id"] for r in rows()] == ["R0", "R1"]


def test_connectel_conflicting_items_for_one_key_are_unknown(connectel: Gateway) -> None:
    """Finding 6: the last item for a key won, so R0's message became rejected."""
    connectel.answer(
        lambda body: {
            "bulkid": "B1",
            "statusStr": "QUEUED",
            "recipient": [
                {"key": keys(body)[0], "requestid": "R0"},
                {"key": keys(body)[0], "statusStr": "REJECTD"},
                {"key": keys(body)[1], "requestid": "R1"},
                {"key": keys(body)[1], "requestid": "R1"},  # the same twice: no conflict
            ],
        }
    )
    code, results, _ = send("--to", A, "--to", B, "hello")
    assert code == 8
    assert [(r["status"], r["id"]) for r in results] == [("unknown", "R0"), ("queued", "R1")]
    assert "conflicting" in results[0]["error"]


# -- the word None (finding 9) ----------------------------------------------------------------


def test_an_unknown_state_without_a_reason_never_says_none(connectel: Gateway) -> None:
    connectel.answer({"requestid": "R3", "statusStr": "UNKNOWN", "statusInt": 9})
    result = run("send", "--timeout", "5", "--to", A, "hello")
    assert result.exit_code == 8
    assert "None" not in result.stderr
    assert "did not settle it" in result.stderr


def test_bulk_report_items_without_a_request_id_have_no_id(connectel: Gateway) -> None:
    connectel.answer(
        {
            "action": "send",
            "bulkid": "BX",
            "recipient": [
                {"recipient": A[1:], "statusInt": 1, "statusStr": 1, "statusDesc": ""},
                {"recipient": B[1:], "statusStr": "REJECTD", "statusDesc": "blocked"},
            ],
        }
    )
    result = run("status", "BX", "--json")
    assert "None" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    items = document["messages"] if isinstance(document, dict) else document
    assert [(m["id"], m["status"]) for m in items] == [(None, "delivered"), (None, "rejected")]


# -- status: only a report about this id (finding 10), address-book rows (finding 5) ----------


def test_a_report_about_another_id_does_not_settle_a_message(connectel: Gateway) -> None:
    connectel.answer(
        {"requestid": "R1", "statusStr": "ENROUTE", "statusInt": 0},
        {"requestid": "R-OTHER", "statusStr": "UNDELIV", "statusInt": 5},
    )
    code, _, _ = send("--to", A, "hello")
    assert code == 0
    result = run("status", "--last", "--json")
    assert result.exit_code == 0, result.stderr
    assert [(r["status"], r["provider_id"]) for r in rows()] == [("enroute", "R1")]


def test_an_address_book_message_is_never_settled_by_a_number_search(seven: Gateway) -> None:
    """Finding 5: three messages for `group:Team` and `contact:Bob` cannot be told apart; Bob's
    row is unknown, and `status` searched the journal for `to=` (no number) and said "probably
    not sent", inviting a resend."""
    seven.answer(
        answer(message(A[1:], id="1"), message(B[1:], id="2"), message("4917612345670", id="3")),
        [],  # the journal and status answers: nothing known
    )
    code, results, _ = send("--foreign-id", "ref-1", "--to", "group:Team", "--to", "contact:Bob",
                            "hello")  # fmt: skip
    assert code == 8
    assert [r["status"] for r in results].count("unknown") == 1
    result = run("status", "--last", "--json")
    text = result.stdout + result.stderr
    assert "probably not sent" not in text
    assert "cannot be settled" in text
    searches = [p for p in seven.paths() if "journal" in p and "to=" in p]
    assert searches == [], searches


def test_two_names_and_two_messages_are_not_paired_by_position(seven: Gateway) -> None:
    """Equal counts prove nothing: a group may hold any number of members."""
    seven.answer(answer(message(A[1:], id="1"), message(B[1:], id="2")))
    code, results, _ = send("--to", "group:Team", "--to", "contact:Bob", "hello")
    assert code == 8
    labelled = {r["address_book"] for r in results if r["status"] == "queued"}
    assert labelled == {"group:Team,contact:Bob"}


# -- seven.io: messages for no recipient (finding 4) ------------------------------------------


def test_seven_extra_messages_are_named_and_the_total_is_the_answers(seven: Gateway) -> None:
    """Three messages for two recipients: the third id was dropped without a word, and the total
    price shown was the sum of the two kept, not what the answer charged."""
    seven.answer(
        answer(
            message(A[1:], id="1"),
            message(B[1:], id="2"),
            message(B[1:], id="3"),
            total_price=0.225,
        )
    )
    result = run("send", "--timeout", "5", "--json", "--to", A, "--to", B, "hello")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [r["id"] for r in document["results"]] == ["1", "2"]
    assert document["total_price"] == 0.225
    assert "1 message(s) for no recipient of this send (ids 3)" in result.stderr


def test_bulk_names_extra_messages_an_answer_lists(seven: Gateway, tmp_path: Any) -> None:
    """The same answer through `bulk`: its third message, for no row, is named on stderr (the
    summary's charge counts only what the rows recorded, so the warning is the only trace)."""
    seven.answer(
        answer(
            message(A[1:], id="1"),
            message(B[1:], id="2"),
            message(B[1:], id="3"),
            total_price=0.225,
        )
    )
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(f"phone,message\n{A},hello\n{B},hello\n", encoding="utf-8")
    result = run("bulk", str(campaign), "--yes", "--timeout", "5")
    assert result.exit_code == 0, result.stderr
    assert [p for p in seven.paths() if "sms" in p] == ["/api/sms"]  # one request, both rows
    assert "1 message(s) for no recipient of this send (ids 3)" in result.stderr
