"""Smart encoding: swap typographic characters for GSM look-alikes (SEGMENTATION.md §8).

All or nothing: the replacements are applied only when the whole text then fits a GSM-7
alphabet; otherwise the text is left exactly as it was, because replacing a few characters in a
text that stays UCS-2 only changes what the recipient reads (and can add parts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final


def _same(target: str, chars: str) -> dict[str, str]:
    return dict.fromkeys(chars, target)


LOOKALIKES: Final[dict[str, str]] = {
    **_same('"', "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u02ba\u02ee\u275d\u275e\u301d\u301e"),
    **_same(
        "'",
        "\u2018\u2019\u201b\u2032\u00b4\u0060\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u275b\u275c",
    ),
    # U+201A is a low opening quotation mark (German ‚so‘): it stays a quote, not a comma.
    "\u201a": "'",
    **_same("-", "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2022\ufe63\u2212"),
    "\u2026": "...",
    # A no-break or typographic space is one space wide; doubling it only costs septets.
    **_same(" ", "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"),
    **_same(" ", "\u202f\u205f\u3000\u2028\u2029\t"),
    **_same("", "\u200b\u200c\u200d\u2060\ufeff\u00ad"),
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    **_same("/", "\u00f7\u2044\u2215"),
    "\u2039": "<",
    "\u203a": ">",
    "\u203c": "!!",
    "\ufe5b": "{",
    "\ufe5c": "}",
    "\ufe68": "\\",
    # Fullwidth ASCII forms U+FF01..U+FF5E map to U+0021..U+007E.
    **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
    "\uff40": "'",  # fullwidth grave: a plain backtick is not GSM either
    # C0 controls other than TAB, LF, FF, CR and ESC are invisible on a handset: drop them.
    **_same("", "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))),
    "\x7f": "",
}


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced character at a 0-based code point index of the original text."""

    index: int
    char: str
    replacement: str


@dataclass(frozen=True)
class SmartResult:
    """The text to send, and the replacements made (empty when not applied)."""

    original: str
    text: str
    replacements: tuple[Replacement, ...]
    applied: bool
    candidates: tuple[Replacement, ...]


# `[[file name]]`: where an attachment's link goes. The name must match the file's own (a macOS
# screenshot's has a U+202F), so nothing inside is replaced.
PLACEHOLDER: Final = re.compile(r"\[\[.*?\]\]", re.DOTALL)
FRACTIONS: Final = frozenset("\u00bc\u00bd\u00be")


def _kept(text: str) -> set[int]:
    return {i for m in PLACEHOLDER.finditer(text) for i in range(m.start(), m.end())}


def _replacement(text: str, index: int) -> str:
    """The look-alike of text[index]; a fraction right after a digit gets a space before it
    (`1½` is `1 1/2`, not `11/2`)."""
    char = text[index]
    if char in FRACTIONS and index > 0 and text[index - 1].isdigit():
        return " " + LOOKALIKES[char]
    return LOOKALIKES[char]


def smart_encode(text: str, encodable: Callable[[str], bool]) -> SmartResult:
    """Apply the look-alike replacements when the result is encodable as GSM-7. The one smart
    encoding: `split --smart` shows and `send --smart` sends what this returns.

    Nothing inside a `[[...]]` placeholder is replaced. `candidates` lists what would have
    been replaced, so a preview can explain why nothing was.
    """
    kept = _kept(text) if "[[" in text else set()
    candidates = tuple(
        Replacement(i, c, _replacement(text, i))
        for i, c in enumerate(text)
        if c in LOOKALIKES and i not in kept
    )
    if not candidates:
        return SmartResult(text, text, (), False, ())
    by_index = {r.index: r.replacement for r in candidates}
    replaced = "".join(by_index.get(i, c) for i, c in enumerate(text))
    if not encodable(replaced):
        return SmartResult(text, text, (), False, candidates)
    return SmartResult(text, replaced, candidates, True, candidates)
