"""Previews are cut between graphemes and measured in terminal cells."""

from __future__ import annotations

from sms_cli.render.table import display_width, short


def test_a_cjk_preview_is_at_most_width_cells() -> None:
    text = "中文短信测试" * 10
    preview = short(text, 11)
    assert display_width(preview) <= 11
    assert preview == "中文短信测…"


def test_a_skin_tone_is_never_split_from_its_emoji() -> None:
    text = "ok " + "👍🏽" * 30
    for width in range(4, 20):
        preview = short(text, width)
        assert display_width(preview) <= width
        body = preview.removesuffix("…").removeprefix("ok ")
        assert body == "👍🏽" * (len(body) // 2), (width, preview)


def test_a_family_stays_whole_or_goes() -> None:
    family = "👨\u200d👩\u200d👧"
    preview = short("Hi " + family * 5, 6)
    assert preview in ("Hi …", f"Hi {family}…")
    assert display_width(preview) <= 6


def test_short_text_is_unchanged() -> None:
    assert short("hello", 40) == "hello"
    assert short(None) == "(not stored)"
