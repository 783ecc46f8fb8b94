"""GSM 03.38 / UCS-2 segmentation: which encoding a text needs and how it splits into parts.

Pure code, no I/O. The rules are those of shared/SEGMENTATION.md (TS 23.038 alphabets, TS 23.040
user data header): a part carries 140 octets shared between the UDH and the text, an escape pair
and a surrogate pair are never split across parts, and parts are filled greedily, which is optimal
because the order of the indivisible units is fixed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Final, Literal, NamedTuple

Encoding = Literal["gsm7", "ucs2", "binary"]

GSM7: Final = "gsm7"
UCS2: Final = "ucs2"
BINARY: Final = "binary"  # 8-bit data given as hex, with the user's own UDH (a provider's `udh`)

# TS 23.038 §6.2.1, indexed by septet code. 0x1B is the escape code, not a character: it is kept
# here only as a placeholder so that indexes stay codes, and is removed from the character set.
_ESC = "\x1b"
GSM_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# TS 23.038 §6.2.1.1: reached through 0x1B, so each costs two septets.
GSM_EXTENSION_CHARS: Final = "\f^{}\\[~]|€"

# Octets in the user data header (SEGMENTATION.md §5): UDHL, then the information elements.
_PART_OCTETS = 140
_UDHL = 1
_CONCAT_IE_REF8 = 5
_CONCAT_IE_REF16 = 6
_SHIFT_IE = 3

MAX_PARTS: Final = 255


def _replace_codes(table: str, changes: dict[int, str]) -> str:
    chars = list(table)
    for code, char in changes.items():
        chars[code] = char
    return "".join(chars)


# National language shift tables (TS 23.038 §6.2.1.2; SEGMENTATION.md §7). Only the character
# sets matter for counting. Indian tables are not offered: their full contents are not in our spec.
_LOCKING_TABLES: Final[dict[str, str]] = {
    "tr": _replace_codes(
        GSM_BASIC_TABLE,
        {0x04: "€", 0x07: "ı", 0x0B: "Ğ", 0x0C: "ğ", 0x1C: "Ş", 0x1D: "ş", 0x40: "İ", 0x60: "ç"},
    ),
    "pt": _replace_codes(
        GSM_BASIC_TABLE,
        {
            0x04: "ê", 0x06: "ú", 0x07: "í", 0x08: "ó", 0x09: "ç", 0x0B: "Ô", 0x0C: "ô",
            0x0E: "Á", 0x0F: "á", 0x12: "ª", 0x13: "Ç", 0x14: "À", 0x15: "∞", 0x16: "^",
            0x17: "\\", 0x18: "€", 0x19: "Ó", 0x1A: "|", 0x1C: "Â", 0x1D: "â", 0x1E: "Ê",
            0x24: "º", 0x40: "Í", 0x5B: "Ã", 0x5C: "Õ", 0x5D: "Ú", 0x60: "~", 0x7B: "ã",
            0x7C: "õ", 0x7D: "`",
        },
    ),
}  # fmt: skip
_SINGLE_SHIFT_TABLES: Final[dict[str, str]] = {
    "tr": GSM_EXTENSION_CHARS + "ĞİŞçğış",
    "es": GSM_EXTENSION_CHARS + "çÁÍÓÚáíóú",
    "pt": "êç\fÔôÁáΦΓ^ΩΠΨΣΘÊ{}\\[~]|ÀÍÓÚÃÕÂ€íóúãõâ",
}
NATIONAL_LANGUAGES: Final = ("tr", "es", "pt")


def _char_class(chars: Iterable[str], negate: bool = False) -> re.Pattern[str]:
    body = "".join(sorted({re.escape(c) for c in chars}))
    return re.compile(f"[{'^' if negate else ''}{body}]")


@dataclass(frozen=True)
class Alphabet:
    """A GSM-7 alphabet: a locking table (1 septet each) and a single shift table (2 septets)."""

    locking: str | None
    single: str | None
    basic: frozenset[str]
    extension: frozenset[str]
    unencodable: re.Pattern[str]
    two_septet: re.Pattern[str]

    @classmethod
    def build(cls, locking: str | None = None, single: str | None = None) -> Alphabet:
        basic = frozenset(_LOCKING_TABLES[locking] if locking else GSM_BASIC_TABLE) - {_ESC}
        extension = frozenset(_SINGLE_SHIFT_TABLES[single] if single else GSM_EXTENSION_CHARS)
        extension -= basic
        return cls(
            locking=locking,
            single=single,
            basic=basic,
            extension=extension,
            unencodable=_char_class(basic | extension, negate=True),
            two_septet=_char_class(extension),
        )

    @property
    def shift_ies(self) -> int:
        return (self.locking is not None) + (self.single is not None)

    def encodes(self, text: str) -> bool:
        return self.unencodable.search(text) is None


DEFAULT_ALPHABET: Final = Alphabet.build()

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def is_gsm(text: str) -> bool:
    """True when every character is in the GSM 03.38 default alphabet (basic or extension)."""
    return DEFAULT_ALPHABET.encodes(text)


def gsm_capacity(udh_octets: int) -> int:
    """Septets left for text after a UDH; the text starts on a septet boundary (fill bits)."""
    return (_PART_OCTETS - udh_octets) * 8 // 7


def ucs2_capacity(udh_octets: int) -> int:
    """UTF-16 code units left after a UDH; an odd UDH leaves one octet unused (TS 23.040)."""
    return (_PART_OCTETS - udh_octets) // 2


@dataclass(frozen=True)
class Limits:
    """Units per part for a message that fits in one part, and for each part of a longer one."""

    single: int
    multi: int


def limits(encoding: Encoding, *, ref16: bool = False, shift_ies: int = 0) -> Limits:
    concat = _CONCAT_IE_REF16 if ref16 else _CONCAT_IE_REF8
    shift = _SHIFT_IE * shift_ies
    single_udh = _UDHL + shift if shift_ies else 0
    multi_udh = _UDHL + concat + shift
    if encoding == GSM7:
        return Limits(gsm_capacity(single_udh), gsm_capacity(multi_udh))
    return Limits(ucs2_capacity(single_udh), ucs2_capacity(multi_udh))


_DEFAULT_LIMITS: Final = {
    (GSM7, False): limits(GSM7),
    (GSM7, True): limits(GSM7, ref16=True),
    (UCS2, False): limits(UCS2),
    (UCS2, True): limits(UCS2, ref16=True),
}


def _part_bounds(
    length: int, heavy: Sequence[int], total: int, lim: Limits
) -> list[tuple[int, int, int]]:
    """Greedy parts as (start, end, units) in code point indexes.

    Every character costs one unit except those at the sorted indexes in `heavy`, which cost two
    (an escape pair in GSM-7, a surrogate pair in UCS-2) and must not be split. The part end is
    found by jumping rather than walking: the units up to index e are e + (heavy before e).
    """
    if total <= lim.single:
        return [(0, length, total)]
    cap = lim.multi
    bounds: list[tuple[int, int, int]] = []
    start = heavy_before_start = 0
    while start < length:
        base = start + heavy_before_start
        end = min(length, start + cap)
        while True:
            heavy_before_end = bisect_left(heavy, end, heavy_before_start)
            over = end + heavy_before_end - base - cap
            if over <= 0:
                break
            # Each character costs at most 2, so the last fitting end is at least over/2 back.
            end -= (over + 1) // 2
        bounds.append((start, end, end + heavy_before_end - base))
        start, heavy_before_start = end, heavy_before_end
    return bounds


def _count_parts(length: int, heavy: Sequence[int], total: int, lim: Limits) -> int:
    if total <= lim.single:
        return 1
    if not heavy:
        return -(-total // lim.multi)
    return len(_part_bounds(length, heavy, total, lim))


@dataclass(frozen=True, slots=True)
class Count:
    """The cheap answer: encoding, units and number of parts, without the parts themselves."""

    encoding: Encoding
    units: int
    parts: int


def count(text: str, *, force_ucs2: bool = False, ref16: bool = False) -> Count:
    """Count the parts of a text under the default GSM alphabet or UCS-2, as fast as we can."""
    if not force_ucs2 and DEFAULT_ALPHABET.unencodable.search(text) is None:
        lim = _DEFAULT_LIMITS[GSM7, ref16]
        heavy = DEFAULT_ALPHABET.two_septet.findall(text)
        total = len(text) + len(heavy)
        if total <= lim.single:
            return Count(GSM7, total, 1)
        if heavy:
            positions = [m.start() for m in DEFAULT_ALPHABET.two_septet.finditer(text)]
            return Count(GSM7, total, _count_parts(len(text), positions, total, lim))
        return Count(GSM7, total, -(-total // lim.multi))
    lim = _DEFAULT_LIMITS[UCS2, ref16]
    total = len(text.encode("utf-16-le")) >> 1
    if total <= lim.single:
        return Count(UCS2, total, 1)
    if total == len(text):
        return Count(UCS2, total, -(-total // lim.multi))
    positions = [m.start() for m in _ASTRAL.finditer(text)]
    return Count(UCS2, total, _count_parts(len(text), positions, total, lim))


class Segment(NamedTuple):
    """One part of a message. `start` is the code point index of its first character.

    A named tuple rather than a dataclass: it is built for every part of every message, and bulk
    previews split millions of them. `number` counts from 1.
    """

    number: int
    text: str
    units: int
    limit: int
    start: int

    @property
    def remaining(self) -> int:
        return self.limit - self.units


@dataclass(frozen=True, slots=True)
class NonGsm:
    """A character outside the GSM alphabet, at a 0-based code point index."""

    char: str
    index: int


@dataclass(frozen=True)
class Segmentation:
    """A text split into parts, with everything a preview needs to explain the split."""

    text: str
    encoding: Encoding
    units: int
    segments: tuple[Segment, ...]
    single_limit: int
    per_segment_limit: int
    alphabets: tuple[Alphabet, ...] = field(repr=False, compare=False)
    locking_shift: str | None = None
    single_shift: str | None = None

    @cached_property
    def non_gsm(self) -> tuple[NonGsm, ...]:
        """Characters that force UCS-2, found only when asked: a preview needs them, a count not."""
        if self.encoding == BINARY:
            return ()
        return _non_gsm(self.text, self.alphabets)

    @property
    def characters(self) -> int:
        return len(self.text)

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    @property
    def limit(self) -> int:
        """Units per part as actually used: the single-part limit when the text fits in one."""
        return self.single_limit if len(self.segments) == 1 else self.per_segment_limit

    @property
    def remaining(self) -> int:
        return self.segments[-1].remaining


@dataclass(frozen=True)
class _Candidate:
    alphabet: Alphabet | None
    limits: Limits
    bounds: list[tuple[int, int, int]]
    total: int

    @property
    def rank(self) -> tuple[int, int, int]:
        """Fewest parts, then most units left in the last part, then fewest UDH elements."""
        shift_ies = self.alphabet.shift_ies if self.alphabet else 0
        units_left = self.limits.multi - self.bounds[-1][2]
        if len(self.bounds) == 1:
            units_left = self.limits.single - self.bounds[-1][2]
        return (len(self.bounds), -units_left, shift_ies)


def _gsm_candidate(text: str, alphabet: Alphabet, ref16: bool) -> _Candidate:
    heavy = [m.start() for m in alphabet.two_septet.finditer(text)]
    total = len(text) + len(heavy)
    lim = limits(GSM7, ref16=ref16, shift_ies=alphabet.shift_ies)
    return _Candidate(alphabet, lim, _part_bounds(len(text), heavy, total, lim), total)


def _ucs2_candidate(text: str, ref16: bool) -> _Candidate:
    heavy = [m.start() for m in _ASTRAL.finditer(text)]
    total = len(text) + len(heavy)
    lim = _DEFAULT_LIMITS[UCS2, ref16]
    return _Candidate(None, lim, _part_bounds(len(text), heavy, total, lim), total)


def gsm_part_units(text: str, alphabet: Alphabet, *, ref16: bool = False) -> list[int]:
    """Septets per part of a text under one given GSM-7 alphabet, to compare shift tables."""
    if not alphabet.encodes(text):
        raise ValueError("the text is not encodable with this alphabet")
    return [units for _, _, units in _gsm_candidate(text, alphabet, ref16).bounds]


def national_alphabets(languages: Iterable[str]) -> tuple[Alphabet, ...]:
    """Every (locking, single shift) pair the languages allow, the default tables included."""
    return _national_alphabets(tuple(dict.fromkeys(languages)))


@lru_cache(maxsize=16)
def _national_alphabets(langs: tuple[str, ...]) -> tuple[Alphabet, ...]:
    unknown = [lang for lang in langs if lang not in NATIONAL_LANGUAGES]
    if unknown:
        raise ValueError(f"no national language table for {', '.join(unknown)}")
    lockings: list[str | None] = [None, *(lang for lang in langs if lang in _LOCKING_TABLES)]
    singles: list[str | None] = [None, *(lang for lang in langs if lang in _SINGLE_SHIFT_TABLES)]
    return tuple(Alphabet.build(lock, single) for lock in lockings for single in singles)


def split(
    text: str,
    *,
    force_ucs2: bool = False,
    ref16: bool = False,
    national: Sequence[str] = (),
) -> Segmentation:
    """Choose the encoding and split the text into parts.

    With national languages, every allowed pair of shift tables is tried and the one giving the
    fewest parts (then the most room left) wins; UCS-2 is used when no pair encodes the text or
    when it needs fewer parts (SEGMENTATION.md §7).
    """
    alphabets = national_alphabets(national) if national else (DEFAULT_ALPHABET,)
    chosen: _Candidate | None = None
    if not force_ucs2:
        gsm = [_gsm_candidate(text, a, ref16) for a in alphabets if a.encodes(text)]
        if gsm:
            chosen = min(gsm, key=lambda c: c.rank)
    if chosen is None or (national and _ucs2_candidate(text, ref16).rank[0] < chosen.rank[0]):
        chosen = _ucs2_candidate(text, ref16)
    encoding: Encoding = UCS2 if chosen.alphabet is None else GSM7
    limit = chosen.limits.single if len(chosen.bounds) == 1 else chosen.limits.multi
    segments = tuple(
        Segment(i, text[start:end], units, limit, start)
        for i, (start, end, units) in enumerate(chosen.bounds, start=1)
    )
    return Segmentation(
        text=text,
        encoding=encoding,
        units=chosen.total,
        segments=segments,
        single_limit=chosen.limits.single,
        per_segment_limit=chosen.limits.multi,
        alphabets=alphabets,
        locking_shift=chosen.alphabet.locking if chosen.alphabet else None,
        single_shift=chosen.alphabet.single if chosen.alphabet else None,
    )


def split_binary(hex_text: str, udh: str) -> Segmentation:
    """An 8-bit binary message: `hex_text` as octets, each part carrying the user's `udh`.

    Both are hex (validated by the caller). UDH and data share the 140 octets of a part
    (TS 23.040), so each part holds 140 - len(UDH) data octets; the units are octets and a
    segment's text is its slice of the hex.
    """
    room = _PART_OCTETS - len(udh) // 2
    octets = len(hex_text) // 2
    bounds = [(i, min(octets, i + room)) for i in range(0, max(octets, 1), room)]
    segments = tuple(
        Segment(number, hex_text[2 * start : 2 * end], end - start, room, 2 * start)
        for number, (start, end) in enumerate(bounds, start=1)
    )
    return Segmentation(
        text=hex_text,
        encoding=BINARY,
        units=octets,
        segments=segments,
        single_limit=room,
        per_segment_limit=room,
        alphabets=(),
    )


def _find(pattern: re.Pattern[str], text: str) -> tuple[NonGsm, ...]:
    return tuple(NonGsm(m.group(), m.start()) for m in pattern.finditer(text))


def _non_gsm(text: str, alphabets: Sequence[Alphabet]) -> tuple[NonGsm, ...]:
    """Characters no allowed alphabet can encode; failing that, those outside the default one.

    The fallback covers a text whose characters each fit some national table but no single pair.
    """
    if len(alphabets) == 1:
        return _find(alphabets[0].unencodable, text)
    found = _find(_union_unencodable(tuple(alphabets)), text)
    if found or any(a.encodes(text) for a in alphabets):
        return found
    return _find(DEFAULT_ALPHABET.unencodable, text)


@lru_cache(maxsize=16)
def _union_unencodable(alphabets: tuple[Alphabet, ...]) -> re.Pattern[str]:
    return _char_class(frozenset().union(*(a.basic | a.extension for a in alphabets)), negate=True)
