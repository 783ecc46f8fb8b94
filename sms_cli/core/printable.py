"""Text as a terminal may show it: characters a reader could not see, or that a terminal would
obey (escape sequences, bidi overrides), become visible stand-ins. Pure: no I/O, no imports
beyond the standard library, so `--help` and `split` stay fast."""

from __future__ import annotations

import unicodedata


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def visible_char(char: str) -> str:
    """A printable stand-in for a character a reader could not otherwise see."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures: LF is shown as ␊, TAB as ␉.
    if code == 0x7F:
        return "\u2421"
    if char != " " and unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return f"<{codepoint(char)}>"
    return char


ZWJ = "\u200d"  # ZERO WIDTH JOINER: 👨 ZWJ 👩 ZWJ 👧 is one family
VS16 = "\ufe0f"  # VARIATION SELECTOR-16 (a mark, Mn, kept as is): ❤ VS16 is the emoji ❤️


def _emoji(char: str) -> bool:
    """A character an emoji sequence is made of: a symbol (So), a skin-tone modifier, VS16."""
    return char == VS16 or unicodedata.category(char) == "So" or 0x1F3FB <= ord(char) <= 0x1F3FF


def _joins_emoji(text: str, index: int) -> bool:
    """Whether the ZWJ at `index` joins two emoji (👨 ZWJ 👩, 🏳️ ZWJ 🌈), where a terminal draws
    it as part of one glyph. Elsewhere (between letters, at either end) it is invisible, a way
    to make look-alike text, and is shown as <U+200D>."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return bool(before and after) and _emoji(before) and unicodedata.category(after) == "So"


def visible(text: str) -> str:
    """`text` with every character a reader could not see as a stand-in (visible_char), except
    a ZWJ inside an emoji sequence, which a terminal draws as part of one glyph."""
    return "".join(
        char if char == ZWJ and _joins_emoji(text, index) else visible_char(char)
        for index, char in enumerate(text)
    )


def visible_lines(text: str) -> str:
    """`visible`, keeping line breaks: for diagnostics, whose messages may span lines but quote
    provider text and ids that must never reach a terminal as control sequences."""
    return "\n".join(visible(line) for line in text.split("\n"))
