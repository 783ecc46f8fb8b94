"""Hostile CSVs and arguments for `smsctl bulk`: stray quotes, bad bytes, unwritable reports.

Nothing is ever merged silently, nothing is sent from a file that cannot be read, and no input
ends in exit 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.adversarial.bulk_emulator import *  # noqa: F403  (the emu and profile fixtures)
from tests.integration.conftest import CANARY, Emu, run
from tests.integration.test_bulk import bulk, job_ids, numbers, received, summary, write_csv


def test_a_stray_quote_to_the_end_of_the_file_is_one_error_row(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    first, second, *rest = numbers(10)
    lines = ["phone,name", f"{first},Anna", f'{second},"Bo'] + [f"{n},N{i}" for i, n in
                                                               enumerate(rest)]  # fmt: skip
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    dry = bulk(str(path), "--message", "Hi {name}", "--dry-run", "--json")
    verdicts = [json.loads(line) for line in dry.stdout.splitlines()]
    assert verdicts[1]["line"] == 3
    assert verdicts[1]["error"] == (
        "malformed CSV: a quoted field runs from line 3 to the end of the file (line 11); "
        "unbalanced quote?"
    )
    sent = bulk(str(path), "--message", "Hi {name}", "--yes", "--json")
    assert sent.exit_code == 3  # not 0: rows were refused
    assert "line 3: malformed CSV: a quoted field runs from line 3" in sent.stderr
    assert received(emu) == Counter([first])


def test_a_stray_quote_that_closes_later_leaks_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    """The worst case: the swallowed lines close the quote and the row has the right number
    of fields. The first recipient would get the others' numbers and names."""
    a, b, c, d = numbers(4)
    path = tmp_path / "r.csv"
    path.write_text(f'phone,name\n{a},"Anna\n{b},Bo\n{c},Cia"\n{d},Dan\n')
    sent = bulk(str(path), "--message", "Hi {name}", "--yes", "--json")
    assert sent.exit_code == 3
    assert "line 2: malformed CSV: a quoted field runs from line 2 to line 4" in sent.stderr
    assert received(emu) == Counter([d])
    texts = json.dumps([r["body"] for r in emu.sends()])
    assert b[1:] not in texts and "Bo" not in texts
    assert summary(sent)["rows"] == {"accepted": 1, "invalid": 1}


def test_a_stray_quote_closed_mid_line_is_reported_with_its_extent(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    a, b, c, d = numbers(4)
    path = tmp_path / "r.csv"
    path.write_text(f'phone,name\n{a},"Anna\n{b},Bo\n"{c},Cia\n{d},Dan\n')
    dry = bulk(str(path), "--message", "Hi {name}", "--dry-run", "--json")
    verdicts = {v.get("line"): v for v in map(json.loads, dry.stdout.splitlines())}
    assert verdicts[2]["error"].startswith(
        "malformed CSV: a quoted field runs from line 2 to line 4"
    )
    assert verdicts[5]["error"] is None and verdicts[5]["recipient"] == d


@pytest.mark.parametrize(("line", "rows"), [(1, 3), (3, 3), (7002, 8000)])
def test_invalid_utf8_is_exit_2_naming_the_line_and_sends_nothing(
    emu: Emu, profile: str, tmp_path: Path, line: int, rows: int
) -> None:
    data = ["phone,name"] + [f"{n},N{i}" for i, n in enumerate(numbers(rows))]
    encoded = [text.encode() for text in data]
    encoded[line - 1] += b"\xff"  # past the first chunk of 5,000 rows, in the last case
    path = tmp_path / "r.csv"
    path.write_bytes(b"\n".join(encoded) + b"\n")
    for extra in (["--dry-run"], ["--yes"]):
        result = bulk(str(path), "--message", "Hi {name}", *extra)
        assert result.exit_code == 2, result.stderr
        assert f"r.csv, line {line}: not valid UTF-8 (byte 0xff" in result.stderr
    assert emu.requests() == []
    assert job_ids() == []  # no half-prepared job is left behind


def test_invalid_utf8_in_message_from_argv_is_exit_2(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    process = subprocess.run(
        [sys.executable, "-m", "sms_cli", "bulk", str(path), "--message", b"Hi \xff", "--yes"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    stderr = process.stderr.decode(errors="replace")
    assert process.returncode == 2, stderr
    assert "--message is not valid UTF-8" in stderr and "Traceback" not in stderr
    assert emu.requests() == []


def test_a_file_name_that_is_not_utf8_works(emu: Emu, profile: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone"], [numbers(1)[0]]])
    odd = Path(bytes(tmp_path / "kund\xe4").decode("utf-8", "surrogateescape") + ".csv")
    path.rename(odd)
    result = bulk(str(odd), "--message", "Hi", "--yes")
    assert result.exit_code == 0, result.stderr
    assert received(emu) == Counter(numbers(1))


def test_an_unwritable_report_is_refused_before_sending(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    for report in (tmp_path / "missing" / "out.csv", tmp_path):
        result = bulk(str(path), "--message", "Hi", "--yes", "--report", str(report))
        assert result.exit_code == 2
        assert "cannot write the report" in result.stderr and "nothing was sent" in result.stderr
    assert emu.requests() == []
    fine = tmp_path / "out.csv"
    result = bulk(str(path), "--message", "Hi", "--dry-run", "--report", str(fine))
    assert result.exit_code == 0 and not fine.exists()  # checking leaves nothing behind


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_report_that_fails_at_the_end_still_prints_the_summary(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    result = bulk(str(path), "--message", "Hi", "--yes", "--json", "--report", "/dev/full")
    assert result.exit_code == 0  # everything was sent and accepted
    assert summary(result)["rows"] == {"accepted": 3}
    assert "cannot write the report /dev/full" in result.stderr
    assert CANARY not in result.stderr


def test_a_resume_with_an_unwritable_report_sends_nothing(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", [["phone"], *([n] for n in numbers(3))])
    assert bulk(str(path), "--message", "Hi").exit_code == 2  # saved, not sent
    (job,) = job_ids()
    result = bulk("--resume", job, "--yes", "--report", str(tmp_path / "no" / "r.csv"))
    assert result.exit_code == 2 and "cannot write the report" in result.stderr
    assert emu.requests() == []
    assert json.loads(run(["bulk", "jobs", "--json"]).stdout)["jobs"][0]["pending"] == 3
