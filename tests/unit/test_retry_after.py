"""The 429 policy as pure functions: Retry-After read as seconds or an HTTP date against a given
clock, capped, and the give-up time named; and the one table of what a send's HTTP status means."""

from __future__ import annotations

import pytest

from sms_cli.providers.http import (
    MAX_RETRY_AFTER,
    rate_limit_wait,
    retry_advice,
    retry_after_seconds,
    retry_time,
    send_status,
)

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("0.5", 0.5),
        ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0),
        ("Thursday, 01-Jan-26 00:01:00 GMT", 60.0),  # RFC 850, obsolete but valid
        ("Thu Jan  1 00:00:05 2026", 5.0),  # asctime: no zone, which is UTC
        ("Thu, 01 Jan 2026 00:00:10 -0000", 10.0),
        ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0),  # in the past: no wait
        ("9" * 40, MAX_RETRY_AFTER),  # huge: capped, a day
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
    ],
)
def test_retry_after_is_seconds_or_a_date_relative_to_the_clock(value: str, seconds: float) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [None, "", "-5", "soon", "1e3", "nan", "inf", "3, x", "3,", "0x10", "Thu, 99 Foo 2026", "²"],
)
def test_a_retry_after_that_is_no_wait_reads_as_none(value: str | None) -> None:
    assert retry_after_seconds(value, now=NOW) is None


def test_an_http_date_depends_on_the_given_clock_only() -> None:
    value = "Thu, 01 Jan 2026 00:01:00 GMT"
    assert retry_after_seconds(value, now=NOW) == 60.0
    assert retry_after_seconds(value, now=NOW + 45) == 15.0


def wait(
    header: str | None, attempt: int = 1, left: float = 30.0, reserve: float = 0.0
) -> tuple[float, bool]:
    return rate_limit_wait(
        header, attempt, backoff=0.25, retries=3, cap=60.0, left=left, now=NOW, reserve=reserve
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2, 2", 2.0), ("2,7", 7.0), ("7, 2, 0.5", 7.0), ("1, " + "9" * 40, MAX_RETRY_AFTER)],
)
def test_a_header_sent_twice_waits_the_longest(value: str, seconds: float) -> None:
    """httpx joins two Retry-After headers with ", "; the lean wire keeps the last."""
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize("value", ["²", "١٢", "3²", "²0"])
def test_only_ascii_digits_are_seconds(value: str) -> None:
    """`"²".isdigit()` is True in Python: such a header once read as a day's wait."""
    assert retry_after_seconds(value, now=NOW) is None


def test_a_wait_must_leave_the_reserve_for_the_retried_request() -> None:
    """A wait that used up --timeout would leave the retry no time: a send that timed out is
    `unknown` (exit 8) where giving up at once is `not sent` (exit 6)."""
    assert wait("25", left=30, reserve=5) == (25.0, True)
    assert wait("25.5", left=30, reserve=5) == (25.5, False)
    assert wait("29", left=30, reserve=5) == (29.0, False)
    assert wait(None, left=5.2, reserve=5) == (0.25, False)  # the backoff too


def test_past_a_day_the_advice_names_the_servers_date_or_says_more_than_a_day() -> None:
    far = "Fri, 31 Dec 9999 23:59:59 GMT"
    assert retry_advice(far, MAX_RETRY_AFTER, NOW) == (
        "until 9999-12-31T23:59:59Z; retry not before then"
    )
    assert "86400" not in retry_advice("9" * 40, MAX_RETRY_AFTER, NOW)
    assert "more than a day" in retry_advice("9" * 40, MAX_RETRY_AFTER, NOW)
    assert retry_advice("120", 120, NOW) == "until 2026-01-01T00:02:00Z; retry after 120 s"


def test_the_header_wins_over_the_backoff() -> None:
    assert wait("2") == (2.0, True)
    assert wait("Thu, 01 Jan 2026 00:00:02 GMT") == (2.0, True)


def test_without_a_usable_header_the_backoff_doubles() -> None:
    assert [wait(None, attempt) for attempt in (1, 2, 3)] == [
        (0.25, True),
        (0.5, True),
        (1.0, True),
    ]
    assert wait("garbage") == (0.25, True)
    assert wait("-1") == (0.25, True)


def test_past_the_cap_or_the_deadline_or_the_retries_it_gives_up() -> None:
    assert wait("61", left=600) == (61.0, False)  # the cap: 60 s
    assert wait("60", left=600) == (60.0, True)
    assert wait("10", left=5) == (10.0, False)  # what is left of --timeout
    assert wait("9" * 40, left=600) == (MAX_RETRY_AFTER, False)
    assert wait("1", attempt=4) == (1.0, False)  # three retries, then no more


def test_the_give_up_time_is_iso_utc() -> None:
    assert retry_time(NOW, 120) == "2026-01-01T00:02:00Z"
    assert retry_time(NOW, 0.2) == "2026-01-01T00:00:01Z"  # rounded up: never too early
    assert retry_time(NOW, 1e300) == "later"


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (200, "ok"),
        (202, "ok"),
        (401, "auth"),
        (403, "auth"),
        (429, "rate_limited"),
        (404, "not_sent"),
        (405, "not_sent"),
        (408, "unknown"),
        (301, "unknown"),
        (303, "unknown"),
        (500, "unknown"),
        (503, "unknown"),
        (599, "unknown"),
        (400, "rejected"),
        (402, "rejected"),
        (409, "rejected"),
        (422, "rejected"),
        (499, "rejected"),
    ],
)
def test_what_a_send_status_means(code: int, meaning: str) -> None:
    assert send_status(code) == meaning
