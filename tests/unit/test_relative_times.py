"""`--at +2h`: relative send times (core/times.py), computed from an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_cli.core.times import future_send_time, parse_send_time, relative_delay
from sms_cli.errors import InputError

NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "delay"),
    [
        ("+2h", timedelta(hours=2)),
        ("+30m", timedelta(minutes=30)),
        ("+1d", timedelta(days=1)),
        ("+90s", timedelta(seconds=90)),
        ("+1h30m", timedelta(hours=1, minutes=30)),
        ("+1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        (" +2h ", timedelta(hours=2)),
    ],
)
def test_relative_times_count_from_the_clock_given(value: str, delay: timedelta) -> None:
    assert parse_send_time(value, now=NOW) == NOW + delay
    assert future_send_time(value, now=NOW) == NOW + delay


@pytest.mark.parametrize(
    "value", ["+", "+h", "+2", "+2x", "+30m1h", "+2h2h", "+-2h", "+2 h", "+2H", "++2h", "+1.5h"]
)
def test_what_is_not_a_relative_time_is_refused(value: str) -> None:
    with pytest.raises(InputError, match="is not a time"):
        parse_send_time(value, now=NOW)


@pytest.mark.parametrize("value", ["+0s", "+0h0m"])
def test_now_is_in_the_past(value: str) -> None:
    with pytest.raises(InputError, match="is in the past"):
        future_send_time(value, now=NOW)


@pytest.mark.parametrize("value", ["+99999999999999999999d", "+9999999999w", "+99999999999999h"])
def test_a_huge_delay_is_out_of_range_not_a_crash(value: str) -> None:
    with pytest.raises(InputError, match="out of range"):
        parse_send_time(value, now=NOW)


def test_absolute_times_still_work_and_the_past_is_refused() -> None:
    assert parse_send_time("2099-01-01T12:00:00+00:00", now=NOW).year == 2099
    with pytest.raises(InputError, match="is in the past"):
        future_send_time("2026-12-03T16:59:59+00:00", now=NOW)


parts = st.tuples(*(st.one_of(st.none(), st.integers(0, 10_000)) for _ in range(5))).filter(
    lambda p: any(n is not None for n in p)
)


@given(parts)
def test_every_combination_reads_as_the_sum_of_its_parts(
    amounts: tuple[int | None, ...],
) -> None:
    units = ("w", "d", "h", "m", "s")
    text = "+" + "".join(f"{n}{u}" for n, u in zip(amounts, units, strict=True) if n is not None)
    weeks, days, hours, minutes, seconds = (n or 0 for n in amounts)
    expected = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    assert relative_delay(text) == expected
    assert parse_send_time(text, now=NOW) == NOW + expected


@given(st.text(max_size=12))
def test_any_text_is_a_time_or_an_input_error(text: str) -> None:
    try:
        when = parse_send_time(text, now=NOW)
    except InputError:
        return
    assert when.tzinfo is not None


@given(st.from_regex(r"\+[0-9]{1,20}[wdhms]", fullmatch=True))
def test_any_single_unit_is_a_time_or_out_of_range(text: str) -> None:
    try:
        when = parse_send_time(text, now=NOW)
    except InputError as exc:
        assert "out of range" in exc.message
        return
    assert when >= NOW


def test_a_rows_relative_time_counts_from_the_jobs_start() -> None:
    """--at-column: `+2h` in a row is two hours after the job started (its injected clock),
    whenever the row is checked; an empty cell is the job's (None)."""
    import csv
    import io

    from sms_cli.core.templates import Template
    from sms_cli.services.bulk.input import RowRules, check_row

    rules = RowRules(
        recipient_index=0,
        columns=("phone", "when", "tag"),
        template=Template.parse("Hi"),
        region=None,
        max_chars=1520,
        at_index=1,
        label_index=2,
        started=NOW,
    )
    rows = list(csv.reader(io.StringIO("+46701234567,+2h,vip\n+46701234568,,\n")))
    first, second = (check_row(i + 2, cells, rules) for i, cells in enumerate(rows))
    assert (first.send_at, first.label, first.error) == ("2026-12-03T19:00:00+00:00", "vip", None)
    assert (second.send_at, second.label, second.error) == (None, None, None)
