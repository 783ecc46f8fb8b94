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


def visible(text: str) -> str:
    return "".join(visible_char(c) for c in text)


def visible_lines(text: str) -> str:
    """`visible`, keeping line breaks: for diagnostics, whose messages may span lines but quote
    provider text and ids that must never reach a terminal as control sequences."""
    return "\n".join(visible(line) for line in text.split("\n"))
