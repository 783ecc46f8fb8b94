"""Bulk input: reading CSVs as streams and the pre-flight verdict on every row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from sms_cli.errors import InputError
from sms_cli.services.bulk.input import (
    CHUNK_ROWS,
    RowRules,
    Source,
    Totals,
    find_recipient_column,
    open_table,
    preflight,
)


def table_of(text: str):  # type: ignore[no-untyped-def]
    return open_table(io.StringIO(text, newline=""), "test.csv")


def check_all(text: str, message: str | None = "Hi {name}", **extra: object) -> list:  # type: ignore[type-arg]
    table = table_of(text)
    column = find_recipient_column(table.header, None)
    source = Source.from_options(table.header, message, None)
    rules = RowRules(
        recipient_index=table.columns[column],
        columns=table.header,
        template=source.template,
        region=extra.pop("region", None),  # type: ignore[arg-type]
        max_chars=int(extra.pop("max_chars", 1520)),  # type: ignore[call-overload]
    )
    return list(preflight(table, rules, **extra))  # type: ignore[arg-type]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_detected(delimiter: str) -> None:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows([["phone", "name", "note"], ["+46701234567", "Anna", "a, b;\tc"]])
    table = table_of(buffer.getvalue())
    assert table.delimiter == delimiter
    assert table.header == ("phone", "name", "note")
    assert list(table.rows) == [(2, ["+46701234567", "Anna", "a, b;\tc"])]


def test_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffPhone;Name\n+46701234567;Åsa\n".encode())
    with path.open(encoding="utf-8-sig", newline="") as stream:
        table = open_table(stream, str(path))
        assert table.header == ("Phone", "Name")
        assert list(table.rows) == [(2, ["+46701234567", "Åsa"])]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["Name", "Phone Number"], "Phone Number"),
        (["mobile", "name"], "mobile"),
        (["id", "MSISDN"], "MSISDN"),
        (["to", "number"], "number"),
        (["recipient"], "recipient"),
    ],
)
def test_recipient_column_is_found_by_name(header: list[str], expected: str) -> None:
    assert find_recipient_column(header, None) == expected


def test_no_recipient_column() -> None:
    with pytest.raises(InputError, match="no recipient column"):
        find_recipient_column(["name", "city"], None)
    with pytest.raises(InputError, match="no column named 'cell'"):
        find_recipient_column(["name", "phone"], "cell")


def test_message_column_is_the_default_text() -> None:
    rows = check_all("phone,message\n+46701234567,Hello there\n", message=None)
    assert rows[0].text == "Hello there"


def test_template_naming_a_missing_column_fails_the_whole_job() -> None:
    with pytest.raises(InputError, match=r"\{code\}.*no column"):
        check_all("phone,name\n+46701234567,Anna\n", message="Hi {name}, code {code}")


def test_row_verdicts_by_line() -> None:
    text = (
        "phone,name\n"
        "+46701234567,Anna\n"  # 2: fine
        "12345,Bo\n"  # 3: invalid number
        "+46731234567,\n"  # 4: empty field
        "0046701234567,Cecilia\n"  # 5: duplicate of line 2
        '+46761234567,"Dan\nDanielsson"\n'  # 6-7: a quoted line break: an error row
        "+46791234567,Eva,extra\n"  # 8: too many fields
        "+46721234567,Åke\n"  # 9: fine, UCS-2? no: Å is GSM
    )
    rows = check_all(text)
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 8, 9]
    assert rows[0].sendable and rows[0].text == "Hi Anna" and rows[0].encoding == "gsm7"
    assert rows[1].error.startswith("invalid number: '12345'")
    assert rows[2].error == "missing field: {name} is empty"
    assert (rows[3].duplicate_of, rows[3].sendable) == (2, False)
    assert rows[4].error == (
        "malformed CSV: a quoted field runs from line 6 to line 7; unbalanced quote?"
    )
    assert rows[5].error == "malformed CSV: 3 fields where the header has 2"
    assert rows[6].sendable
    totals = Totals()
    for row in rows:
        totals.add(row)
    assert (totals.rows, totals.messages, totals.duplicates) == (7, 2, 1)
    assert totals.errors == {"invalid number": 1, "missing field": 1, "malformed CSV": 2}


def test_duplicates_can_be_allowed() -> None:
    rows = check_all("phone,name\n+46701234567,A\n+46701234567,B\n", allow_duplicates=True)
    assert all(r.sendable for r in rows)


def test_national_numbers_use_the_region() -> None:
    rows = check_all("phone,name\n070-123 45 67,A\n", region="SE")
    assert rows[0].recipient == "+46701234567"


def test_over_long_and_huge_fields_are_row_errors() -> None:
    huge = "x" * 70_000
    text = f"phone,name\n+46701234567,{'y' * 30}\n+46731234567,{huge}\n+46761234567,ok\n"
    rows = check_all(text, max_chars=20)
    assert rows[0].error.startswith("too long: 33 characters")
    assert rows[1].error == "malformed CSV: a field longer than 64 KiB"
    assert rows[2].sendable


def test_segments_are_counted_per_encoding() -> None:
    rows = check_all("phone,name\n+46701234567,Anna\n+46731234567,Жора\n")
    totals = Totals()
    for row in rows:
        totals.add(row)
    assert (totals.messages_gsm, totals.messages_ucs2) == (1, 1)
    assert (totals.segments_gsm, totals.segments_ucs2) == (1, 1)


def test_worker_processes_give_the_same_verdicts_in_the_same_order() -> None:
    lines = ["phone,name"]
    for i in range(CHUNK_ROWS * 3 + 17):
        lines.append(f"+4670{i % 9000000:07d},N{i}" if i % 11 else f"bad{i},N{i}")
    text = "\n".join(lines) + "\n"
    serial = check_all(text, workers=1)
    parallel = check_all(text, workers=2)
    assert parallel == serial
    assert len(serial) == CHUNK_ROWS * 3 + 17


def test_empty_file() -> None:
    with pytest.raises(InputError, match="is empty"):
        table_of("")
