"""ZWJ sequences stay one emoji; invisible format characters elsewhere are still shown."""

from __future__ import annotations

import pytest

from sms_cli.core.printable import visible


@pytest.mark.parametrize(
    "emoji",
    ["👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "👩🏽\u200d💻", "❤\ufe0f", "👁\ufe0f\u200d🗨\ufe0f"],
)
def test_emoji_sequences_stay_whole(emoji: str) -> None:
    assert visible(emoji) == emoji
    assert visible(f"Family: {emoji}!") == f"Family: {emoji}!"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("pay\u200dpal", "pay<U+200D>pal"),  # between letters: a look-alike, shown
        ("👨\u200d", "👨<U+200D>"),  # at the end: joins nothing
        ("\u200d👨", "<U+200D>👨"),
        ("👨\u200d\u200d👩", "👨<U+200D><U+200D>👩"),
        ("abc\u202edef", "abc<U+202E>def"),  # bidi override: the spoofing risk
        ("a\u2066b\u2069", "a<U+2066>b<U+2069>"),
        ("x\u200by", "x<U+200B>y"),  # zero-width space
        ("x\u2060y", "x<U+2060>y"),  # word joiner
    ],
)
def test_other_invisible_format_characters_are_shown(text: str, shown: str) -> None:
    assert visible(text) == shown
