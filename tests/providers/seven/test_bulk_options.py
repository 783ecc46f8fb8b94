"""seven.io's send options in `smsctl bulk`, over loopback: each reaches the wire on every request
of a job, per-row times and labels split batches, and a resume sends with the options the job
was started with (PROVIDERS.md §2.3: delay, ttl, label, flash, performance_tracking, no_reload,
unicode, utf8, files[])."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_bulk import bulk, numbers, write_csv


@pytest.fixture
def provider() -> str:
    return "seven"


def forms(emu: Emu) -> list[dict[str, str]]:
    return [dict(parse_qsl(request["body"])) for request in emu.sends()]


def stored_options(job_id: str) -> dict[str, object]:
    from sms_cli.storage.jobs import Journal
    from sms_cli.storage.messages import History

    history = History()
    try:
        job = Journal(history).job(job_id)
        assert job is not None and job.options is not None
        options: dict[str, object] = json.loads(job.options)
        return options
    finally:
        history.close()


def test_every_job_option_reaches_every_request(
    emu: Emu, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = tmp_path / "menu.pdf"
    attachment.write_bytes(b"%PDF-1.4 menu")
    monkeypatch.setenv("FILE_PASSWORD", "file-secret-123")
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(5))])
    result = bulk(
        str(path), "--message", "See the menu", "--yes", "--json", "--batch-size", "2",
        "--flash", "--at", "2099-01-01T12:00:00+00:00", "--ttl", "90", "--label", "spring.sale",
        "--performance-tracking", "--no-reload", "--unicode", "--utf8",
        "--attach", str(attachment), "--attach-validity", "3",
        "--attach-password-env", "FILE_PASSWORD",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "file-secret-123" not in result.stdout + result.stderr
    sent = forms(emu)
    assert len(sent) == 3  # 2 + 2 + 1 recipients
    references = set()
    for fields in sent:
        assert fields["flash"] == fields["performance_tracking"] == "1"
        assert fields["no_reload"] == fields["unicode"] == fields["utf8"] == "1"
        assert fields["delay"] == "4070952000"
        assert (fields["ttl"], fields["label"]) == ("90", "spring.sale")
        assert fields["text"] == "See the menu [[menu.pdf]]"
        assert fields["files[0][name]"] == "menu.pdf"
        assert base64.b64decode(fields["files[0][contents]"]) == b"%PDF-1.4 menu"
        assert (fields["files[0][validity]"], fields["files[0][password]"]) == (
            "3",
            "file-secret-123",
        )
        assert "debug" not in fields
        references.add(fields["foreign_id"])
    assert len(references) == 3  # the engine's own reference, one per request
    # The job keeps its options, never the password: only the variable's name.
    options = stored_options(json.loads(result.stdout)["job_id"])
    assert "file-secret-123" not in json.dumps(options)
    assert options["attach_password_env"] == "FILE_PASSWORD"
    assert options["label"] == "spring.sale" and options["ttl"] == 90


def test_relative_at_in_send_and_bulk(emu: Emu, profile: str, tmp_path: Path) -> None:
    from tests.integration.test_send_contract import send

    before = datetime.now(UTC)
    assert send("--to", numbers(1)[0], "--at", "+2h", "Later").exit_code == 0
    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1, 5)[0]]])
    result = bulk(str(path), "--message", "Later too", "--yes", "--at", "+1h30m")
    assert result.exit_code == 0, result.stderr
    after = datetime.now(UTC)
    single, job = (int(fields["delay"]) for fields in forms(emu))
    hours = timedelta(hours=2).total_seconds()
    assert before.timestamp() + hours - 1 <= single <= after.timestamp() + hours
    ninety = timedelta(minutes=90).total_seconds()
    assert before.timestamp() + ninety - 1 <= job <= after.timestamp() + ninety


def test_per_row_labels_and_times_split_batches(emu: Emu, profile: str, tmp_path: Path) -> None:
    at = "2099-01-01T12:00:00+00:00"
    rows = [
        ["phone", "when", "tag"],
        [numbers(1, 0)[0], "", ""],  # the job's --at and --label
        [numbers(1, 1)[0], "", "vip"],
        [numbers(1, 2)[0], at, "vip"],
        [numbers(1, 3)[0], "", "vip"],
        [numbers(1, 4)[0], at, ""],
        [numbers(1, 5)[0], "", ""],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    result = bulk(
        str(path), "--message", "Same text", "--yes", "--json",
        "--at-column", "when", "--label-column", "tag", "--label", "all", "--at", "2098-06-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    job_at = str(int(datetime.fromisoformat("2098-06-01").astimezone(UTC).timestamp()))
    groups = sorted(
        (fields["delay"], fields["label"], fields["to"]) for fields in forms(emu)
    )  # one request per (time, label), identical text shared
    n = [number.removeprefix("+") for number in numbers(6)]
    assert groups == sorted(
        [
            (job_at, "all", f"{n[0]},{n[5]}"),
            (job_at, "vip", f"{n[1]},{n[3]}"),
            ("4070952000", "vip", n[2]),
            ("4070952000", "all", n[4]),
        ]
    )


def test_resume_sends_with_the_options_the_job_was_started_with(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    from sms_cli.storage.messages import History

    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    emu.set(balance=0)  # the account is refused (code 500): nothing sent, the job pauses
    first = bulk(str(path), "--message", "Hi", "--yes", "--json", "--at", "+2h", "--label", "q1")
    assert first.exit_code == 7, first.stderr
    job_id = json.loads(first.stdout)["job_id"]
    options = stored_options(job_id)
    # An hour passes: the job's time stays what it was fixed to at the start (here moved, in
    # the journal, to tell it apart from a time computed again at the resume).
    fixed = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    options["at"] = fixed.isoformat()
    history = History()
    try:
        history.connection.execute(
            "UPDATE jobs SET options = ? WHERE job_id = ?", (json.dumps(options), job_id)
        )
        history.connection.commit()
    finally:
        history.close()
    refused = len(emu.sends())
    emu.set(balance=100)
    resumed = bulk("resume", job_id, "--yes", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    (fields,) = forms(emu)[refused:]
    assert fields["delay"] == str(int(fixed.timestamp()))
    assert fields["label"] == "q1"
    # New options are not taken by a resume: refused before anything is sent.
    again = bulk(str(path), "--resume", job_id, "--label", "other", "--yes")
    assert again.exit_code == 2
    assert "send options it was started with" in again.stderr


def test_a_passed_job_time_goes_out_now_and_says_so(emu: Emu, profile: str, tmp_path: Path) -> None:
    from sms_cli.storage.messages import History

    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    emu.set(balance=0)
    first = bulk(str(path), "--message", "Hi", "--yes", "--json", "--at", "+1h")
    assert first.exit_code == 7, first.stderr
    job_id = json.loads(first.stdout)["job_id"]
    options = stored_options(job_id)
    options["at"] = "2020-01-01T00:00:00+00:00"
    history = History()
    try:
        history.connection.execute(
            "UPDATE jobs SET options = ? WHERE job_id = ?", (json.dumps(options), job_id)
        )
        history.connection.commit()
    finally:
        history.close()
    refused = len(emu.sends())
    emu.set(balance=100)
    resumed = bulk("resume", job_id, "--yes")
    assert resumed.exit_code == 0, resumed.stderr
    assert "has passed" in resumed.stderr
    (fields,) = forms(emu)[refused:]
    assert "delay" not in fields


def test_resume_refuses_a_changed_attachment_or_a_missing_password(
    emu: Emu, profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attachment = tmp_path / "menu.pdf"
    attachment.write_bytes(b"menu v1")
    monkeypatch.setenv("FILE_PASSWORD", "file-secret-123")
    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    emu.set(balance=0)
    first = bulk(
        str(path), "--message", "Menu", "--yes", "--json",
        "--attach", str(attachment), "--attach-password-env", "FILE_PASSWORD",
    )  # fmt: skip
    assert first.exit_code == 7, first.stderr
    job_id = json.loads(first.stdout)["job_id"]
    emu.set(balance=100)
    refused = len(emu.sends())

    monkeypatch.delenv("FILE_PASSWORD")
    unset = bulk("resume", job_id, "--yes")
    assert unset.exit_code == 2
    assert "$FILE_PASSWORD is not set" in unset.stderr
    monkeypatch.setenv("FILE_PASSWORD", "file-secret-123")

    attachment.write_bytes(b"menu v2")
    changed = bulk("resume", job_id, "--yes")
    assert changed.exit_code == 2
    assert "changed since the job started" in changed.stderr
    assert len(emu.sends()) == refused  # nothing sent

    attachment.write_bytes(b"menu v1")
    resumed = bulk("resume", job_id, "--yes")
    assert resumed.exit_code == 0, resumed.stderr
    (fields,) = forms(emu)[refused:]
    assert base64.b64decode(fields["files[0][contents]"]) == b"menu v1"
    assert fields["files[0][password]"] == "file-secret-123"


def test_test_mode_reaches_every_request(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", [["phone", "n"], *([x, str(i)] for i, x in enumerate(numbers(2)))]
    )
    result = bulk(str(path), "--message", "Code {n}", "--yes", "--test")
    assert result.exit_code == 0, result.stderr
    assert [fields.get("debug") for fields in forms(emu)] == ["1", "1"]


def test_udh_rows_are_hex_and_counted_in_octets(emu: Emu, profile: str, tmp_path: Path) -> None:
    udh = "050003CC0201"
    rows = [["phone", "data"], [numbers(1)[0], "48656C6C6F"], [numbers(1, 1)[0], "Hello"]]
    path = write_csv(tmp_path / "r.csv", rows)
    dry = bulk(str(path), "--message", "{data}", "--udh", udh, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    first, second, _ = (json.loads(line) for line in dry.stdout.splitlines())
    assert (first["encoding"], first["segment_count"], first["error"]) == ("binary", 1, None)
    assert second["error"].startswith("not hex")
    sent = bulk(str(path), "--message", "{data}", "--udh", udh, "--yes")
    assert sent.exit_code == 3, sent.stderr  # the one hex row sent, the other an error row
    (fields,) = forms(emu)
    assert (fields["udh"], fields["text"]) == (udh, "48656C6C6F")


@pytest.mark.parametrize(
    "stored",
    ["{not json", '{"attachments": [1]}', '{"at": "noon"}', "[1, 2]", '{"ttl": 5, "x": 1}'],
)
def test_unreadable_stored_options_send_nothing(
    emu: Emu, profile: str, tmp_path: Path, stored: str
) -> None:
    from sms_cli.storage.messages import History

    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    emu.set(balance=0)
    first = bulk(str(path), "--message", "Hi", "--yes", "--json", "--label", "x")
    assert first.exit_code == 7, first.stderr
    job_id = json.loads(first.stdout)["job_id"]
    history = History()
    try:
        history.connection.execute("UPDATE jobs SET options = ? WHERE job_id = ?", (stored, job_id))
        history.connection.commit()
    finally:
        history.close()
    refused = len(emu.sends())
    emu.set(balance=100)
    resumed = bulk("resume", job_id, "--yes")
    if stored.endswith('"x": 1}'):  # a key of a newer smsctl is kept, not a reason to stop
        assert resumed.exit_code == 0, resumed.stderr
        assert dict(parse_qsl(emu.sends()[-1]["body"]))["ttl"] == "5"
        return
    assert resumed.exit_code == 2, resumed.stderr
    assert "send options are unreadable" in resumed.stderr
    assert len(emu.sends()) == refused
