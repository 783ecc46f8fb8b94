"""Output that fits (output_fit): widths measured by grapheme, the block layout, status colours by
meaning, and every amount in one format with its currency."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import pytest

from sms_cli.render.colors import status_style
from sms_cli.render.split import graphemes
from sms_cli.render.table import NARROW, display_width, fitted_widths, table

ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def shown(monkeypatch: pytest.MonkeyPatch, draw: Any, *, columns: int, colour: bool = False) -> str:
    stream = Terminal()
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("TERM", "xterm-256color")
    if colour:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", "1")
    draw()
    return stream.getvalue()


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("👍🏽", 2),  # emoji + skin-tone modifier
        ("👨\u200d👩\u200d👧", 2),  # a ZWJ family
        ("🇸🇪", 2),  # a flag: two regional indicators
        ("e\u0301", 1),  # e + combining acute accent
        ("中文", 4),  # CJK: two cells each
        ("abc", 3),
    ],
)
def test_width_is_measured_by_grapheme(text: str, cells: int) -> None:
    assert display_width(text) == cells


def test_graphemes_keep_modifiers_joiners_flags_and_accents_with_their_base() -> None:
    text = "a👍🏽b👨\u200d👩\u200d👧🇸🇪🇩🇪e\u0301中"
    assert graphemes(text) == [
        "a", "👍🏽", "b", "👨\u200d👩\u200d👧", "🇸🇪", "🇩🇪", "e\u0301", "中",
    ]  # fmt: skip


def test_plain_columns_align_by_display_width(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    table(("Name", "Id"), [("中文", "1"), ("👍🏽", "2"), ("abcd", "3")])
    lines = stream.getvalue().splitlines()
    # Every Id starts in the same terminal column.
    assert {display_width(line[: line.rindex(" ") + 1]) for line in lines} == {6}


def test_a_table_that_cannot_fit_whole_becomes_blocks() -> None:
    header = ("ID", "Text")
    rows = [("X" * 40, "some words here")]
    assert fitted_widths(header, rows, {"Text"}, 100) == [40, 15]
    # The light frame costs two cells between columns: 40 + 15 + 2 fits in 60.
    assert fitted_widths(header, rows, {"Text"}, 60) == [40, 15]
    wide = [("X" * 45, "some words here")]
    assert fitted_widths(header, wide, {"Text"}, 60) == [45, 13]  # Text wraps: 45 + 13 + 2
    assert fitted_widths(header, [("X" * 49, "some words")], {"Text"}, 60) is None  # Text < 10
    assert fitted_widths(header, wide, set(), 60) is None  # nothing may wrap: blocks
    assert fitted_widths(("A",), [("x",)], set(), NARROW - 1) is None  # narrow: always blocks


def test_blocks_hold_every_value_whole_one_record_each(monkeypatch: pytest.MonkeyPatch) -> None:
    long_id = "R" * 45
    rows = [
        ("+46701234567", long_id, "delivered", "a reason long enough to wrap over two lines here"),
        ("+46701234568", "R2", "failed", "-"),
    ]
    text = ESCAPES.sub(
        "",
        shown(
            monkeypatch,
            lambda: table(("Recipient", "ID", "Status", "Reason"), rows, wrap="Reason"),
            columns=40,
        ),
    )
    blocks = text.rstrip("\n").split("\n\n")
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0] == "Recipient: +46701234567"
    assert first[1:3] == ["ID:", long_id]  # too long beside its label: whole, on its own line
    assert first[3] == "Status:    delivered"
    assert first[4].startswith("Reason:    a reason") and first[5].startswith("           ")
    assert all(display_width(line) <= 40 for line in text.splitlines() if line != long_id)
    assert blocks[1].splitlines()[1] == "ID:        R2"


@pytest.mark.parametrize(
    ("word", "style"),
    [
        ("delivered", "green"),
        ("delivered (final)", "green"),
        ("queued", "blue"),
        ("accepted", "blue"),
        ("enroute", "blue"),
        ("pending", "yellow"),
        ("paused: rate limited", "yellow"),
        ("failed", "red"),
        ("rejected", "red"),
        ("expired", "red"),
        ("not_sent", "red"),
        ("not sent (dry run)", "red"),
        ("unknown", "bold magenta"),
        ("cancelled", "dim"),
        ("Invalid recipient", ""),
    ],
)
def test_status_words_have_one_style_by_meaning(word: str, style: str) -> None:
    assert status_style(word) == style


def test_status_colours_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [("+46701234567", "rejected"), ("+46701234568", "delivered")]

    def draw() -> None:
        table(("Recipient", "Status"), rows, status="Status")

    coloured = shown(monkeypatch, draw, columns=100, colour=True)
    assert "\x1b[31mrejected" in coloured and "\x1b[32mdelivered" in coloured
    assert "\x1b[3" not in shown(monkeypatch, draw, columns=100)  # NO_COLOR
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.delenv("NO_COLOR", raising=False)
    draw()
    assert "\x1b" not in stream.getvalue()  # not a terminal


def test_the_same_column_order_on_a_terminal_and_in_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    from sms_cli.render.split import split_human
    from sms_cli.services.preview import build_preview

    shown_preview = build_preview("Hello 👍🏽")
    terminal = ESCAPES.sub("", shown(monkeypatch, lambda: split_human(shown_preview), columns=80))
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    split_human(shown_preview)
    plain_header = next(line for line in stream.getvalue().splitlines() if "#" in line)
    rich_header = next(line for line in terminal.splitlines() if "┃" in line)
    assert plain_header.split() == ["#", "Units", "Left", "Text"]
    assert rich_header.replace("┃", " ").split() == ["#", "Units", "Left", "Text"]


def test_every_amount_is_shown_in_one_format_with_its_currency(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from typing import cast

    from sms_cli.errors import ExitCode
    from sms_cli.providers.base import Balance
    from sms_cli.render import account
    from sms_cli.render.bulk import BulkRenderer
    from sms_cli.render.campaign import campaign_human, campaign_json
    from sms_cli.services.bulk.campaign import CampaignView
    from sms_cli.services.bulk.input import Totals
    from sms_cli.storage.profiles import ResolvedProfile

    BulkRenderer(json=False).totals(
        Totals(rows=3, messages=3, segments_gsm=3), price=0.075, currency="EUR", dry_run=True
    )
    assert "cost: 0.225 EUR (0.075 EUR per segment)" in capsys.readouterr().err
    BulkRenderer(json=False).totals(
        Totals(rows=1, messages=1, segments_gsm=2), price=1.5, currency=None, dry_run=True
    )
    err = capsys.readouterr().err
    assert "cost: 3.00 (currency unknown) (1.50 (currency unknown) per segment)" in err

    view = CampaignView(
        job_id="0" * 32, short_id="00000000", name=None, state="finished", note=None,
        source="a.csv", created_at="2026-01-01", provider="seven", profile="live", rows=2,
        counts={"accepted": 2}, failed_by_reason={}, segments_sent=2, charged=0.15,
        sent_rows=2, priced_rows=2, price_per_segment=0.075, final=True, waited=False,
        exit_code=ExitCode.OK, currency="SEK",
    )  # fmt: skip
    campaign_human(view)
    out = capsys.readouterr().out
    # Charged is the provider's (seven.io bills in EUR); the estimate is the profile's.
    assert "0.15 EUR" in out and "0.15 SEK (0.075 SEK per segment)" in out
    cost = campaign_json(view)["cost"]
    assert cost["charged"] == 0.15 and cost["currency"] == "EUR"  # numbers stay numbers
    assert cost["estimate_currency"] == "SEK"
    gone = campaign_json(replace(view, provider="uninstalled"))["cost"]
    assert gone["currency"] is None  # a provider no longer installed: unknown, no error

    account.emit(cast(ResolvedProfile, None), Balance(amount=41.2, currency="EUR"), json=False)
    assert capsys.readouterr().out == "41.20 EUR\n"
    account.emit(cast(ResolvedProfile, None), Balance(amount=3, currency=""), json=False)
    assert capsys.readouterr().out == "3.00 (currency unknown)\n"
